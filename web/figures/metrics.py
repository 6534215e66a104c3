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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import refcache
from cases.exceptions import CaseValidationError
from cases.models import Case, Department
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
from stats.ranking import Ranking, month_ranking, ranking_months

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
    round or a return of one), with the counts by channel and kind: the month's rollup rows (one
    query; the departments from the process's copy)."""
    return _per_department(month, rollups.month_rows(month), channel="channel", kind="kind")


def _per_department(month: date, rows: Iterable[dict[str, Any]], *, channel: str, kind: str) -> list[Figures]:
    """Rollup sums per department key (with ``channel`` and ``kind`` columns) → one ``Figures``
    per department that has a count, by code; the dispatch desk's row holds key 0."""
    by_key = _keyed(month, rows, channel=channel, kind=kind)
    return sorted(by_key.values(), key=lambda f: (f.department is None, f.department.code if f.department else ""))


def _keyed(month: date, rows: Iterable[dict[str, Any]], *, channel: str, kind: str) -> dict[int, Figures]:
    """``_per_department`` by department key."""
    by_key: dict[int, Figures] = {}
    for row in rows:
        figures = by_key.get(row["department_key"])
        if figures is None:
            figures = by_key[row["department_key"]] = Figures(month=month)
        figures.add_counts(row)
        if row["registered"]:
            figures.by_channel[row[channel]] = figures.by_channel.get(row[channel], 0) + row["registered"]
            figures.by_kind[row[kind]] = figures.by_kind.get(row[kind], 0) + row["registered"]
    departments = refcache.departments.get()
    result = {}
    for key, figures in by_key.items():
        if not any(getattr(figures, name) for name in ALL_COUNTS):
            continue
        figures.department = departments["dispatch"] if key == NO_DEPARTMENT else departments["by_id"].get(key)
        result[key] = figures
    return result


def _series_keys(department: Department | None) -> list[int] | None:
    """The rollup keys of a department's series (the dispatch desk's holds the cases nobody
    holds); None: every department."""
    if department is None:
        return None
    return [department.pk, NO_DEPARTMENT] if department.is_dispatch else [department.pk]


def monthly_series(first: date, last: date, *, department: Department | None = None) -> list[Figures]:
    """One ``Figures`` per month from ``first`` to ``last`` (inclusive), all departments or one
    (one query on the rollups; the dispatch desk's series also holds the cases nobody holds)."""
    found = {
        row["month"]: _figures(row)
        for row in rollups.series_rows(first, last, department_keys=_series_keys(department))
    }
    return _series(first, last, found, department)


def _series(first: date, last: date, found: dict[date, Figures], department: Department | None) -> list[Figures]:
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


def _month_key(month: date, now: datetime) -> str:
    return f"public-stats:month:{month:%Y-%m}:{_window(now)}"


def _series_key(first: date, last: date, department: Department | None, now: datetime) -> str:
    return f"public-stats:series:{first:%Y-%m}:{last:%Y-%m}:{department.code if department else '*'}:{_window(now)}"


def _ranking_key(month: date, level: str, now: datetime) -> str:
    return f"public-stats:ranking:{month:%Y-%m}:{level}:{_window(now)}"


def _categories_key(month: date, now: datetime) -> str:
    return f"public-stats:categories:{month:%Y-%m}:{_window(now)}"


def month_snapshot(month: date, *, now: datetime | None = None) -> Snapshot:
    """The figures of ``month`` that every surface shows: computed on the first request of each
    ``SNAPSHOT_SECONDS`` window and shared through the cache, so the public statistics, the
    report page, its CSV and the API agree at any moment (they used to be computed separately,
    the public page cached for five minutes and the report live, and drifted apart)."""
    now = now or timezone.now()

    def compute() -> Snapshot:
        rows = department_figures(month)
        return Snapshot(month=month, as_of=now, rows=rows, total=total(rows, month))

    return _cached(_month_key(month, now), compute)


def series_snapshot(first: date, last: date, *, department: Department | None = None, now: datetime | None = None):
    """``monthly_series`` through the same windows as ``month_snapshot``."""
    now = now or timezone.now()
    return _cached(
        _series_key(first, last, department, now), lambda: monthly_series(first, last, department=department)
    )


def ranking_snapshot(month: date, level: str, *, now: datetime | None = None) -> Ranking:
    """``stats.ranking.month_ranking`` through the same windows as ``month_snapshot``."""
    now = now or timezone.now()
    return _cached(_ranking_key(month, level, now), lambda: month_ranking(month, level=level))


def categories_snapshot(month: date, *, now: datetime | None = None) -> list[dict[str, Any]]:
    now = now or timezone.now()
    return _cached(_categories_key(month, now), lambda: top_categories(month))


@dataclass
class MonthFigures:
    """What a month's page shows from the rollups: the month per department and in total, the
    trend up to it, the ranking and the top categories."""

    snapshot: Snapshot
    series: list[Figures]
    ranking: Ranking
    categories: list[dict[str, Any]]


def month_figures(
    month: date,
    *,
    now: datetime,
    trend_months: int = 12,
    level: str = "department",
    department: Department | None = None,
) -> MonthFigures:
    """``month_snapshot``, ``series_snapshot`` (``trend_months`` up to ``month``, all departments
    or one), ``ranking_snapshot`` and ``categories_snapshot`` in one go, through the same cache
    windows (one round trip for the four), and whichever are missing from **one read of the
    rollups** (``rollups.report_rows``) instead of one query each: the monthly report and the
    public statistics page."""
    first = add_months(month, 1 - trend_months)
    keys = {
        "snapshot": _month_key(month, now),
        "series": _series_key(first, month, department, now),
        "ranking": _ranking_key(month, level, now),
        "categories": _categories_key(month, now),
    }

    def compute() -> dict[str, Any]:
        ranked = ranking_months(month)
        rows = rollups.report_rows(month, first=min(first, *ranked))
        per_month: dict[date, dict[int, Figures]] = {}
        month_rows, top = [], {}
        for row in rows:
            if row["month"] == month:
                month_rows.append(row)
                if row["registered"]:
                    top[row["r_category"]] = top.get(row["r_category"], 0) + row["registered"]
            else:
                per_month.setdefault(row["month"], {}).setdefault(row["department_key"], Figures()).add_counts(row)
        per_month[month] = _keyed(month, month_rows, channel="r_channel", kind="r_kind")
        departments = sorted(
            per_month[month].values(), key=lambda f: (f.department is None, f.department.code if f.department else "")
        )
        series_keys = _series_keys(department)
        found = {}
        for m, by_key in per_month.items():
            if first <= m <= month:
                found[m] = total(f for k, f in by_key.items() if series_keys is None or k in series_keys)
        return {
            "snapshot": Snapshot(month=month, as_of=now, rows=departments, total=total(departments, month)),
            "series": _series(first, month, found, department),
            "ranking": month_ranking(month, level=level, per_month=per_month),
            "categories": _top(sorted(top.items(), key=lambda kv: (-kv[1], kv[0]))),
        }

    return MonthFigures(**_cached_many(keys, compute))


def _cached(key: str, compute: Any) -> Any:
    """``cache.get_or_set``; with the cache unreachable, the figures are computed live (slower,
    not wrong) rather than the page failing."""
    return _cached_many({"value": key}, lambda: {"value": compute()})["value"]


def _cached_many(keys: dict[str, str], compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The cached values of ``keys`` (name → cache key) in one round trip; the missing ones from
    one ``compute()`` (giving every name), kept for their window. With the cache unreachable,
    everything is computed live (slower, not wrong) rather than the page failing."""
    try:
        found = cache.get_many(list(keys.values()))
    except Exception:  # any cache backend's connection error
        logger.warning("figures cache unavailable; computing %s live", list(keys.values()), exc_info=True)
        return compute()
    if all(found.get(key) is not None for key in keys.values()):
        return {name: found[key] for name, key in keys.items()}
    computed = compute()
    out = {}
    for name, key in keys.items():
        if found.get(key) is not None:
            out[name] = found[key]
            continue
        value = computed[name]
        try:
            # add, not set: should another process have computed this window meanwhile, keep its
            # snapshot (and return it), so every surface shows the first one.
            if not cache.add(key, value, SNAPSHOT_SECONDS):
                value = cache.get(key, value)
        except Exception:
            logger.warning("figures cache unavailable; not keeping %s", key, exc_info=True)
        out[name] = value
    return out


def top_categories(month: date, *, limit: int = 10) -> list[dict[str, Any]]:
    return _top([(r["category_id"], r["n"]) for r in rollups.category_rows(month, limit=limit)], limit=limit)


def _top(counts: Iterable[tuple[int, int]], *, limit: int = 10) -> list[dict[str, Any]]:
    """(category id, count) pairs, most first, → the first ``limit`` categories that exist (from
    the process's copy of the categories, their parents loaded)."""
    out = []
    for pk, n in counts:
        category = refcache.category_by_id(pk)
        if category is not None and n > 0:
            out.append({"category": category, "count": n})
    return out[:limit]


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
