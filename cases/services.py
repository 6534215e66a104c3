"""Every write to a case is one of these functions.

Each action service: locks the case row (``select_for_update``), checks the
actor may see the case and may take the action from the current state, runs the
django-fsm transition, saves, appends the hash-chained ``CaseEvent``, and
announces ``cases.domain.case_changed`` inside the transaction so that timers and
outbox rows commit with it. Nothing leaves the process before commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from . import rules
from .domain import case_changed
from .enums import Channel, Kind, Priority, Publication, Rating, ReplyChannel, Role, State, Transition
from .exceptions import CaseConflict, CaseNotFound, CasePermissionDenied, CaseValidationError
from .models import (
    Attachment, AttachmentKind, Case, CaseEvent, Category, DailySequence, Department, RejectReason, User,
)
from .validation import MAX_CONTENT, MAX_TITLE, clean_text, normalize_id_number, normalize_phone

# Actions whose event the citizen sees on the tracking page.
PUBLIC_ACTIONS = frozenset({
    Transition.REGISTER, Transition.RESOLVE_DIRECTLY, Transition.REJECT, Transition.MERGE,
    Transition.ASSIGN, Transition.SIGN_FOR, Transition.REPLY, Transition.APPROVE,
    Transition.FEEDBACK, Transition.AUTO_CLOSE, Transition.REOPEN, Transition.HOLD, Transition.RESUME,
})


@dataclass(frozen=True)
class Citizen:
    name: str = ""
    phone: str = ""
    email: str = ""
    id_no: str = ""


# --- helpers ------------------------------------------------------------------------

def _actor_label(actor: User | None, fallback: str) -> tuple[str, str]:
    if actor is None:
        return fallback, fallback
    return actor.display_name, actor.role


def _append_event(
    case: Case, *, actor: User | None, action: str, from_state: str, note: str = "",
    data: dict[str, Any] | None = None, client_ip: str | None = None, as_label: str = "citizen",
    public: bool | None = None,
) -> CaseEvent:
    """Append one event to the case's chain. The caller holds the case row lock."""
    last = CaseEvent.objects.filter(case=case).order_by("-seq").values("seq", "hash").first()
    label, role = _actor_label(actor, as_label)
    event = CaseEvent(
        case=case, seq=(last["seq"] + 1) if last else 1, at=timezone.now(), actor=actor,
        actor_label=label, role=role, transition=action, from_state=from_state, to_state=case.state,
        note=note, data=data or {}, public=action in PUBLIC_ACTIONS if public is None else public,
        client_ip=client_ip or None,
        prev_hash=last["hash"] if last else "",
    )
    event.hash = event.compute_hash()
    event.save()
    return event


def _lock(case: Case | int, actor: User | None, *, expected_version: int | None) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    try:
        locked = Case.objects.select_for_update(of=("self",)).select_related("department").get(pk=pk)
    except Case.DoesNotExist:
        raise CaseNotFound(_("工单不存在。")) from None
    if actor is not None and not rules.can_see_case(actor, locked):
        raise CaseNotFound(_("工单不存在。"))
    if expected_version is not None and expected_version != locked.version:
        raise CaseConflict(
            _("工单 %(no)s 已被他人更新（当前状态：%(state)s），请刷新后重试。")
            % {"no": locked.tracking_no, "state": State(locked.state).label},
            state=locked.state,
        )
    return locked


def _permission(bound_method: Any) -> Any:
    meta = bound_method._django_fsm
    return next(iter(meta.transitions.values())).permission


def _perform(
    case: Case | int, *, actor: User | None, action: str, method: str, kwargs: dict[str, Any] | None = None,
    note: str = "", data: dict[str, Any] | None = None, client_ip: str | None = None,
    expected_version: int | None = None, as_label: str = "citizen", before_save: Any = None,
) -> Case:
    with transaction.atomic():
        locked = _lock(case, actor, expected_version=expected_version)
        bound = getattr(locked, method)
        allowed_for_actor = bool(_permission(bound)(locked, actor))
        if not can_proceed(bound):
            if not allowed_for_actor:
                raise CasePermissionDenied(_("您无权执行此操作。"))
            raise CaseConflict(
                _("当前状态为“%(state)s”，不能执行“%(action)s”。")
                % {"state": State(locked.state).label, "action": Transition(action).label},
                state=locked.state,
            )
        if not allowed_for_actor:
            raise CasePermissionDenied(_("您无权执行此操作。"))
        from_state = locked.state
        bound(**(kwargs or {}))
        if before_save is not None:
            before_save(locked)
        locked.version = F("version") + 1
        locked.save()
        locked.refresh_from_db(fields=["version"])
        event = _append_event(
            locked, actor=actor, action=action, from_state=from_state, note=note, data=data,
            client_ip=client_ip, as_label=as_label,
        )
        case_changed.send(sender=Case, case=locked, event=event, action=action, actor=actor, payload=data or {})
    return locked


def _department(code_or_obj: Department | str | None, *, field: str) -> Department:
    if isinstance(code_or_obj, Department):
        return code_or_obj
    dept = Department.objects.filter(code=code_or_obj or "", active=True).first()
    if dept is None:
        msg = _("未知的承办单位：%(code)s") % {"code": code_or_obj or "—"}
        raise CaseValidationError(msg, fields={field: [msg]})
    return dept


# --- registration -------------------------------------------------------------------

def next_tracking_no(now: Any = None) -> str:
    """Date + per-day sequence, e.g. 2026112100042. Call inside a transaction."""
    day = timezone.localdate(now or timezone.now())
    DailySequence.objects.get_or_create(day=day)
    DailySequence.objects.filter(day=day).update(value=F("value") + 1)
    value = DailySequence.objects.filter(day=day).values_list("value", flat=True).get()
    return f"{day:%Y%m%d}{value:05d}"


def case_register(
    *, actor: User | None, channel: str, kind: str, category: Category | str, title: str, content: str,
    citizen: Citizen, location: str = "", publish_consent: bool = True, priority: str = Priority.NORMAL,
    reply_channel: str = "", client_ip: str | None = None, as_label: str = "citizen",
) -> Case:
    """Record a new case. Side effects: tracking_no + access_code issued; the SLA app starts
    the triage timer and the notifications app queues the receipt (both via ``case_changed``)."""
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

    if channel not in Channel.values:
        errors["channel"] = [_("未知的渠道：%(v)s") % {"v": channel}]
    if kind not in Kind.values:
        errors["kind"] = [_("未知的诉求类型：%(v)s") % {"v": kind}]
    if priority not in Priority.values:
        errors["priority"] = [_("未知的紧急程度：%(v)s") % {"v": priority}]
    if reply_channel and reply_channel not in ReplyChannel.values:
        errors["reply_channel"] = [_("未知的答复方式：%(v)s") % {"v": reply_channel}]
    cat = category if isinstance(category, Category) else Category.objects.filter(code=category or "", active=True).first()
    if cat is None:
        errors["category"] = [_("未知的业务分类：%(v)s") % {"v": category or "—"}]
    title = check(lambda: clean_text(title, field="title", label=_("标题"), max_length=MAX_TITLE))
    content = check(lambda: clean_text(content, field="content", label=_("诉求内容"), max_length=MAX_CONTENT))
    location = check(lambda: clean_text(location, field="location", label=_("地点"), max_length=300, required=False))
    name = check(lambda: clean_text(citizen.name, field="citizen.name", label=_("姓名"), max_length=100, required=False))
    phone = check(lambda: normalize_phone(citizen.phone, field="citizen.phone", required=channel in {Channel.HOTLINE, Channel.SMS}))
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
    if errors:
        first = next(iter(errors.values()))[0]
        raise CaseValidationError(first, fields=errors)

    with transaction.atomic():
        case = Case(
            tracking_no=next_tracking_no(), channel=channel, kind=kind, category=cat, priority=priority,
            title=title, content=content, location=location, citizen_name=name, citizen_phone=phone,
            citizen_email=email, citizen_id_no=id_no, reply_channel=reply_channel,
            publish_consent=bool(publish_consent), registered_by=actor,
        )
        case.save()
        event = _append_event(case, actor=actor, action=Transition.REGISTER, from_state="", client_ip=client_ip,
                              data={"channel": channel}, as_label=as_label)
        case_changed.send(sender=Case, case=case, event=event, action=Transition.REGISTER, actor=actor,
                          payload={"channel": channel})
    return case


def case_add_attachments(
    *, case: Case, actor: User | None, files: Iterable[Any], kind: str = AttachmentKind.CITIZEN,
) -> list[Attachment]:
    """Store files on a case. No state change and no event: the caller has already checked each
    file's type by content (``validation.sniff_content_type``) and its size, and calls this in the
    same transaction as the action the files belong to (e.g. the citizen's registration).
    ``files`` are uploaded files with ``name``, ``size`` and a ``content_type`` set to the sniffed type."""
    stored = []
    for upload in files:
        stored.append(Attachment.objects.create(
            case=case, kind=kind, file=upload, original_name=(upload.name or "")[-200:],
            content_type=upload.content_type, size=upload.size, uploaded_by=actor,
        ))
    return stored


# --- triage -------------------------------------------------------------------------

def case_resolve_directly(*, case: Case, actor: User, answer: str, **opts: Any) -> Case:
    """Answer on first contact. Side effects: triage timer met; answer relayed; feedback timer."""
    answer = clean_text(answer, field="answer", label=_("答复内容"), max_length=MAX_CONTENT)
    return _perform(case, actor=actor, action=Transition.RESOLVE_DIRECTLY, method="resolve_directly",
                    kwargs={"answer": answer}, note=answer, **opts)


def case_reject(*, case: Case, actor: User, reason: str, note: str = "", **opts: Any) -> Case:
    """Refuse the case with a reason from the fixed list. Side effects: citizen told; timers stop."""
    reason_obj = RejectReason.objects.filter(code=reason or "").first()
    if reason_obj is None:
        msg = _("请从列表中选择不予受理理由。")
        raise CaseValidationError(msg, fields={"reason": [msg]})
    note = clean_text(note, field="note", label=_("说明"), max_length=2000, required=False)
    return _perform(case, actor=actor, action=Transition.REJECT, method="reject",
                    kwargs={"reason": reason_obj, "note": note}, note=f"{reason_obj.name_zh}。{note}".rstrip("。"),
                    data={"reason": reason_obj.code}, **opts)


def case_merge(*, case: Case, actor: User, duplicate_of: str, **opts: Any) -> Case:
    """Close the case as a duplicate of another. Side effects: citizen told the other tracking_no."""
    target = Case.objects.filter(tracking_no=(duplicate_of or "").strip()).first()
    if target is None:
        msg = _("找不到要合并到的工单：%(no)s") % {"no": duplicate_of or "—"}
        raise CaseValidationError(msg, fields={"duplicate_of": [msg]})
    if target.pk == (case.pk if isinstance(case, Case) else case):
        msg = _("工单不能合并到自身。")
        raise CaseValidationError(msg, fields={"duplicate_of": [msg]})
    if target.state in {State.MERGED, State.REJECTED}:
        msg = _("目标工单 %(no)s 已是“%(s)s”，请合并到仍在办理的工单。") % {"no": target.tracking_no, "s": State(target.state).label}
        raise CaseValidationError(msg, fields={"duplicate_of": [msg]})
    return _perform(case, actor=actor, action=Transition.MERGE, method="merge", kwargs={"duplicate_of": target},
                    note=_("与工单 %(no)s 合并办理") % {"no": target.tracking_no},
                    data={"duplicate_of": target.tracking_no}, **opts)


def case_assign(
    *, case: Case, actor: User, department: Department | str, assisting_departments: Iterable[str | Department] = (),
    instructions: str = "", **opts: Any,
) -> Case:
    """Forward to a department. Side effects: sign-for, return-window and reply timers start;
    the department is notified."""
    dept = _department(department, field="department")
    if dept.is_dispatch:
        msg = _("不能转办给分拨中心本身。")
        raise CaseValidationError(msg, fields={"department": [msg]})
    assisting = [_department(d, field="assisting_departments") for d in assisting_departments or ()]
    assisting = [d for d in dict.fromkeys(assisting) if d.pk != dept.pk]
    instructions = clean_text(instructions, field="instructions", label=_("转办意见"), max_length=2000, required=False)

    def set_assisting(locked: Case) -> None:
        locked.assisting_departments.set(assisting)

    return _perform(case, actor=actor, action=Transition.ASSIGN, method="assign",
                    kwargs={"department": dept, "instructions": instructions}, note=instructions,
                    data={"department": dept.code, "assisting": [d.code for d in assisting]},
                    before_save=set_assisting, **opts)


# --- department ---------------------------------------------------------------------

def case_return(*, case: Case, actor: User, reason: str, **opts: Any) -> Case:
    """Hand the case back as not ours. Side effects: timers stop; triage timer restarts."""
    reason = clean_text(reason, field="reason", label=_("退单理由"), max_length=2000)
    dept_code = case.department.code if isinstance(case, Case) and case.department_id else ""

    def clear_assisting(locked: Case) -> None:
        locked.assisting_departments.clear()

    return _perform(case, actor=actor, action=Transition.RETURN, method="return_", note=reason,
                    data={"department": dept_code}, before_save=clear_assisting, **opts)


def case_sign_for(*, case: Case, actor: User, **opts: Any) -> Case:
    """Acknowledge the case. Side effects: sign-for timer met."""
    return _perform(case, actor=actor, action=Transition.SIGN_FOR, method="sign_for", **opts)


def case_reply(*, case: Case, actor: User, text: str, **opts: Any) -> Case:
    """Submit the department's answer for review. Side effects: reply timer met; review timer starts."""
    text = clean_text(text, field="text", label=_("答复内容"), max_length=MAX_CONTENT)
    return _perform(case, actor=actor, action=Transition.REPLY, method="reply", kwargs={"text": text}, note=text, **opts)


def case_save_reply_draft(*, case: Case, actor: User, text: str, client_ip: str | None = None) -> Case:
    """A clerk's draft for a department whose head submits replies. No state change."""
    text = clean_text(text, field="text", label=_("答复草稿"), max_length=MAX_CONTENT)
    with transaction.atomic():
        locked = _lock(case, actor, expected_version=None)
        if not (rules.is_case_department(actor, locked) and locked.state == State.IN_PROGRESS):
            raise CasePermissionDenied(_("您无权为此工单保存答复草稿。"))
        locked.reply_draft = text
        locked.save(update_fields=["reply_draft", "updated_at"])
        _append_event(locked, actor=actor, action=Transition.DRAFT_REPLY, from_state=locked.state, note=text,
                      client_ip=client_ip)
    return locked


# --- review -------------------------------------------------------------------------

def case_send_back(*, case: Case, actor: User, note: str, **opts: Any) -> Case:
    """Reject a weak reply. Side effects: review timer met; the reply timer resumes."""
    note = clean_text(note, field="note", label=_("退回意见"), max_length=2000)
    return _perform(case, actor=actor, action=Transition.SEND_BACK, method="send_back", note=note, **opts)


def case_approve(*, case: Case, actor: User, answer: str = "", **opts: Any) -> Case:
    """Accept the reply and relay the answer (defaults to the department's reply) to the citizen.
    Side effects: review timer met; answer sent on the citizen's channel; feedback timer starts."""
    answer = clean_text(answer, field="answer", label=_("答复内容"), max_length=MAX_CONTENT, required=False)
    pk = case.pk if isinstance(case, Case) else case
    answer = answer or Case.objects.filter(pk=pk).values_list("reply_text", flat=True).first() or ""
    if not answer:
        raise CaseValidationError(_("请填写答复内容。"), fields={"answer": [_("请填写答复内容。")]})
    return _perform(case, actor=actor, action=Transition.APPROVE, method="approve", kwargs={"answer": answer},
                    note=answer, **opts)


# --- citizen and closure ------------------------------------------------------------

def _publication_after_close(locked: Case) -> None:
    if locked.publication == Publication.PRIVATE and locked.publish_consent:
        locked.publication = Publication.PENDING


def case_feedback(*, case: Case, actor: User | None, rating: str, comment: str = "", **opts: Any) -> Case:
    """The citizen's rating closes the case. ``actor`` None means the citizen (proved by access code)."""
    if rating not in Rating.values:
        msg = _("评价须为：满意、基本满意或不满意。")
        raise CaseValidationError(msg, fields={"rating": [msg]})
    comment = clean_text(comment, field="comment", label=_("评价意见"), max_length=2000, required=False)
    return _perform(case, actor=actor, action=Transition.FEEDBACK, method="feedback",
                    kwargs={"rating": rating, "comment": comment}, note=comment, data={"rating": rating},
                    before_save=_publication_after_close, **opts)


def case_auto_close(*, case: Case | int) -> Case:
    """Close an answered case whose feedback window ran out (the SLA worker)."""
    return _perform(case, actor=None, action=Transition.AUTO_CLOSE, method="auto_close",
                    note=_("回访期满未评价，自动办结。"), as_label="system", before_save=_publication_after_close)


def case_reopen(*, case: Case, actor: User, department: Department | str | None = None, reason: str, **opts: Any) -> Case:
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

    def clear_publication(locked: Case) -> None:
        if locked.publication == Publication.PENDING:
            locked.publication = Publication.PRIVATE

    return _perform(case, actor=actor, action=Transition.REOPEN, method="reopen", kwargs={"department": dept},
                    note=reason, data={"department": dept.code}, before_save=clear_publication, **opts)


# --- orthogonal actions -------------------------------------------------------------

HOLDABLE = frozenset({State.REGISTERED, State.ASSIGNED, State.IN_PROGRESS})


def _toggle_hold(case: Case | int, *, actor: User, hold: bool, reason: str, client_ip: str | None,
                 expected_version: int | None) -> Case:
    with transaction.atomic():
        locked = _lock(case, actor, expected_version=expected_version)
        if not rules.may_hold(locked, actor):
            raise CasePermissionDenied(_("您无权挂起或恢复此工单。"))
        if locked.state not in HOLDABLE:
            raise CaseConflict(_("当前状态为“%(state)s”，不能挂起或恢复。") % {"state": State(locked.state).label},
                               state=locked.state)
        if locked.on_hold == hold:
            msg = _("工单已处于挂起状态。") if hold else _("工单未被挂起。")
            raise CaseConflict(msg, state=locked.state)
        locked.on_hold = hold
        locked.hold_reason = reason if hold else ""
        locked.version = F("version") + 1
        locked.save(update_fields=["on_hold", "hold_reason", "version", "updated_at"])
        locked.refresh_from_db(fields=["version"])
        action = Transition.HOLD if hold else Transition.RESUME
        event = _append_event(locked, actor=actor, action=action, from_state=locked.state, note=reason,
                              client_ip=client_ip)
        case_changed.send(sender=Case, case=locked, event=event, action=action, actor=actor, payload={})
    return locked


def case_hold(*, case: Case, actor: User, reason: str, client_ip: str | None = None,
              expected_version: int | None = None) -> Case:
    """Wait for the citizen to supply information. Side effects: the running timers pause."""
    reason = clean_text(reason, field="reason", label=_("挂起原因"), max_length=2000)
    return _toggle_hold(case, actor=actor, hold=True, reason=reason, client_ip=client_ip, expected_version=expected_version)


def case_resume(*, case: Case, actor: User, client_ip: str | None = None, expected_version: int | None = None) -> Case:
    """End a hold. Side effects: paused timers resume with the time they had left."""
    return _toggle_hold(case, actor=actor, hold=False, reason="", client_ip=client_ip, expected_version=expected_version)


def case_reveal_contact(*, case: Case, actor: User, client_ip: str | None = None) -> dict[str, str]:
    """Show the citizen's full phone and ID number to a role that sees them masked; audited."""
    with transaction.atomic():
        # Anyone who may see the case may reveal; the point is that it is on the record.
        locked = _lock(case, actor, expected_version=None)
        _append_event(locked, actor=actor, action=Transition.REVEAL, from_state=locked.state, client_ip=client_ip,
                      note=_("查看了完整联系方式"))
    return {"phone": locked.citizen_phone, "id_no": locked.citizen_id_no}


def case_add_note(*, case: Case, actor: User, note: str, client_ip: str | None = None) -> CaseEvent:
    """An internal note on the timeline (not shown to the citizen)."""
    note = clean_text(note, field="note", label=_("备注"), max_length=2000)
    with transaction.atomic():
        locked = _lock(case, actor, expected_version=None)
        return _append_event(locked, actor=actor, action=Transition.NOTE, from_state=locked.state, note=note,
                             client_ip=client_ip)


def case_record(
    *, case: Case, actor: User | None, action: str, note: str = "", data: dict[str, Any] | None = None,
    public: bool = False, client_ip: str | None = None,
) -> CaseEvent:
    """Put an orthogonal action of another app (an extension, a supervision order, an escalation:
    a ``Transition`` value, never a state change) on the case's timeline and audit chain, and
    announce it with ``case_changed``. The caller holds the case row lock in its transaction;
    ``actor`` None means the system (e.g. the SLA worker)."""
    event = _append_event(case, actor=actor, action=action, from_state=case.state, note=note, data=data,
                          client_ip=client_ip, as_label="system", public=public)
    case_changed.send(sender=Case, case=case, event=event, action=action, actor=actor, payload=data or {})
    return event


# --- publication (the redacted public copy; see cases/publication.py) ----------------------

def case_set_publication(
    *, case: Case | int, actor: User, action: str, allowed_from: Iterable[str], fields: dict[str, Any],
    note: str = "", client_ip: str | None = None,
) -> Case:
    """Publish or withdraw the public copy: locks the case, checks the actor is dispatch staff and the
    publication status allows it, sets ``fields`` (only publication/public_* fields), writes the event.
    The original question and answer are never touched. Validation and redaction live in
    cases/publication.py, which calls this."""
    assert set(fields) <= {"publication", "public_title", "public_content", "public_answer", "published_at"}
    with transaction.atomic():
        locked = _lock(case, actor, expected_version=None)
        if not (rules.is_dispatch(actor) or (action == Transition.WITHDRAW and rules.is_supervisor(actor))):
            raise CasePermissionDenied(_("您无权管理网上公开。"))
        if locked.publication not in set(allowed_from):
            raise CaseConflict(
                _("公开状态为“%(p)s”，不能执行“%(action)s”。")
                % {"p": Publication(locked.publication).label, "action": Transition(action).label},
                state=locked.state,
            )
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.version = F("version") + 1
        locked.save(update_fields=[*fields, "version", "updated_at"])
        locked.refresh_from_db(fields=["version"])
        event = _append_event(locked, actor=actor, action=action, from_state=locked.state, note=note,
                              client_ip=client_ip, data={"publication": locked.publication})
        case_changed.send(sender=Case, case=locked, event=event, action=action, actor=actor,
                          payload={"publication": locked.publication})
    return locked


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
}
