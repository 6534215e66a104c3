"""Helpers for the stats tests: fixed moments, and the fields other helpers' services set."""

from __future__ import annotations

from datetime import datetime

from cases.enums import Transition
from cases.models import Case
from cases.services import case_action
from tests.cases.publication.helpers import SHANGHAI


def at(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def contact(case: Case, actor, when: datetime) -> Case:
    """The department's contact with the citizen (the answer side's reply form sets it), through
    ``case_action`` like any service."""
    with case_action(case, actor=actor, action=Transition.NOTE, note="已电话联系", now=when) as act:
        act.case.contacted_at = when
    return act.case


def citizen_says_resolved(case: Case, resolved: bool, when: datetime) -> Case:
    """The citizen's answer to "is it solved?" (the citizen side's rating form sets it)."""
    with case_action(case, actor=None, action=Transition.NOTE, note="回访", now=when) as act:
        act.case.feedback_resolved = resolved
    return act.case
