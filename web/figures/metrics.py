"""The reader of the DESIGN.md §7 figures for the public statistics, the monthly report and the
API alike. The definitions are in ``stats.figures`` (one place), the sums in the monthly rollups
that ``stats.rollups`` keeps as cases move; this module turns the rollup rows into ``Figures``
per department and month.

Every surface (the public statistics, the console's report and its CSV, the reports API) reads a
month through ``month_snapshot``: computed once per ``SNAPSHOT_SECONDS`` window and shared through
the cache, with the moment it was computed (``as_of``), so two pages asked at the same moment show
the same figures and say as of when. Uncached, a month is two small queries on the rollups.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.exceptions import CaseValidationError
from cases.models import Case, Category, Department
from sla.deadlines import overdue_reply_timers
from stats import rollups
from stats.figures import (
    ALL_COUNTS,
    NO_DEPARTMENT,
    REPORT_FIELDS,
    Figures,
    add_months,
    month_bounds,
    seconds,
    total,
)
from stats.ranking import Ranking, month_ranking

logger = logging.getLogger(__name__)
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

__all__ = ["REPORT_FIELDS", "Figures", "add_months", "month_bounds", "total"]


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


# --- figures --------------------------------------------------------------------------


def _figures(row: dict[str, Any]) -> Figures:
    figures = Figures()
    figures.add_counts(row)
    return figures


def cohort(month: date, qs: QuerySet[Case] | None = None) -> QuerySet[Case]:
    start, end = month_bounds(month)
    return (qs if qs is not None else Case.objects.all()).filter(registered_at__gte=start, registered_at__lt=end)


def department_figures(month: date) -> list[Figures]:
    """One ``Figures`` per department with cases registered in ``month`` (or charged with a rating
    round or a return of one), with the counts by channel and kind: the month's rollup rows and
    the departments they name with the dispatch desk (2 queries)."""
    by_key: dict[int, Figures] = {}
    for row in rollups.month_rows(month):
        figures = by_key.setdefault(row["department_key"], Figures(month=month))
        figures.add_counts(row)
        if row["registered"]:
            figures.by_channel[row["channel"]] = figures.by_channel.get(row["channel"], 0) + row["registered"]
            figures.by_kind[row["kind"]] = figures.by_kind.get(row["kind"], 0) + row["registered"]
    found = list(Department.objects.filter(Q(pk__in=[k for k in by_key if k != NO_DEPARTMENT]) | Q(is_dispatch=True)))
    departments = {d.pk: d for d in found}
    # The dispatch desk by cases.selectors.dispatch_department's rule, from the same read.
    dispatch = min((d for d in found if d.is_dispatch and d.active), key=lambda d: (d.code, d.pk), default=None)
    result = []
    for key, figures in by_key.items():
        if not any(getattr(figures, name) for name in ALL_COUNTS):
            continue
        figures.department = dispatch if key == NO_DEPARTMENT else departments.get(key)
        result.append(figures)
    result.sort(key=lambda f: (f.department is None, f.department.code if f.department else ""))
    return result


def monthly_series(first: date, last: date, *, department: Department | None = None) -> list[Figures]:
    """One ``Figures`` per month from ``first`` to ``last`` (inclusive), all departments or one
    (one query on the rollups; the dispatch desk's series also holds the cases nobody holds)."""
    keys = None
    if department is not None:
        keys = [department.pk, NO_DEPARTMENT] if department.is_dispatch else [department.pk]
    found = {row["month"]: _figures(row) for row in rollups.series_rows(first, last, department_keys=keys)}
    series = []
    month = first
    while month <= last:
        figures = found.get(month, Figures())
        figures.month = month
        figures.department = department
        series.append(figures)
        month = add_months(month, 1)
    return series


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


def ranking_snapshot(month: date, level: str, *, now: datetime | None = None) -> Ranking:
    """``stats.ranking.month_ranking`` through the same windows as ``month_snapshot``."""
    now = now or timezone.now()
    return _cached(
        f"public-stats:ranking:{month:%Y-%m}:{level}:{_window(now)}", lambda: month_ranking(month, level=level)
    )


def categories_snapshot(month: date, *, now: datetime | None = None) -> list[dict[str, Any]]:
    now = now or timezone.now()
    return _cached(f"public-stats:categories:{month:%Y-%m}:{_window(now)}", lambda: top_categories(month))


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
    rows = rollups.category_rows(month, limit=limit)
    cats = Category.objects.select_related("parent").in_bulk([r["category_id"] for r in rows])
    return [{"category": cats[r["category_id"]], "count": r["n"]} for r in rows if r["category_id"] in cats]


def most_overdue(month: date, *, now: datetime, limit: int = 10) -> list[dict[str, Any]]:
    """The month's cases whose reply is (or was) most overdue, by how far past the due time."""
    # The clocks of the few candidate cases the rollups' facts name, by the sla app's definition;
    # reports about staff (cases.rules.is_restricted) are counted, never listed by number.
    candidates = rollups.overdue_candidates(month, now=now, limit=limit)
    timers = overdue_reply_timers(cohort(month).filter(pk__in=candidates, about_staff_of__isnull=True), now=now)
    return [
        {
            "case": t.case,
            "due_at": t.due_at,
            "running": t.stopped_at is None,
            "overdue_hours": round(seconds(t.lateness) / 3600, 1),
        }
        for t in timers[:limit]
    ]
