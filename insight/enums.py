"""Choices and audit names of the insight app, importable from anywhere without cycles."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class HotspotKind(models.TextChoices):
    SURGE = "surge", _("激增")
    CLUSTER = "cluster", _("群体性")


class SurgeDimension(models.TextChoices):
    CATEGORY = "category", _("业务分类")
    PLACE = "place", _("地点")
    PHRASE = "phrase", _("关键词")


class HotspotStatus(models.TextChoices):
    OPEN = "open", _("待处置")
    JOINT = "joint", _("联合办理中")
    DISMISSED = "dismissed", _("已忽略")


# Audit actions (CaseEvent.transition) this app writes.
JOINT_OPENED = "insight.joint.opened"
JOINT_LINKED = "insight.joint.linked"
