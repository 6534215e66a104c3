from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import Notification, NotificationPreference, Outbox
from .outbox import outbox_cancel, outbox_retry


@admin.register(Outbox)
class OutboxAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "created_at",
        "template",
        "channel",
        "recipient",
        "address",
        "case",
        "status",
        "attempts",
        "next_attempt_at",
        "delivery_status",
        "last_error",
    )
    list_filter = ("status", "channel", "template")
    search_fields = ("address", "idempotency_key", "provider_id", "case__tracking_no")
    list_select_related = ("recipient", "case")
    raw_id_fields = ("recipient", "case")
    readonly_fields = ("idempotency_key", "claimed_by", "claim_expires_at", "provider_id", "sent_at", "created_at")
    actions = ["retry", "cancel"]

    @admin.action(description=_("重新发送所选失败消息"))
    def retry(self, request: HttpRequest, queryset: QuerySet[Outbox]) -> None:
        n = outbox_retry(queryset)
        self.message_user(request, _("已重新排队 %(n)d 条消息。") % {"n": n}, messages.SUCCESS)

    @admin.action(description=_("取消所选待发送消息"))
    def cancel(self, request: HttpRequest, queryset: QuerySet[Outbox]) -> None:
        n = outbox_cancel(queryset)
        self.message_user(request, _("已取消 %(n)d 条消息。") % {"n": n}, messages.SUCCESS)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "title", "created_at", "read_at")
    list_filter = ("template",)
    raw_id_fields = ("user", "case", "outbox")
    list_select_related = ("user",)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "language")
    raw_id_fields = ("user",)
