"""Counting working time on a business calendar (DESIGN.md §4) — the one function timers, boards and the API use.

Rules:
- ``N working days``: counting starts on the first working day *after* the local date of
  the start, whatever its time; the deadline is the end of the last working period of
  the Nth working day (17:30 on ``CN``). ``0 working days`` means "same day": the end of
  the current working day, or of the next one when the start is past it or not on one.
- ``N working hours``: only working time counts; a start outside working time begins at
  the next working period. A term that ends exactly at the end of a period ends there
  (12:00, not 13:30).
- ``N calendar days``: 23:59:59 local time on the local date of the start plus N.
- A year the calendar has no data for (not in ``complete_years``) counts weekends-only
  and the result is flagged ``incomplete`` — never a crash, never a silent guess.

All arithmetic runs in UTC so a zone with daylight saving still counts real elapsed time;
results come back in the calendar's zone.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.dispatch import Signal
from django.utils.translation import gettext as _

from cases.refcache import RefData

from .enums import ExceptionKind, TermUnit
from .models import MAX_TERM_DAYS, MAX_TERM_HOURS, Calendar, CalendarException, WorkingHours

UTC = dt.UTC
DAY = dt.timedelta(days=1)
# A valid calendar has a working day every year, so a longer gap means it has no working time at all.
MAX_IDLE_DAYS = 800

calendar_changed = Signal()
"""Sent with ``calendar=<Calendar>`` after a calendar, its hours or its exceptions change
(inside the transaction that changed it), so running timers on it can be recomputed."""

Periods = tuple[tuple[int, int], ...]  # (start, end) minutes of the day; end may be 1440


@dataclass(frozen=True)
class Deadline:
    due_at: dt.datetime
    incomplete: bool


class TermError(ValueError):
    """A bad term or start; ``field`` names the offending argument (``working_days``, ``start``, …)."""

    def __init__(self, field: str, message: str, *, fields: tuple[str, ...] = ()) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.fields = fields or (field,)  # every argument at fault (several terms given)
        self.message = message


class UnknownCalendar(LookupError):
    def __init__(self, code: str) -> None:
        super().__init__(f"unknown calendar: {code}")
        self.code = code


class NoWorkingTime(ValueError):
    """The calendar has no working time in a long stretch of dates (mis-configured)."""


@dataclass
class Schedule:
    """An in-memory view of one calendar; loads exceptions a year at a time on demand.

    Load it once (``load_schedule``) and pass it to many computations to save queries."""

    code: str
    tz: ZoneInfo
    weekly: dict[int, Periods]
    makeup_weekday: int
    yearly_schedule: bool
    known_years: frozenset[int]
    calendar_id: int | None = None
    loader: Callable[[int], dict[dt.date, str]] | None = None
    _exceptions: dict[int, dict[dt.date, str]] = field(default_factory=dict)

    def exceptions(self, year: int) -> dict[dt.date, str]:
        if year not in self._exceptions:
            self._exceptions[year] = self.loader(year) if self.loader else {}
        return self._exceptions[year]

    def is_known(self, year: int) -> bool:
        return not self.yearly_schedule or year in self.known_years

    def periods(self, day: dt.date) -> Periods:
        kind = self.exceptions(day.year).get(day)
        if kind == ExceptionKind.HOLIDAY:
            return ()
        if kind == ExceptionKind.WORKDAY:
            return self.weekly.get(self.makeup_weekday, ())
        return self.weekly.get(day.weekday(), ())

    def at(self, day: dt.date, minute: int) -> dt.datetime:
        """The UTC instant of ``minute`` (0..1440) on the local ``day``."""
        if minute >= 24 * 60:
            day, minute = day + DAY, minute - 24 * 60
        local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=self.tz)
        return local.astimezone(UTC)


def _weekly_from_rows(rows: Iterable[WorkingHours]) -> dict[int, Periods]:
    weekly: dict[int, list[tuple[int, int]]] = {}
    for row in rows:
        weekly.setdefault(row.weekday, []).append(row.minutes)
    return {day: tuple(sorted(periods)) for day, periods in weekly.items()}


def load_schedule(calendar: Calendar | str | Schedule) -> Schedule:
    if isinstance(calendar, Schedule):
        return calendar
    if isinstance(calendar, str):
        try:
            calendar = Calendar.objects.get(code=calendar)
        except Calendar.DoesNotExist:
            raise UnknownCalendar(calendar) from None
    cal_id = calendar.pk

    def loader(year: int) -> dict[dt.date, str]:
        rows = CalendarException.objects.filter(calendar_id=cal_id, date__year=year).values_list("date", "kind")
        return dict(rows)

    return Schedule(
        code=calendar.code,
        tz=calendar.tz,
        weekly=_weekly_from_rows(WorkingHours.objects.filter(calendar_id=cal_id)),
        makeup_weekday=calendar.makeup_weekday,
        yearly_schedule=calendar.yearly_schedule,
        known_years=frozenset(calendar.years_with_data),
        calendar_id=cal_id,
        loader=loader,
    )


def _load_calendars() -> dict[str, tuple[Calendar, Schedule]]:
    return {c.code: (c, load_schedule(c)) for c in Calendar.objects.all()}


# Every calendar with its schedule (whose exceptions load a year at a time, then stay), once per
# process until a calendar, its hours or its exceptions change (cases.refcache).
calendars = RefData(
    "sla.calendars", _load_calendars, models=["sla.Calendar", "sla.WorkingHours", "sla.CalendarException"]
)


def calendar_and_schedule(code: str) -> tuple[Calendar, Schedule]:
    """The calendar ``code`` and its loaded schedule from the process's copy; ``UnknownCalendar``."""
    try:
        return calendars.get()[code]
    except KeyError:
        raise UnknownCalendar(code) from None


# --- counting ---------------------------------------------------------------------------


def _aware(start: dt.datetime, name: str = "start") -> dt.datetime:
    if not isinstance(start, dt.datetime):
        raise TermError(name, _("必须是日期时间。"))
    if start.tzinfo is None or start.utcoffset() is None:
        raise TermError(name, _("必须带时区。"))
    return start


def add_working_time(calendar: Calendar | str | Schedule, start: dt.datetime, seconds: float) -> Deadline:
    """The moment when ``seconds`` of working time have passed after ``start``.

    Used for working-hour terms and to resume a paused timer with its remaining working time.
    Zero (or less) returns ``start`` itself: nothing is left to count."""
    sched = load_schedule(calendar)
    start_utc = _aware(start).astimezone(UTC)
    day = start_utc.astimezone(sched.tz).date()
    remaining = float(seconds)
    if remaining <= 0:
        return Deadline(start_utc.astimezone(sched.tz), not sched.is_known(day.year))
    incomplete = False
    idle = 0
    while idle < MAX_IDLE_DAYS:
        incomplete |= not sched.is_known(day.year)
        periods = sched.periods(day)
        idle = 0 if periods else idle + 1
        for first, last in periods:
            p_start, p_end = sched.at(day, first), sched.at(day, last)
            if p_end <= start_utc:
                continue
            p_start = max(p_start, start_utc)
            available = (p_end - p_start).total_seconds()
            if remaining <= available:
                return Deadline((p_start + dt.timedelta(seconds=remaining)).astimezone(sched.tz), incomplete)
            remaining -= available
        day += DAY
    raise NoWorkingTime(f"calendar {sched.code} has no working time after {day - MAX_IDLE_DAYS * DAY}")


def working_seconds_between(calendar: Calendar | str | Schedule, start: dt.datetime, end: dt.datetime) -> float:
    """Working time, in seconds, between two moments (0 when ``end`` is not after ``start``)."""
    sched = load_schedule(calendar)
    start_utc = _aware(start).astimezone(UTC)
    end_utc = _aware(end, "end").astimezone(UTC)
    if end_utc <= start_utc:
        return 0.0
    day = start_utc.astimezone(sched.tz).date()
    last_day = end_utc.astimezone(sched.tz).date()
    total = 0.0
    while day <= last_day:
        for first, last in sched.periods(day):
            lo = max(sched.at(day, first), start_utc)
            hi = min(sched.at(day, last), end_utc)
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += DAY
    return total


def _end_of_working_days(sched: Schedule, start: dt.datetime, n: int) -> Deadline:
    local = start.astimezone(sched.tz)
    day = local.date()
    incomplete = False
    if n == 0:
        # "Same day": the current working day if it is one and not yet over, else the next one.
        incomplete = not sched.is_known(day.year)
        periods = sched.periods(day)
        if periods and start.astimezone(UTC) < sched.at(day, periods[-1][1]):
            return Deadline(sched.at(day, periods[-1][1]).astimezone(sched.tz), incomplete)
        n = 1
    counted = 0
    idle = 0
    while idle < MAX_IDLE_DAYS:
        day += DAY
        incomplete |= not sched.is_known(day.year)
        periods = sched.periods(day)
        if not periods:
            idle += 1
            continue
        idle = 0
        counted += 1
        if counted == n:
            return Deadline(sched.at(day, periods[-1][1]).astimezone(sched.tz), incomplete)
    raise NoWorkingTime(f"calendar {sched.code} has no working day after {day - MAX_IDLE_DAYS * DAY}")


def validate_term(
    *, working_days: object = None, working_hours: object = None, calendar_days: object = None
) -> tuple[TermUnit, int | float]:
    """Exactly one term, of the right type and within bounds; ``TermError`` names the field otherwise."""
    given = {
        name: value
        for name, value in (
            ("working_days", working_days),
            ("working_hours", working_hours),
            ("calendar_days", calendar_days),
        )
        if value is not None
    }
    if not given:
        raise TermError("term", _("请给出一个期限：working_days、working_hours 或 calendar_days。"))
    if len(given) > 1:
        names = tuple(sorted(given))
        raise TermError(
            names[0], _("只能给出一个期限，收到了：%(names)s。") % {"names": "、".join(names)}, fields=names
        )
    name, value = next(iter(given.items()))
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TermError(name, _("必须是数字。"))
    if name == "working_hours":
        if not math.isfinite(value):
            raise TermError(name, _("必须是有限的数字。"))
        limit: int = MAX_TERM_HOURS
    else:
        if value != int(value):
            raise TermError(name, _("天数必须是整数。"))
        value = int(value)
        limit = MAX_TERM_DAYS
    if value < 0:
        raise TermError(name, _("期限不能为负数。"))
    if value > limit:
        raise TermError(name, _("期限过长（上限 %(limit)s）。") % {"limit": limit})
    return TermUnit(name), value


def compute_deadline(
    calendar: Calendar | str | Schedule,
    start: dt.datetime,
    *,
    working_days: int | None = None,
    working_hours: float | None = None,
    calendar_days: int | None = None,
) -> Deadline:
    """The deadline of one term from ``start`` on ``calendar`` (a Calendar, its code, or a Schedule)."""
    unit, value = validate_term(working_days=working_days, working_hours=working_hours, calendar_days=calendar_days)
    _aware(start)
    sched = load_schedule(calendar)
    if unit == TermUnit.WORKING_HOURS:
        return add_working_time(sched, start, value * 3600)
    if unit == TermUnit.WORKING_DAYS:
        return _end_of_working_days(sched, start, int(value))
    day = start.astimezone(sched.tz).date() + dt.timedelta(days=int(value))
    # Statutory calendar-day terms do not depend on holidays, so they are never incomplete.
    return Deadline(dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=sched.tz), False)


# --- validation: every year keeps at least one working day ------------------------------


def _year_has_working_day(sched: Schedule, year: int) -> bool:
    day = dt.date(year, 1, 1)
    while day.year == year:
        if sched.periods(day):
            return True
        day += DAY
    return False


def years_without_working_day(
    calendar: Calendar,
    *,
    years: Iterable[int] = (),
    weekly: Mapping[int, Periods] | None = None,
    exceptions: Mapping[dt.date, str] | None = None,
) -> list[int]:
    """Which of ``years`` (plus every complete year and any year without data) would have no
    working day with the proposed ``weekly`` hours and/or ``exceptions`` (the full set for
    the years they cover); unchanged parts come from the database. ``0`` stands for
    "a year without data" (weekly hours only)."""
    sched = (
        load_schedule(calendar)
        if calendar.pk
        else Schedule(
            code=calendar.code,
            tz=calendar.tz,
            weekly={},
            makeup_weekday=calendar.makeup_weekday,
            yearly_schedule=calendar.yearly_schedule,
            known_years=frozenset(calendar.years_with_data),
        )
    )
    sched.makeup_weekday = calendar.makeup_weekday
    if weekly is not None:
        sched.weekly = dict(weekly)
    proposed: dict[int, dict[dt.date, str]] = {}
    for day, kind in (exceptions or {}).items():
        proposed.setdefault(day.year, {})[day] = kind
    for year, rows in proposed.items():
        sched._exceptions[year] = rows
    to_check = set(years) | set(proposed) | set(calendar.years_with_data)
    bad = [year for year in sorted(to_check) if not _year_has_working_day(sched, year)]
    if not any(sched.weekly.values()):
        bad.insert(0, 0)
    return bad


def check_year_has_working_day(calendar: Calendar, year: int | None = None, **proposal: object) -> None:
    """Raise ``ValidationError`` if the proposed change leaves a year without a working day."""
    bad = years_without_working_day(calendar, years=[year] if year else [], **proposal)  # type: ignore[arg-type]
    if not bad:
        return
    if bad[0] == 0:
        raise ValidationError(_("每周至少要有一段工作时间，否则没有节假日数据的年份将没有工作日。"))
    raise ValidationError(
        _("修改后 %(years)s 年将没有任何工作日，已拒绝。"), params={"years": "、".join(str(y) for y in bad)}
    )
