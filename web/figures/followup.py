"""The citizen's follow-up in the monthly report (issue 13): urges (催办) and what became of the
dissatisfied ratings (不满意 → a supervisor's decision: reopen 重办, or close 维持办结).

Counted by the month of the event (local time), per department: urges by the urged case's
department; a dissatisfied rating and its decision by the department whose answer was rated (the
``department`` the feedback event recorded). ``pending`` is how many of the month's dissatisfied
ratings still wait for a decision now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Q
from django.db.models.fields.json import KeyTextTransform

from cases.enums import Rating, State, Transition
from cases.models import CaseEvent, Department
from sla.urges import urge_counts

from .metrics import month_bounds


@dataclass
class FollowUpRow:
    department: Department | None
    urges: int = 0
    urged_cases: int = 0
    dissatisfied: int = 0
    reopened: int = 0
    upheld: int = 0
    pending: int = 0


def followup_figures(month: date) -> dict[str, Any]:
    """``{"rows": [FollowUpRow…] (most urged, then most dissatisfied first), "total": FollowUpRow}``.
    Counted in the database, so the cost does not grow with the month's ratings: urges (one
    aggregate), the dissatisfied ratings and the decisions per rated department (one aggregate),
    the ratings still waiting (one read of those few), the departments."""
    start, end = month_bounds(month)
    by_code: dict[str, FollowUpRow] = {}
    by_id: dict[int | None, FollowUpRow] = {}
    for r in urge_counts(since=start, until=end):
        dept = r["department"]
        row = by_id.setdefault(dept.pk if dept else None, FollowUpRow(department=dept))
        row.urges, row.urged_cases = r["urges"], r["cases"]
    month_events = CaseEvent.objects.filter(at__gte=start, at__lt=end).order_by()
    dissatisfied = Q(transition=Transition.FEEDBACK, data__rating=Rating.DISSATISFIED)
    decided = Q(transition__in=[Transition.REOPEN, Transition.CLOSE], from_state=State.PENDING_DECISION)
    # The department whose answer was rated: the one the feedback event names, and the one a
    # decision names (a close: its case's department; a reopen: the department it was taken from).
    rated = month_events.filter(dissatisfied | decided).values(
        "transition",
        code=KeyTextTransform("department", "data"),
        taken_from=KeyTextTransform("rated_department", "data"),
    )
    for r in rated.annotate(n=Count("pk")):
        if r["transition"] == Transition.FEEDBACK:
            by_code.setdefault(r["code"] or "", FollowUpRow(department=None)).dissatisfied += r["n"]
        elif r["transition"] == Transition.REOPEN:
            by_code.setdefault(r["taken_from"] or "", FollowUpRow(department=None)).reopened += r["n"]
        else:
            by_code.setdefault(r["code"] or "", FollowUpRow(department=None)).upheld += r["n"]
    # A case still waiting counts once, for the department of its latest rating of the month.
    pending: dict[int, str] = {}
    waiting = month_events.filter(dissatisfied, case__state=State.PENDING_DECISION).order_by("case_id", "seq")
    for case_id, code in waiting.values_list("case_id", KeyTextTransform("department", "data")):
        pending[case_id] = code or ""
    for code in pending.values():
        by_code.setdefault(code, FollowUpRow(department=None)).pending += 1
    depts = Department.objects.in_bulk([c for c in by_code if c], field_name="code")
    for code, counted in by_code.items():
        dept = depts.get(code)
        row = by_id.setdefault(dept.pk if dept else None, FollowUpRow(department=dept))
        row.dissatisfied += counted.dissatisfied
        row.reopened += counted.reopened
        row.upheld += counted.upheld
        row.pending += counted.pending
    rows = sorted(
        by_id.values(),
        key=lambda r: (-r.urges, -r.dissatisfied, r.department.code if r.department else ""),
    )
    total = FollowUpRow(department=None)
    for r in rows:
        for name in ("urges", "urged_cases", "dissatisfied", "reopened", "upheld", "pending"):
            setattr(total, name, getattr(total, name) + getattr(r, name))
    return {"rows": rows, "total": total}


FOLLOWUP_FIELDS = ("urges", "urged_cases", "dissatisfied", "reopened", "upheld", "pending")


def followup_json(figures: dict[str, Any]) -> dict[str, Any]:
    """``followup_figures`` for the reports API: rows by department code (``null``: not yet
    assigned, or a rating that named none) and the total."""

    def row(r: FollowUpRow) -> dict[str, Any]:
        dept = r.department
        return {
            "department": dept.code if dept else None,
            "department_name": dept.name if dept else None,
            **{name: getattr(r, name) for name in FOLLOWUP_FIELDS},
        }

    total = figures["total"]
    return {"rows": [row(r) for r in figures["rows"]], "total": {n: getattr(total, n) for n in FOLLOWUP_FIELDS}}
