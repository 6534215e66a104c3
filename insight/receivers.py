"""Reactions of the insight app: a lead case's approved answer answers its jointly handled cases."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from cases.domain import case_changed
from cases.enums import Transition
from cases.models import Case, CaseEvent

from .joint import joint_answer_linked


@receiver(case_changed, dispatch_uid="insight_joint_answer_on_case_changed")
def on_case_changed(
    sender: Any, *, case: Case, action: str, event: CaseEvent, actor: Any = None, **kwargs: Any
) -> None:
    if action in (Transition.APPROVE, Transition.RESOLVE_DIRECTLY) and case.joint_linked.exists():
        joint_answer_linked(lead=case, actor=actor, now=event.at)
