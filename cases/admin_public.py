"""Admin for the public face: Open311 API keys (imported by cases/admin.py)."""

from django.contrib import admin

from .models_public import Open311ApiKey


@admin.register(Open311ApiKey)
class Open311ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "active", "created_at", "last_used_at")
    list_filter = ("active",)
    search_fields = ("name", "key", "contact")
    readonly_fields = ("created_at", "last_used_at")
