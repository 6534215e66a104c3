"""The ranking's settings in the admin: weights, response term and board size, per month version."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext as _

from .models import RankingSettings


@admin.register(RankingSettings)
class RankingSettingsAdmin(admin.ModelAdmin):
    list_display = (
        "valid_from",
        "response_weight",
        "resolution_weight",
        "satisfaction_weight",
        "on_time_weight",
        "first_contact_weight",
        "response_working_days",
        "board_size",
    )
    ordering = ("-valid_from",)

    def save_model(self, request, obj: RankingSettings, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if "response_working_days" in form.changed_data:
            # The response counts are kept per case as they move; a new term applies to the
            # months already counted only after a recount.
            messages.warning(request, _("响应时限已修改：请运行 manage.py rebuild_rollups 按新时限重算已有月份。"))
