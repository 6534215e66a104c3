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
    """``{"rows": [FollowUpRow…] (most urged, then most dissatisfied first), "total": FollowUpRow}``;
    three queries (urges, the month's feedback and decision events, the departments)."""
    start, end = month_bounds(month)
    by_code: dict[str, FollowUpRow] = {}
    by_id: dict[int | None, FollowUpRow] = {}
    for r in urge_counts(since=start, until=end):
        dept = r["department"]
        row = by_id.setdefault(dept.pk if dept else None, FollowUpRow(department=dept))
        row.urges, row.urged_cases = r["urges"], r["cases"]
    events = CaseEvent.objects.filter(at__gte=start, at__lt=end).filter(
        transition__in=[Transition.FEEDBACK, Transition.REOPEN, Transition.CLOSE]
    )
    # The department whose answer was rated: the one the feedback event names, and the one a
    # decision names (a close: its case's department; a reopen: the department it was taken from).
    pending: dict[int, str] = {}  # a case still waiting: the department of its latest rating
    for ev in events.order_by("case_id", "seq").values("case_id", "transition", "from_state", "data", "case__state"):
        data = ev["data"] or {}
        if ev["transition"] == Transition.FEEDBACK:
            if data.get("rating") != Rating.DISSATISFIED:
                continue
            row = by_code.setdefault(data.get("department", ""), FollowUpRow(department=None))
            row.dissatisfied += 1
            if ev["case__state"] == State.PENDING_DECISION:
                pending[ev["case_id"]] = data.get("department", "")
        elif ev["from_state"] == State.PENDING_DECISION:
            if ev["transition"] == Transition.REOPEN:
                by_code.setdefault(data.get("rated_department", ""), FollowUpRow(department=None)).reopened += 1
            else:
                by_code.setdefault(data.get("department", ""), FollowUpRow(department=None)).upheld += 1
    for code in pending.values():
        by_code[code].pending += 1
    depts = Department.objects.in_bulk([c for c in by_code if c], field_name="code")
    for code, rated in by_code.items():
        dept = depts.get(code)
        row = by_id.setdefault(dept.pk if dept else None, FollowUpRow(department=dept))
        row.dissatisfied += rated.dissatisfied
        row.reopened += rated.reopened
        row.upheld += rated.upheld
        row.pending += rated.pending
    rows = sorted(
        by_id.values(),
        key=lambda r: (-r.urges, -r.dissatisfied, r.department.code if r.department else ""),
    )
    total = FollowUpRow(department=None)
    for r in rows:
        for name in ("urges", "urged_cases", "dissatisfied", "reopened", "upheld", "pending"):
            setattr(total, name, getattr(total, name) + getattr(r, name))
    return {"rows": rows, "total": total}
