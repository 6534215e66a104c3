"""Reads used by more than one edge: what a user may see, and how to present it."""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.db.models import Exists, Q, QuerySet

from . import audit, refcache, rules
from .enums import ANSWER_SHOWN_STATES, OPEN_STATES, Role, State
from .exceptions import CaseNotFound, CaseValidationError
from .models import Case, CaseEvent, Department, User
from .validation import id_number_is_valid, mask_id_number, mask_phone, normalize_phone

# The levels a case passed (CaseAssignment.state) whose department keeps seeing it: all but a return.
KEPT_LEVEL_STATES = ("assigned", "in_progress", "forwarded", "replied", "approved", "closed")


def cases_visible_to(user: User) -> QuerySet[Case]:
    """What ``rules.can_see_case`` allows, as a queryset: reports about a department's own staff
    (``rules.is_restricted``) only for ``rules.may_read_restricted`` users, as if absent for anyone else."""
    qs = Case.objects.select_related("category", "category__parent", "department", "handling_department")
    role = rules.role_of(user)
    if role == Role.ADMIN:
        return qs
    unrestricted = Q(about_staff_of__isnull=True)
    if role in rules.STAFF_SEE_ALL:
        return qs.filter(unrestricted)
    if role in rules.DEPARTMENT_ROLES and user.department_id:
        own = (
            Q(department_id=user.department_id)
            | Q(assisting_departments=user.department_id)
            # ... and every level a forwarded case passed (二次派单), except a level that handed it
            # back as not its own (退单).
            | Q(assignments__department_id=user.department_id, assignments__state__in=KEPT_LEVEL_STATES)
        )
        # rules.may_read_restricted, inside the same query (no extra read of the user's department).
        reads_restricted = Exists(Department.objects.filter(pk=user.department_id, handles_staff_reports=True))
        return qs.filter((unrestricted & own) | (Q(about_staff_of__isnull=False) & Q(reads_restricted))).distinct()
    return qs.none()


def dispatch_department() -> Department | None:
    """The dispatch desk (分拨中心): the department a case without one is counted against, whose
    clocks run before assignment and whose staff hear about returns. The active one with
    ``is_dispatch``; should there be several, the first by code, the same on every call. From the
    process's copy of the departments (``cases.refcache``)."""
    return refcache.dispatch_department()


def case_for_user(user: User, tracking_no: str) -> Case:
    case = cases_visible_to(user).filter(tracking_no=tracking_no).first()
    if case is None:
        raise CaseNotFound("工单不存在。")
    return case


def case_for_citizen(tracking_no: str, access_code: str) -> Case:
    """Both must match; a wrong code looks exactly like an unknown number."""
    case = Case.objects.select_related("department", "category").filter(tracking_no=(tracking_no or "").strip()).first()
    given = (access_code or "").strip().upper().encode()  # bytes: compare_digest refuses non-ASCII str
    if case is None or not secrets.compare_digest(case.access_code.encode(), given):
        raise CaseNotFound("流水号或查询码不正确。")
    return case


_SEPARATORS = re.compile(r"[\s\-()（）]")
_ID_PREFIX = re.compile(r"^\d{6,17}[\dX]?$")


def contact_query(q: str) -> tuple[str, str] | None:
    """``("phone", number)`` or ``("id_no", number)`` when the whole query is one complete, valid
    phone or ID number (normalised as stored); else ``None``."""
    try:
        phone = normalize_phone(q)
    except CaseValidationError:
        phone = ""
    if phone:
        return "phone", phone
    compact = _SEPARATORS.sub("", q or "").upper()
    if compact and id_number_is_valid(compact):
        return "id_no", compact
    return None


def search_cases(qs: QuerySet[Case], q: str, *, user: User | None = None) -> QuerySet[Case]:
    """Cases of ``qs`` matching ``q``: title or content containing it, the tracking number (or its
    start), and the citizen's contact data as the user may see it.

    A role that sees phone and ID numbers in full (``rules.may_see_full_contact``) finds them by any
    part (a phone) or start (an ID number). Any other role sees them masked, so matching a part
    would let it rebuild a number digit by digit: it finds a case by the complete value only, and
    the edge records each such search (``services.case_search``)."""
    q = (q or "").strip()[:100]
    if not q:
        return qs
    compact = _SEPARATORS.sub("", q).upper()
    cond = Q(title__icontains=q) | Q(content__icontains=q) | Q(tracking_no=q)
    if compact.isdigit():
        cond |= Q(tracking_no__startswith=compact)
    if rules.may_see_full_contact(user):
        if compact.isdigit():
            cond |= Q(citizen_phone__contains=compact)
        if _ID_PREFIX.match(compact):
            cond |= Q(citizen_id_no__startswith=compact)
    contact = contact_query(q)
    if contact is not None:
        kind, value = contact
        cond |= Q(citizen_phone=value) if kind == "phone" else Q(citizen_id_no=value)
    return qs.filter(cond)


def contact_for(user: User | None, case: Case) -> dict[str, str]:
    """The citizen block as this user may see it (masked where the role does not need it)."""
    full = rules.may_see_full_contact(user)
    return {
        "name": case.citizen_name,
        "phone": case.citizen_phone if full else mask_phone(case.citizen_phone),
        "email": case.citizen_email,
        "id_no": case.citizen_id_no if full else mask_id_number(case.citizen_id_no),
        "masked": not full,
    }


def caller_history(phone: str, *, limit: int = 10) -> tuple[list[Case], int]:
    """A caller's past cases (newest first) and how many are still open."""
    if not phone:
        return [], 0
    # Reports about staff stay out of the desk's history (rules.is_restricted).
    qs = Case.objects.select_related("category", "department").filter(citizen_phone=phone, about_staff_of__isnull=True)
    open_count = qs.filter(state__in=OPEN_STATES).count()
    return list(qs[:limit]), open_count


def public_timeline(case: Case) -> list[dict]:
    rows = []
    for ev in case.events.filter(public=True).order_by("seq"):
        rows.append(
            {
                "seq": ev.seq,
                "at": ev.at,
                "transition": ev.transition,
                "label": ev.transition_label,
                "to": ev.to_state,
                # Whose note the citizen may read is part of each action's registration (cases.audit).
                "note": ev.note if audit.note_is_public(ev.transition) else "",
            }
        )
    return rows


def dispatcher_queue(user: User) -> dict[str, QuerySet[Case]]:
    base = cases_visible_to(user)
    return {
        "triage": base.filter(state=State.REGISTERED).order_by("registered_at"),
        "review": base.filter(state=State.REPLIED).order_by("replied_at"),
    }


def holding(department_id: int | None) -> Q:
    """Cases the department holds now: as lead department (not forwarded down) or as the sub-unit."""
    return Q(handling_department_id=department_id) | Q(handling_department__isnull=True, department_id=department_id)


def department_inbox(user: User) -> dict[str, QuerySet[Case]]:
    base = cases_visible_to(user)
    dept = user.department_id
    mine = holding(dept)
    return {
        "to_sign": base.filter(mine, state=State.ASSIGNED).order_by("assigned_at"),
        "in_progress": base.filter(mine, state=State.IN_PROGRESS).order_by("assigned_at"),
        "replied": base.filter(
            Q(department_id=dept, state=State.REPLIED) | Q(handling_department_id=dept, state=State.SUB_REPLIED)
        ).order_by("-replied_at"),
        # 二次派单: replies of our sub-units to review, and cases we forwarded that are still below us.
        "sub_review": base.filter(handling_department__parent_id=dept, state=State.SUB_REPLIED).order_by("replied_at"),
        "forwarded": base.filter(
            assignments__department_id=dept,
            assignments__state="forwarded",
            assignments__ended_at__isnull=True,
        )
        .exclude(handling_department__parent_id=dept, state=State.SUB_REPLIED)
        .order_by("assigned_at"),
        "assisting": base.filter(assisting_departments=dept)
        .exclude(department_id=dept)
        .filter(state__in=[State.ASSIGNED, State.IN_PROGRESS, State.REPLIED])
        .prefetch_related("assisting_departments"),  # rules.is_assisting_department, per row
    }


def staff_role_home(user: User) -> str:
    return {
        Role.AGENT: "console:desk",
        Role.DISPATCHER: "console:queue",
        Role.CLERK: "console:inbox",
        Role.HEAD: "console:inbox",
        Role.SUPERVISOR: "console:cases",
        Role.LEADER: "reports:monthly",
        Role.ADMIN: "console:queue",
    }.get(user.role, "console:cases")


def verify_chain(case_id: int) -> tuple[bool, CaseEvent | None, str]:
    """(ok, first broken event, why) for one case: its chain, head and row (cases.integrity)."""
    from .integrity import verify_chain as verify

    return verify(case_id)


def merged_into(case: Case) -> dict[str, Any] | None:
    """What the citizen of a merged case is told of the case it was merged into: its number and
    state and, once answered, its answer (tracking page and tracking API). None for any other case."""
    if case.state != State.MERGED or not case.duplicate_of_id:
        return None
    survivor = Case.objects.filter(pk=case.duplicate_of_id).only("tracking_no", "state", "answer").first()
    if survivor is None:
        return None
    answered = survivor.state in ANSWER_SHOWN_STATES
    return {
        "tracking_no": survivor.tracking_no,
        "state": survivor.state,
        "state_label": str(State(survivor.state).label),
        "answer": survivor.answer if answered else "",
    }
