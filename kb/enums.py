"""Choices for the knowledge base, importable from anywhere without cycles."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    EXPIRED = "expired", _("已失效")
