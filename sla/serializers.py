"""The one JSON shape of each sla object that leaves the app: the case detail's ``timers``,
``extensions`` and ``supervision`` (API.md "Cases"), the extension and supervision endpoints' answers, the overdue
board's lists and the real-time events all use these functions, so a new column joins the
promise only when it is written down here.

People appear by username (what integrators match on) and by display name (``…_name``, what a
person reads); departments by code; datetimes ISO 8601 with the local offset.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from cases.models import Case

from .deadlines import case_timers
from .enums import SupervisionLevel
from .models import Extension, SupervisionOrder, Timer

# The documented fields, in order; tests/sla/test_serializers.py holds the functions to them.
TIMER_FIELDS = ("id", "stage", "started_at", "due_at", "warn_at", "status", "calendar_incomplete")
EXTENSION_FIELDS = (
    "id",
    "tracking_no",
    "timer",
    "department",
    "status",
    "requested_by",
    "requested_by_name",
    "requested_at",
    "previous_due_at",
    "until",
    "reason",
    "decided_by",
    "decided_by_name",
    "decided_at",
    "decision_note",
)
ORDER_FIELDS = (
    "id",
    "tracking_no",
    "timer",
    "level",
    "level_label",
    "department",
    "escalation",
    "issued_by",
    "issued_by_name",
    "issued_at",
    "note",
    "answered_by",
    "answered_by_name",
    "answered_at",
    "answer",
    "answer_by",  # issue 12: the date the supervisor wants the answer by (null if none)
)


def iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value is not None else None  # +08:00, as API.md shows


def _username(user: Any) -> str | None:
    return user.username if user is not None else None


def _name(user: Any) -> str | None:
    return user.display_name if user is not None else None


def timer_data(t: Timer) -> dict[str, Any]:
    """A timer: API.md's ``timers`` fields ``stage``, ``started_at``, ``due_at``, ``warn_at``, ``status``
    (running/paused/met/breached), ``calendar_incomplete``, and its ``id`` (which extensions and
    supervision orders name as their ``timer``; the API has always carried it)."""
    return {
        "id": t.pk,
        "stage": t.stage,
        "started_at": iso(t.started_at),
        "due_at": iso(t.due_at),
        "warn_at": iso(t.warn_at),
        "status": t.status,
        "calendar_incomplete": t.calendar_incomplete,
    }


def timers_data(case: Case, *, fresh: bool = False) -> list[dict[str, Any]]:
    """Every timer of the case, oldest first (from the prefetch of ``sla.deadlines.prefetch_timers``
    when the case comes from a prepared list). ``fresh``: the case object was just registered, so
    its clocks are the ones ``timers_apply`` started on it (``case.fresh_timers``), not read back."""
    timers = getattr(case, "fresh_timers", None) if fresh else None
    return [timer_data(t) for t in (timers if timers is not None else case_timers(case))]


def extension_data(e: Extension) -> dict[str, Any]:
    """An extension request: ``id``, ``tracking_no``, ``timer`` (the reply timer's id), ``department``
    (code), ``status`` (pending/granted/refused), ``requested_by`` / ``requested_by_name``,
    ``requested_at``, ``previous_due_at``, ``until``, ``reason``, ``decided_by`` / ``decided_by_name``,
    ``decided_at``, ``decision_note`` (null/blank until decided).

    Reads ``e.case``, ``e.department``, ``e.requested_by`` and ``e.decided_by``: join them
    (``sla.selectors`` does) when serialising a list."""
    return {
        "id": e.pk,
        "tracking_no": e.case.tracking_no,
        "timer": e.timer_id,
        "department": e.department.code,
        "status": e.status,
        "requested_by": _username(e.requested_by),
        "requested_by_name": _name(e.requested_by),
        "requested_at": iso(e.requested_at),
        "previous_due_at": iso(e.previous_due_at),
        "until": iso(e.until),
        "reason": e.reason,
        "decided_by": _username(e.decided_by),
        "decided_by_name": _name(e.decided_by),
        "decided_at": iso(e.decided_at),
        "decision_note": e.decision_note,
    }


def order_data(o: SupervisionOrder) -> dict[str, Any]:
    """A supervision order: ``id``, ``tracking_no``, ``timer`` (the escalated timer's id, null when a
    supervisor issued it), ``level`` (1/2/3), ``level_label``, ``department`` (code, null if none),
    ``escalation`` (issued by the sweeper), ``issued_by`` / ``issued_by_name`` (null for an escalation),
    ``issued_at``, ``note``, ``answered_by`` / ``answered_by_name``, ``answered_at``, ``answer``,
    ``answer_by`` (the answer-by date a supervisor set, or null).

    Reads ``o.case``, ``o.department``, ``o.issued_by`` and ``o.answered_by``: join them when
    serialising a list."""
    return {
        "id": o.pk,
        "tracking_no": o.case.tracking_no,
        "timer": o.timer_id,
        "level": o.level,
        "level_label": str(SupervisionLevel(o.level).label),
        "department": o.department.code if o.department_id else None,
        "escalation": o.timer_id is not None,
        "issued_by": _username(o.issued_by),
        "issued_by_name": _name(o.issued_by),
        "issued_at": iso(o.issued_at),
        "note": o.note,
        "answered_by": _username(o.answered_by),
        "answered_by_name": _name(o.answered_by),
        "answered_at": iso(o.answered_at),
        "answer": o.answer,
        "answer_by": iso(o.answer_by),
    }
