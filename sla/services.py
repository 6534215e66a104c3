"""Writes of the sla app beside the timers: extensions, supervision orders and escalations.

Each service runs inside ``cases.services.case_action``: the case row is locked first (the order
every case service uses: case, then timers) and the actor's visibility checked; the body checks who
may act (403) before the state of things (409) with ``sla.rules``, the same predicates the pages
use, then changes this app's rows; on leaving, one entry is appended to the case's timeline and
audit chain under this app's dotted action names (``sla.enums.AuditAction``) and ``case_changed``
is announced. Real-time events go out after commit.
Errors are the cases app's (``CaseValidationError`` 400, ``CasePermissionDenied`` 403,
``CaseNotFound`` 404, ``CaseConflict`` 409) so every edge maps them the same way.

Extension caps (how far a deadline may move, counted from the reply timer's original due time):
- 信访 letters (``LETTER_CHANNELS``): the statutory maximum, +30 calendar days;
- every other case: +15 working days on the timer's calendar (the hotline's usual practice:
  three working weeks is the most a department may add before the matter needs a new case).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import rules
from cases.enums import LETTER_CHANNELS, OPEN_STATES, State
from cases.exceptions import CaseConflict, CaseNotFound, CasePermissionDenied, CaseValidationError
from cases.models import Case, Department, User
from cases.services import case_action
from cases.validation import clean_text, parse_moment, require_text

from . import events, timers
from . import rules as sla_rules
from .calendar import compute_deadline
from .enums import AuditAction, ExtensionStatus, Stage, SupervisionLevel, TimerStatus
from .models import LIVE, Extension, SupervisionOrder, Timer

log = logging.getLogger(__name__)

LETTER_CAP_CALENDAR_DAYS = 30
OTHER_CAP_WORKING_DAYS = 15


def _fmt(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def parse_until(value: object, *, field: str = "until") -> dt.datetime:
    """An ISO datetime (naive = local time) or a date (= the end of that day, 23:59:59 local)."""
    text = require_text(value, field=field, label=_("延期至")).strip()
    if not text:
        raise CaseValidationError(_("请填写延期至的日期。"), fields={field: [_("请填写延期至的日期。")]})
    moment = parse_moment(text, date_at=dt.time(23, 59, 59))  # a date is the end of that day
    if moment is None:
        msg = _("日期格式不正确：%(v)s（应为 2026-12-31 或 2026-12-31T17:30:00+08:00）。") % {"v": text[:40]}
        raise CaseValidationError(msg, fields={field: [msg]})
    return moment


def extension_cap(case: Case, timer: Timer) -> dt.datetime:
    """The latest date an extension may reach (see the module docstring)."""
    if case.channel in LETTER_CHANNELS:
        return compute_deadline(timer.calendar, timer.original_due_at, calendar_days=LETTER_CAP_CALENDAR_DAYS).due_at
    return compute_deadline(timer.calendar, timer.original_due_at, working_days=OTHER_CAP_WORKING_DAYS).due_at


def _reply_timer(case: Case) -> Timer | None:
    return (
        Timer.objects.select_for_update(of=("self",))
        .select_related("calendar")
        .filter(LIVE, case=case, stage=Stage.REPLY)
        .order_by("-id")
        .first()
    )


# --- extensions -------------------------------------------------------------------------


def extension_request(
    *,
    case: Case | int,
    actor: User,
    until: object,
    reason: str,
    now: dt.datetime | None = None,
) -> Extension:
    """The case's department asks for a later reply deadline. Refused after the deadline, beyond the
    cap, by anyone but the lead department, or while another request is pending.
    Side effects: an internal timeline entry (``sla.extension.requested``); ``extension.requested``
    to the board."""
    reason = clean_text(reason, field="reason", label=_("延期理由"), max_length=2000)
    until_at = parse_until(until)
    with case_action(case, actor=actor, action=AuditAction.EXTENSION_REQUESTED, note=reason, now=now) as act:
        locked = act.case
        if not sla_rules.may_request_extension(actor, locked):
            if not rules.is_case_department(actor, locked):
                raise CasePermissionDenied(_("只有本工单的承办单位可以申请延期。"))
            raise CaseConflict(
                _("当前状态为“%(state)s”，不能申请延期。") % {"state": State(locked.state).label}, state=locked.state
            )
        timer = _reply_timer(locked)
        if timer is None:
            raise CaseConflict(_("此工单没有正在计时的答复期限。"), state=locked.state)
        if timer.status == TimerStatus.PAUSED:
            raise CaseConflict(_("工单挂起中，计时已暂停，恢复后再申请延期。"), state=locked.state)
        if timer.status == TimerStatus.BREACHED or timer.due_at <= act.now:
            raise CaseConflict(
                _("答复期限 %(due)s 已过，不能再申请延期。") % {"due": _fmt(timer.due_at)}, state=locked.state
            )
        if Extension.objects.filter(timer=timer, status=ExtensionStatus.PENDING).exists():
            raise CaseConflict(_("已有一项延期申请在等待审批。"), state=locked.state)
        if until_at <= timer.due_at:
            msg = _("延期至的时间须晚于当前答复期限 %(due)s。") % {"due": _fmt(timer.due_at)}
            raise CaseValidationError(msg, fields={"until": [msg]})
        cap = extension_cap(locked, timer)
        if locked.handling_department_id is not None:
            # A sub-unit's clock never ends after the reply deadline of the unit that forwarded it (二次派单).
            parent = (
                Timer.objects.filter(LIVE, case=locked, stage=Stage.REPLY)
                .exclude(pk=timer.pk)
                .order_by("-started_at", "-id")
                .values_list("due_at", flat=True)
                .first()
            )
            cap = min(cap, parent) if parent is not None else cap
        if until_at > cap:
            msg = _("延期超过上限：最晚可延至 %(cap)s。") % {"cap": _fmt(cap)}
            raise CaseValidationError(msg, fields={"until": [msg]})
        ext = Extension.objects.create(
            case=locked,
            timer=timer,
            department=rules.acting_department(locked),  # a sub-unit asks for its own clock
            requested_by=actor,
            requested_at=act.now,
            previous_due_at=timer.due_at,
            until=until_at,
            reason=reason,
        )
        act.data = {"extension": ext.pk, "until": until_at.isoformat()}
        events.extension_event(ext, locked)
    return ext


def extension_decide(
    *,
    extension: Extension | int,
    actor: User,
    grant: bool,
    note: str = "",
    now: dt.datetime | None = None,
) -> Extension:
    """A supervisor grants or refuses a pending request. A grant moves the reply timer's deadline
    (clearing a breach) and the citizen is told the new date (a public ``sla.extension.granted``
    entry); a refusal is internal (``sla.extension.refused``).
    Side effects: timeline entry; ``extension.granted``/``extension.refused`` to board and inbox."""
    if not isinstance(grant, bool):
        raise CaseValidationError(_("请选择批准或不批准。"), fields={"grant": [_("请选择批准或不批准。")]})
    note = clean_text(note, field="note", label=_("审批意见"), max_length=2000, required=not grant)
    ext_id = extension.pk if isinstance(extension, Extension) else extension
    case_id = Extension.objects.filter(pk=ext_id).values_list("case_id", flat=True).first()
    if case_id is None:
        raise CaseNotFound(_("延期申请不存在。"))
    action = AuditAction.EXTENSION_GRANTED if grant else AuditAction.EXTENSION_REFUSED
    with case_action(case_id, actor=actor, action=action, now=now) as act:
        locked = act.case
        if not sla_rules.is_extension_decider(actor):
            raise CasePermissionDenied(_("只有督办员可以审批延期申请。"))
        ext = (
            Extension.objects.select_for_update(of=("self",))
            .select_related("timer__calendar", "department")
            .get(pk=ext_id)
        )
        if not sla_rules.may_decide_extension(actor, ext):
            raise CaseConflict(
                _("该延期申请已处理（%(s)s）。") % {"s": ExtensionStatus(ext.status).label}, state=locked.state
            )
        timer = Timer.objects.select_for_update(of=("self",)).select_related("calendar").get(pk=ext.timer_id)
        if grant:
            if timer.stopped_at is not None:
                raise CaseConflict(_("答复已提交，无需延期。"), state=locked.state)
            if ext.until <= act.now:
                raise CaseConflict(
                    _("申请延期至的时间 %(u)s 已过，请退回后由承办单位重新申请。") % {"u": _fmt(ext.until)},
                    state=locked.state,
                )
            timers.timer_extend(timer=timer, until=ext.until, now=act.now)
        ext.status = ExtensionStatus.GRANTED if grant else ExtensionStatus.REFUSED
        ext.decided_by, ext.decided_at, ext.decision_note = actor, act.now, note
        ext.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        # The public note of a grant is the new deadline; a refusal's reason stays internal.
        act.note = (_("办理期限延长至 %(u)s。") % {"u": _fmt(ext.until)}) if grant else note
        act.data = {"extension": ext.pk, "granted": grant, "until": ext.until.isoformat(), "note": note}
        events.extension_event(ext, locked)
    return ext


# --- supervision orders -----------------------------------------------------------------


def order_event_data(order: SupervisionOrder) -> dict[str, Any]:
    return {
        "order": order.pk,
        "level": order.level,
        "department": order.department.code if order.department else None,
        "stage": order.timer.stage if order.timer_id else None,
    }


def supervision_issue(
    *,
    case: Case | int,
    actor: User,
    level: object,
    note: str,
    department: object = None,
    answer_by: object = None,
    now: dt.datetime | None = None,
) -> SupervisionOrder:
    """A supervisor's order about an open case to its department (or the dispatch desk before assignment).
    ``department`` (a code; optional) addresses another department that holds or held the case (a
    sub-unit it was forwarded to, or the lead department); ``answer_by`` (a date or datetime;
    optional) is when the answer is due: it must lie in the future.
    Side effects: internal timeline entry (``sla.supervision.issued``); ``supervision.issued`` to the
    board and the department's inbox."""
    if isinstance(level, bool) or level not in SupervisionLevel.values:
        msg = _("督办级别须为 1（催办）、2（督办）或 3（通报）。")
        raise CaseValidationError(msg, fields={"level": [msg]})
    note = clean_text(note, field="note", label=_("督办意见"), max_length=2000)
    answer_by_at = parse_until(answer_by, field="answer_by") if answer_by not in (None, "") else None
    code = require_text(department, field="department", label=_("被督办单位")).strip() if department else ""
    addressee = Department.objects.filter(code=code, active=True).first() if code else None
    if code and addressee is None:
        msg = _("未知的承办单位：%(code)s") % {"code": code[:32]}
        raise CaseValidationError(msg, fields={"department": [msg]})
    with case_action(case, actor=actor, action=AuditAction.SUPERVISION_ISSUED, note=note, now=now) as act:
        locked = act.case
        if not rules.is_supervisor(actor):
            raise CasePermissionDenied(_("只有督办员可以下达督办单。"))
        if locked.state not in OPEN_STATES:
            raise CaseConflict(
                _("当前状态为“%(state)s”，无需督办。") % {"state": State(locked.state).label}, state=locked.state
            )
        if answer_by_at is not None and answer_by_at <= act.now:
            msg = _("限期回复的时间须晚于现在。")
            raise CaseValidationError(msg, fields={"answer_by": [msg]})
        stage = Stage.TRIAGE if locked.state == State.REGISTERED else Stage.REPLY
        if addressee is not None and addressee.pk not in _addressable(locked):
            msg = _("“%(name)s”没有承办过此工单，请选择承办过它的单位。") % {"name": addressee.name_zh}
            raise CaseValidationError(msg, fields={"department": [msg]})
        order = SupervisionOrder.objects.create(
            case=locked,
            department=addressee or timers.responsible_department(locked, stage),
            level=int(level),
            issued_by=actor,
            issued_at=act.now,
            note=note,
            answer_by=answer_by_at,
        )
        act.data = order_event_data(order)
        events.supervision_event(order, locked)
    return order


def _addressable(case: Case) -> set[int]:
    """Departments an order about ``case`` may go to: every level it passed, and the dispatch desk."""
    ids = set(case.assignments.values_list("department_id", flat=True))
    ids |= {d for d in (case.department_id, case.handling_department_id) if d is not None}
    desk = timers.responsible_department(case, Stage.TRIAGE)
    if desk is not None:
        ids.add(desk.pk)
    return ids


def supervision_escalate(
    *,
    case: Case | int,
    timer: Timer,
    level: int,
    note: str,
    now: dt.datetime,
) -> SupervisionOrder | None:
    """The SLA worker's order for a breached timer (the caller holds the case and timer locks).
    Side effects: internal timeline entry (``sla.timer.escalated``, by the system); board and inbox
    event. None, and nothing written, when this level was already issued for this timer: the unique
    (timer, level) constraint refuses a double escalation, and the action's savepoint keeps the
    caller's transaction usable."""
    try:
        with case_action(
            case, actor=None, action=AuditAction.TIMER_ESCALATED, as_label="system", note=note, now=now
        ) as act:
            order = SupervisionOrder.objects.create(
                case=act.case,
                timer=timer,
                department=timer.department,
                level=level,
                issued_by=None,
                issued_at=act.now,
                note=note,
            )
            act.data = order_event_data(order)
            events.supervision_event(order, act.case)
    except IntegrityError:
        log.warning("escalation of timer %s to level %s already issued; skipped", timer.pk, level)
        return None
    return order


def supervision_answer(
    *,
    order: SupervisionOrder | int,
    actor: User,
    text: str,
    now: dt.datetime | None = None,
) -> SupervisionOrder:
    """The department answers an order (once). Side effects: internal timeline entry
    (``sla.supervision.answered``); board event."""
    text = clean_text(text, field="text", label=_("回复内容"), max_length=4000)
    order_id = order.pk if isinstance(order, SupervisionOrder) else order
    case_id = SupervisionOrder.objects.filter(pk=order_id).values_list("case_id", flat=True).first()
    if case_id is None:
        raise CaseNotFound(_("督办单不存在。"))
    with case_action(case_id, actor=actor, action=AuditAction.SUPERVISION_ANSWERED, note=text, now=now) as act:
        locked_order = (
            SupervisionOrder.objects.select_for_update(of=("self",)).select_related("department").get(pk=order_id)
        )
        # Who may answer depends on the order, which is only read under the case lock.
        if not sla_rules.may_answer_order(actor, locked_order):
            if not sla_rules.is_order_addressee(actor, locked_order):
                raise CasePermissionDenied(_("只有被督办单位可以回复督办单。"))
            raise CaseConflict(_("该督办单已回复。"), state=act.case.state)
        locked_order.answer, locked_order.answered_by, locked_order.answered_at = text, actor, act.now
        locked_order.save(update_fields=["answer", "answered_by", "answered_at"])
        act.data = {"order": locked_order.pk, "level": locked_order.level}
        events.supervision_event(locked_order, act.case)
    return locked_order
