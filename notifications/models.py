"""The outbox (every message that must leave, recorded in the transaction that caused it),
in-app notifications, and staff notification preferences."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .enums import OutboxChannel, OutboxStatus, Template


class Outbox(models.Model):
    """One message to one recipient on one channel. Written inside the business transaction,
    delivered by the worker after commit; ``idempotency_key`` makes enqueueing repeatable."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("收件人"),
    )
    address = models.CharField(_("地址"), max_length=254, blank=True, help_text=_("手机号或电子邮箱"))
    channel = models.CharField(_("渠道"), max_length=8, choices=OutboxChannel.choices)
    template = models.CharField(_("模板"), max_length=32, choices=Template.choices)
    context = models.JSONField(_("内容参数"), default=dict, blank=True)
    language = models.CharField(_("语言"), max_length=10, default="zh-hans")
    idempotency_key = models.CharField(max_length=200, unique=True)
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outbox_messages",
        verbose_name=_("工单"),
    )
    status = models.CharField(_("状态"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), default=timezone.now, db_index=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    # The lease: a worker owns a 'sending' row until claim_expires_at; a crashed worker's claim lapses.
    claimed_by = models.CharField(max_length=64, blank=True)
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(_("服务商编号"), max_length=64, blank=True, db_index=True)
    delivery_status = models.CharField(_("送达状态"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("待发消息")
        verbose_name_plural = _("待发消息")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.get_template_display()} → {self.recipient or self.address} ({self.get_status_display()})"


class Notification(models.Model):
    """An in-app message shown to one staff user."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    template = models.CharField(max_length=32, choices=Template.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    outbox = models.OneToOneField(Outbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="notification")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """Per staff user: which events reach them on which channel. Absent row = everything on."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    # "template:channel" strings the user switched off, e.g. ["timer_warning:email"].
    disabled = models.JSONField(default=list, blank=True)
    language = models.CharField(_("通知语言"), max_length=10, default="zh-hans")

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")

    def allows(self, template: str, channel: str) -> bool:
        return f"{str(template)}:{str(channel)}" not in set(self.disabled or [])

    def __str__(self) -> str:
        return f"notification preferences of user {self.user_id}"


class RelayedEvent(models.Model):
    """A real-time event a worker process wrote for the web process to send (notifications.events):
    the relay of the embedded default, where the in-memory channel layer does not cross processes.
    Written in the worker's own transaction; the web process forwards and later prunes them."""

    topic = models.CharField(max_length=100)
    type = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.pk} {self.topic} {self.type}"


class PageVisit(models.Model):
    """When a staff user last looked at one of their working pages (the desk, the inbox), so the
    page can say what is new since then. One row per (user, page), moved on each visit."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    page = models.CharField(max_length=32)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "page"], name="notifications_page_visit_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.page} {self.seen_at:%Y-%m-%d %H:%M}"
