"""Reactions of the insight app to case actions, inside the action's transaction: an assignment
decides the case's shown suggestion (taken or not); a lead case's approved answer answers its
jointly handled cases. (The wallboard is nudged by the insight worker, not per action: see
``insight.live``.)"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from cases.domain import case_changed
from cases.enums import Transition
from cases.models import Case, CaseEvent

from .joint import joint_answer_linked
from .services import dispatch_suggestion_decide


@receiver(case_changed, dispatch_uid="insight_on_case_changed")
def on_case_changed(
    sender: Any, *, case: Case, action: str, event: CaseEvent, actor: Any = None, **kwargs: Any
) -> None:
    if action == Transition.ASSIGN:
        dispatch_suggestion_decide(case=case, department=case.department.code, now=event.at)
    if action in (Transition.APPROVE, Transition.RESOLVE_DIRECTLY) and case.joint_linked.exists():
        joint_answer_linked(lead=case, actor=actor, now=event.at)
