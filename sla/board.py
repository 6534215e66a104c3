"""The overdue board's data (DESIGN.md §7 "Supervisor board"; API.md "Boards"): a handful of
aggregate queries whatever the number of cases, so the page and the API stay fast at scale.

Counts are of cases (distinct: a case with two live timers of one colour counts once) with live
timers (``sla.models.LIVE``) per responsible department and stage, by the one colour rule (``sla.deadlines.clock_colour``, here as ``colour_condition``): ``running``
(green), ``warning`` (amber, past 80 %), ``breached`` (red, past 100 %), ``paused`` (on hold);
``escalated`` is the subset of live timers that have had at least one supervision order by
escalation. The return window is not anybody's work and is left out; so is feedback (the
citizen's clock). ``counted_timers`` is the one definition behind each count: the console case
list filters with it, so a count's link lists exactly the cases it counts.
"""

from __future__ import annotations

import datetime as dt
import heapq
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from cases.models import Department

from . import board_counts, selectors
from .board_counts import BOARD_STAGES, COUNTS
from .deadlines import colour_condition
from .enums import ClockColour, Stage, TimerStatus
from .models import LIVE, Timer
from .urges import board_urges

COLOURS = ("running", "warning", "breached", "paused")


def count_condition(count: str, *, now: dt.datetime) -> Q:
    """Q on Timer: the live timers behind one of the board's ``COUNTS``."""
    if count == "escalated":
        return LIVE & Q(escalation_level__gte=1)
    if count in COLOURS:
        return colour_condition(ClockColour(count), now=now)
    raise ValueError(f"unknown board count {count!r}")


def counted_timers(
    *, now: dt.datetime, count: str | None = None, department: str | None = None, stage: str | None = None
):
    """The live timers of the board's stages behind a count, optionally of one responsible
    department (code) and stage; ``.values("case_id")`` gives the cases it counts."""
    qs = Timer.objects.filter(LIVE, stage__in=BOARD_STAGES)
    if count:
        qs = qs.filter(count_condition(count, now=now))
    if department:
        qs = qs.filter(department__code=department)
    if stage:
        qs = qs.filter(stage=stage)
    return qs


OLDEST_LIMIT = 20


def _dept(dept: Department | None) -> dict[str, Any] | None:
    return {"code": dept.code, "name": dept.name} if dept is not None else None


def overdue_seconds(due_at: dt.datetime, now: dt.datetime) -> int:
    return max(0, int((now - due_at).total_seconds()))


CountRows = dict[tuple[int | None, str], dict[str, int]]


def counted_directly(now: dt.datetime) -> tuple[CountRows, dict[str, int]]:
    """The board's counts from the timers themselves: one aggregate per (department, stage) over
    the live-timer index (distinct cases), one over the whole board. The definition; on
    PostgreSQL the counters of ``sla.board_counts`` give the same figures from a few hundred rows."""
    counts = {k: Count("case_id", distinct=True, filter=count_condition(k, now=now)) for k in COUNTS}
    live = Timer.objects.filter(LIVE, stage__in=BOARD_STAGES)
    rows = {
        (r["department_id"], r["stage"]): {k: r[k] for k in COUNTS}
        for r in live.values("department_id", "stage").annotate(**counts).order_by()
    }
    return rows, live.aggregate(**counts)


def board_counts_at(now: dt.datetime) -> tuple[CountRows, dict[str, int]]:
    """({(department_id, stage): counts}, totals) at ``now``: from the counters where the
    database keeps them (PostgreSQL), else counted directly."""
    return board_counts.counts(now) if board_counts.kept() else counted_directly(now)


def _rows(counted: CountRows) -> list[dict[str, Any]]:
    depts = Department.objects.in_bulk({d for d, _ in counted if d})
    order = {s: i for i, s in enumerate(BOARD_STAGES)}
    out = [
        {
            "department": _dept(depts.get(dept_id)),
            "stage": stage,
            "stage_label": str(Stage(stage).label),
            **{k: values[k] for k in COUNTS},
        }
        for (dept_id, stage), values in counted.items()
    ]
    out.sort(key=lambda r: ((r["department"] or {}).get("code", ""), order[r["stage"]]))
    return out


def board_rows(now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """One row per (department, stage) with live timers, ordered by department code and stage."""
    return _rows(board_counts_at(now or timezone.now())[0])


def oldest_breached(now: dt.datetime, limit: int = OLDEST_LIMIT) -> list[dict[str, Any]]:
    """The red clocks (``clock_colour``) that are most overdue. Red is "breached" or "running past
    ``due_at``" (not swept yet): each is read in deadline order from its own partial index, so
    neither sorts the thousands of red clocks of a big board, and the two are merged here."""
    red = (
        Timer.objects.filter(
            stage__in=BOARD_STAGES, case__about_staff_of__isnull=True
        )  # staff reports: their queue only
        .select_related("case", "department")
        .order_by("due_at", "pk")
    )
    breached = red.filter(LIVE, status=TimerStatus.BREACHED)[:limit]
    unswept = red.filter(LIVE, status=TimerStatus.RUNNING, due_at__lte=now)[:limit]
    timers = heapq.nsmallest(limit, [*breached, *unswept], key=lambda t: (t.due_at, t.pk))
    return [
        {
            "tracking_no": t.case.tracking_no,
            "title": t.case.title,
            "department": _dept(t.department),
            "stage": t.stage,
            "stage_label": str(Stage(t.stage).label),
            "due_at": t.due_at,
            "overdue_seconds": overdue_seconds(t.due_at, now),
            "escalation_level": t.escalation_level,
        }
        for t in timers
    ]


def totals(now: dt.datetime) -> dict[str, int]:
    """Distinct cases per count over the whole board (not the sum of its rows: a case whose
    clocks run in two rows is one case)."""
    return board_counts_at(now)[1]


def overdue_board(now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything the board shows; a few queries whatever the number of cases."""
    now = now or timezone.now()
    counted, board_totals = board_counts_at(now)
    return {
        "generated_at": now,
        "totals": board_totals,
        "rows": _rows(counted),
        "oldest_breached": oldest_breached(now),
        "supervision_orders": selectors.open_orders(),
        "pending_extensions": selectors.pending_extensions(),
        "urges": board_urges(),  # 群众催办 on open cases (sla.urges; issue 13)
    }
