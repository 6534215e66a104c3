from django.contrib import admin

from .models import Article, ArticleUse, ArticleVersion


class VersionInline(admin.TabularInline):
    model = ArticleVersion
    extra = 0
    can_delete = False
    fields = ("version", "title", "status", "valid_from", "valid_until", "edited_by", "edited_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    """Read-only here: articles are written through the console (kb.services keeps the versions)."""

    list_display = ("title", "category", "department", "status", "valid_until", "version", "updated_at")
    list_filter = ("status", "department")
    search_fields = ("title", "keywords")
    inlines = [VersionInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ArticleUse)
class ArticleUseAdmin(admin.ModelAdmin):
    list_display = ("case", "article", "version", "used_by", "used_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
