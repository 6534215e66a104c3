"""Choices for the telephony app, importable from anywhere without cycles."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    INBOUND = "inbound", _("呼入")
    OUTBOUND = "outbound", _("呼出")


class CallPurpose(models.TextChoices):
    HOTLINE = "hotline", _("人工受理")  # in hours: greeting, then the agents' queue
    AFTER_HOURS = "after_hours", _("非工作时间自助")  # voice message or status check
    SURVEY = "survey", _("满意度回访")  # outbound call asking for a 1/2/3 rating


class CallStatus(models.TextChoices):
    """Twilio's CallStatus values, in the order a call moves through them."""

    QUEUED = "queued", _("排队")
    INITIATED = "initiated", _("发起")
    RINGING = "ringing", _("振铃")
    IN_PROGRESS = "in-progress", _("通话中")
    COMPLETED = "completed", _("已结束")
    BUSY = "busy", _("占线")
    NO_ANSWER = "no-answer", _("无人接听")
    FAILED = "failed", _("失败")
    CANCELED = "canceled", _("已取消")


FINAL_CALL_STATUSES = frozenset(
    {
        CallStatus.COMPLETED,
        CallStatus.BUSY,
        CallStatus.NO_ANSWER,
        CallStatus.FAILED,
        CallStatus.CANCELED,
    }
)

# How far along a status is: a callback never moves a call backwards (Twilio may deliver
# callbacks out of order, or retry an old one after a newer one arrived).
CALL_STATUS_RANK = {
    CallStatus.QUEUED: 0,
    CallStatus.INITIATED: 0,
    CallStatus.RINGING: 1,
    CallStatus.IN_PROGRESS: 2,
    **{s: 3 for s in FINAL_CALL_STATUSES},
}


class Webhook(models.TextChoices):
    """What an idempotency receipt is for: one row per (kind, key)."""

    VOICE_INCOMING = "voice_incoming", "voice/incoming"
    VOICE_GATHER = "voice_gather", "voice/gather"
    VOICE_STATUS = "voice_status", "voice/status"
    VOICE_QUEUE = "voice_queue", "voice/queue"
    VOICE_RECORDING = "voice_recording", "voice/recording"
    VOICE_SURVEY = "voice_survey", "voice/survey"
    SMS_INCOMING = "sms_incoming", "sms/incoming"
    SMS_STATUS = "sms_status", "sms/status"


class SmsIntent(models.TextChoices):
    INTAKE = "intake", _("登记诉求")
    QUERY = "query", _("查询进度")
    RATING = "rating", _("评价")
    REFUSED = "refused", _("未受理")
    SUPPLEMENT = "addition", _("补充材料")
    HELP = "help", _("回复说明")


class GatherStep(models.TextChoices):
    MENU = "menu", _("主菜单")
    TRACK = "track", _("输入流水号")
    RECORDED = "recorded", _("留言完毕")
    SURVEY = "survey", _("回访评价")


class AgentState(models.TextChoices):
    """An agent's availability on the desk (坐席状态). Only an idle agent is offered calls."""

    IDLE = "idle", _("示闲")
    BUSY = "busy", _("示忙")
    BREAK = "break", _("小休")


class WrapUpCode(models.TextChoices):
    """How a hotline call ended, recorded by the agent after hang-up (话后小结)."""

    REGISTERED = "registered", _("已登记工单")
    ANSWERED = "answered", _("当场解答（知识库）")
    FOLLOW_UP = "follow_up", _("查询或催办已有工单")
    EMERGENCY = "emergency", _("移交110/119/120/122")
    NOT_REMIT = "not_remit", _("非受理范围，已告知")
    DROPPED = "dropped", _("通话中断")
    NUISANCE = "nuisance", _("骚扰或无效来电")
