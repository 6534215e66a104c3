"""Who may act on extensions and supervision orders: named predicates used both by the services
(their permission checks) and by the pages (which forms to show), so the two never disagree.

Each ``may_…`` is "this user may do it now"; the services refuse with 403 when the ``is_…`` part
(who) fails and with 409 when only the state part (pending, unanswered, case stage) does.
"""

from __future__ import annotations

from cases import rules
from cases.enums import Role, State
from cases.models import Case, User

from .enums import ExtensionStatus
from .models import Extension, SupervisionOrder

# A department may ask for more time while the case is with it and not yet answered.
EXTENDABLE_STATES = frozenset({State.ASSIGNED, State.IN_PROGRESS})
# An order goes to a department (or, before assignment, to the dispatch desk): its clerks and head,
# or the desk's dispatchers, answer it.
ORDER_ANSWERING_ROLES = rules.DEPARTMENT_ROLES | {Role.DISPATCHER}


def may_request_extension(user: User | None, case: Case) -> bool:
    """The case's lead department (clerk or head), while the case is assigned or in progress."""
    return rules.is_case_department(user, case) and case.state in EXTENDABLE_STATES


def is_extension_decider(user: User | None) -> bool:
    """Supervisors and administrators decide extension requests."""
    return rules.is_supervisor(user)


def may_decide_extension(user: User | None, extension: Extension) -> bool:
    """A supervisor, while the request is pending."""
    return is_extension_decider(user) and extension.status == ExtensionStatus.PENDING


def is_order_addressee(user: User | None, order: SupervisionOrder) -> bool:
    """The user works for the department the order is addressed to, in a role that answers it."""
    return (
        rules.role_of(user) in ORDER_ANSWERING_ROLES
        and order.department_id is not None
        and user.department_id == order.department_id
    )


def may_answer_order(user: User | None, order: SupervisionOrder) -> bool:
    """The addressed department, once."""
    return is_order_addressee(user, order) and order.answered_at is None
