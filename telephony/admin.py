from django.contrib import admin

from .models import Call, SmsMessage, WebhookReceipt


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ("call_sid", "purpose", "from_number", "status", "started_at", "answered_at", "agent", "abandoned")
    list_filter = ("purpose", "status", "abandoned", "direction")
    search_fields = ("call_sid", "from_number", "caller_phone")
    raw_id_fields = ("agent", "cases", "survey_case")
    date_hierarchy = "started_at"


@admin.register(SmsMessage)
class SmsMessageAdmin(admin.ModelAdmin):
    list_display = ("message_sid", "direction", "from_number", "intent", "case", "status", "received_at")
    list_filter = ("direction", "intent", "status")
    search_fields = ("message_sid", "from_number", "body")
    raw_id_fields = ("case",)


@admin.register(WebhookReceipt)
class WebhookReceiptAdmin(admin.ModelAdmin):
    list_display = ("kind", "key", "received_at")
    list_filter = ("kind",)
    search_fields = ("key",)
