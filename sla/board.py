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
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from cases.models import Department

from . import selectors
from .deadlines import colour_condition
from .enums import ClockColour, Stage
from .models import LIVE, Timer
from .urges import board_urges

BOARD_STAGES = (Stage.TRIAGE, Stage.SIGN_FOR, Stage.REPLY, Stage.REVIEW)
COUNTS = ("running", "warning", "breached", "paused", "escalated")
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


def board_rows(now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """One row per (department, stage) with live timers: one aggregate over the live-timer index
    (grouped by department id, so no join; distinct cases), then the departments' names."""
    now = now or timezone.now()
    rows = list(
        Timer.objects.filter(LIVE, stage__in=BOARD_STAGES)
        .values("department_id", "stage")
        .annotate(**{k: Count("case_id", distinct=True, filter=count_condition(k, now=now)) for k in COUNTS})
        .order_by()
    )
    depts = Department.objects.in_bulk({r["department_id"] for r in rows if r["department_id"]})
    order = {s: i for i, s in enumerate(BOARD_STAGES)}
    out = [
        {
            "department": _dept(depts.get(r["department_id"])),
            "stage": r["stage"],
            "stage_label": str(Stage(r["stage"]).label),
            **{k: r[k] for k in COUNTS},
        }
        for r in rows
    ]
    out.sort(key=lambda r: ((r["department"] or {}).get("code", ""), order[r["stage"]]))
    return out


def oldest_breached(now: dt.datetime, limit: int = OLDEST_LIMIT) -> list[dict[str, Any]]:
    """The red clocks (``clock_colour``) that are most overdue; one query."""
    qs = (
        Timer.objects.filter(colour_condition(ClockColour.BREACHED, now=now), stage__in=BOARD_STAGES)
        .filter(case__about_staff_of__isnull=True)  # reports about staff are listed nowhere but their queue
        .select_related("case", "department")
        .order_by("due_at")[:limit]
    )
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
        for t in qs
    ]


def totals(now: dt.datetime) -> dict[str, int]:
    """Distinct cases per count over the whole board (not the sum of its rows: a case whose
    clocks run in two rows is one case)."""
    return counted_timers(now=now).aggregate(
        **{k: Count("case_id", distinct=True, filter=count_condition(k, now=now)) for k in COUNTS}
    )


def overdue_board(now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything the board shows; eight queries whatever the number of cases."""
    now = now or timezone.now()
    rows = board_rows(now)
    return {
        "generated_at": now,
        "totals": totals(now),
        "rows": rows,
        "oldest_breached": oldest_breached(now),
        "supervision_orders": selectors.open_orders(),
        "pending_extensions": selectors.pending_extensions(),
        "urges": board_urges(),  # 群众催办 on open cases (sla.urges; issue 13)
    }
