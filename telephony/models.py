"""Call records, SMS records and webhook receipts (the idempotency ledger)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .enums import AgentState, CallPurpose, CallStatus, Direction, SmsIntent, Webhook, WrapUpCode


class Call(models.Model):
    """One phone call, inbound or outbound. ``call_sid`` is unique because Twilio retries."""

    call_sid = models.CharField(_("CallSid"), max_length=64, unique=True)
    direction = models.CharField(_("方向"), max_length=8, choices=Direction.choices, default=Direction.INBOUND)
    purpose = models.CharField(_("用途"), max_length=12, choices=CallPurpose.choices, default=CallPurpose.HOTLINE)
    from_number = models.CharField(_("主叫号码"), max_length=40, blank=True)
    to_number = models.CharField(_("被叫号码"), max_length=40, blank=True)
    # The caller's number normalised as cases store it (13800138000), "" when it is not a
    # mainland number (withheld, foreign): then there is no history to pop up.
    caller_phone = models.CharField(_("来电号码"), max_length=32, blank=True, db_index=True)
    status = models.CharField(_("状态"), max_length=12, choices=CallStatus.choices, default=CallStatus.RINGING)
    started_at = models.DateTimeField(_("呼入时间"), default=timezone.now, db_index=True)
    answered_at = models.DateTimeField(_("接听时间"), null=True, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    queue_wait_seconds = models.PositiveIntegerField(_("排队等待（秒）"), null=True, blank=True)
    duration = models.PositiveIntegerField(_("通话时长（秒）"), null=True, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="calls",
        verbose_name=_("接听话务员"),
    )
    abandoned = models.BooleanField(_("放弃呼叫"), default=False, help_text=_("排队中挂断，未被接听。"))
    recording_sid = models.CharField(max_length=64, blank=True)
    recording_url = models.URLField(_("录音"), max_length=500, blank=True)
    recording_duration = models.PositiveIntegerField(_("录音时长（秒）"), null=True, blank=True)
    cases = models.ManyToManyField("cases.Case", blank=True, related_name="calls", verbose_name=_("关联工单"))
    # Outbound satisfaction call: the case being rated.
    survey_case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="survey_calls",
    )
    updated_at = models.DateTimeField(auto_now=True)
    # The answering agent's wrap-up after hang-up (话后小结).
    wrap_up_code = models.CharField(_("话后小结"), max_length=16, choices=WrapUpCode.choices, blank=True)
    wrap_up_note = models.CharField(_("小结备注"), max_length=500, blank=True)
    wrap_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("通话")
        verbose_name_plural = _("通话")
        indexes = [models.Index(fields=["purpose", "started_at"])]

    def __str__(self) -> str:
        return f"{self.call_sid} {self.from_number}"

    @property
    def is_over(self) -> bool:
        from .enums import FINAL_CALL_STATUSES

        return self.status in FINAL_CALL_STATUSES


class SmsMessage(models.Model):
    """An inbound SMS, or the delivery status of an outbound one when no outbox row matches."""

    message_sid = models.CharField(_("MessageSid"), max_length=64, unique=True)
    direction = models.CharField(_("方向"), max_length=8, choices=Direction.choices, default=Direction.INBOUND)
    from_number = models.CharField(_("发送号码"), max_length=40, blank=True)
    to_number = models.CharField(_("接收号码"), max_length=40, blank=True)
    body = models.TextField(_("内容"), blank=True)
    intent = models.CharField(_("类型"), max_length=8, choices=SmsIntent.choices, blank=True)
    reply = models.TextField(_("回复"), blank=True)
    status = models.CharField(_("投递状态"), max_length=16, blank=True)
    error_code = models.CharField(max_length=16, blank=True)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="sms_messages")
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("短信")
        verbose_name_plural = _("短信")

    def __str__(self) -> str:
        return f"{self.message_sid} {self.from_number}"


class WebhookReceipt(models.Model):
    """One row per handled webhook (kind + Twilio's Sid and step): a retry gets the stored answer
    back and changes nothing. Written in the same transaction as the webhook's effects."""

    kind = models.CharField(max_length=20, choices=Webhook.choices)
    key = models.CharField(max_length=160)
    response = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="telephony_webhook_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


class AgentStatus(models.Model):
    """One row per agent: 示闲 (offered calls), 示忙 or 小休 (not offered), since when. Answering
    a call makes the agent busy; the wrap-up after hang-up makes them idle again."""

    agent = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desk_status")
    status = models.CharField(_("坐席状态"), max_length=8, choices=AgentState.choices, default=AgentState.IDLE)
    since = models.DateTimeField(_("起始时间"))

    class Meta:
        verbose_name = _("坐席状态")
        verbose_name_plural = _("坐席状态")

    def __str__(self) -> str:
        return f"{self.agent_id} {self.status}"
