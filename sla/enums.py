"""Choices for the sla app, importable from anywhere without cycles."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    TRIAGE = "triage", _("分拨")
    SIGN_FOR = "sign_for", _("签收")
    RETURN_WINDOW = "return_window", _("退单期限")
    REPLY = "reply", _("答复")
    REVIEW = "review", _("审核")
    FEEDBACK = "feedback", _("回访")
    # An assisting department's opinion (协办意见): one clock per assisting department.
    ASSIST = "assist", _("协办意见")


class TermUnit(models.TextChoices):
    # "Same day" (urgent replies) is WORKING_DAYS with value 0: the end of the
    # current working day, or of the next one when the moment is past it.
    WORKING_DAYS = "working_days", _("工作日")
    WORKING_HOURS = "working_hours", _("工作小时")
    CALENDAR_DAYS = "calendar_days", _("自然日")


class ExceptionKind(models.TextChoices):
    HOLIDAY = "holiday", _("节假日")
    WORKDAY = "workday", _("调休工作日")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("星期一")
    TUESDAY = 1, _("星期二")
    WEDNESDAY = 2, _("星期三")
    THURSDAY = 3, _("星期四")
    FRIDAY = 4, _("星期五")
    SATURDAY = 5, _("星期六")
    SUNDAY = 6, _("星期日")


# --- timers (slatimers) ---


class TimerStatus(models.TextChoices):
    RUNNING = "running", _("计时中")
    PAUSED = "paused", _("已暂停")
    MET = "met", _("按时")
    BREACHED = "breached", _("超期")


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    GRANTED = "granted", _("已批准")
    REFUSED = "refused", _("未批准")


class SupervisionLevel(models.IntegerChoices):
    REMINDER = 1, _("催办")
    ORDER = 2, _("督办")
    REPORT = 3, _("通报")


# --- the sla app's audit actions (cases.audit; registered by SlaConfig.ready()) ---


class AuditAction(models.TextChoices):
    """What the sla app puts on a case's timeline and audit chain (``CaseEvent.transition``)."""

    EXTENSION_REQUESTED = "sla.extension.requested", _("申请延期")
    EXTENSION_GRANTED = "sla.extension.granted", _("批准延期")
    EXTENSION_REFUSED = "sla.extension.refused", _("不批准延期")
    SUPERVISION_ISSUED = "sla.supervision.issued", _("督办")
    SUPERVISION_ANSWERED = "sla.supervision.answered", _("督办回复")
    TIMER_ESCALATED = "sla.timer.escalated", _("超期升级")
    # The citizen urges an overdue case (催办, issue 13): sla.urges.case_urge.
    CITIZEN_URGED = "sla.citizen.urged", _("群众催办")


# The citizen sees a granted extension on the tracking page, with its note: the new deadline.
PUBLIC_AUDIT_ACTIONS = frozenset({AuditAction.EXTENSION_GRANTED, AuditAction.CITIZEN_URGED})

# Names the sla app wrote before audit actions were dotted. Stored events keep them (their hash
# covers the name), so they stay registered for display and verify_audit; new events never use them.
LEGACY_AUDIT_ACTIONS = {
    "extension_requested": _("申请延期"),
    "extension_decided": _("延期审批"),  # granted or refused: see the event's data["granted"]
    "supervision_issued": _("督办"),
    "supervision_answered": _("督办回复"),
    "escalated": _("超期升级"),
}


class ClockColour(models.TextChoices):
    """What ``sla.deadlines.clock_colour`` paints a clock (the CSS class is ``sla-<value>``)."""

    RUNNING = "running", _("正常")
    WARNING = "warning", _("预警")
    BREACHED = "breached", _("超期")
    PAUSED = "paused", _("已暂停")
    MET = "met", _("按时")


class CitizenDeadlineStatus(models.TextChoices):
    """Where the deadline told to a citizen stands (``sla.deadlines.citizen_deadline``)."""

    RUNNING = "running", _("办理中")
    PAUSED = "paused", _("暂停计时，等待您补充材料")
    OVERDUE = "overdue", _("已超期")
    MET = "met", _("已按期答复")
    LATE = "late", _("已逾期答复")
