"""The one place for the DESIGN.md §7 definitions, used by the public statistics, the monthly
report and the API alike.

Every figure of a month refers to the cases *registered* in that month (a cohort), so
the numbers of one report add up and do not move when a late reply arrives elsewhere:

- closure rate 办结率 = closed ÷ (registered − rejected − merged)
- on-time rate 按时办结率 = replied on time ÷ replied; a reply is late by the sla app's rule
  (``sla.deadlines.late_reply_condition``: its reply clock breached, or stopped after its due
  time). A replied case without a reply clock counts as on time.
- satisfaction rate 满意率 = (satisfied + basically satisfied) ÷ rated, over every rating
  round: each ``feedback`` event on the case's hash-chained timeline is one rated answer, so
  a dissatisfied rating stays counted after the case is reopened (reopening clears the case's
  ``rating`` column, never its events). A round counts for the department whose answer was
  rated (recorded on the event; older events without it count for the case's department).
- first-contact resolution 一次办结率 = resolved directly ÷ registered, hotline only
- returned = ``return`` events, each charged to the department that handed the case back
  (recorded on the event), not the one holding the case now; reopened = sum of ``reopen_count``
- average handling time = mean of (answered_at − registered_at) over answered cases

A case counts for its current lead department; cases no department holds (not yet
assigned, rejected, merged, resolved on first contact) count for the dispatch desk.
Rates are fractions rounded to 4 places, ``None`` when the denominator is zero.

Every surface (the public statistics, the console's report and its CSV, the reports API)
reads a month through ``month_snapshot``: computed once per ``SNAPSHOT_SECONDS`` window and
shared through the cache, with the moment it was computed (``as_of``), so two pages asked at
the same moment show the same figures and say as of when.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.enums import Channel, Rating, State, Transition
from cases.exceptions import CaseValidationError
from cases.models import Case, CaseEvent, Category, Department
from cases.selectors import dispatch_department
from sla.deadlines import late_reply_condition, overdue_reply_timers

logger = logging.getLogger(__name__)
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
SATISFIED = (Rating.SATISFIED, Rating.BASICALLY_SATISFIED)

# API.md field order for the monthly report (CSV columns follow it).
REPORT_FIELDS = (
    "registered",
    "closed",
    "closure_rate",
    "replied",
    "replied_on_time",
    "on_time_rate",
    "rated",
    "satisfied",
    "satisfaction_rate",
    "resolved_directly",
    "returned",
    "reopened",
    "avg_handling_hours",
)


# --- months ---------------------------------------------------------------------------


def current_month() -> date:
    return timezone.localdate().replace(day=1)


def parse_month(value: str | None, *, field_name: str = "month") -> date:
    """``2026-11`` → date(2026, 11, 1); empty → the current month; anything else → 400."""
    value = (value or "").strip()
    if not value:
        return current_month()
    m = _MONTH.match(value)
    if not m or not (2000 <= int(m.group(1)) <= 2100):
        msg = _("月份格式应为 YYYY-MM，例如 2026-11。")
        raise CaseValidationError(msg, fields={field_name: [msg]})
    return date(int(m.group(1)), int(m.group(2)), 1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """Local (Asia/Shanghai) start of the month and of the next one."""
    tz = timezone.get_current_timezone()
    start = datetime(month.year, month.month, 1, tzinfo=tz)
    nxt = add_months(month, 1)
    return start, datetime(nxt.year, nxt.month, 1, tzinfo=tz)


# --- figures --------------------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class Figures:
    """Counts for one department (or all) in one month, and the rates derived from them."""

    registered: int = 0
    rejected: int = 0
    merged: int = 0
    closed: int = 0
    replied: int = 0
    replied_on_time: int = 0
    rated: int = 0
    satisfied: int = 0
    hotline: int = 0
    resolved_directly: int = 0
    returned: int = 0
    reopened: int = 0
    answered: int = 0
    handling_seconds: float = 0.0
    department: Department | None = None
    month: date | None = None
    by_channel: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def closure_base(self) -> int:
        return self.registered - self.rejected - self.merged

    @property
    def closure_rate(self) -> float | None:
        return _rate(self.closed, self.closure_base)

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.replied_on_time, self.replied)

    @property
    def satisfaction_rate(self) -> float | None:
        return _rate(self.satisfied, self.rated)

    @property
    def first_contact_rate(self) -> float | None:
        return _rate(self.resolved_directly, self.hotline)

    @property
    def avg_handling_hours(self) -> float | None:
        return round(self.handling_seconds / self.answered / 3600, 2) if self.answered else None

    def add(self, other: Figures) -> None:
        for f in fields(self):
            if f.name in {"department", "month"}:
                continue
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, dict):
                for key, value in theirs.items():
                    mine[key] = mine.get(key, 0) + value
            else:
                setattr(self, f.name, mine + theirs)

    def as_row(self) -> dict[str, Any]:
        """The API.md monthly-report row."""
        row: dict[str, Any] = {}
        if self.department is not None:
            row["department"] = self.department.code
            row["department_name"] = self.department.name
        for name in REPORT_FIELDS:
            row[name] = getattr(self, name)
        row.update(
            {
                "hotline_registered": self.hotline,
                "first_contact_rate": self.first_contact_rate,
                "rejected": self.rejected,
                "merged": self.merged,
            }
        )
        return row


def _aggregates() -> dict[str, Any]:
    replied = Q(replied_at__isnull=False)
    on_time = replied & ~late_reply_condition()
    answered = Q(answered_at__isnull=False)
    handling = ExpressionWrapper(F("answered_at") - F("registered_at"), output_field=DurationField())
    return {
        "registered": Count("pk"),
        "rejected": Count("pk", filter=Q(state=State.REJECTED)),
        "merged": Count("pk", filter=Q(state=State.MERGED)),
        "closed": Count("pk", filter=Q(state=State.CLOSED)),
        "replied": Count("pk", filter=replied),
        "replied_on_time": Count("pk", filter=on_time),
        "hotline": Count("pk", filter=Q(channel=Channel.HOTLINE)),
        "resolved_directly": Count("pk", filter=Q(channel=Channel.HOTLINE, first_contact_resolution=True)),
        "reopened": Sum("reopen_count"),
        "answered": Count("pk", filter=answered),
        "handling": Sum(handling, filter=answered),
    }


_COUNTS = (
    "registered",
    "rejected",
    "merged",
    "closed",
    "replied",
    "replied_on_time",
    "hotline",
    "resolved_directly",
    "reopened",
    "answered",
)


def _figures_from(row: dict[str, Any]) -> Figures:
    seconds = _seconds(row.pop("handling", None))
    counts = {k: int(row.get(k) or 0) for k in _COUNTS}
    return Figures(**counts, handling_seconds=seconds)


def cohort(month: date, qs: QuerySet[Case] | None = None) -> QuerySet[Case]:
    start, end = month_bounds(month)
    return (qs if qs is not None else Case.objects.all()).filter(registered_at__gte=start, registered_at__lt=end)


def _round_events(cases: QuerySet[Case], *, month_key: bool = False) -> list[dict[str, Any]]:
    """The rating rounds and returns of ``cases``, grouped (one query): per event kind, the
    department recorded on the event (a code, or None), the case's current department, the
    rating, and (``month_key``) the case's registration month; with their count."""
    keys = ["transition", "data__department", "case__department_id", "data__rating"]
    qs = CaseEvent.objects.filter(
        case__in=cases.order_by().values("pk"), transition__in=[Transition.FEEDBACK, Transition.RETURN]
    ).order_by()
    if month_key:
        qs = qs.annotate(m=TruncMonth("case__registered_at", tzinfo=timezone.get_current_timezone()))
        keys.append("m")
    return list(qs.values(*keys).annotate(n=Count("pk")))


def _charge_rounds(
    rows: list[dict[str, Any]], figures_for: Any, dept_ids: dict[str, int], dispatch_id: int | None
) -> None:
    """Add each round to ``figures_for(department_id, row)``: ratings to the rated department,
    returns to the department that returned."""
    for row in rows:
        code = row["data__department"]
        if code:
            dept_id = dept_ids.get(code)
        elif code is None:  # an event from before the department was recorded on it
            dept_id = row["case__department_id"]
        else:
            dept_id = None
        if row["transition"] == Transition.RETURN:
            if dept_id is None:
                continue  # nothing to charge (a return always names its department)
            figures_for(dept_id, row).returned += row["n"]
        else:
            figures = figures_for(dept_id or dispatch_id, row)
            figures.rated += row["n"]
            if row["data__rating"] in SATISFIED:
                figures.satisfied += row["n"]


def department_figures(month: date) -> list[Figures]:
    """One ``Figures`` per department with cases registered in ``month`` (or charged with a rating
    round or a return of one), with the counts by channel and kind. One pass over the month
    (grouped by department, channel and kind; the figures are sums), one over its rating
    rounds and returns, plus the department names: 5 queries."""
    base = cohort(month).order_by()
    rows = list(base.values("department_id", "channel", "kind").annotate(**_aggregates()))
    dispatch = dispatch_department()
    dispatch_id = dispatch.pk if dispatch else None
    by_dept: dict[int | None, Figures] = {}
    for row in rows:
        dept_id = row.pop("department_id") or dispatch_id
        channel, kind = row.pop("channel"), row.pop("kind")
        figures = _figures_from(row)
        figures.by_channel = {channel: figures.registered}
        figures.by_kind = {kind: figures.registered}
        if dept_id in by_dept:
            by_dept[dept_id].add(figures)
        else:
            by_dept[dept_id] = figures
    rounds = _round_events(base)
    dept_ids = _department_ids({r["data__department"] for r in rounds if r["data__department"]})
    _charge_rounds(rounds, lambda dept_id, _row: by_dept.setdefault(dept_id, Figures()), dept_ids, dispatch_id)
    departments = Department.objects.in_bulk([k for k in by_dept if k is not None])
    result = []
    for dept_id, figures in by_dept.items():
        figures.department = departments.get(dept_id)
        figures.month = month
        result.append(figures)
    result.sort(key=lambda f: (f.department is None, f.department.code if f.department else ""))
    return result


def _department_ids(codes: set[str]) -> dict[str, int]:
    if not codes:
        return {}
    return dict(Department.objects.filter(code__in=codes).values_list("code", "pk"))


def total(rows: list[Figures], month: date | None = None) -> Figures:
    out = Figures(month=month)
    for row in rows:
        out.add(row)
    return out


def monthly_series(first: date, last: date, *, department: Department | None = None) -> list[Figures]:
    """One ``Figures`` per month from ``first`` to ``last`` (inclusive), all departments or one
    (3 queries: the cases, their rating rounds and returns, the departments those name)."""
    start, _ = month_bounds(first)
    _, end = month_bounds(last)
    cases = Case.objects.filter(registered_at__gte=start, registered_at__lt=end).order_by()
    qs = cases
    if department is not None:
        if department.is_dispatch:
            qs = qs.filter(Q(department=department) | Q(department__isnull=True))
        else:
            qs = qs.filter(department=department)
    tz = timezone.get_current_timezone()
    rows = qs.annotate(m=TruncMonth("registered_at", tzinfo=tz)).values("m").annotate(**_aggregates())
    found: dict[date, Figures] = {}
    for row in rows:
        key = _month_key(row.pop("m"))
        found[key] = _figures_from(row)
    # Rounds are charged by the department of the round, so read them for every case of the months.
    rounds = _round_events(cases, month_key=True)
    dept_ids = _department_ids({r["data__department"] for r in rounds if r["data__department"]})
    dispatch = dispatch_department() if department is None or department.is_dispatch else None
    dispatch_id = dispatch.pk if dispatch else None

    def figures_for(dept_id: int | None, row: dict[str, Any]) -> Figures:
        if department is not None and dept_id != department.pk:
            return Figures()  # another department's round: counted nowhere in this series
        return found.setdefault(_month_key(row["m"]), Figures())

    _charge_rounds(rounds, figures_for, dept_ids, dispatch_id)
    series = []
    month = first
    while month <= last:
        figures = found.get(month, Figures())
        figures.month = month
        figures.department = department
        series.append(figures)
        month = add_months(month, 1)
    return series


def _month_key(m: Any) -> date:
    tz = timezone.get_current_timezone()
    key = timezone.localtime(m, tz) if isinstance(m, datetime) and timezone.is_aware(m) else m
    return date(key.year, key.month, 1)


# --- one snapshot for every surface -----------------------------------------------------

SNAPSHOT_SECONDS = 300


@dataclass
class Snapshot:
    """A month's figures per department and in total, as computed at ``as_of``."""

    month: date
    as_of: datetime
    rows: list[Figures]
    total: Figures


def _window(now: datetime) -> int:
    return int(now.timestamp()) // SNAPSHOT_SECONDS


def month_snapshot(month: date, *, now: datetime | None = None) -> Snapshot:
    """The figures of ``month`` that every surface shows: computed on the first request of each
    ``SNAPSHOT_SECONDS`` window and shared through the cache, so the public statistics, the
    report page, its CSV and the API agree at any moment (they used to be computed separately,
    the public page cached for five minutes and the report live, and drifted apart)."""
    now = now or timezone.now()

    def compute() -> Snapshot:
        rows = department_figures(month)
        return Snapshot(month=month, as_of=now, rows=rows, total=total(rows, month))

    return _cached(f"public-stats:month:{month:%Y-%m}:{_window(now)}", compute)


def series_snapshot(first: date, last: date, *, department: Department | None = None, now: datetime | None = None):
    """``monthly_series`` through the same windows as ``month_snapshot``."""
    now = now or timezone.now()
    key = f"public-stats:series:{first:%Y-%m}:{last:%Y-%m}:{department.code if department else '*'}:{_window(now)}"
    return _cached(key, lambda: monthly_series(first, last, department=department))


def _cached(key: str, compute: Any) -> Any:
    """``cache.get_or_set``; with the cache unreachable, the figures are computed live (slower,
    not wrong) rather than the page failing."""
    try:
        found = cache.get(key)
    except Exception:  # any cache backend's connection error
        logger.warning("figures cache unavailable; computing %s live", key, exc_info=True)
        return compute()
    if found is not None:
        return found
    value = compute()
    try:
        # add, not set: should another process have computed this window meanwhile, keep its
        # snapshot (and return it), so every surface shows the first one.
        if not cache.add(key, value, SNAPSHOT_SECONDS):
            value = cache.get(key, value)
    except Exception:
        logger.warning("figures cache unavailable; not keeping %s", key, exc_info=True)
    return value


def top_categories(month: date, *, limit: int = 10) -> list[dict[str, Any]]:
    rows = list(
        cohort(month).order_by().values("category_id").annotate(n=Count("pk")).order_by("-n", "category_id")[:limit]
    )
    cats = Category.objects.select_related("parent").in_bulk([r["category_id"] for r in rows])
    return [{"category": cats[r["category_id"]], "count": r["n"]} for r in rows if r["category_id"] in cats]


def most_overdue(month: date, *, now: datetime, limit: int = 10) -> list[dict[str, Any]]:
    """The month's cases whose reply is (or was) most overdue, by how far past the due time."""
    # Reports about staff (cases.rules.is_restricted) are counted, never listed by number.
    timers = overdue_reply_timers(cohort(month).filter(about_staff_of__isnull=True), now=now)
    return [
        {
            "case": t.case,
            "due_at": t.due_at,
            "running": t.stopped_at is None,
            "overdue_hours": round(_seconds(t.lateness) / 3600, 1),
        }
        for t in timers[:limit]
    ]


def _seconds(value: timedelta | int | float | None) -> float:
    """A duration from the database: a timedelta (PostgreSQL) or microseconds (SQLite)."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value or 0) / 1e6
