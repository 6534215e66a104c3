"""Issue 12's figures for the monthly report: per department, the cases it received at any level
(from the dispatcher, or forwarded down to it: 二次派单), and the disputes about its returns
(派单争议) with how many the supervisor assigned back to it. A small addition beside
``web.figures.metrics``; the counts come from ``cases.forwarding``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cases import forwarding
from cases.models import Department

from .metrics import month_bounds


@dataclass(frozen=True)
class DispatchRow:
    department: Department
    received: int
    forwarded_in: int
    disputes: int
    assigned_back: int


def dispatch_rows(month: date) -> list[DispatchRow]:
    """One row per department with anything to count in ``month`` (local month), by code."""
    since, until = month_bounds(month)
    levels = forwarding.assignment_counts(since=since, until=until)
    disputes = forwarding.dispute_counts(since=since, until=until)
    codes = sorted(set(levels) | set(disputes))
    departments = {d.code: d for d in Department.objects.filter(code__in=codes)}
    return [
        DispatchRow(
            department=departments[code],
            received=levels.get(code, {}).get("received", 0),
            forwarded_in=levels.get(code, {}).get("forwarded_in", 0),
            disputes=disputes.get(code, {}).get("disputes", 0),
            assigned_back=disputes.get(code, {}).get("assigned_back", 0),
        )
        for code in codes
        if code in departments
    ]
