"""Who may do what: small named predicates used by the state machine and the selectors.

Each takes the acting user (``None`` for a citizen or the system) and the case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .enums import DraftStatus, Role, State

if TYPE_CHECKING:
    from .models import Case, User

STAFF_SEE_ALL = frozenset({Role.AGENT, Role.DISPATCHER, Role.SUPERVISOR, Role.LEADER, Role.ADMIN})
DEPARTMENT_ROLES = frozenset({Role.CLERK, Role.HEAD})
# Roles that need a citizen's full phone and ID number to do their job.
SEES_FULL_CONTACT = frozenset({Role.AGENT, Role.DISPATCHER, Role.ADMIN})


def role_of(user: User | None) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.role


def is_dispatch(user: User | None) -> bool:
    return role_of(user) in {Role.DISPATCHER, Role.ADMIN}


def is_intake(user: User | None) -> bool:
    return role_of(user) in {Role.AGENT, Role.DISPATCHER, Role.ADMIN}


def is_supervisor(user: User | None) -> bool:
    return role_of(user) in {Role.SUPERVISOR, Role.ADMIN}


def is_leadership(user: User | None) -> bool:
    """区领导: reads everything (contact data masked), the ranking and the 通报; acts on nothing."""
    return role_of(user) in {Role.LEADER, Role.ADMIN}


def is_case_department(user: User | None, case: Case) -> bool:
    """The user belongs to the case's lead department (assisting ones do not act on state)."""
    return (
        role_of(user) in DEPARTMENT_ROLES
        and case.department_id is not None
        and user.department_id == case.department_id
    )


def is_restricted(case: Case) -> bool:
    """A report (举报) about a department's own staff: only ``may_read_restricted`` users see it."""
    return case.about_staff_of_id is not None


def may_read_restricted(user: User | None) -> bool:
    """The restricted queue (纪检/督查): staff of a department that handles reports about staff,
    and administrators. Ordinary dispatchers, supervisors and the accused department do not."""
    role = role_of(user)
    if role == Role.ADMIN:
        return True
    if role not in DEPARTMENT_ROLES or not user.department_id:
        return False
    return bool(user.department.handles_staff_reports)


def can_see_case(user: User | None, case: Case) -> bool:
    if is_restricted(case):
        return may_read_restricted(user)
    role = role_of(user)
    if role in STAFF_SEE_ALL:
        return True
    if role in DEPARTMENT_ROLES and user.department_id:
        if case.department_id == user.department_id:
            return True
        return case.assisting_departments.filter(pk=user.department_id).exists()
    return False


# --- action permissions: (case, user) -> bool ------------------------------------------------
# The state machine declares them (django-fsm ``permission=``) and the services check them
# again under the row lock, before the state: an actor who may not act is refused (403) even
# when the case is also in the wrong state (409). See cases.services.case_action.


def may_register(user: User | None) -> bool:
    # Citizens (user None) register through the public channels; staff through intake.
    return user is None or role_of(user) in {Role.AGENT, Role.DISPATCHER, Role.CLERK, Role.HEAD, Role.ADMIN}


def may_resolve_directly(case: Case, user: User | None) -> bool:
    return is_intake(user)


def may_triage(case: Case, user: User | None) -> bool:
    # A report about staff never reaches the dispatchers: its restricted queue triages and reviews it.
    return is_dispatch(user) or (is_restricted(case) and may_read_restricted(user))


def may_handle(case: Case, user: User | None) -> bool:
    return is_case_department(user, case)


def may_return(case: Case, user: User | None) -> bool:
    # The department only while its return window is open; after it, a supervisor.
    return is_supervisor(user) or (may_handle(case, user) and case.return_window_open())


def may_reply(case: Case, user: User | None) -> bool:
    if not is_case_department(user, case):
        return False
    if case.department.reply_needs_head_approval:
        return user.role == Role.HEAD
    return True


def may_feedback(case: Case, user: User | None) -> bool:
    # The citizen (no account, proved by access code) or an agent doing the call-back.
    return user is None or role_of(user) in {Role.AGENT, Role.DISPATCHER, Role.ADMIN}


def may_auto_close(case: Case, user: User | None) -> bool:
    return user is None  # only the SLA worker, which acts as the system


def may_reopen(case: Case, user: User | None) -> bool:
    return is_supervisor(user)


def may_hold(case: Case, user: User | None) -> bool:
    return is_dispatch(user) or is_case_department(user, case)


def may_draft_reply(case: Case, user: User | None) -> bool:
    # A clerk of a department whose head submits replies prepares one while the case is in hand.
    return is_case_department(user, case) and case.state == State.IN_PROGRESS


def may_publish(case: Case, user: User | None) -> bool:
    return is_dispatch(user)


def may_withdraw(case: Case, user: User | None) -> bool:
    return is_dispatch(user) or is_supervisor(user)


def may_attach(case: Case, user: User | None) -> bool:
    """Add files to an open case: whoever registered it, dispatchers and admins, and the case's lead
    department. Supervisors and assisting departments read the files but add none; a finished case
    takes no more. The citizen's files come with the registration (``case_register``), not here."""
    if user is None or not case.is_open:
        return False
    return is_dispatch(user) or case.registered_by_id == user.pk or is_case_department(user, case)


def may_see_full_contact(user: User | None) -> bool:
    return role_of(user) in SEES_FULL_CONTACT


# --- the department's answer (issue 13) ---------------------------------------------------


def may_review_draft(case: Case, user: User | None) -> bool:
    """The head of a department whose replies need approval returns a clerk's waiting draft."""
    return (
        is_case_department(user, case)
        and user.role == Role.HEAD
        and case.state == State.IN_PROGRESS
        and case.reply_draft_status == DraftStatus.PENDING
    )


def is_assisting_department(user: User | None, case: Case) -> bool:
    return (
        role_of(user) in DEPARTMENT_ROLES
        and bool(user.department_id)
        and user.department_id != case.department_id
        and any(d.pk == user.department_id for d in case.assisting_departments.all())  # prefetched in lists
    )


def may_give_assist_opinion(case: Case, user: User | None) -> bool:
    """An assisting department (协办单位) gives its opinion while the lead department handles the case."""
    return case.state in {State.ASSIGNED, State.IN_PROGRESS} and is_assisting_department(user, case)
