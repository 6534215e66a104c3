"""Seed the `CN` and `24x7` calendars; idempotent. Runs from migration 0001 and `manage.py seed_calendars`.

The functions take the model classes as arguments so the data migration can pass its
historical models (whose saves send no signals to our receivers). `CN` gets every year
the `chinesecalendar` package knows: its holidays, and its make-up working days (调休,
weekend days that are workdays); those years are marked complete.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}

# Monday–Friday 09:00–12:00 and 13:30–17:30 (DESIGN.md §4).
CN_HOURS = [(dt.time(9, 0), dt.time(12, 0)), (dt.time(13, 30), dt.time(17, 30))]
ALL_DAY = [(dt.time(0, 0), dt.time(0, 0))]  # an end of 00:00 is midnight at the end of the day


def chinese_calendar_data() -> tuple[dict[dt.date, tuple[str, str]], list[int]]:
    """{date: (kind, name)} and the years from the package's data."""
    from chinese_calendar import constants

    data: dict[dt.date, tuple[str, str]] = {}
    for day, holiday in constants.holidays.items():
        name = getattr(holiday, "value", str(holiday))
        data[day] = ("holiday", HOLIDAY_NAMES_ZH.get(name, name))
    for day, holiday in constants.workdays.items():
        if day.weekday() >= 5:  # a make-up working day is a weekend day that is worked
            name = getattr(holiday, "value", str(holiday))
            data[day] = ("workday", f"{HOLIDAY_NAMES_ZH.get(name, name)}调休")
    years = sorted({d.year for d in constants.holidays})
    return data, years


def _ensure_calendar(
    Calendar: Any,
    WorkingHours: Any,
    *,
    code: str,
    name: str,
    weekdays: range,
    hours: list[tuple[dt.time, dt.time]],
    yearly: bool,
) -> Any:
    calendar, created = Calendar.objects.get_or_create(
        code=code,
        defaults={"name": name, "timezone": "Asia/Shanghai", "yearly_schedule": yearly},
    )
    if created or not WorkingHours.objects.filter(calendar=calendar).exists():
        WorkingHours.objects.bulk_create(
            WorkingHours(calendar=calendar, weekday=day, start=start, end=end)
            for day in weekdays
            for start, end in hours
        )
    return calendar


def seed_calendars(
    Calendar: Any,
    WorkingHours: Any,
    CalendarException: Any,
    *,
    overwrite: bool = False,
) -> dict[str, int]:
    """Create what is missing. With ``overwrite`` the package's years are made to match the
    package exactly (an administrator's edits to those years are replaced); other years and
    hand-entered years are never touched."""
    cn = _ensure_calendar(
        Calendar, WorkingHours, code="CN", name="中国大陆工作日", weekdays=range(5), hours=CN_HOURS, yearly=True
    )
    _ensure_calendar(Calendar, WorkingHours, code="24x7", name="全天候", weekdays=range(7), hours=ALL_DAY, yearly=False)

    data, years = chinese_calendar_data()
    existing = {e.date: e for e in CalendarException.objects.filter(calendar=cn, date__year__in=years)}
    created = updated = deleted = 0
    new_rows = [
        CalendarException(calendar=cn, date=day, kind=kind, name=name)
        for day, (kind, name) in sorted(data.items())
        if day not in existing
    ]
    CalendarException.objects.bulk_create(new_rows)
    created = len(new_rows)
    if overwrite:
        for day, row in existing.items():
            if day not in data:
                row.delete()
                deleted += 1
            elif (row.kind, row.name) != data[day]:
                row.kind, row.name = data[day]
                row.save(update_fields=["kind", "name"])
                updated += 1
    complete = sorted({int(y) for y in cn.complete_years or []} | set(years))
    if complete != cn.complete_years:
        cn.complete_years = complete
        cn.save(update_fields=["complete_years"])
    return {"created": created, "updated": updated, "deleted": deleted, "years": len(years)}


def seed_calendars_now(*, overwrite: bool = False) -> dict[str, int]:
    """Seed with the live models; per-row change signals are folded into one per calendar."""
    from django.db import transaction

    from cases import refcache

    from .models import Calendar, CalendarException, WorkingHours
    from .signals_calendar import announce, calendar_changes_batched

    with transaction.atomic(), calendar_changes_batched():
        result = seed_calendars(Calendar, WorkingHours, CalendarException, overwrite=overwrite)
        if result["created"]:  # bulk_create sends no post_save: announce the new rows ourselves
            announce(Calendar.objects.get(code="CN").pk)
        refcache.changed()  # the same for every process's copy of the calendars
        return result
