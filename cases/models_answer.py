"""Models of the department's answer (issue 13): reply templates and assisting departments' opinions.

Imported at the bottom of cases/models.py so Django registers them with the cases app.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReplyTemplate(models.Model):
    """常用答复: a reply text with placeholders (``{tracking_no}``, ``{citizen_name}``, …; see
    ``cases.answer.TEMPLATE_FIELDS``), offered in the reply form for its category and department.
    Empty category or department = any."""

    title = models.CharField(_("名称"), max_length=100)
    body = models.TextField(_("答复模板"))
    category = models.ForeignKey(
        "cases.Category",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("业务分类"),
        help_text=_("也适用于其下级分类；留空为全部分类。"),
    )
    department = models.ForeignKey(
        "cases.Department",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reply_templates",
        verbose_name=_("承办单位"),
        help_text=_("留空为全部单位。"),
    )
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = _("常用答复")
        verbose_name_plural = _("常用答复")

    def __str__(self) -> str:
        return self.title


class AssistOpinion(models.Model):
    """An assisting department's (协办单位) opinion on a case, for the lead department's reply."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="assist_opinions")
    department = models.ForeignKey("cases.Department", on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("协办意见"))
    author = models.ForeignKey("cases.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("提交时间"), default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("协办意见")
        verbose_name_plural = _("协办意见")

    def __str__(self) -> str:
        return f"{self.case_id} {self.department_id}"
