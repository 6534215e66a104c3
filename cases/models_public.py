"""Models of the public face: Open311 API keys and the public board's search index.

Imported at the bottom of cases/models.py so Django registers them with the cases app.
"""

from __future__ import annotations

import secrets

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_api_key() -> str:
    return secrets.token_urlsafe(24)


class Open311ApiKey(models.Model):
    """A key an Open311 client sends as ``api_key`` to POST service requests."""

    key = models.CharField(_("密钥"), max_length=64, unique=True, default=new_api_key)
    name = models.CharField(_("客户端名称"), max_length=100)
    contact = models.CharField(_("联系人"), max_length=200, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "cases"
        verbose_name = _("Open311 接口密钥")
        verbose_name_plural = _("Open311 接口密钥")

    def __str__(self) -> str:
        return self.name


class PublicSearch(models.Model):
    """One row per published case, written on publish and deleted on withdraw.

    ``document`` is the lower-cased public text (LIKE search on SQLite and the
    one-character fallback); ``vector`` holds its character bigrams as a tsvector
    with a GIN index on PostgreSQL, so a two-character query finds every message
    containing it without scanning.
    """

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="public_search")
    document = models.TextField()
    vector = SearchVectorField(null=True)
    # Copies of what the board filters and sorts by, so a search never has to join every
    # matching case before it can sort and cut the page (written with the row on publish).
    published_at = models.DateTimeField(null=True)
    registered_at = models.DateTimeField(null=True)
    department_id_copy = models.BigIntegerField(null=True)
    category_id_copy = models.BigIntegerField(null=True)
    category_parent_id_copy = models.BigIntegerField(null=True)
    kind = models.CharField(max_length=16, blank=True)

    class Meta:
        app_label = "cases"
        indexes = [
            models.Index(fields=["-published_at", "-case"], name="publicsearch_newest"),
            # The board's month (+ kind) filters: an index-only read of the month's rows (with the
            # sort keys included on PostgreSQL), then a small sort, instead of walking the newest
            # index past every other month.
            models.Index(
                fields=["kind", "registered_at"], include=["published_at", "case"], name="publicsearch_kind_month"
            ),
            models.Index(fields=["registered_at"], include=["published_at", "case"], name="publicsearch_month"),
        ]

    def __str__(self) -> str:
        return f"public copy of case {self.case_id}"
