"""The overdue board's data (DESIGN.md §7 "Supervisor board"; API.md "Boards"): a handful of
aggregate queries whatever the number of cases, so the page and the API stay fast at scale.

Counts are of live timers (not stopped) per responsible department and stage, disjoint:
``running`` (on time, not yet warned), ``warning`` (past 80 %, amber), ``breached`` (past
100 %, red), ``paused`` (on hold); ``escalated`` is the subset of live timers that have had
at least one supervision order by escalation. The return window is not anybody's work and
is left out; so is feedback (the citizen's clock).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from cases.models import Department

from .enums import ExtensionStatus, Stage, TimerStatus
from .models import Extension, SupervisionOrder, Timer

BOARD_STAGES = (Stage.TRIAGE, Stage.SIGN_FOR, Stage.REPLY, Stage.REVIEW)
OLDEST_LIMIT = 20
LIST_LIMIT = 50


def _dept(code: str | None, name_zh: str | None, name_en: str | None) -> dict[str, Any] | None:
    if code is None:
        return None
    return {"code": code, "name": Department(code=code, name_zh=name_zh or "", name_en=name_en or "").name}


def overdue_seconds(due_at: dt.datetime, now: dt.datetime) -> int:
    return max(0, int((now - due_at).total_seconds()))


def board_rows() -> list[dict[str, Any]]:
    """One row per (department, stage) with live timers; one query."""
    live = Timer.objects.filter(stopped_at__isnull=True, stage__in=BOARD_STAGES)
    rows = (
        live.values("department__code", "department__name_zh", "department__name_en", "stage")
        .annotate(
            running=Count("id", filter=Q(status=TimerStatus.RUNNING, warned_at__isnull=True)),
            warning=Count("id", filter=Q(status=TimerStatus.RUNNING, warned_at__isnull=False)),
            breached=Count("id", filter=Q(status=TimerStatus.BREACHED)),
            paused=Count("id", filter=Q(status=TimerStatus.PAUSED)),
            escalated=Count("id", filter=Q(escalation_level__gte=1)),
        )
        .order_by("department__code", "stage")
    )
    order = {s: i for i, s in enumerate(BOARD_STAGES)}
    out = [
        {
            "department": _dept(r["department__code"], r["department__name_zh"], r["department__name_en"]),
            "stage": r["stage"], "stage_label": str(Stage(r["stage"]).label),
            **{k: r[k] for k in ("running", "warning", "breached", "paused", "escalated")},
        }
        for r in rows
    ]
    out.sort(key=lambda r: ((r["department"] or {}).get("code", ""), order[r["stage"]]))
    return out


def oldest_breached(now: dt.datetime, limit: int = OLDEST_LIMIT) -> list[dict[str, Any]]:
    """The live breached timers that are most overdue; one query."""
    qs = (
        Timer.objects.filter(stopped_at__isnull=True, status=TimerStatus.BREACHED, stage__in=BOARD_STAGES)
        .select_related("case", "department").order_by("due_at")[:limit]
    )
    return [
        {
            "tracking_no": t.case.tracking_no, "title": t.case.title,
            "department": _dept(*(
                (t.department.code, t.department.name_zh, t.department.name_en) if t.department else (None,) * 3
            )),
            "stage": t.stage, "stage_label": str(Stage(t.stage).label), "due_at": t.due_at,
            "overdue_seconds": overdue_seconds(t.due_at, now), "escalation_level": t.escalation_level,
        }
        for t in qs
    ]


def open_supervision_orders(limit: int = LIST_LIMIT) -> list[SupervisionOrder]:
    return list(
        SupervisionOrder.objects.filter(answered_at__isnull=True)
        .select_related("case", "department", "issued_by").order_by("-level", "issued_at")[:limit]
    )


def pending_extensions(limit: int = LIST_LIMIT) -> list[Extension]:
    return list(
        Extension.objects.filter(status=ExtensionStatus.PENDING)
        .select_related("case", "department", "requested_by").order_by("requested_at")[:limit]
    )


def totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    keys = ("running", "warning", "breached", "paused", "escalated")
    return {k: sum(r[k] for r in rows) for k in keys}


def overdue_board(now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything the board shows; four queries."""
    now = now or timezone.now()
    rows = board_rows()
    return {
        "generated_at": now,
        "totals": totals(rows),
        "rows": rows,
        "oldest_breached": oldest_breached(now),
        "supervision_orders": open_supervision_orders(),
        "pending_extensions": pending_extensions(),
    }
