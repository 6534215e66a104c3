"""Models of multi-tier dispatch (二次派单) and disputes (派单争议), issue 12.

Imported at the bottom of cases/models.py so Django registers them with the cases app. Written
only by ``cases.forwarding`` (the rows follow the case actions: ``assignments_apply``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AssignmentState(models.TextChoices):
    ASSIGNED = "assigned", _("待签收")
    IN_PROGRESS = "in_progress", _("办理中")
    FORWARDED = "forwarded", _("已下派")
    REPLIED = "replied", _("已答复")
    APPROVED = "approved", _("答复已通过")
    RETURNED = "returned", _("已退回")
    CLOSED = "closed", _("已结束")


class CaseAssignment(models.Model):
    """One level a case passed: the lead department the dispatcher assigned it to (level 0) or a
    sub-unit a department forwarded it to (level n, ``parent`` the row of the level above). Open
    while ``ended_at`` is empty; the deepest open row is the department holding the case. Boards and
    reports count a case at every level it passed from these rows."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="assignments")
    department = models.ForeignKey(
        "cases.Department", on_delete=models.PROTECT, related_name="case_assignments", verbose_name=_("承办单位")
    )
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    level = models.PositiveSmallIntegerField(_("层级"), default=0)
    state = models.CharField(
        _("状态"), max_length=12, choices=AssignmentState.choices, default=AssignmentState.ASSIGNED
    )
    instructions = models.TextField(_("办理要求"), blank=True)
    assigned_by = models.ForeignKey("cases.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(_("派单时间"))
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        ordering = ["case_id", "id"]
        verbose_name = _("派单层级")
        verbose_name_plural = _("派单层级")
        indexes = [
            models.Index(fields=["department", "assigned_at"], name="cases_assignment_dept"),
            # A month's assignments of every department (the monthly report's 分级派单).
            models.Index(fields=["assigned_at"], name="cases_assignment_at"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} L{self.level} {self.department_id} {self.state}"


class Dispute(models.Model):
    """A dispatcher's disagreement with a department's return, and the supervisor's decision."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="disputes")
    department = models.ForeignKey(
        "cases.Department", on_delete=models.PROTECT, related_name="disputes", verbose_name=_("退单单位")
    )
    return_reason = models.TextField(_("退单理由"), blank=True)
    raised_by = models.ForeignKey("cases.User", on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(_("提出时间"))
    note = models.TextField(_("争议说明"))
    decided_by = models.ForeignKey("cases.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("裁决时间"), null=True, blank=True)
    decision_department = models.ForeignKey(
        "cases.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("裁决承办单位"),
    )
    reason = models.TextField(_("裁决理由"), blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("派单争议")
        verbose_name_plural = _("派单争议")
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(decided_at__isnull=True), name="cases_dispute_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.department_id} {'decided' if self.decided_at else 'open'}"
