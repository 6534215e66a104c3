"""Admin for calendars (weekly hours and holidays inline, "mark year complete") and policies.

An administrator enters next year's State Council schedule here the day it is announced:
open the calendar, add the holidays and make-up working days in the inline, type the year
in "mark year complete", save. Edits that would leave a year without a working day are
refused with a form error.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.validation import is_ascii_number

from .calendar import check_year_has_working_day
from .calendar_services import calendar_import_schedule, check_schedule, parse_schedule
from .models import Calendar, CalendarException, Policy, WorkingHours
from .signals_calendar import calendar_changes_batched


def _alive(formset: forms.BaseInlineFormSet) -> tuple[list[forms.Form], list[forms.Form]]:
    """(kept forms with data, deleted forms) of a formset."""
    kept, deleted = [], []
    for form in formset.forms:
        if not hasattr(form, "cleaned_data") or not form.cleaned_data:
            continue
        (deleted if formset.can_delete and formset._should_delete_form(form) else kept).append(form)
    return kept, deleted


class WorkingHoursFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kept, deleted = _alive(self)
        # Rows not in this formset stay as they are; the formset's own rows are as proposed.
        touched = {f.instance.pk for f in kept + deleted if f.instance.pk}
        untouched = (
            WorkingHours.objects.filter(calendar=self.instance).exclude(pk__in=touched)
            if self.instance.pk
            else WorkingHours.objects.none()
        )
        weekly: dict[int, list[tuple[int, int]]] = {}
        for row in untouched:
            weekly.setdefault(row.weekday, []).append(row.minutes)
        for form in kept:
            row = WorkingHours(
                weekday=form.cleaned_data["weekday"], start=form.cleaned_data["start"], end=form.cleaned_data["end"]
            )
            for a, b in weekly.get(row.weekday, []):
                c, d = row.minutes
                if c < b and a < d:
                    raise ValidationError(gettext("同一天的工作时间段不能重叠：%(row)s") % {"row": row})
            weekly.setdefault(row.weekday, []).append(row.minutes)
        proposal = {day: tuple(sorted(periods)) for day, periods in weekly.items()}
        check_year_has_working_day(self.instance, weekly=proposal)


class CalendarExceptionFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors) or self.instance.pk is None:
            return
        kept, deleted = _alive(self)
        touched = {f.instance.pk for f in kept + deleted if f.instance.pk}
        years = {f.cleaned_data["date"].year for f in kept if f.cleaned_data.get("date")}
        years |= {f.instance.date.year for f in deleted if f.instance.pk}
        proposal = dict(
            CalendarException.objects.filter(calendar=self.instance, date__year__in=years)
            .exclude(pk__in=touched)
            .values_list("date", "kind")
        )
        for form in kept:
            proposal[form.cleaned_data["date"]] = form.cleaned_data["kind"]
        for year in sorted(years):
            check_year_has_working_day(
                self.instance, year, exceptions={d: k for d, k in proposal.items() if d.year == year}
            )


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    formset = WorkingHoursFormSet
    extra = 0


class CalendarExceptionInline(admin.TabularInline):
    """This year and later only: past years stay in the exception list page, keeping this form small."""

    model = CalendarException
    formset = CalendarExceptionFormSet
    extra = 3
    verbose_name_plural = _("节假日/调休（本年及以后）")

    def get_queryset(self, request: HttpRequest) -> Any:
        this_year = timezone.localdate().year
        return super().get_queryset(request).filter(date__gte=dt.date(this_year, 1, 1))


class CalendarForm(forms.ModelForm):
    complete_years = forms.CharField(
        label=_("已完整的年份"),
        required=False,
        help_text=_("已录入全部节假日和调休安排的年份，用逗号分隔，例如 2026, 2027。"),
    )
    mark_year_complete = forms.IntegerField(
        label=_("标记年份为已完整"),
        required=False,
        min_value=1900,
        max_value=2200,
        help_text=_("录入某年全部安排后在此填写年份并保存。"),
    )
    schedule = forms.CharField(
        label=_("批量录入节假日/调休"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 60}),
        help_text=_(
            "每行一条：日期或日期范围、类型（放假/班）、名称。例如："
            "“2027-02-15~2027-02-21 放假 春节”、“2027-02-07 班 春节调休”。同一天已有的记录会被替换。"
        ),
    )

    class Meta:
        model = Calendar
        fields = ["code", "name", "timezone", "makeup_weekday", "yearly_schedule", "complete_years"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["complete_years"] = ", ".join(str(y) for y in self.instance.years_with_data)

    def clean_complete_years(self) -> list[int]:
        raw = self.cleaned_data.get("complete_years") or ""
        years: set[int] = set()
        for part in raw.replace("，", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if not is_ascii_number(part) or not 1900 <= int(part) <= 2200:
                raise ValidationError(gettext("“%(part)s”不是有效年份。") % {"part": part[:20]})
            years.add(int(part))
        return sorted(years)

    def clean_schedule(self) -> dict[dt.date, tuple[str, str]]:
        entries = parse_schedule(self.cleaned_data.get("schedule") or "")
        if entries and not self.instance.pk:
            raise ValidationError(gettext("请先保存日历和工作时间，再批量录入节假日。"))
        return entries

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        years = set(data.get("complete_years") or [])
        if data.get("mark_year_complete"):
            years.add(data["mark_year_complete"])
        data["complete_years"] = sorted(years)
        self.instance.complete_years = data["complete_years"]
        return data

    def _post_clean(self) -> None:
        super()._post_clean()
        if self.instance.pk and not self.errors:
            new_years = set(self.instance.complete_years) - set(
                Calendar.objects.get(pk=self.instance.pk).years_with_data
            )
            for year in sorted(new_years):
                try:
                    check_year_has_working_day(self.instance, year)
                except ValidationError as exc:
                    self.add_error("complete_years", exc)
        if self.instance.pk and self.cleaned_data.get("schedule"):
            try:
                check_schedule(self.instance, self.cleaned_data["schedule"])
            except ValidationError as exc:
                self.add_error("schedule", exc)


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    form = CalendarForm
    list_display = ["code", "name", "timezone", "yearly_schedule", "years_display"]
    inlines = [WorkingHoursInline, CalendarExceptionInline]
    fields = [
        "code",
        "name",
        "timezone",
        "makeup_weekday",
        "yearly_schedule",
        "complete_years",
        "mark_year_complete",
        "schedule",
    ]

    @admin.display(description=_("已完整的年份"))
    def years_display(self, obj: Calendar) -> str:
        years = obj.years_with_data
        if not obj.yearly_schedule:
            return gettext("不需要")
        return f"{years[0]}–{years[-1]}" if len(years) > 2 else ", ".join(map(str, years))

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        entries = form.cleaned_data.get("schedule")
        if entries:
            count = calendar_import_schedule(calendar=form.instance, entries=entries)
            self.message_user(request, gettext("已录入 %(n)s 天的节假日/调休安排。") % {"n": count})

    def _changeform_view(self, *args: Any, **kwargs: Any) -> Any:
        # Runs inside the admin's transaction: one calendar_changed for the calendar and all its inlines.
        with calendar_changes_batched():
            return super()._changeform_view(*args, **kwargs)


@admin.register(CalendarException)
class CalendarExceptionAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name", "calendar"]
    list_filter = ["calendar", "kind"]
    date_hierarchy = "date"
    search_fields = ["name"]
    ordering = ["-date"]


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ["stage", "kind", "channel", "category", "priority", "value", "unit", "calendar", "active"]
    list_filter = ["stage", "active", "unit", "calendar"]
    autocomplete_fields: list[str] = []
    list_select_related = ["category", "calendar"]


# --- timers (slatimers) ---

from .models import Extension, SupervisionOrder, Timer  # noqa: E402  (kept below the marker)


class _ReadOnly(admin.ModelAdmin):
    """Timers, extensions and orders change only through their services (and the audit chain)."""

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Timer)
class TimerAdmin(_ReadOnly):
    # calendar_incomplete is the flag DESIGN.md §4 asks to show administrators.
    list_display = [
        "case",
        "stage",
        "status",
        "department",
        "due_at",
        "calendar",
        "calendar_incomplete",
        "escalation_level",
        "stopped_at",
    ]
    list_filter = ["calendar_incomplete", "status", "stage", "calendar", "department"]
    search_fields = ["case__tracking_no"]
    list_select_related = ["case", "department", "calendar"]
    date_hierarchy = "due_at"


@admin.register(Extension)
class ExtensionAdmin(_ReadOnly):
    list_display = ["case", "department", "status", "previous_due_at", "until", "requested_at", "decided_at"]
    list_filter = ["status", "department"]
    search_fields = ["case__tracking_no"]
    list_select_related = ["case", "department"]


@admin.register(SupervisionOrder)
class SupervisionOrderAdmin(_ReadOnly):
    list_display = ["case", "level", "department", "issued_at", "issued_by", "answered_at"]
    list_filter = ["level", "department"]
    search_fields = ["case__tracking_no"]
    list_select_related = ["case", "department", "issued_by"]
