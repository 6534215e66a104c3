"""Reactions to cases.domain.case_changed: every transition's effect on the case's timers.

Runs inside the action's transaction with the case row locked, so the timers commit
(or roll back) with the action. "Now" is the time of the audit event the action wrote.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.dispatch import receiver
from django.utils import timezone

from cases.domain import case_changed
from cases.enums import Transition
from cases.models import Case

from . import signals_calendar  # noqa: E402,F401  (announces sla.calendar.calendar_changed)
from . import timers
from .calendar import calendar_changed
from .enums import Stage


def _register(case: Case, now: dt.datetime) -> None:
    timers.timer_start(case=case, stage=Stage.TRIAGE, now=now)


def _assign(case: Case, now: dt.datetime) -> None:
    timers.timers_stop(case=case, now=now, stages=[Stage.TRIAGE])
    timers.timers_start_department(case=case, now=now)


def _close_triage(case: Case, now: dt.datetime) -> None:
    timers.timers_stop(case=case, now=now)


def _resolve_directly(case: Case, now: dt.datetime) -> None:
    timers.timers_stop(case=case, now=now)
    timers.timer_start(case=case, stage=Stage.FEEDBACK, now=now)


def _return(case: Case, now: dt.datetime) -> None:
    # The department's clocks stop (it handed the case back); the dispatch desk's starts again.
    timers.timers_stop(case=case, now=now)
    timers.timer_start(case=case, stage=Stage.TRIAGE, now=now)


def _sign_for(case: Case, now: dt.datetime) -> None:
    # Once signed for, the case can no longer be returned: the return window is moot.
    timers.timers_stop(case=case, now=now, stages=[Stage.SIGN_FOR, Stage.RETURN_WINDOW])


def _reply(case: Case, now: dt.datetime) -> None:
    timers.timers_stop(case=case, now=now, stages=[Stage.SIGN_FOR, Stage.RETURN_WINDOW, Stage.REPLY])
    timers.timer_start(case=case, stage=Stage.REVIEW, now=now)


def _send_back(case: Case, now: dt.datetime) -> None:
    timers.timers_stop(case=case, now=now, stages=[Stage.REVIEW])
    timers.timer_reopen_reply(case=case, now=now)


def _approve(case: Case, now: dt.datetime) -> None:
    timers.timers_stop(case=case, now=now)
    timers.timer_start(case=case, stage=Stage.FEEDBACK, now=now)


def _closed(case: Case, now: dt.datetime) -> None:
    timers.timers_stop(case=case, now=now)


def _reopen(case: Case, now: dt.datetime) -> None:
    timers.timers_stop(case=case, now=now)
    timers.timers_start_department(case=case, now=now)


def _hold(case: Case, now: dt.datetime) -> None:
    timers.timers_pause(case=case, now=now)


def _resume(case: Case, now: dt.datetime) -> None:
    timers.timers_resume(case=case, now=now)


EFFECTS: dict[str, Callable[[Case, dt.datetime], None]] = {
    Transition.REGISTER: _register,
    Transition.ASSIGN: _assign,
    Transition.REJECT: _close_triage,
    Transition.MERGE: _close_triage,
    Transition.RESOLVE_DIRECTLY: _resolve_directly,
    Transition.RETURN: _return,
    Transition.SIGN_FOR: _sign_for,
    Transition.REPLY: _reply,
    Transition.SEND_BACK: _send_back,
    Transition.APPROVE: _approve,
    Transition.FEEDBACK: _closed,
    Transition.AUTO_CLOSE: _closed,
    Transition.REOPEN: _reopen,
    Transition.HOLD: _hold,
    Transition.RESUME: _resume,
}


@receiver(case_changed, dispatch_uid="sla_timers_on_case_changed")
def on_case_changed(sender: Any, case: Case, action: str, event: Any = None, **kwargs: Any) -> None:
    effect = EFFECTS.get(action)
    if effect is not None:
        effect(case, event.at if event is not None else timezone.now())


@receiver(calendar_changed, dispatch_uid="sla_timers_on_calendar_changed")
def on_calendar_changed(sender: Any, calendar: Any, **kwargs: Any) -> None:
    timers.timers_recompute_for_calendar(calendar=calendar)
