"""Every write to a case is one of these functions, and each goes through ``case_action``.

``case_action`` is the one sequence every action follows: lock the case row
(``select_for_update``); 404 if the actor may not see it; 409 if the caller's
``expected_version`` is stale; 403 if the actor may not take the action (the permission
functions in ``cases.rules``), then 409 if the state does not allow it (django-fsm's
``can_proceed``); the body changes the case; on leaving, the changed columns are saved with
``update_fields`` and the version bumped, one hash-chained ``CaseEvent`` is appended, and
``cases.domain.case_changed`` is sent inside the transaction so that timers and outbox rows
commit with it. Nothing leaves the process before commit. One ``now`` per action: the
event's time, the transition's timestamps and the receivers' clocks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from . import answer as reply_checks
from . import attachments as attachment_files
from . import audit, chain, refcache, rules, selectors, tracking_sequences
from .assignments import assignments_apply
from .copy_rows import insert_rows
from .domain import case_changed
from .enums import (
    CHANNEL_VALUES,
    KIND_VALUES,
    PRIORITY_VALUES,
    REPLY_CHANNEL_VALUES,
    Channel,
    DissatisfiedReason,
    DraftStatus,
    EmergencyService,
    Kind,
    Priority,
    Publication,
    Rating,
    ReplyChannel,
    State,
    Transition,
)
from .exceptions import CaseConflict, CaseNotFound, CasePermissionDenied, CaseValidationError
from .models import (
    AttachmentKind,
    Case,
    CaseEvent,
    Category,
    ContactSearch,
    DailySequence,
    Department,
    Open311ApiKey,
    RejectReason,
    User,
)
from .validation import (
    MAX_CONTENT,
    MAX_TITLE,
    clean_text,
    mask_id_number,
    mask_phone,
    normalize_id_number,
    normalize_phone,
)

Permission = Callable[[Case, User | None], bool]


@dataclass(frozen=True)
class Citizen:
    name: str = ""
    phone: str = ""
    email: str = ""
    id_no: str = ""


# --- the primitive --------------------------------------------------------------------


@dataclass
class CaseAction:
    """What the body of ``with case_action(...) as act:`` works on. The body changes ``case``
    (the locked row) and may set the event's ``note``, ``data`` and ``public``; ``event`` is the
    appended ``CaseEvent`` once the block has left."""

    case: Case
    actor: User | None
    action: str
    now: dt.datetime
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    public: bool | None = None
    event: CaseEvent | None = None


def _lock(case: Case | int, actor: User | None, *, expected_version: int | None) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    locked = (
        Case.objects.select_for_update(of=("self",))
        .select_related("department", "handling_department")
        .filter(pk=pk)
        .first()
    )
    if locked is None or (actor is not None and not rules.can_see_case(actor, locked)):
        raise CaseNotFound(_("工单不存在。"))
    if expected_version is not None and expected_version != locked.version:
        raise CaseConflict(
            _("工单 %(no)s 已被他人更新（当前状态：%(state)s），请刷新后重试。")
            % {"no": locked.tracking_no, "state": State(locked.state).label},
            state=locked.state,
        )
    return locked


# Columns the primitive always writes itself (version, updated_at) or never compares (the key).
_NOT_COMPARED = frozenset({"id", "version", "updated_at", "audit_head_seq", "audit_head_hash"})


def _columns(case: Case) -> dict[str, Any]:
    return {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields if f.attname not in _NOT_COMPARED}


@contextmanager
def case_action(
    case: Case | int,
    *,
    actor: User | None,
    action: str,
    may: Permission | None = None,
    transition: Callable[..., Any] | None = None,
    expected_version: int | None = None,
    denied: str | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
    public: bool | None = None,
    client_ip: str | None = None,
    as_label: str = "citizen",
    now: dt.datetime | None = None,
) -> Iterator[CaseAction]:
    """Run one action on one case, in one transaction (a savepoint inside the caller's).

    - ``action``: the audit name, registered in ``cases.audit`` (else ``UnknownAction`` at once).
    - ``may``: a permission from ``cases.rules`` (or the owning app's rules); refused → 403
      with ``denied`` (default "您无权执行此操作。").
    - ``transition``: the FSM method the body will run (``Case.assign``); a state it cannot
      run from → 409. Checked after ``may``: an actor who may not act gets 403 whatever the state.
    - ``expected_version``: the version the caller's form was built on; stale → 409, checked
      right after visibility.
    - ``actor`` None means the citizen (or, with ``as_label="system"``, a worker).

    The body raises ``CaseError`` subclasses for its own checks: then nothing is written. On a
    normal exit the columns the body changed (compared with the row as locked) are saved with
    ``update_fields`` (plus ``version`` +1 and ``updated_at``), so a column someone else changed
    in the meantime (a receiver's queryset update, e.g. the SLA app's ``return_due_at``) is never
    overwritten; an action that changed no column (a note, a reveal, an SLA order) leaves the
    row and its version alone. Then exactly one event is appended and ``case_changed`` sent once.
    """
    audit.action_for_new_event(action)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(case, actor, expected_version=expected_version)
        if may is not None and not may(locked, actor):
            raise CasePermissionDenied(denied or _("您无权执行此操作。"))
        if transition is not None and not can_proceed(getattr(locked, transition.__name__)):
            raise CaseConflict(
                _("当前状态为“%(state)s”，不能执行“%(action)s”。")
                % {"state": State(locked.state).label, "action": audit.action_label(action)},
                state=locked.state,
            )
        act = CaseAction(
            case=locked, actor=actor, action=action, now=now, note=note, data=dict(data or {}), public=public
        )
        from_state, before = locked.state, _columns(locked)
        yield act
        if transition is not None and locked.state == from_state:
            raise RuntimeError(f"case_action({action!r}): the body did not run {transition.__name__}()")
        changed = [name for name, value in _columns(locked).items() if before[name] != value]
        if changed:
            locked.version = F("version") + 1
            locked.save(update_fields=[*changed, "version", "updated_at"])
            locked.refresh_from_db(fields=["version"])
        act.event = _record(
            locked,
            actor=actor,
            action=action,
            from_state=from_state,
            now=now,
            note=act.note,
            data=act.data,
            public=act.public,
            client_ip=client_ip,
            as_label=as_label,
        )


def _record(
    case: Case,
    *,
    actor: User | None,
    action: str,
    from_state: str,
    now: dt.datetime,
    note: str,
    data: dict[str, Any],
    public: bool | None,
    client_ip: str | None,
    as_label: str,
    new: bool = False,
) -> CaseEvent:
    """Append the action's one event to the case's chain and announce it. The caller holds the
    case row lock (or has just created the row, ``new``) inside the action's transaction."""
    info = audit.action_for_new_event(action)
    if new:  # the row was just inserted from these very values: no history, nothing to read back
        last, row = None, {name: getattr(case, name) for name in chain.AUDITED_COLUMNS}
    else:
        last = CaseEvent.objects.filter(case=case).order_by("-seq").values("seq", "hash").first()
        # The row as stored after the action's save: the event's keyed hash covers its digest.
        row = Case.objects.filter(pk=case.pk).values(*chain.AUDITED_COLUMNS).get()
    label, role = (actor.display_name, actor.role) if actor is not None else (as_label, as_label)
    event = CaseEvent(
        case=case,
        seq=(last["seq"] + 1) if last else 1,
        at=now,
        actor=actor,
        actor_label=label,
        role=role,
        transition=action,
        from_state=from_state,
        to_state=case.state,
        note=note,
        data=data,
        public=info.public if public is None else public,
        client_ip=client_ip or None,
        prev_hash=last["hash"] if last else "",
        hash_version=chain.KEYED,
        row_digest=chain.row_digest(row),
    )
    event.hash = event.compute_hash()
    # The head moves in the same transaction (under the row lock): a deleted last event leaves a
    # head with nothing behind it.
    if case._state.adding:  # a new case whose id is known, its row not written yet: written with its head
        case.audit_head_seq, case.audit_head_hash = event.seq, event.hash
        insert_rows([case])
        insert_rows([event])
    else:
        insert_rows([event])
        # A queryset update: neither version nor updated_at moves.
        Case.objects.filter(pk=case.pk).update(audit_head_seq=event.seq, audit_head_hash=event.hash)
        case.audit_head_seq, case.audit_head_hash = event.seq, event.hash
    # The levels the case passed (二次派单), moved by the same action, under the same lock.
    assignments_apply(
        case=case, action=action, actor=actor, now=now, instructions=note if action == Transition.FORWARD else ""
    )
    case_changed.send(sender=Case, case=case, event=event, action=action, actor=actor, payload=data)
    return event


def _department(code_or_obj: Department | str | None, *, field: str) -> Department:
    if isinstance(code_or_obj, Department):
        return code_or_obj
    dept = refcache.active_department(code_or_obj or "")
    if dept is None:
        msg = _("未知的承办单位：%(code)s") % {"code": code_or_obj or "—"}
        raise CaseValidationError(msg, fields={field: [msg]})
    return dept


# --- registration -------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """What ``case_register`` wrote besides the row: the ``register`` event and the attachments."""

    event: CaseEvent
    attachments: list[Any]


def next_tracking_no(now: dt.datetime | None = None) -> str:
    """Date + per-day sequence, e.g. 2026112100042: unique, and gap-tolerant (a registration that
    fails after taking its number leaves a gap). No registration ever waits for another's.

    PostgreSQL: one sequence per local day (``tracking_sequences``), whose ``nextval`` takes no
    row lock and is not undone by a rollback. SQLite (one writer at a time anyway): the day's
    ``DailySequence`` row, bumped and read in one statement. Call it before the registration's
    transaction when there is none open: the day's first call creates the sequence."""
    return _next_numbers(now)[0]


def _next_numbers(now: dt.datetime | None) -> tuple[str, int | None]:
    """``next_tracking_no`` and, on PostgreSQL, the new case's id from the same round trip (None on
    SQLite, where the id is known only once the row is in)."""
    day = timezone.localdate(now or timezone.now())
    case_id = None
    if connection.vendor == "postgresql":
        value, case_id = tracking_sequences.next_values(day)
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {DailySequence._meta.db_table} (day, value) VALUES (%s, 1) "
                "ON CONFLICT (day) DO UPDATE SET value = value + 1 RETURNING value",
                [day],
            )
            value = cursor.fetchone()[0]
    return f"{day:%Y%m%d}{value:05d}", case_id


def case_register(
    *,
    actor: User | None,
    channel: str,
    kind: str,
    category: Category | str,
    title: str,
    content: str,
    citizen: Citizen,
    location: str = "",
    publish_consent: bool = True,
    priority: str = Priority.NORMAL,
    reply_channel: str = "",
    attachments: Iterable[Any] = (),
    attachment_kind: str = AttachmentKind.CITIZEN,
    client_ip: str | None = None,
    as_label: str = "citizen",
    open311_key: Open311ApiKey | None = None,
    about_staff_of: Department | str | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Record a new case. ``open311_key`` is the Open311 client that sent it (kept on the case so
    that client can read its own requests back). Side effects: tracking_no + access_code issued; the SLA app starts
    the triage timer and the notifications app queues the receipt (both via ``case_changed``).
    The only action with no row to lock yet: it creates the row, then records like ``case_action``.
    ``attachments`` (uploaded files: the citizen's, or the scan of a paper letter) are checked by
    ``cases.attachments`` with the rest of the input and stored with the case; the ``register``
    event lists them. ``about_staff_of``: a report (举报) about staff of that department — restricted
    (``rules.is_restricted``) and routed at once to the department that handles such reports
    (``restricted_handler``), never to the accused one. The returned case carries ``registration``
    (``Registration``: its event and stored attachments), so a caller can answer from memory
    without reading the case back."""
    now = now or timezone.now()
    if not rules.may_register(actor):
        raise CasePermissionDenied(_("您无权登记工单。"))
    errors: dict[str, list[str]] = {}

    def check(fn: Any) -> Any:
        try:
            return fn()
        except CaseValidationError as exc:
            for key, msgs in exc.fields.items():
                errors.setdefault(key, []).extend(msgs)
            return None

    if channel not in CHANNEL_VALUES:
        errors["channel"] = [_("未知的渠道：%(v)s") % {"v": channel}]
    if kind not in KIND_VALUES:
        errors["kind"] = [_("未知的诉求类型：%(v)s") % {"v": kind}]
    if priority not in PRIORITY_VALUES:
        errors["priority"] = [_("未知的紧急程度：%(v)s") % {"v": priority}]
    if reply_channel and reply_channel not in REPLY_CHANNEL_VALUES:
        errors["reply_channel"] = [_("未知的答复方式：%(v)s") % {"v": reply_channel}]
    cat = category if isinstance(category, Category) else refcache.active_category(category or "")
    if cat is None:
        errors["category"] = [_("未知的业务分类：%(v)s") % {"v": category or "—"}]
    title = check(lambda: clean_text(title, field="title", label=_("标题"), max_length=MAX_TITLE))
    content = check(lambda: clean_text(content, field="content", label=_("诉求内容"), max_length=MAX_CONTENT))
    location = check(lambda: clean_text(location, field="location", label=_("地点"), max_length=300, required=False))
    name = check(
        lambda: clean_text(citizen.name, field="citizen.name", label=_("姓名"), max_length=100, required=False)
    )
    phone = check(
        lambda: normalize_phone(
            citizen.phone, field="citizen.phone", required=channel in {Channel.HOTLINE, Channel.SMS}
        )
    )
    id_no = check(lambda: normalize_id_number(citizen.id_no, field="citizen.id_no"))
    email = (citizen.email or "").strip()
    if email and ("@" not in email or len(email) > 254 or " " in email):
        errors["citizen.email"] = [_("电子邮箱格式不正确。")]
    if not reply_channel:
        reply_channel = ReplyChannel.SMS if phone else (ReplyChannel.EMAIL if email else ReplyChannel.PHONE)
    if reply_channel == ReplyChannel.EMAIL and not email and "citizen.email" not in errors:
        errors["citizen.email"] = [_("选择邮件答复时请填写电子邮箱。")]
    if reply_channel in {ReplyChannel.SMS, ReplyChannel.PHONE} and not phone and "citizen.phone" not in errors:
        errors["citizen.phone"] = [_("请填写联系电话，以便答复与回访。")]
    files = check(lambda: attachment_files.check_uploads(attachments, field="attachments")) or []
    accused = None
    if about_staff_of:
        accused = check(lambda: _department(about_staff_of, field="about_staff_of"))
        if kind != Kind.REPORT and "kind" not in errors:
            errors["about_staff_of"] = [_("只有“举报”可以标记为举报某单位工作人员。")]
    if errors:
        first = next(iter(errors.values()))[0]
        raise CaseValidationError(first, fields=errors)

    tracking_no, case_id = _next_numbers(now)
    with transaction.atomic():
        case = Case(
            pk=case_id,
            tracking_no=tracking_no,
            channel=channel,
            kind=kind,
            category=cat,
            priority=priority,
            title=title,
            content=content,
            location=location,
            citizen_name=name,
            citizen_phone=phone,
            citizen_email=email,
            citizen_id_no=id_no,
            reply_channel=reply_channel,
            publish_consent=bool(publish_consent),
            registered_by=actor,
            registered_at=now,
            open311_key=open311_key,
            about_staff_of=accused,
        )
        if case.pk is None or files:
            # The row first: to learn its id (SQLite), or for its files to point at. Else the
            # event's recording inserts it, its chain head in it (``_record``).
            insert_rows([case])
        data: dict[str, Any] = {"channel": channel}
        if open311_key is not None:
            data["open311_key"] = open311_key.pk
        stored: list[Any] = []
        if files:
            stored = attachment_files.store(case=case, checked=files, kind=attachment_kind, actor=actor, now=now)
            data["attachments"] = attachment_files.describe(stored)
        event = _record(
            case,
            actor=actor,
            action=Transition.REGISTER,
            from_state="",
            now=now,
            note="",
            data=data,
            public=None,
            client_ip=client_ip,
            as_label=as_label,
            new=True,
        )
        if accused is not None:
            routed = _route_restricted(case, accused=accused, now=now)
            if routed is not None:
                # Already assigned (a second event, a level): the caller reads the routed row, not
                # the registration's memory (``registration`` is left off, so serialisers read).
                return routed
    case.registration = Registration(event=event, attachments=list(stored))
    return case


def restricted_handler(accused: Department) -> Department | None:
    """The department that handles reports about staff (纪检/督查) for one about ``accused``: the
    first active one by code that is not the accused itself."""
    return (
        Department.objects.filter(handles_staff_reports=True, active=True)
        .exclude(pk=accused.pk)
        .order_by("code", "pk")
        .first()
    )


def _route_restricted(case: Case, *, accused: Department, now: dt.datetime) -> Case | None:
    """Assign a report about staff straight to its handler, by the system: it never waits in the
    dispatchers' queue (returns the assigned case). Without a handler it stays registered,
    visible to administrators only (None)."""
    handler = restricted_handler(accused)
    if handler is None:
        return None
    with case_action(
        case.pk,
        actor=None,
        action=Transition.ASSIGN,
        transition=Case.assign,
        as_label="system",
        note=_("举报工作人员，转纪检/督查部门办理"),
        data={"department": handler.code, "assisting": [], "restricted": True},
        now=now,
    ) as act:
        act.case.assign(department=handler, instructions=_("举报工作人员，转纪检/督查部门办理"), now=act.now)
    return act.case


# --- triage -------------------------------------------------------------------------
# The state-changing services take, besides their own fields: ``expected_version`` (the version
# the caller's form showed; stale → CaseConflict), ``client_ip`` (audited) and ``now``.


def case_resolve_directly(
    *,
    case: Case | int,
    actor: User,
    answer: str,
    expected_version: int | None = None,
    client_ip: str | None = None,
    now: dt.datetime | None = None,
    data: dict[str, Any] | None = None,
) -> Case:
    """Answer on first contact. Side effects: triage timer met; answer relayed; feedback timer.
    ``data`` goes into the event (the knowledge base's article reference, kb.services)."""
    answer = clean_text(answer, field="answer", label=_("答复内容"), max_length=MAX_CONTENT)
    with case_action(
        case,
        actor=actor,
        action=Transition.RESOLVE_DIRECTLY,
        may=rules.may_resolve_directly,
        transition=Case.resolve_directly,
        expected_version=expected_version,
        note=answer,
        data=data,
        client_ip=client_ip,
        now=now,
    ) as act:
        act.case.resolve_directly(answer=answer, now=act.now)
    return act.case


def case_reject(
    *,
    case: Case | int,
    actor: User,
    reason: str,
    note: str = "",
    expected_version: int | None = None,
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Refuse the case with a reason from the fixed list. Side effects: citizen told; timers stop."""
    reason_obj = RejectReason.objects.filter(code=reason or "").first()
    if reason_obj is None:
        msg = _("请从列表中选择不予受理理由。")
        raise CaseValidationError(msg, fields={"reason": [msg]})
    note = clean_text(note, field="note", label=_("说明"), max_length=2000, required=False)
    with case_action(
        case,
        actor=actor,
        action=Transition.REJECT,
        may=rules.may_triage,
        transition=Case.reject,
        expected_version=expected_version,
        note=f"{reason_obj.name_zh}。{note}".rstrip("。"),
        data={"reason": reason_obj.code},
        client_ip=client_ip,
        now=now,
    ) as act:
        act.case.reject(reason=reason_obj, note=note, now=act.now)
    return act.case


def case_merge(
    *,
    case: Case | int,
    actor: User,
    duplicate_of: str,
    expected_version: int | None = None,
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Close the case as a duplicate of another. Side effects: citizen told the other tracking_no."""
    target = Case.objects.filter(tracking_no=(duplicate_of or "").strip()).first()
    if target is None:
        msg = _("找不到要合并到的工单：%(no)s") % {"no": duplicate_of or "—"}
        raise CaseValidationError(msg, fields={"duplicate_of": [msg]})
    if target.pk == (case.pk if isinstance(case, Case) else case):
        msg = _("工单不能合并到自身。")
        raise CaseValidationError(msg, fields={"duplicate_of": [msg]})
    if target.state in {State.MERGED, State.REJECTED}:
        msg = _("目标工单 %(no)s 已是“%(s)s”，请合并到仍在办理的工单。") % {
            "no": target.tracking_no,
            "s": State(target.state).label,
        }
        raise CaseValidationError(msg, fields={"duplicate_of": [msg]})
    with case_action(
        case,
        actor=actor,
        action=Transition.MERGE,
        may=rules.may_triage,
        transition=Case.merge,
        expected_version=expected_version,
        note=_("与工单 %(no)s 合并办理") % {"no": target.tracking_no},
        data={"duplicate_of": target.tracking_no},
        client_ip=client_ip,
        now=now,
    ) as act:
        act.case.merge(duplicate_of=target, now=act.now)
    return act.case


def case_assign(
    *,
    case: Case | int,
    actor: User,
    department: Department | str,
    assisting_departments: Iterable[str | Department] = (),
    instructions: str = "",
    expected_version: int | None = None,
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Forward to a department. Side effects: sign-for, return-window and reply timers start;
    the department is notified."""
    dept = _department(department, field="department")
    if dept.is_dispatch:
        msg = _("不能转办给分拨中心本身。")
        raise CaseValidationError(msg, fields={"department": [msg]})
    assisting = [_department(d, field="assisting_departments") for d in assisting_departments or ()]
    assisting = [d for d in dict.fromkeys(assisting) if d.pk != dept.pk]
    pk = case.pk if isinstance(case, Case) else case
    accused = Case.objects.filter(pk=pk).values_list("about_staff_of_id", flat=True).first()
    if accused is not None and (dept.pk == accused or any(d.pk == accused for d in assisting)):
        msg = _("举报该单位工作人员的工单不能转给该单位办理或协办。")
        raise CaseValidationError(msg, fields={"department": [msg]})
    instructions = clean_text(instructions, field="instructions", label=_("转办意见"), max_length=2000, required=False)
    with case_action(
        case,
        actor=actor,
        action=Transition.ASSIGN,
        may=rules.may_triage,
        transition=Case.assign,
        expected_version=expected_version,
        note=instructions,
        data={"department": dept.code, "assisting": [d.code for d in assisting]},
        client_ip=client_ip,
        now=now,
    ) as act:
        act.case.assign(department=dept, instructions=instructions, now=act.now)
        act.case.assisting_departments.set(assisting)
    return act.case


# --- department ---------------------------------------------------------------------


def case_return(
    *,
    case: Case | int,
    actor: User,
    reason: str,
    expected_version: int | None = None,
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Hand the case back as not ours. Side effects: timers stop; triage timer restarts. A sub-unit's
    return goes back one level only, to the department that forwarded it (``forwarding.case_return_up``)."""
    reason = clean_text(reason, field="reason", label=_("退单理由"), max_length=2000)
    pk = case.pk if isinstance(case, Case) else case
    if Case.objects.filter(pk=pk, handling_department__isnull=False).exists():
        from .forwarding import case_return_up

        return case_return_up(
            case=case, actor=actor, reason=reason, expected_version=expected_version, client_ip=client_ip, now=now
        )
    with case_action(
        case,
        actor=actor,
        action=Transition.RETURN,
        may=rules.may_return,
        transition=Case.return_,
        expected_version=expected_version,
        note=reason,
        client_ip=client_ip,
        now=now,
    ) as act:
        # The department that hands it back, for its inbox's live update.
        act.data = {"department": act.case.department.code if act.case.department_id else ""}
        act.case.return_(now=act.now)
        act.case.assisting_departments.clear()
    return act.case


def case_sign_for(
    *,
    case: Case | int,
    actor: User,
    expected_version: int | None = None,
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Acknowledge the case. Side effects: sign-for timer met."""
    with case_action(
        case,
        actor=actor,
        action=Transition.SIGN_FOR,
        may=rules.may_handle,
        transition=Case.sign_for,
        expected_version=expected_version,
        client_ip=client_ip,
        now=now,
    ) as act:
        act.case.sign_for(now=act.now)
    return act.case


def case_reply(
    *,
    case: Case | int,
    actor: User,
    text: str,
    result: str = "",
    contact: dict[str, Any] | None = None,
    attachments: Iterable[int] | None = None,
    expected_version: int | None = None,
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Submit the department's answer for review, with its result (``ReplyResult``), the record of
    contacting the citizen (``{"at", "method"}``; may be omitted when this round's draft recorded
    it) and the department's files that go with it (ids of this case's ``reply`` attachments,
    ``cases.answer``). Side effects: reply timer met; review timer starts; the files are marked
    ``in_reply`` (the citizen gets them with the answer); a head who submits a clerk's draft
    (head approval) has the clerk told."""
    text = clean_text(text, field="text", label=_("答复内容"), max_length=MAX_CONTENT)
    with case_action(
        case,
        actor=actor,
        action=Transition.REPLY,
        may=rules.may_reply,
        transition=Case.reply,
        expected_version=expected_version,
        note=text,
        client_ip=client_ip,
        now=now,
    ) as act:
        locked = act.case
        result = reply_checks.check_result(result)  # after the permission: 403 before 400
        if contact is not None and contact != {}:
            locked.contacted_at, locked.contact_method = reply_checks.check_contact(contact, case=locked, now=act.now)
            locked.contacted_by = actor
        elif not reply_checks.contacted_this_round(locked):
            msg = _("答复前须先联系群众：请填写联系时间和联系方式。")
            raise CaseValidationError(msg, fields={"contact": [msg]})
        files = reply_checks.check_reply_attachments(list(attachments) if attachments is not None else [], case=locked)
        drafted = locked.reply_draft_status == DraftStatus.PENDING and locked.reply_draft_by_id not in (None, actor.pk)
        locked.reply(text=text, result=result, now=act.now)
        if files:
            locked.attachments.filter(pk__in=[a.pk for a in files]).update(in_reply=True)
        act.data = {
            "result": result,
            "contact": {
                "at": locked.contacted_at.isoformat(),
                "method": locked.contact_method,
                "by": locked.contacted_by_id,
            },
            "attachments": [a.pk for a in files],
        }
        if drafted:
            act.data["approved_draft_of"] = locked.reply_draft_by_id
    return act.case


def case_save_reply_draft(
    *,
    case: Case | int,
    actor: User,
    text: str,
    result: str = "",
    contact: dict[str, Any] | None = None,
    attachments: Iterable[int] | None = None,
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """A clerk's draft for a department whose head submits replies: submitted for the head's
    approval (``reply_draft_status`` pending). A result and a contact record are optional here
    (checked as in ``case_reply`` when given); the head's reply needs both. No state change; the
    version moves, so a head's reply form built on the previous draft is refused as stale. Side
    effects: the department's head is told a draft waits (notifications)."""
    text = clean_text(text, field="text", label=_("答复草稿"), max_length=MAX_CONTENT)
    if result:
        result = reply_checks.check_result(result)
    with case_action(
        case,
        actor=actor,
        action=Transition.DRAFT_REPLY,
        may=rules.may_draft_reply,
        denied=_("您无权为此工单保存答复草稿。"),
        note=text,
        client_ip=client_ip,
        now=now,
    ) as act:
        locked = act.case
        if contact is not None and contact != {}:
            locked.contacted_at, locked.contact_method = reply_checks.check_contact(contact, case=locked, now=act.now)
            locked.contacted_by = actor
        files = reply_checks.check_reply_attachments(list(attachments) if attachments is not None else [], case=locked)
        locked.reply_draft = text
        locked.reply_result = result or locked.reply_result
        locked.reply_draft_status = DraftStatus.PENDING
        locked.reply_draft_note = ""
        locked.reply_draft_by = actor
        act.data = {"result": locked.reply_result, "attachments": [a.pk for a in files]}
    return act.case


# --- review -------------------------------------------------------------------------


def case_send_back(
    *,
    case: Case | int,
    actor: User,
    note: str,
    expected_version: int | None = None,
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Reject a weak reply. Side effects: review timer met; the reply timer resumes."""
    note = clean_text(note, field="note", label=_("退回意见"), max_length=2000)
    with case_action(
        case,
        actor=actor,
        action=Transition.SEND_BACK,
        may=rules.may_triage,
        transition=Case.send_back,
        expected_version=expected_version,
        note=note,
        client_ip=client_ip,
        now=now,
    ) as act:
        act.case.send_back(now=act.now)
    return act.case


def case_approve(
    *,
    case: Case | int,
    actor: User,
    answer: str = "",
    expected_version: int | None = None,
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Accept the reply and relay the answer (defaults to the department's reply) to the citizen.
    Side effects: review timer met; answer sent on the citizen's channel; feedback timer starts."""
    answer = clean_text(answer, field="answer", label=_("答复内容"), max_length=MAX_CONTENT, required=False)
    pk = case.pk if isinstance(case, Case) else case
    answer = answer or Case.objects.filter(pk=pk).values_list("reply_text", flat=True).first() or ""
    if not answer:
        raise CaseValidationError(_("请填写答复内容。"), fields={"answer": [_("请填写答复内容。")]})
    with case_action(
        case,
        actor=actor,
        action=Transition.APPROVE,
        may=rules.may_triage,
        transition=Case.approve,
        expected_version=expected_version,
        note=answer,
        client_ip=client_ip,
        now=now,
    ) as act:
        act.case.approve(answer=answer, now=act.now)
    return act.case


# --- citizen and closure ------------------------------------------------------------


def _publication_after_close(locked: Case) -> None:
    # A report about staff is never published (rules.is_restricted).
    if locked.publication == Publication.PRIVATE and locked.publish_consent and not rules.is_restricted(locked):
        locked.publication = Publication.PENDING


def case_feedback(
    *,
    case: Case | int,
    actor: User | None,
    rating: str,
    comment: str = "",
    resolved: bool | None = None,
    reason: str = "",
    expected_version: int | None = None,
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """The citizen's rating closes the case — unless it is ``dissatisfied``: then ``reason`` (one of
    ``DissatisfiedReason``) is required and the case waits for a supervisor's decision
    (``pending_decision``: ``case_reopen`` or ``case_close``). ``resolved`` is the citizen's word on
    whether the matter is solved. ``actor`` None means the citizen (proved by access code)."""
    if rating not in Rating.values:
        msg = _("评价须为：满意、基本满意或不满意。")
        raise CaseValidationError(msg, fields={"rating": [msg]})
    if resolved is not None and not isinstance(resolved, bool):
        msg = _("“问题是否解决”须为是或否。")
        raise CaseValidationError(msg, fields={"resolved": [msg]})
    if rating == Rating.DISSATISFIED and reason not in DissatisfiedReason.values:
        msg = _("请选择不满意的原因。")
        raise CaseValidationError(msg, fields={"reason": [msg]})
    reason = reason if rating == Rating.DISSATISFIED else ""
    comment = clean_text(comment, field="comment", label=_("评价意见"), max_length=2000, required=False)
    if reason == DissatisfiedReason.OTHER and not comment:
        msg = _("选择“其他”时请写明不满意的原因。")
        raise CaseValidationError(msg, fields={"comment": [msg]})
    with case_action(
        case,
        actor=actor,
        action=Transition.FEEDBACK,
        may=rules.may_feedback,
        transition=Case.feedback,
        expected_version=expected_version,
        note=comment,
        data={"rating": rating},
        client_ip=client_ip,
        now=now,
    ) as act:
        # The department whose answer is rated: a reopened case may be answered by another one, and
        # every round's rating stays counted for the department of that round (web.figures).
        act.data = {"rating": rating, "department": act.case.department.code if act.case.department_id else ""}
        if resolved is not None:
            act.data["resolved"] = resolved
        if reason:
            act.data["reason"] = reason
        act.case.feedback(rating=rating, comment=comment, resolved=resolved, reason=reason, now=act.now)
        if act.case.state == State.CLOSED:
            _publication_after_close(act.case)
    return act.case


def case_auto_close(*, case: Case | int, now: dt.datetime | None = None) -> Case:
    """Close an answered case whose feedback window ran out (the SLA worker)."""
    with case_action(
        case,
        actor=None,
        action=Transition.AUTO_CLOSE,
        may=rules.may_auto_close,
        transition=Case.auto_close,
        note=_("回访期满未评价，自动办结。"),
        as_label="system",
        now=now,
    ) as act:
        act.case.auto_close(now=act.now)
        _publication_after_close(act.case)
    return act.case


def case_reopen(
    *,
    case: Case | int,
    actor: User,
    department: Department | str | None = None,
    reason: str,
    expected_version: int | None = None,
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Send an answered or closed case back for handling. Side effects: fresh timers."""
    reason = clean_text(reason, field="reason", label=_("重办理由"), max_length=2000)
    pk = case.pk if isinstance(case, Case) else case
    if department:
        dept = _department(department, field="department")
    else:
        dept = Department.objects.filter(cases__pk=pk).first()
        if dept is None:
            msg = _("请选择承办单位。")
            raise CaseValidationError(msg, fields={"department": [msg]})
    with case_action(
        case,
        actor=actor,
        action=Transition.REOPEN,
        may=rules.may_reopen,
        transition=Case.reopen,
        expected_version=expected_version,
        note=reason,
        data={"department": dept.code},
        client_ip=client_ip,
        now=now,
    ) as act:
        if act.case.state == State.PENDING_DECISION:
            # The supervisor's decision on a dissatisfied rating of this department's answer.
            act.data["dissatisfied"] = True
            act.data["rated_department"] = act.case.department.code if act.case.department_id else ""
        act.case.reopen(department=dept, now=act.now)
        if act.case.publication == Publication.PENDING:
            act.case.publication = Publication.PRIVATE
    return act.case


# --- orthogonal actions -------------------------------------------------------------

HOLDABLE = frozenset({State.REGISTERED, State.ASSIGNED, State.IN_PROGRESS})


def _toggle_hold(
    case: Case | int,
    *,
    actor: User,
    hold: bool,
    reason: str,
    client_ip: str | None,
    expected_version: int | None,
    now: dt.datetime | None,
) -> Case:
    with case_action(
        case,
        actor=actor,
        action=Transition.HOLD if hold else Transition.RESUME,
        may=rules.may_hold,
        denied=_("您无权挂起或恢复此工单。"),
        expected_version=expected_version,
        note=reason,
        client_ip=client_ip,
        now=now,
    ) as act:
        locked = act.case
        if locked.state not in HOLDABLE:
            raise CaseConflict(
                _("当前状态为“%(state)s”，不能挂起或恢复。") % {"state": State(locked.state).label}, state=locked.state
            )
        if locked.on_hold == hold:
            msg = _("工单已处于挂起状态。") if hold else _("工单未被挂起。")
            raise CaseConflict(msg, state=locked.state)
        locked.on_hold = hold
        locked.hold_reason = reason if hold else ""
    return act.case


def case_hold(
    *,
    case: Case | int,
    actor: User,
    reason: str,
    client_ip: str | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Wait for the citizen to supply information. Side effects: the running timers pause."""
    reason = clean_text(reason, field="reason", label=_("挂起原因"), max_length=2000)
    return _toggle_hold(
        case, actor=actor, hold=True, reason=reason, client_ip=client_ip, expected_version=expected_version, now=now
    )


def case_resume(
    *,
    case: Case | int,
    actor: User,
    client_ip: str | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """End a hold. Side effects: paused timers resume with the time they had left."""
    return _toggle_hold(
        case, actor=actor, hold=False, reason="", client_ip=client_ip, expected_version=expected_version, now=now
    )


def case_reveal_contact(
    *, case: Case | int, actor: User, client_ip: str | None = None, now: dt.datetime | None = None
) -> dict[str, str]:
    """Show the citizen's full phone and ID number to a role that sees them masked; audited.
    Anyone who may see the case may reveal: the point is that it is on the record."""
    with case_action(
        case, actor=actor, action=Transition.REVEAL, note=_("查看了完整联系方式"), client_ip=client_ip, now=now
    ) as act:
        pass
    return {"phone": act.case.citizen_phone, "id_no": act.case.citizen_id_no}


def case_search(
    qs: QuerySet[Case],
    q: str,
    *,
    actor: User,
    surface: str,
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Case]:
    """The cases of ``qs`` matching ``q`` (``selectors.search_cases``). When the actor's role sees
    contact data masked and ``q`` is a complete phone or ID number, the search is recorded as a
    ``ContactSearch`` (the value kept masked and as a keyed digest, never in clear)."""
    found = selectors.search_cases(qs, q, user=actor)
    contact = selectors.contact_query((q or "").strip()[:100])
    if contact is not None and not rules.may_see_full_contact(actor):
        kind, value = contact
        ContactSearch.objects.create(
            at=now or timezone.now(),
            actor=actor,
            role=actor.role,
            surface=surface[:16],
            kind=kind,
            value_masked=mask_phone(value) if kind == "phone" else mask_id_number(value),
            value_digest=contact_digest(value),
            matches=found.count(),
            client_ip=client_ip,
        )
    return found


def contact_digest(value: str) -> str:
    """A keyed digest of a phone or ID number: equal values give equal digests, and without the
    SECRET_KEY the short space of phone numbers cannot be searched for the value."""
    return hmac.new(settings.SECRET_KEY.encode(), f"contact:{value}".encode(), hashlib.sha256).hexdigest()


def case_add_note(
    *, case: Case | int, actor: User, note: str, client_ip: str | None = None, now: dt.datetime | None = None
) -> CaseEvent:
    """An internal note on the timeline (not shown to the citizen)."""
    note = clean_text(note, field="note", label=_("备注"), max_length=2000)
    with case_action(case, actor=actor, action=Transition.NOTE, note=note, client_ip=client_ip, now=now) as act:
        pass
    assert act.event is not None
    return act.event


# --- publication (the redacted public copy; see cases/publication.py) ----------------------

PUBLICATION_FIELDS = frozenset({"publication", "public_title", "public_content", "public_answer", "published_at"})


def case_set_publication(
    *,
    case: Case | int,
    actor: User,
    action: str,
    allowed_from: Iterable[str],
    fields: dict[str, Any],
    note: str = "",
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Publish or withdraw the public copy: locks the case, checks the actor is dispatch staff (or,
    to withdraw, a supervisor) and the publication status allows it, sets ``fields`` (only
    publication/public_* fields), writes the event. The original question and answer are never
    touched. Validation and redaction live in cases/publication.py, which calls this."""
    assert set(fields) <= PUBLICATION_FIELDS
    may = rules.may_withdraw if action == Transition.WITHDRAW else rules.may_publish
    with case_action(
        case,
        actor=actor,
        action=action,
        may=may,
        denied=_("您无权管理网上公开。"),
        note=note,
        client_ip=client_ip,
        now=now,
    ) as act:
        locked = act.case
        if rules.is_restricted(locked) and action != Transition.WITHDRAW:
            raise CaseConflict(_("举报工作人员的工单不予公开。"), state=locked.state)
        if locked.publication not in set(allowed_from):
            raise CaseConflict(
                _("公开状态为“%(p)s”，不能执行“%(action)s”。")
                % {"p": Publication(locked.publication).label, "action": audit.action_label(action)},
                state=locked.state,
            )
        for name, value in fields.items():
            setattr(locked, name, value)
        act.data = {"publication": locked.publication}
    return act.case


# --- emergency handover ----------------------------------------------------------------


def _transfer_moment(value: Any, *, now: dt.datetime) -> dt.datetime:
    """When the matter was handed over: given (ISO 8601, or a datetime) or now; never in the future."""
    if value in (None, ""):
        return now
    moment = value
    if not isinstance(moment, dt.datetime):
        try:
            moment = dt.datetime.fromisoformat(str(value))
        except ValueError:
            msg = _("移交时间格式不正确，应为 ISO 8601（例如 2026-12-01T10:30:00+08:00）。")
            raise CaseValidationError(msg, fields={"at": [msg]}) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)  # a local time, as the desk types it
    if moment > now + dt.timedelta(minutes=1):
        msg = _("移交时间不能晚于现在。")
        raise CaseValidationError(msg, fields={"at": [msg]})
    return moment


def case_transfer_emergency(
    *,
    case: Case | int,
    actor: User,
    number: str,
    at: Any = None,
    note: str = "",
    expected_version: int | None = None,
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Hand a matter for 110/119/120/122 over (应急移交): the case leaves the desk as transferred,
    with the number and the time — not a rejection. Side effects: every clock stops; the public
    note says where it went and when."""
    now = now or timezone.now()
    if number not in EmergencyService.values:
        msg = _("请选择移交的应急号码（110、119、120 或 122）。")
        raise CaseValidationError(msg, fields={"number": [msg]})
    moment = _transfer_moment(at, now=now)
    note = clean_text(note, field="note", label=_("说明"), max_length=2000, required=False)
    public_note = _("已移交 %(service)s 处置（%(at)s）。") % {
        "service": EmergencyService(number).label,
        "at": timezone.localtime(moment).strftime("%Y-%m-%d %H:%M"),
    }
    with case_action(
        case,
        actor=actor,
        action=Transition.TRANSFER,
        may=rules.may_transfer_emergency,
        transition=Case.transfer,
        expected_version=expected_version,
        note=f"{public_note}{note}",
        data={"number": number, "at": moment.isoformat()},
        client_ip=client_ip,
        now=now,
    ) as act:
        act.case.transfer(number=number, at=moment, now=act.now)
    return act.case


def case_close(
    *,
    case: Case | int,
    actor: User,
    reason: str,
    expected_version: int | None = None,
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """A supervisor's decision on a dissatisfied rating (``pending_decision``): the answer stands and
    the case closes, with an explanation the citizen reads on the tracking page (the event's public
    note). The other decision is ``case_reopen``. Side effects: the case may be published."""
    reason = clean_text(reason, field="reason", label=_("办结说明"), max_length=2000)
    with case_action(
        case,
        actor=actor,
        action=Transition.CLOSE,
        may=rules.may_reopen,
        denied=_("只有督办员可以对不满意工单作出研判。"),
        transition=Case.close,
        expected_version=expected_version,
        note=reason,
        client_ip=client_ip,
        now=now,
    ) as act:
        act.data = {"department": act.case.department.code if act.case.department_id else ""}
        act.case.close(now=act.now)
        _publication_after_close(act.case)
    return act.case


# Name → service, for edges that dispatch on a transition name (API, console forms).
TRANSITION_SERVICES = {
    "resolve_directly": case_resolve_directly,
    "reject": case_reject,
    "merge": case_merge,
    "assign": case_assign,
    "return": case_return,
    "sign_for": case_sign_for,
    "reply": case_reply,
    "send_back": case_send_back,
    "approve": case_approve,
    "feedback": case_feedback,
    "reopen": case_reopen,
    "hold": case_hold,
    "resume": case_resume,
    "transfer": case_transfer_emergency,
    "close": case_close,
}

# Multi-tier dispatch, disputes and the dispatcher's correction (issue 12): cases/forwarding.py.
from .forwarding import FORWARDING_SERVICES  # noqa: E402  (it imports case_action from here)

TRANSITION_SERVICES.update(FORWARDING_SERVICES)
