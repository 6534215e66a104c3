"""Multi-tier dispatch (二次派单), disputes (派单争议) and the dispatcher's correction (issue 12).

Each service goes through ``cases.services.case_action`` like every write: lock, 404 / stale 409,
403 (``cases.rules``), 409 (the FSM), the body, one audited event, ``case_changed`` (the sla app
moves the clocks: ``sla.timers.timers_apply``; ``cases.assignments`` moves the levels).

Where forwarding sits in DESIGN §3's machine (README "Dispatch" has the picture):
- ``forward`` in_progress → assigned: the department holding the case (it has signed for it)
  hands it to one of its direct sub-units (``Department.parent``) with instructions; the sub-unit
  signs for it (``sign_for``) and replies (``reply``: in_progress → sub_replied) on clocks of its own
  that never end after the parent's reply deadline, which stays binding.
- ``approve_up`` sub_replied → replied (or sub_replied one level up, for a deeper tree) and
  ``send_down`` sub_replied → in_progress: the department one level above reviews.
- ``return`` by a sub-unit (before it signed for) goes back one level: assigned → in_progress,
  with the department that forwarded it.
- ``dispute`` registered → disputed (the dispatcher, on a case a department returned) and
  ``arbitrate`` disputed → assigned (a supervisor names the department, with a reason).
- ``reclassify`` (no state change): category, kind or priority corrected; the running clocks are
  recounted on the terms the policies give the corrected case.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from . import rules
from .enums import OPEN_STATES, Kind, Priority, State, Transition
from .exceptions import CaseConflict, CasePermissionDenied, CaseValidationError
from .models import Case, CaseEvent, Category, Department, User
from .models_dispatch import Dispute
from .services import _department, case_action
from .validation import clean_text

MAX_NOTE = 2000


def is_in_subtree(department: Department, root_id: int) -> bool:
    """``department`` lies below the department ``root_id`` (its parent chain reaches it)."""
    seen: set[int] = set()
    node = department.parent
    while node is not None and node.pk not in seen:
        if node.pk == root_id:
            return True
        seen.add(node.pk)
        node = node.parent
    return False


def sub_units(department_id: int | None) -> list[Department]:
    """The active direct sub-units a department may forward to."""
    if department_id is None:
        return []
    return list(Department.objects.filter(parent_id=department_id, active=True).order_by("code"))


def case_forward(
    *,
    case: Case | int,
    actor: User,
    department: Department | str | None,
    instructions: str,
    expected_version: int | None = None,
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Forward a signed-for case to a direct sub-unit of the department holding it.
    400: unknown department, the own department, or one further down than a direct sub-unit;
    403: a department outside the actor's own subtree; 409: the case is not signed for.
    Side effects: a level (``CaseAssignment``) opens; the sub-unit's sign-for and reply clocks start,
    each ending no later than the parent's reply deadline; the sub-unit's inbox hears of it."""
    instructions = clean_text(instructions, field="instructions", label=_("下派意见"), max_length=MAX_NOTE)
    target = _department(department, field="department")
    with case_action(
        case,
        actor=actor,
        action=Transition.FORWARD,
        may=rules.may_forward,
        denied=_("只有当前承办单位可以下派此工单。"),
        transition=Case.forward,
        expected_version=expected_version,
        note=instructions,
        client_ip=client_ip,
        now=now,
    ) as act:
        holder_id = rules.acting_department_id(act.case)
        if target.pk == holder_id:
            msg = _("不能下派给本单位。")
            raise CaseValidationError(msg, fields={"department": [msg]})
        if not is_in_subtree(target, holder_id):
            raise CasePermissionDenied(
                _("只能下派给本单位的下级单位，“%(name)s”不在本单位之下。") % {"name": target.name_zh}
            )
        if target.parent_id != holder_id:
            msg = _("只能下派给直属下级单位，请先下派给“%(name)s”。") % {"name": target.parent.name_zh}
            raise CaseValidationError(msg, fields={"department": [msg]})
        act.data = {"department": target.code, "from_department": rules.acting_department(act.case).code}
        act.case.forward(department=target, now=act.now)
    return act.case


def case_return_up(
    *,
    case: Case | int,
    actor: User,
    reason: str,
    expected_version: int | None = None,
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """A sub-unit hands the case back to the department that forwarded it (one level up), before
    signing for it. Called by ``services.case_return`` for a forwarded case.
    Side effects: the sub-unit's clocks stop; the parent's reply clock runs on."""
    reason = clean_text(reason, field="reason", label=_("退单理由"), max_length=MAX_NOTE)
    with case_action(
        case,
        actor=actor,
        action=Transition.RETURN_UP,
        may=rules.may_handle,
        denied=_("只有当前承办单位可以退回此工单。"),
        transition=Case.return_up,
        expected_version=expected_version,
        note=reason,
        client_ip=client_ip,
        now=now,
    ) as act:
        sub = act.case.handling_department
        act.data = {"from_department": sub.code, "department": sub.parent.code}
        act.case.return_up(parent=sub.parent, now=act.now)
    return act.case


def _review(
    *,
    case: Case | int,
    actor: User,
    action: str,
    note: str,
    expected_version: int | None,
    client_ip: str | None,
    now: dt.datetime | None,
) -> Case:
    transition = Case.approve_up if action == Transition.APPROVE_UP else Case.send_down
    with case_action(
        case,
        actor=actor,
        action=action,
        may=rules.may_review_sub_reply,
        denied=_("只有下派此工单的上级单位可以审核下级的答复。"),
        transition=transition,
        expected_version=expected_version,
        note=note,
        client_ip=client_ip,
        now=now,
    ) as act:
        sub = act.case.handling_department
        act.data = {"from_department": sub.code, "department": sub.parent.code}
        if action == Transition.APPROVE_UP:
            act.case.approve_up(parent=sub.parent, now=act.now)
        else:
            act.case.send_down(now=act.now)
    return act.case


def case_approve_up(
    *,
    case: Case | int,
    actor: User,
    note: str = "",
    expected_version: int | None = None,
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """The department above the sub-unit adopts its reply and sends it up: to the dispatcher's
    review when that department is the lead one (replied), else to the next level's review.
    Side effects: that department's reply clock is met; at the top the review clock starts."""
    note = clean_text(note, field="note", label=_("审核意见"), max_length=MAX_NOTE, required=False)
    return _review(
        case=case,
        actor=actor,
        action=Transition.APPROVE_UP,
        note=note,
        expected_version=expected_version,
        client_ip=client_ip,
        now=now,
    )


def case_send_down(
    *,
    case: Case | int,
    actor: User,
    note: str,
    expected_version: int | None = None,
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """The department above rejects the sub-unit's weak reply: back to it, its reply clock resumes."""
    note = clean_text(note, field="note", label=_("退回意见"), max_length=MAX_NOTE)
    return _review(
        case=case,
        actor=actor,
        action=Transition.SEND_DOWN,
        note=note,
        expected_version=expected_version,
        client_ip=client_ip,
        now=now,
    )


# --- disputes -------------------------------------------------------------------------


def _last_return_reason(case: Case) -> str:
    row = (
        CaseEvent.objects.filter(case=case, transition=Transition.RETURN)
        .order_by("-seq")
        .values_list("note", flat=True)
        .first()
    )
    return row or ""


def case_dispute(
    *,
    case: Case | int,
    actor: User,
    note: str,
    expected_version: int | None = None,
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """The dispatcher disagrees with a department's return: the case waits for a supervisor.
    409 on a case that was not returned. Side effects: a ``Dispute`` row (counted against the
    department that returned it); the triage clock stops; supervisors see it on their list."""
    note = clean_text(note, field="note", label=_("争议说明"), max_length=MAX_NOTE)
    with case_action(
        case,
        actor=actor,
        action=Transition.DISPUTE,
        may=rules.may_dispute,
        denied=_("只有分拨员可以提出派单争议。"),
        transition=Case.dispute,
        expected_version=expected_version,
        note=note,
        client_ip=client_ip,
        now=now,
    ) as act:
        department = act.case.returned_from
        Dispute.objects.create(
            case=act.case,
            department=department,
            return_reason=_last_return_reason(act.case),
            raised_by=actor,
            raised_at=act.now,
            note=note,
        )
        act.data = {"department": department.code}
        act.case.dispute(now=act.now)
    return act.case


def case_arbitrate(
    *,
    case: Case | int,
    actor: User,
    department: Department | str | None,
    reason: str,
    expected_version: int | None = None,
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """A supervisor decides where a disputed case goes. 403 for anyone but a supervisor.
    Side effects: the dispute is decided; the case is assigned to that department with the reason
    as instructions (the department's sign-for, return-window and reply clocks start)."""
    reason = clean_text(reason, field="reason", label=_("裁决理由"), max_length=MAX_NOTE)
    target = _department(department, field="department")
    if target.is_dispatch:
        msg = _("请裁决给承办单位，而不是分拨中心。")
        raise CaseValidationError(msg, fields={"department": [msg]})
    with case_action(
        case,
        actor=actor,
        action=Transition.ARBITRATE,
        may=rules.may_arbitrate,
        denied=_("只有督办员可以裁决派单争议。"),
        transition=Case.arbitrate,
        expected_version=expected_version,
        note=reason,
        client_ip=client_ip,
        now=now,
    ) as act:
        dispute = Dispute.objects.select_for_update().filter(case=act.case, decided_at__isnull=True).first()
        if dispute is not None:
            dispute.decided_by, dispute.decided_at = actor, act.now
            dispute.decision_department, dispute.reason = target, reason
            dispute.save(update_fields=["decided_by", "decided_at", "decision_department", "reason"])
        act.data = {"department": target.code, "disputed_department": dispute.department.code if dispute else ""}
        act.case.instructions = reason
        act.case.arbitrate(department=target, now=act.now)
    return act.case


# --- the dispatcher's correction ---------------------------------------------------------


def case_reclassify(
    *,
    case: Case | int,
    actor: User,
    category: Category | str | None = "",
    kind: str = "",
    priority: str = "",
    note: str,
    expected_version: int | None = None,
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Correct a wrong category, kind or priority (blank = unchanged). 400 for unknown values or
    nothing changed; 409 on a finished case. Side effects: the event records old and new values;
    the running clocks are recounted on the terms of the corrected case (``sla.timers``)."""
    note = clean_text(note, field="note", label=_("更正说明"), max_length=MAX_NOTE)
    errors: dict[str, list[str]] = {}
    cat = None
    if isinstance(category, Category):
        cat = category
    elif category:
        cat = Category.objects.filter(code=category, active=True).first()
        if cat is None:
            errors["category"] = [_("未知的业务分类：%(v)s") % {"v": category}]
    if kind and kind not in Kind.values:
        errors["kind"] = [_("未知的诉求类型：%(v)s") % {"v": kind}]
    if priority and priority not in Priority.values:
        errors["priority"] = [_("未知的紧急程度：%(v)s") % {"v": priority}]
    if errors:
        raise CaseValidationError(next(iter(errors.values()))[0], fields=errors)
    with case_action(
        case,
        actor=actor,
        action=Transition.RECLASSIFY,
        may=rules.may_triage,
        denied=_("只有分拨员可以更正分类。"),
        expected_version=expected_version,
        note=note,
        client_ip=client_ip,
        now=now,
    ) as act:
        locked = act.case
        if locked.state not in OPEN_STATES:
            raise CaseConflict(
                _("当前状态为“%(state)s”，不能更正分类。") % {"state": State(locked.state).label}, state=locked.state
            )
        changes: dict[str, list[str]] = {}
        if cat is not None and cat.pk != locked.category_id:
            changes["category"] = [locked.category.code, cat.code]
            locked.category = cat
        if kind and kind != locked.kind:
            changes["kind"] = [locked.kind, kind]
            locked.kind = kind
        if priority and priority != locked.priority:
            changes["priority"] = [locked.priority, priority]
            locked.priority = priority
        if not changes:
            msg = _("业务分类、诉求类型和紧急程度都没有变化。")
            raise CaseValidationError(msg, fields={"category": [msg]})
        act.data = {"changes": changes}
    return act.case


def disputes_open() -> list[Dispute]:
    """Disputes waiting for a supervisor, oldest first."""
    return list(
        Dispute.objects.filter(decided_at__isnull=True)
        .select_related("case", "department", "raised_by")
        .order_by("raised_at", "id")
    )


def dispute_counts(*, since: dt.datetime, until: dt.datetime) -> dict[str, dict[str, int]]:
    """Per department code: disputes raised about its returns in [since, until), and how many of
    them the supervisor decided back to that same department (the return was not upheld)."""
    out: dict[str, dict[str, int]] = {}
    rows = Dispute.objects.filter(raised_at__gte=since, raised_at__lt=until).values_list(
        "department__code", "decision_department_id", "department_id"
    )
    for code, decided_to, dept_id in rows:
        entry = out.setdefault(code, {"disputes": 0, "assigned_back": 0})
        entry["disputes"] += 1
        if decided_to is not None and decided_to == dept_id:
            entry["assigned_back"] += 1
    return out


def assignment_counts(*, since: dt.datetime, until: dt.datetime) -> dict[str, dict[str, int]]:
    """Per department code: the cases it received in [since, until) at any level — from the
    dispatcher (level 0) or forwarded down to it (level ≥ 1) — so a case counts at every level."""
    from .models_dispatch import CaseAssignment

    out: dict[str, dict[str, int]] = {}
    rows = (
        CaseAssignment.objects.filter(Q(assigned_at__gte=since) & Q(assigned_at__lt=until))
        .order_by()
        .values_list("department__code", "level")
        .annotate(n=Count("pk"))
    )  # counted in the database: a month's assignments are tens of thousands of rows
    for code, level, n in rows:
        entry = out.setdefault(code, {"received": 0, "forwarded_in": 0})
        entry["received"] += n
        if level > 0:
            entry["forwarded_in"] += n
    return out


# Name → service, merged into ``services.TRANSITION_SERVICES`` (the API's transitions/{name}/).
FORWARDING_SERVICES = {
    "forward": case_forward,
    "approve_up": case_approve_up,
    "send_down": case_send_down,
    "dispute": case_dispute,
    "arbitrate": case_arbitrate,
    "reclassify": case_reclassify,
}
