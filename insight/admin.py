from django.contrib import admin

from .models import DispatchModel, DispatchSuggestion, Hotspot


@admin.register(DispatchModel)
class DispatchModelAdmin(admin.ModelAdmin):
    list_display = ("version", "trained_at", "closed_cases", "corpus_messages", "blob_bytes", "heldout_top1")
    exclude = ("blob",)
    readonly_fields = ("version", "trained_at", "closed_cases", "corpus_messages", "sizes", "figures", "blob_bytes")

    @admin.display(description="held-out top-1")
    def heldout_top1(self, obj: DispatchModel) -> str:
        fig = (obj.figures or {}).get("heldout") or {}
        return f"{fig['top1']:.1%}" if "top1" in fig else "—"

    def has_add_permission(self, request) -> bool:  # versions come from training only
        return False


@admin.register(DispatchSuggestion)
class DispatchSuggestionAdmin(admin.ModelAdmin):
    list_display = ("case", "model_version", "suggested_department", "chosen_department", "taken", "decided_at")
    list_filter = ("taken",)
    raw_id_fields = ("case", "actor")


@admin.register(Hotspot)
class HotspotAdmin(admin.ModelAdmin):
    list_display = ("label", "kind", "dimension", "count", "baseline", "status", "detected_at")
    list_filter = ("kind", "status")
    raw_id_fields = ("cases", "lead_case", "joint_opened_by", "category")
