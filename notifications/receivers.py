"""Reactions to cases.domain.case_changed: the notices of ``notices.NOTICES`` (outbox rows written
in the action's transaction, real-time events sent after commit)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from cases.domain import case_changed
from cases.models import Case, CaseEvent

from .notices import notify_case_change


@receiver(case_changed, dispatch_uid="notifications.on_case_changed")
def on_case_changed(
    sender: Any, *, case: Case, event: CaseEvent, action: str, payload: dict[str, Any] | None = None, **kwargs: Any
) -> None:
    notify_case_change(case=case, event=event, action=action, payload=payload or {})
