"""The stats app's reaction to a case action: the case's month figures move with it, inside the
action's transaction (so the rollups commit or roll back with the case). The rule is in
``rollups.rollups_apply``."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from cases.domain import case_changed, cases_changed_in_batch
from cases.models import Case, CaseEvent

from . import rollups


@receiver(case_changed, dispatch_uid="stats_rollups_on_case_changed")
def on_case_changed(sender: Any, *, case: Case, action: str, event: CaseEvent, **kwargs: Any) -> None:
    if kwargs.get("batched"):
        return  # counted once for the whole batch below
    rollups.rollups_apply(case=case, action=action, event=event)


@receiver(cases_changed_in_batch, dispatch_uid="stats_rollups_on_cases_changed_in_batch")
def on_cases_changed_in_batch(sender: Any, *, case_ids: list[int], actions: set[str], **kwargs: Any) -> None:
    """A worker's batch (``cases.batch.record_many``): its cases are recounted in one go, unless
    none of its actions moves a figure (the sweeper's escalations)."""
    if actions <= rollups.FIGURE_NEUTRAL_ACTIONS:
        return
    rollups.rollups_refresh(case_ids)
