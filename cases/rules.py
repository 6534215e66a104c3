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


def acting_department_id(case: Case) -> int | None:
    """The department that holds the case now: the sub-unit it was forwarded to (二次派单), else
    the lead department the dispatcher assigned it to."""
    return case.handling_department_id or case.department_id


def is_case_department(user: User | None, case: Case) -> bool:
    """The user belongs to the department holding the case: the lead department, or the sub-unit
    it was forwarded to (assisting ones do not act on state; a parent that forwarded it reviews)."""
    acting = acting_department_id(case)
    return role_of(user) in DEPARTMENT_ROLES and acting is not None and user.department_id == acting


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
        if user.department_id in {case.department_id, case.handling_department_id}:
            return True
        if case.assisting_departments.filter(pk=user.department_id).exists():
            return True
        # Every level a forwarded case passed keeps seeing it (cases.models_dispatch.CaseAssignment).
        # A level that handed it back as not its own (退单) no longer does.
        return case.assignments.filter(department_id=user.department_id).exclude(state="returned").exists()
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
    if acting_department(case).reply_needs_head_approval:
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


def may_transfer_emergency(case: Case, user: User | None) -> bool:
    """Hand a registered matter over to 110/119/120/122: the desk that takes it in (agents,
    dispatchers, admins)."""
    return is_intake(user)


# --- multi-tier dispatch (二次派单) and disputes (派单争议) -------------------------------


def acting_department(case: Case):
    return case.handling_department if case.handling_department_id else case.department


def is_forwarded(case: Case) -> bool:
    """The case is with a sub-unit of its lead department (FSM condition)."""
    return case.handling_department_id is not None


def is_not_forwarded(case: Case) -> bool:
    return case.handling_department_id is None


def may_forward(case: Case, user: User | None) -> bool:
    """The department holding the case forwards it down to one of its own sub-units."""
    return is_case_department(user, case)


def reviewing_department_id(case: Case) -> int | None:
    """Who reviews the holder's reply: the parent of the sub-unit holding the case."""
    if case.handling_department_id is None:
        return None
    return case.handling_department.parent_id


def may_review_sub_reply(case: Case, user: User | None) -> bool:
    """The department one level above the sub-unit approves its reply up or sends it back down."""
    parent = reviewing_department_id(case)
    return role_of(user) in DEPARTMENT_ROLES and parent is not None and user.department_id == parent


def was_returned(case: Case) -> bool:
    """The case came back from a department by a return (FSM condition of ``dispute``)."""
    return case.returned_from_id is not None


def may_dispute(case: Case, user: User | None) -> bool:
    return is_dispatch(user)


def may_arbitrate(case: Case, user: User | None) -> bool:
    return is_supervisor(user)


def may_reclassify(case: Case, user: User | None) -> bool:
    """The dispatcher corrects a wrong category, kind or priority while the case is open."""
    return is_dispatch(user) and case.is_open


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
