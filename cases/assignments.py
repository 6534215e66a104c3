"""The levels a case passes (二次派单): one ``CaseAssignment`` row per department that held it.

``assignments_apply`` is the policy, row by row like ``sla.timers.timers_apply``: which case action
opens, moves or ends which level. It runs inside the action's transaction with the case row locked
(``cases.services._record`` calls it, right before ``case_changed`` is sent), so the rows commit or
roll back with the action. The deepest open row is the department holding the case.
"""

from __future__ import annotations

import datetime as dt

from .enums import State, Transition
from .models import Case, User
from .models_dispatch import AssignmentState, CaseAssignment


def open_assignments(case: Case) -> list[CaseAssignment]:
    """The case's open levels, top (the lead department) first."""
    return list(CaseAssignment.objects.filter(case=case, ended_at__isnull=True).order_by("level", "id"))


def _deepest(case: Case) -> CaseAssignment | None:
    return CaseAssignment.objects.filter(case=case, ended_at__isnull=True).order_by("-level", "-id").first()


def _set(row: CaseAssignment | None, *, state: str, now: dt.datetime, end: bool = False, **fields: object) -> None:
    if row is None:
        return
    row.state = state
    for name, value in fields.items():
        setattr(row, name, value)
    if end:
        row.ended_at = now
    row.save(update_fields=["state", "ended_at", *fields])


def _close_all(case: Case, *, now: dt.datetime, state: str = AssignmentState.CLOSED) -> None:
    CaseAssignment.objects.filter(case=case, ended_at__isnull=True).update(state=state, ended_at=now)


def assignments_apply(*, case: Case, action: str, actor: User | None, now: dt.datetime, instructions: str = "") -> None:
    """Apply one case action to the case's levels (see the module docstring)."""
    match action:
        case Transition.ASSIGN | Transition.REOPEN | Transition.ARBITRATE:
            _close_all(case, now=now)
            CaseAssignment.objects.create(
                case=case,
                department_id=case.department_id,
                level=0,
                instructions=instructions or case.instructions,
                assigned_by=actor,
                assigned_at=now,
            )
        case Transition.FORWARD:
            parent = _deepest(case)
            _set(parent, state=AssignmentState.FORWARDED, now=now)
            CaseAssignment.objects.create(
                case=case,
                department_id=case.handling_department_id,
                parent=parent,
                level=(parent.level + 1) if parent else 1,
                instructions=instructions,
                assigned_by=actor,
                assigned_at=now,
            )
        case Transition.SIGN_FOR:
            _set(_deepest(case), state=AssignmentState.IN_PROGRESS, now=now, signed_at=now)
        case Transition.REPLY:
            _set(_deepest(case), state=AssignmentState.REPLIED, now=now, replied_at=now)
        case Transition.APPROVE_UP:
            _set(_deepest(case), state=AssignmentState.APPROVED, now=now, end=True)
            # The reviewing level now answers upwards with the reply it adopted.
            _set(_deepest(case), state=AssignmentState.REPLIED, now=now, replied_at=now)
        case Transition.SEND_DOWN:
            _set(_deepest(case), state=AssignmentState.IN_PROGRESS, now=now)
        case Transition.RETURN_UP:
            _set(_deepest(case), state=AssignmentState.RETURNED, now=now, end=True)
            _set(_deepest(case), state=AssignmentState.IN_PROGRESS, now=now)
        case Transition.RETURN:
            _close_all(case, now=now, state=AssignmentState.RETURNED)
        case Transition.SEND_BACK:
            _set(_deepest(case), state=AssignmentState.IN_PROGRESS, now=now)
        case Transition.APPROVE:
            _close_all(case, now=now, state=AssignmentState.APPROVED)
        case Transition.FEEDBACK | Transition.AUTO_CLOSE | Transition.REJECT | Transition.MERGE:
            if case.state in {State.CLOSED, State.REJECTED, State.MERGED}:
                _close_all(case, now=now)
