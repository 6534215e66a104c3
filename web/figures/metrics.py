"""The one place for the DESIGN.md §7 definitions, used by the public statistics, the monthly
report and the API alike.

Every figure of a month refers to the cases *registered* in that month (a cohort), so
the numbers of one report add up and do not move when a late reply arrives elsewhere:

- closure rate 办结率 = closed ÷ (registered − rejected − merged)
- on-time rate 按时办结率 = replied on time ÷ replied; a reply is late by the sla app's rule
  (``sla.deadlines.late_reply_condition``: its reply clock breached, or stopped after its due
  time). A replied case without a reply clock counts as on time.
- satisfaction rate 满意率 = (satisfied + basically satisfied) ÷ rated
- first-contact resolution 一次办结率 = resolved directly ÷ registered, hotline only
- returned / reopened = sums of ``return_count`` / ``reopen_count``
- average handling time = mean of (answered_at − registered_at) over answered cases

A case counts for its current lead department; cases no department holds (not yet
assigned, rejected, merged, resolved on first contact) count for the dispatch desk.
Rates are fractions rounded to 4 places, ``None`` when the denominator is zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.enums import Channel, Rating, State
from cases.exceptions import CaseValidationError
from cases.models import Case, Category, Department
from cases.selectors import dispatch_department
from sla.deadlines import late_reply_condition, overdue_reply_timers

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
        "rated": Count("pk", filter=~Q(rating="")),
        "satisfied": Count("pk", filter=Q(rating__in=SATISFIED)),
        "hotline": Count("pk", filter=Q(channel=Channel.HOTLINE)),
        "resolved_directly": Count("pk", filter=Q(channel=Channel.HOTLINE, first_contact_resolution=True)),
        "returned": Sum("return_count"),
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
    "rated",
    "satisfied",
    "hotline",
    "resolved_directly",
    "returned",
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


def department_figures(month: date) -> list[Figures]:
    """One ``Figures`` per department with cases registered in ``month``, with the counts by
    channel and kind. One pass over the month (grouped by department, channel and kind; the
    figures are sums), plus the department names: 3 queries."""
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
    departments = Department.objects.in_bulk([k for k in by_dept if k is not None])
    result = []
    for dept_id, figures in by_dept.items():
        figures.department = departments.get(dept_id)
        figures.month = month
        result.append(figures)
    result.sort(key=lambda f: (f.department is None, f.department.code if f.department else ""))
    return result


def total(rows: list[Figures], month: date | None = None) -> Figures:
    out = Figures(month=month)
    for row in rows:
        out.add(row)
    return out


def monthly_series(first: date, last: date, *, department: Department | None = None) -> list[Figures]:
    """One ``Figures`` per month from ``first`` to ``last`` (inclusive), all departments or one (1 query)."""
    start, _ = month_bounds(first)
    _, end = month_bounds(last)
    qs = Case.objects.filter(registered_at__gte=start, registered_at__lt=end).order_by()
    if department is not None:
        if department.is_dispatch:
            qs = qs.filter(Q(department=department) | Q(department__isnull=True))
        else:
            qs = qs.filter(department=department)
    tz = timezone.get_current_timezone()
    rows = qs.annotate(m=TruncMonth("registered_at", tzinfo=tz)).values("m").annotate(**_aggregates())
    found: dict[date, Figures] = {}
    for row in rows:
        m = row.pop("m")
        key = timezone.localtime(m, tz) if isinstance(m, datetime) and timezone.is_aware(m) else m
        key = date(key.year, key.month, 1)
        found[key] = _figures_from(row)
    series = []
    month = first
    while month <= last:
        figures = found.get(month, Figures())
        figures.month = month
        figures.department = department
        series.append(figures)
        month = add_months(month, 1)
    return series


def top_categories(month: date, *, limit: int = 10) -> list[dict[str, Any]]:
    rows = list(
        cohort(month).order_by().values("category_id").annotate(n=Count("pk")).order_by("-n", "category_id")[:limit]
    )
    cats = Category.objects.select_related("parent").in_bulk([r["category_id"] for r in rows])
    return [{"category": cats[r["category_id"]], "count": r["n"]} for r in rows if r["category_id"] in cats]


def most_overdue(month: date, *, now: datetime, limit: int = 10) -> list[dict[str, Any]]:
    """The month's cases whose reply is (or was) most overdue, by how far past the due time."""
    timers = overdue_reply_timers(cohort(month), now=now)
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
