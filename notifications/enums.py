"""Choices for the notifications app, importable from anywhere without cycles."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxChannel(models.TextChoices):
    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")
    INAPP = "inapp", _("站内通知")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
    CANCELLED = "cancelled", _("已取消")


class Template(models.TextChoices):
    """Message templates; each has notifications/messages/<lang>/<code>.txt."""

    # to the citizen
    RECEIPT = "receipt", _("受理回执")
    ANSWER = "answer", _("答复群众")
    FEEDBACK_REQUEST = "feedback_request", _("回访评价邀请")
    REJECTED = "rejected", _("不予受理告知")
    MERGED = "merged", _("合并办理告知")
    EXTENSION_CITIZEN = "extension_citizen", _("延期告知")
    # to staff
    CASE_ASSIGNED = "case_assigned", _("新转办工单")
    CASE_REOPENED = "case_reopened", _("工单重办")
    CASE_SENT_BACK = "case_sent_back", _("答复被退回")
    CASE_RETURNED = "case_returned", _("工单被退回分拨")
    CALLBACK_DUE = "callback_due", _("待电话回复")
    EXTENSION_DECIDED = "extension_decided", _("延期审批结果")
    SUPERVISION_ISSUED = "supervision_issued", _("督办通知")
    TIMER_WARNING = "timer_warning", _("即将超期预警")
    TIMER_BREACHED = "timer_breached", _("超期告警")
    # the department's answer and escalation that reaches people (issue 13)
    REPLY_DRAFT_PENDING = "reply_draft_pending", _("答复草稿待审批")
    REPLY_DRAFT_RETURNED = "reply_draft_returned", _("答复草稿被退回")
    REPLY_DRAFT_APPROVED = "reply_draft_approved", _("答复草稿已审批提交")
    ASSIST_OPINION = "assist_opinion", _("协办意见")
    SUPERVISION_ESCALATED = "supervision_escalated", _("督办/通报（领导关注）")
    # the citizen's side of issue 13
    SUPPLEMENT_ADDED = "supplement_added", _("群众补充材料")
    CASE_URGED = "case_urged", _("群众催办")
    DISSATISFIED_PENDING = "dissatisfied_pending", _("不满意待研判")
    DECISION_CLOSED = "decision_closed", _("研判办结告知")
    DISSATISFIED_REOPENED = "dissatisfied_reopened", _("重办告知")
    MERGED_ANSWERED = "merged_answered", _("合并工单答复告知")
    HOTSPOT_ALERT = "hotspot_alert", _("热点预警")


# Staff events a user may switch off per channel on the preferences page.
STAFF_TEMPLATES = (
    Template.CASE_ASSIGNED,
    Template.CASE_REOPENED,
    Template.CASE_SENT_BACK,
    Template.CASE_RETURNED,
    Template.CALLBACK_DUE,
    Template.EXTENSION_DECIDED,
    Template.SUPERVISION_ISSUED,
    Template.TIMER_WARNING,
    Template.TIMER_BREACHED,
    Template.REPLY_DRAFT_PENDING,
    Template.REPLY_DRAFT_RETURNED,
    Template.REPLY_DRAFT_APPROVED,
    Template.ASSIST_OPINION,
    Template.SUPERVISION_ESCALATED,
    Template.SUPPLEMENT_ADDED,
    Template.CASE_URGED,
    Template.DISSATISFIED_PENDING,
)
STAFF_CHANNELS = (OutboxChannel.INAPP, OutboxChannel.EMAIL)


class Subscription(models.TextChoices):
    """What a WebSocket client may ask for: one page's live feed."""

    DESK = "desk", _("话务台")
    QUEUE = "queue", _("分拨队列")
    BOARD = "board", _("督办看板")
    INBOX = "inbox", _("承办单位收件箱")
    WALLBOARD = "wallboard", _("数据大屏")
