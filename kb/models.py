"""Knowledge-base articles (知识库), their version history, and which case each one answered."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from .enums import ArticleStatus


class Article(models.Model):
    """One answer the desk can give. Written only by ``kb.services``; every save that changes what
    it says adds an ``ArticleVersion`` and bumps ``version``.

    ``document`` is the lower-cased searchable text (title, keywords, body) and ``vector`` its
    character bigrams (PostgreSQL, GIN index): the public board's search (cases.publication)."""

    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("答复内容"))
    category = models.ForeignKey(
        "cases.Category", on_delete=models.PROTECT, related_name="kb_articles", verbose_name=_("业务分类")
    )
    department = models.ForeignKey(
        "cases.Department", on_delete=models.PROTECT, related_name="kb_articles", verbose_name=_("维护单位")
    )
    keywords = models.CharField(_("关键词"), max_length=300, blank=True)
    valid_from = models.DateField(_("生效日期"))
    valid_until = models.DateField(_("失效日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    version = models.PositiveIntegerField(_("版本"), default=1)
    # The consultation case that prompted the article, when it came from the "add an article" prompt.
    source_case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("来源工单")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()
    document = models.TextField(blank=True, editable=False)
    vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = _("知识库文章")
        verbose_name_plural = _("知识库文章")
        indexes = [
            models.Index(fields=["status", "valid_until"], name="kb_article_usable"),
            models.Index(fields=["department", "valid_until"], name="kb_article_dept_expiry"),
            models.Index(fields=["-updated_at", "-id"], name="kb_article_newest"),
        ]

    def __str__(self) -> str:
        return self.title


class ArticleVersion(models.Model):
    """What an article said at one version: one row per create or edit, never changed."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    category = models.ForeignKey("cases.Category", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("cases.Department", on_delete=models.PROTECT, related_name="+")
    keywords = models.CharField(max_length=300, blank=True)
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=ArticleStatus.choices)
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    edited_at = models.DateTimeField()

    class Meta:
        ordering = ["article_id", "-version"]
        constraints = [models.UniqueConstraint(fields=["article", "version"], name="kb_version_unique")]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.version}"


class ArticleUse(models.Model):
    """The article (and its version) that answered a case resolved directly. A case is resolved
    directly at most once (that transition leaves ``registered`` for good), hence one row per case."""

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="kb_use")
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="uses")
    version = models.PositiveIntegerField()
    used_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    used_at = models.DateTimeField()

    class Meta:
        ordering = ["-used_at"]

    def __str__(self) -> str:
        return f"{self.case_id} ← {self.article_id} v{self.version}"
