"""Who may do what of the sla app's writes: (case, user) -> bool, checked by ``case_action``."""

from __future__ import annotations

from cases import rules
from cases.models import Case, User


def may_request_extension(case: Case, user: User | None) -> bool:
    return rules.is_case_department(user, case)


def may_decide_extension(case: Case, user: User | None) -> bool:
    return rules.is_supervisor(user)


def may_issue_supervision(case: Case, user: User | None) -> bool:
    return rules.is_supervisor(user)
