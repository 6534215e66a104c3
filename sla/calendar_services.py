"""Writes to a calendar: named services that refuse an edit leaving a year without a working day.

Each change is announced by ``sla.signals_calendar`` (``calendar_changed``) inside the
transaction, so running timers on the calendar are recomputed with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .calendar import check_year_has_working_day
from .enums import ExceptionKind
from .models import Calendar, CalendarException, WorkingHours
from .signals_calendar import calendar_changes_batched


def _locked(calendar: Calendar) -> Calendar:
    # Serialises edits of one calendar so two admins cannot each remove "the other" last working day.
    return Calendar.objects.select_for_update().get(pk=calendar.pk)


def _year_exceptions(calendar: Calendar, year: int) -> dict[dt.date, str]:
    return dict(CalendarException.objects.filter(calendar=calendar, date__year=year).values_list("date", "kind"))


def calendar_set_exception(*, calendar: Calendar, date: dt.date, kind: str, name: str = "") -> CalendarException:
    """Make ``date`` a holiday or a make-up working day (creating or changing its row)."""
    if kind not in ExceptionKind.values:
        raise ValidationError({"kind": _("类型必须是节假日或调休工作日。")})
    with transaction.atomic():
        calendar = _locked(calendar)
        proposed = _year_exceptions(calendar, date.year)
        proposed[date] = kind
        check_year_has_working_day(calendar, date.year, exceptions=proposed)
        row, _created = CalendarException.objects.update_or_create(
            calendar=calendar,
            date=date,
            defaults={"kind": kind, "name": name},
        )
        return row


def calendar_remove_exception(*, calendar: Calendar, date: dt.date) -> bool:
    """Back to the weekly hours on ``date``; False if there was no exception."""
    with transaction.atomic():
        calendar = _locked(calendar)
        proposed = _year_exceptions(calendar, date.year)
        if proposed.pop(date, None) is None:
            return False
        check_year_has_working_day(calendar, date.year, exceptions=proposed)
        for row in CalendarException.objects.filter(calendar=calendar, date=date):
            row.delete()  # one by one, so the delete signal announces the change
        return True


def calendar_set_hours(*, calendar: Calendar, weekday: int, periods: Iterable[tuple[dt.time, dt.time]]) -> None:
    """Replace one weekday's working periods (empty = a day off)."""
    rows = [WorkingHours(calendar=calendar, weekday=weekday, start=start, end=end) for start, end in periods]
    for i, row in enumerate(rows):
        row.full_clean(exclude=["calendar"], validate_unique=False)
        for other in rows[:i]:
            (a, b), (c, d) = row.minutes, other.minutes
            if a < d and c < b:
                raise ValidationError(_("同一天的工作时间段不能重叠。"))
    with transaction.atomic(), calendar_changes_batched():
        calendar = _locked(calendar)
        weekly: dict[int, tuple[tuple[int, int], ...]] = {}
        for row in WorkingHours.objects.filter(calendar=calendar).exclude(weekday=weekday):
            weekly[row.weekday] = (*weekly.get(row.weekday, ()), row.minutes)
        weekly[weekday] = tuple(sorted(r.minutes for r in rows))
        check_year_has_working_day(calendar, weekly=weekly)
        for old in WorkingHours.objects.filter(calendar=calendar, weekday=weekday):
            old.delete()
        for row in rows:
            row.calendar = calendar
            row.save()


def calendar_mark_year(*, calendar: Calendar, year: int, complete: bool = True) -> Calendar:
    """Record that ``year``'s holidays and make-up days are all entered (or no longer are)."""
    if not 1900 <= year <= 2200:
        raise ValidationError({"complete_years": _("年份超出范围。")})
    with transaction.atomic():
        calendar = _locked(calendar)
        years = set(calendar.years_with_data)
        if complete:
            check_year_has_working_day(calendar, year)
            years.add(year)
        else:
            years.discard(year)
        calendar.complete_years = sorted(years)
        calendar.save(update_fields=["complete_years"])
        return calendar


# --- pasting a year's schedule -------------------------------------------------------------------

KIND_WORDS = {
    "holiday": ExceptionKind.HOLIDAY,
    "节假日": ExceptionKind.HOLIDAY,
    "假": ExceptionKind.HOLIDAY,
    "休": ExceptionKind.HOLIDAY,
    "放假": ExceptionKind.HOLIDAY,
    "workday": ExceptionKind.WORKDAY,
    "调休": ExceptionKind.WORKDAY,
    "班": ExceptionKind.WORKDAY,
    "上班": ExceptionKind.WORKDAY,
    "调休工作日": ExceptionKind.WORKDAY,
}
MAX_SCHEDULE_LINES = 400
MAX_RANGE_DAYS = 31


def parse_schedule(text: str) -> dict[dt.date, tuple[str, str]]:
    """Parse lines like ``2027-02-15~2027-02-21 放假 春节`` or ``2027-02-07 班 春节调休``
    (a date or a range, a kind word, an optional name; ``#`` starts a comment) into
    {date: (kind, name)}. Errors name the line."""
    entries: dict[dt.date, tuple[str, str]] = {}
    lines = text.splitlines()
    if len(lines) > MAX_SCHEDULE_LINES:
        raise ValidationError(_("一次最多录入 %(n)s 行。") % {"n": MAX_SCHEDULE_LINES})
    for number, line in enumerate(lines, start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split(None, 2)
        if len(parts) < 2:
            raise ValidationError(_("第 %(n)s 行：需要“日期 类型 [名称]”。") % {"n": number})
        span, word = parts[0], parts[1]
        name = parts[2].strip()[:100] if len(parts) > 2 else ""
        kind = KIND_WORDS.get(word.lower())
        if kind is None:
            raise ValidationError(_("第 %(n)s 行：类型应为“放假”或“班”（holiday / workday）。") % {"n": number})
        first_raw, _sep, last_raw = span.replace("～", "~").partition("~")
        try:
            first = dt.date.fromisoformat(first_raw)
            last = dt.date.fromisoformat(last_raw) if last_raw else first
        except ValueError:
            raise ValidationError(_("第 %(n)s 行：日期应为 YYYY-MM-DD。") % {"n": number}) from None
        if last < first or (last - first).days >= MAX_RANGE_DAYS:
            raise ValidationError(
                _("第 %(n)s 行：日期范围无效（最多 %(max)s 天）。") % {"n": number, "max": MAX_RANGE_DAYS}
            )
        day = first
        while day <= last:
            entries[day] = (kind, name)
            day += dt.timedelta(days=1)
    return entries


def check_schedule(calendar: Calendar, entries: dict[dt.date, tuple[str, str]]) -> None:
    """Refuse entries that would leave one of their years without a working day."""
    for year in sorted({day.year for day in entries}):
        proposed = _year_exceptions(calendar, year) if calendar.pk else {}
        proposed.update({day: kind for day, (kind, _name) in entries.items() if day.year == year})
        check_year_has_working_day(calendar, year, exceptions=proposed)


def calendar_import_schedule(
    *, calendar: Calendar, entries: dict[dt.date, tuple[str, str]], complete: bool = False
) -> int:
    """Write pasted entries (replacing any row on the same date), optionally marking their years
    complete; one ``calendar_changed`` for the lot. Returns how many dates were written."""
    with transaction.atomic(), calendar_changes_batched():
        calendar = _locked(calendar)
        check_schedule(calendar, entries)
        for day, (kind, name) in sorted(entries.items()):
            CalendarException.objects.update_or_create(
                calendar=calendar,
                date=day,
                defaults={"kind": kind, "name": name},
            )
        if complete and entries:
            calendar.complete_years = sorted(set(calendar.years_with_data) | {day.year for day in entries})
            calendar.save(update_fields=["complete_years"])
        return len(entries)
