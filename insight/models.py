"""Model versions of the dispatch classifier, the suggestions shown, and detected hotspots."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Category, User

from .enums import HotspotKind, HotspotStatus, SurgeDimension


class DispatchModel(models.Model):
    """One trained version of the classifier. The newest row is the one in use; older rows stay
    for the record (their figures) and can be re-activated by deleting newer ones."""

    version = models.PositiveIntegerField(_("版本"), unique=True)
    trained_at = models.DateTimeField(_("训练时间"))
    closed_cases = models.PositiveIntegerField(_("已办结工单数"), default=0)
    corpus_messages = models.PositiveIntegerField(_("语料条数"), default=0)
    sizes = models.JSONField(_("规模"), default=dict, blank=True)
    figures = models.JSONField(_("指标"), default=dict, blank=True)
    # joblib of insight.classifier.DispatchClassifier: written only by insight.services.
    blob = models.BinaryField()
    blob_bytes = models.PositiveIntegerField(_("模型大小（字节）"), default=0)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("智能派单模型")
        verbose_name_plural = _("智能派单模型")

    def __str__(self) -> str:
        return f"v{self.version} ({self.trained_at:%Y-%m-%d %H:%M})"


class DispatchSuggestion(models.Model):
    """What the classifier suggested for a case when a dispatcher looked at it (the case page or
    the queue's triage form asked for it), and — once the case is assigned — which department was
    chosen and whether that was the top suggestion. At most one undecided row per case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="dispatch_suggestions")
    model_version = models.PositiveIntegerField()
    categories = models.JSONField(default=list)
    departments = models.JSONField(default=list)
    suggested_department = models.CharField(max_length=32)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    shown_at = models.DateTimeField()
    chosen_department = models.CharField(max_length=32, blank=True)
    taken = models.BooleanField(null=True)
    decided_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-shown_at"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=models.Q(taken__isnull=True), name="one_open_suggestion")
        ]

    def __str__(self) -> str:
        return f"{self.suggested_department} → {self.chosen_department or '?'}"


class Hotspot(models.Model):
    """A detected surge or cluster. ``key`` names the occurrence (dimension, value, week) so a
    detection run that finds it again updates it instead of raising a second alert."""

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(_("类型"), max_length=8, choices=HotspotKind.choices)
    dimension = models.CharField(_("维度"), max_length=10, choices=SurgeDimension.choices, blank=True)
    label = models.CharField(_("名称"), max_length=200)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    place = models.CharField(_("地点"), max_length=100, blank=True)
    phrase = models.CharField(_("关键词"), max_length=50, blank=True)
    count = models.PositiveIntegerField(_("数量"))
    baseline = models.FloatField(_("基线"), default=0)
    p_value = models.FloatField(null=True, blank=True)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    detected_at = models.DateTimeField(_("发现时间"), db_index=True)
    status = models.CharField(_("状态"), max_length=10, choices=HotspotStatus.choices, default=HotspotStatus.OPEN)
    cases = models.ManyToManyField(Case, related_name="hotspots", blank=True)
    lead_case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    joint_opened_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    joint_opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-detected_at", "-id"]
        verbose_name = _("热点")
        verbose_name_plural = _("热点")

    def __str__(self) -> str:
        return self.label


class JointLink(models.Model):
    """A case handled jointly under a lead case: the lead's approved answer answers it too."""

    hotspot = models.ForeignKey(Hotspot, on_delete=models.CASCADE, related_name="links")
    lead = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="joint_linked")
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="joint_link")
    answered_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.case_id} ← {self.lead_id}"
