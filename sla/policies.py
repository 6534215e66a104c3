"""Which term applies to a case at a stage (DESIGN.md §4 "Policies").

The defaults of the design's table live here in code; ``Policy`` rows (editable in the
admin) override them. Among the active rows of the stage that match the case (an empty
field matches anything; a category also matches its sub-categories), the most specific
wins: the most fields set; on a tie priority outranks category, category kind, kind
channel; then the nearer category; then the newest row.

"Same day" (urgent replies) is ``Term(WORKING_DAYS, 0, …)``: the end of the current
working day — see ``sla.calendar``.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from cases.enums import LETTER_CHANNELS, Kind, Priority
from cases.models import Case, Category
from cases.refcache import RefData, category_by_id

from .calendar import Deadline, Schedule, compute_deadline
from .enums import Stage, TermUnit
from .models import Policy

DEFAULT_CALENDAR = "CN"


class Term(NamedTuple):
    unit: TermUnit
    value: int | float
    calendar_code: str


def _days(n: int) -> Term:
    return Term(TermUnit.WORKING_DAYS, n, DEFAULT_CALENDAR)


SAME_DAY = _days(0)
SHORT_KINDS = frozenset({Kind.CONSULTATION, Kind.HELP})


def default_term(case: Case, stage: str) -> Term:
    """The design's default table."""
    letter = case.channel in LETTER_CHANNELS
    urgent = case.priority == Priority.URGENT
    if stage == Stage.TRIAGE:
        if urgent:  # urgent cases are triaged first (issue 12): half a working hour, any channel
            return Term(TermUnit.WORKING_HOURS, 0.5, DEFAULT_CALENDAR)
        if letter:
            return Term(TermUnit.CALENDAR_DAYS, 15, DEFAULT_CALENDAR)
        return Term(TermUnit.WORKING_HOURS, 2, DEFAULT_CALENDAR)
    if stage == Stage.SIGN_FOR:
        return Term(TermUnit.WORKING_HOURS, 0.5, DEFAULT_CALENDAR) if urgent else _days(1)
    if stage == Stage.RETURN_WINDOW:
        return _days(5)
    if stage == Stage.REPLY:
        if urgent:  # stricter than any statutory maximum, so it comes first
            return SAME_DAY
        if letter:
            return Term(TermUnit.CALENDAR_DAYS, 60, DEFAULT_CALENDAR)
        return _days(3) if case.kind in SHORT_KINDS else _days(13)
    if stage == Stage.REVIEW:
        return _days(1)
    if stage == Stage.FEEDBACK:
        return _days(3)
    if stage == Stage.ASSIST:
        # The assisting department answers the lead one in time for it to include the opinion.
        return SAME_DAY if urgent else _days(2)
    raise ValueError(f"unknown stage: {stage}")


def _ancestors(category: Category | None) -> list[int]:
    """The category's id then its parents' ids, nearest first (parents from the process's copy of
    the categories: walking up costs no query)."""
    ids: list[int] = []
    while category is not None and category.pk not in ids:
        ids.append(category.pk)
        category = category_by_id(category.parent_id) if category.parent_id is not None else None
    return ids


def _load_policies() -> dict[str, list[Policy]]:
    by_stage: dict[str, list[Policy]] = {}
    for policy in Policy.objects.filter(active=True).select_related("calendar").order_by("pk"):
        by_stage.setdefault(policy.stage, []).append(policy)
    return by_stage


# The active policies by stage, once per process until a policy or calendar changes (cases.refcache).
active_policies = RefData("sla.policies", _load_policies, models=["sla.Policy", "sla.Calendar"])


def _score(policy: Policy, lineage: list[int]) -> tuple[int, ...]:
    fields = (bool(policy.priority), policy.category_id is not None, bool(policy.kind), bool(policy.channel))
    closeness = -lineage.index(policy.category_id) if policy.category_id is not None else 0
    return (sum(fields), *map(int, fields), closeness, policy.pk)


def matching_policy(case: Case, stage: str) -> Policy | None:
    lineage = _ancestors(category_by_id(case.category_id) if case.category_id else None)
    best: Policy | None = None
    best_score: tuple[int, ...] = ()
    for policy in active_policies.get().get(stage, ()):
        if policy.kind and policy.kind != case.kind:
            continue
        if policy.channel and policy.channel != case.channel:
            continue
        if policy.priority and policy.priority != case.priority:
            continue
        if policy.category_id is not None and policy.category_id not in lineage:
            continue
        score = _score(policy, lineage)
        if best is None or score > best_score:
            best, best_score = policy, score
    return best


def term_for(case: Case, stage: str) -> Term:
    """The term of ``stage`` for ``case``: the most specific matching policy, else the default."""
    policy = matching_policy(case, stage)
    if policy is None:
        return default_term(case, stage)
    value: int | float = float(policy.value) if policy.unit == TermUnit.WORKING_HOURS else int(policy.value)
    return Term(TermUnit(policy.unit), value, policy.calendar.code)


def deadline_for(term: Term, start: dt.datetime, *, schedule: Schedule | None = None) -> Deadline:
    """``compute_deadline`` for a Term (pass a loaded ``schedule`` of its calendar to save queries)."""
    calendar = schedule if schedule is not None and schedule.code == term.calendar_code else term.calendar_code
    return compute_deadline(calendar, start, **{str(term.unit): term.value})
