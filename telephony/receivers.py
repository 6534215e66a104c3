"""Reactions to cases.domain.case_changed."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from cases.domain import case_changed
from cases.enums import Transition


@receiver(case_changed, dispatch_uid="telephony.link_hotline_case")
def link_hotline_case(sender: Any, *, case: Any, action: str, actor: Any, **kwargs: Any) -> None:
    """A hotline case an agent registers belongs to the call that agent is on: no call_sid
    needs to travel through the intake form (cases knows nothing of telephony)."""
    if action != Transition.REGISTER:
        return
    from .services import link_registered_case

    link_registered_case(case=case, actor=actor)
