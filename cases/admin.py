from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .answer import TEMPLATE_FIELDS
from .models import Case, CaseEvent, Category, ContactSearch, Department, RejectReason, ReplyTemplate, User


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name_zh",
        "name_en",
        "parent",
        "is_dispatch",
        "reply_needs_head_approval",
        "handles_staff_reports",
        "active",
    )
    list_filter = ("is_dispatch", "active", "reply_needs_head_approval", "handles_staff_reports")
    search_fields = ("code", "name_zh", "name_en")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "parent", "default_department", "active")
    list_filter = ("parent", "active")
    search_fields = ("code", "name_zh", "name_en")
    autocomplete_fields = ("default_department",)


@admin.register(RejectReason)
class RejectReasonAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + ((_("岗位"), {"fields": ("role", "department")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + ((_("岗位"), {"fields": ("role", "department")}),)
    list_display = ("username", "first_name", "last_name", "role", "department", "is_active")
    list_filter = ("role", "department", "is_active")


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    can_delete = False
    extra = 0
    readonly_fields = (
        "seq",
        "at",
        "actor_label",
        "role",
        "transition",
        "transition_label",
        "from_state",
        "to_state",
        "note",
        "hash",
    )
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: cases change only through the services (console, API)."""

    list_display = ("tracking_no", "title", "state", "channel", "kind", "department", "registered_at")
    list_filter = ("state", "channel", "kind", "department")
    search_fields = ("tracking_no", "title", "citizen_phone")
    inlines = [CaseEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ContactSearch)
class ContactSearchAdmin(admin.ModelAdmin):
    """The record of searches by a full phone or ID number from roles that see them masked. Read-only."""

    list_display = ("at", "actor", "role", "surface", "kind", "value_masked", "matches", "client_ip")
    list_filter = ("kind", "surface", "role")
    search_fields = ("actor__username", "value_digest")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


from . import admin_public  # noqa: E402, F401  (Open311 API keys)


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    """常用答复: administrators manage every department's; the placeholders are listed in the help."""

    list_display = ("title", "category", "department", "active")
    list_filter = ("active", "department")
    search_fields = ("title", "body")
    autocomplete_fields = ("category", "department")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.base_fields["body"].help_text = _("可用占位符：") + "、".join(
            f"{{{name}}}（{label}）" for name, label in TEMPLATE_FIELDS.items()
        )
        return form
