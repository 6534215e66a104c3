"""Reactions of the sla app: a case action moves the case's timers; a calendar change recounts them.

Both run inside the transaction that caused them (the case action's, with the case row locked;
the calendar edit's), so timers commit or roll back with it. The rules live in ``timers``:
``timers_apply`` is the policy of which action starts, stops, pauses or resumes which clock.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from cases.domain import case_changed
from cases.models import Case, CaseEvent

from . import (
    signals_calendar,  # noqa: F401  (announces sla.calendar.calendar_changed)
    timers,
)
from .calendar import calendar_changed


@receiver(case_changed, dispatch_uid="sla_timers_on_case_changed")
def on_case_changed(sender: Any, *, case: Case, action: str, event: CaseEvent, **kwargs: Any) -> None:
    timers.timers_apply(case=case, action=action, at=event.at, payload=kwargs.get("payload"))


@receiver(calendar_changed, dispatch_uid="sla_timers_on_calendar_changed")
def on_calendar_changed(sender: Any, calendar: Any, **kwargs: Any) -> None:
    timers.timers_recompute_for_calendar(calendar=calendar)
