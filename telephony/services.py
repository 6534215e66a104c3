"""Every telephony write: call records, webhook receipts, case links, outbound calls.

Webhook handlers run inside ``run_once``: the effects and the receipt commit together, so a
Twilio retry (same Sid, same step) gets the stored answer back and changes nothing.
Real-time events go through notifications.events.publish, which sends after commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import rules
from cases.enums import Channel, Kind, State
from cases.exceptions import CaseValidationError
from cases.models import Case, User
from cases.services import Citizen, case_register
from cases.validation import normalize_phone
from notifications.events import publish
from notifications.transports import twilio_client

from . import twiml
from .enums import CALL_STATUS_RANK, FINAL_CALL_STATUSES, AgentState, CallPurpose, CallStatus, Direction, WrapUpCode
from .models import AgentStatus, Call, WebhookReceipt
from .selectors import agent_open_call, agent_state, call_ringing_data

log = logging.getLogger(__name__)

DESK = "desk"


class CallError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CallNotFound(CallError):
    """Unknown CallSid: 404."""


class CallConflict(CallError):
    """The call is over, or another agent took it: 409."""


# --- idempotency ----------------------------------------------------------------------


def run_once(kind: str, key: str, handler: Callable[[], str]) -> str:
    """Run ``handler`` once per (kind, key); a repeat returns the first answer unchanged."""
    stored = WebhookReceipt.objects.filter(kind=kind, key=key).values_list("response", flat=True).first()
    if stored is not None:
        log.info("twilio %s %s replayed: answering as before, changing nothing", kind, key)
        return stored
    try:
        with transaction.atomic():
            response = handler()
            WebhookReceipt.objects.create(kind=kind, key=key, response=response)
    except IntegrityError:
        # A concurrent copy of the same webhook committed first; ours rolled back entirely.
        stored = WebhookReceipt.objects.filter(kind=kind, key=key).values_list("response", flat=True).first()
        if stored is None:
            raise
        log.info("twilio %s %s delivered twice at once: the first delivery's answer stands", kind, key)
        return stored
    return response


# --- calls ----------------------------------------------------------------------------


def caller_phone_of(number: str) -> str:
    """The caller's number as cases store it, or "" (withheld, foreign, garbage)."""
    try:
        return normalize_phone(number)
    except CaseValidationError:
        return ""


def _locked_call(call_sid: str, **defaults: Any) -> tuple[Call, bool]:
    return Call.objects.select_for_update().get_or_create(call_sid=call_sid, defaults=defaults)


def _advance(call: Call, status: str) -> bool:
    """Move the status forward only: a late 'ringing' never revives a completed call."""
    if status not in CALL_STATUS_RANK or CALL_STATUS_RANK[status] < CALL_STATUS_RANK.get(call.status, 0):
        return False
    if status == call.status:
        return False
    call.status = status
    return True


def call_ring(*, call_sid: str, from_number: str, to_number: str, purpose: str) -> Call:
    """An incoming call reached us. Side effect: ``call.ringing`` to the desk (hotline calls)."""
    with transaction.atomic():
        call, created = _locked_call(
            call_sid,
            from_number=from_number,
            to_number=to_number,
            caller_phone=caller_phone_of(from_number),
            purpose=purpose,
            direction=Direction.INBOUND,
            status=CallStatus.RINGING,
        )
        if not created:
            # A status callback arrived first and made the row: complete it, keep its status.
            call.from_number = call.from_number or from_number
            call.to_number = call.to_number or to_number
            call.caller_phone = call.caller_phone or caller_phone_of(from_number)
            call.purpose = purpose
            _advance(call, CallStatus.RINGING)
            call.save()
        if purpose == CallPurpose.HOTLINE and not call.is_over:
            publish(DESK, "call.ringing", call_ringing_data(call))
    return call


def call_mark_self_service(*, call_sid: str) -> None:
    """The caller is in the out-of-hours menu: not a queue call, so never 'abandoned'."""
    Call.objects.filter(call_sid=call_sid).exclude(purpose=CallPurpose.AFTER_HOURS).update(
        purpose=CallPurpose.AFTER_HOURS
    )


def call_answer(*, call_sid: str, agent: User) -> Call:
    """The agent takes the call. Side effects: ``call.answered`` to the desk; with the Twilio
    backend, after commit, the queued caller is bridged to the agent."""
    with transaction.atomic():
        call = Call.objects.select_for_update().filter(call_sid=call_sid).first()
        if call is None:
            raise CallNotFound(_("通话不存在。"))
        if call.agent_id == agent.pk:
            return call  # pressed twice
        if call.agent_id is not None:
            raise CallConflict(_("该来电已由 %(agent)s 接听。") % {"agent": call.agent.display_name})
        if call.is_over or call.abandoned:
            raise CallConflict(_("来电已挂断。"))
        state = agent_state(agent)
        if state != AgentState.IDLE:
            raise CallConflict(_("您当前为“%(state)s”，请先示闲再接听。") % {"state": AgentState(state).label})
        now = timezone.now()
        _set_state(agent, AgentState.BUSY, now=now)  # on the call: offered no other
        call.agent = agent
        call.answered_at = now
        call.queue_wait_seconds = max(0, int((now - call.started_at).total_seconds()))
        _advance(call, CallStatus.IN_PROGRESS)
        call.save()
        publish(
            DESK,
            "call.answered",
            {"call_sid": call.call_sid, "agent": agent.username, "agent_name": agent.display_name},
        )
        if settings.TELEPHONY_BACKEND == "twilio":
            sid, target = call.call_sid, agent_dial_target(agent)
            transaction.on_commit(lambda: _bridge_rollback_unsafe(sid, target))
    return call


# --- agent status and wrap-up -----------------------------------------------------------


def _set_state(agent: User, state: str, *, now: datetime) -> AgentStatus:
    row, created = AgentStatus.objects.select_for_update().get_or_create(
        agent=agent, defaults={"status": state, "since": now}
    )
    if not created and row.status != state:
        row.status, row.since = state, now
        row.save(update_fields=["status", "since"])
    return row


def agent_status_set(*, agent: User, status: str, now: datetime | None = None) -> AgentStatus:
    """示闲 / 示忙 / 小休. An agent with a call still open (on it, or hung up without a wrap-up)
    cannot show idle: the wrap-up does that. Side effect: ``agent.status`` to the desk."""
    if not rules.is_intake(agent):
        raise CallError(_("只有话务员可以设置坐席状态。"))
    if status not in AgentState.values:
        raise CallError(_("未知的坐席状态：%(s)s") % {"s": status or "—"})
    now = now or timezone.now()
    with transaction.atomic():
        if status == AgentState.IDLE and agent_open_call(agent) is not None:
            raise CallConflict(_("请先完成当前通话的话后小结。"))
        row = _set_state(agent, status, now=now)
        publish(DESK, "agent.status", {"agent": agent.username, "status": row.status})
    return row


def call_wrap_up(*, call_sid: str, agent: User, code: str, note: str = "", now: datetime | None = None) -> Call:
    """The agent's wrap-up of a call they answered (after hang-up, or hanging up now). Side
    effect: the agent is idle again. Twice: 409; someone else's call: 404."""
    if code not in WrapUpCode.values:
        raise CallError(_("请选择话后小结。"))
    note = (note or "").strip()[:500]
    now = now or timezone.now()
    with transaction.atomic():
        call = Call.objects.select_for_update().filter(call_sid=call_sid, agent=agent).first()
        if call is None:
            raise CallNotFound(_("通话不存在。"))
        if call.wrap_up_at is not None:
            raise CallConflict(_("该通话已完成话后小结。"))
        call.wrap_up_code, call.wrap_up_note, call.wrap_up_at = code, note, now
        call.save(update_fields=["wrap_up_code", "wrap_up_note", "wrap_up_at", "updated_at"])
        _set_state(agent, AgentState.IDLE, now=now)
        publish(DESK, "agent.status", {"agent": agent.username, "status": AgentState.IDLE})
    return call


def agent_dial_target(agent: User) -> str:
    return getattr(settings, "TELEPHONY_AGENT_DIAL", "client:{username}").format(username=agent.username)


def _twilio_client() -> Any:
    return twilio_client()  # with settings.TWILIO_TIMEOUT on every request


def _bridge_rollback_unsafe(call_sid: str, target: str) -> None:
    try:
        _twilio_client().calls(call_sid).update(twiml=twiml.dial_agent(target))
    except Exception:  # the agent can still pick the caller from the queue on the softphone
        log.warning("could not bridge call %s to %s", call_sid, target, exc_info=True)


def _end(call: Call, *, duration: int | None, at: datetime) -> None:
    call.ended_at = call.ended_at or at
    if duration is not None:
        call.duration = duration
    if call.purpose != CallPurpose.HOTLINE:
        return  # self-service and call-backs are not the desk's business
    if call.answered_at is None:
        call.abandoned = True
    publish(DESK, "call.ended", {"call_sid": call.call_sid, "abandoned": call.abandoned, "duration": call.duration})


def call_status(
    *, call_sid: str, status: str, duration: int | None, from_number: str = "", to_number: str = "", direction: str = ""
) -> Call:
    """A status callback. Out of order or repeated callbacks never move a call backwards.
    Side effect: ``call.ended`` to the desk when a hotline call ends."""
    outbound = direction.startswith("outbound")  # our only outbound calls are satisfaction call-backs
    with transaction.atomic():
        call, _created = _locked_call(
            call_sid,
            from_number=from_number,
            to_number=to_number,
            caller_phone=caller_phone_of(to_number if outbound else from_number),
            direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
            purpose=CallPurpose.SURVEY if outbound else CallPurpose.HOTLINE,
            status=CallStatus.QUEUED,
        )
        was_over = call.is_over
        if not _advance(call, status):
            log.info("call %s: status %s after %s ignored (stale or repeated)", call_sid, status, call.status)
            return call
        now = timezone.now()
        if status == CallStatus.IN_PROGRESS and call.direction == Direction.OUTBOUND and not call.answered_at:
            call.answered_at = now  # the citizen picked up our call-back
        if status in FINAL_CALL_STATUSES and not was_over:
            _end(call, duration=duration, at=now)
        call.save()
    return call


def call_queue_result(*, call_sid: str, result: str, queue_time: int | None) -> str:
    """Enqueue's action: how the wait ended. 'bridged' means an agent took the call on the
    softphone (it may not have pressed "answer" on the desk); 'hangup' is an abandoned call."""
    with transaction.atomic():
        call, _created = _locked_call(call_sid, purpose=CallPurpose.HOTLINE, status=CallStatus.IN_PROGRESS)
        if queue_time is not None and call.queue_wait_seconds is None:
            call.queue_wait_seconds = queue_time
        if result == "bridged":
            call.answered_at = call.answered_at or timezone.now()
            _advance(call, CallStatus.IN_PROGRESS)
            call.save()
            return twiml.say_and_hang_up("感谢您的来电，再见。")
        if result == "hangup":
            if call.answered_at is None:
                call.abandoned = True
            call.save()
            return twiml.empty()
        call.save()
    log.warning("call %s left the queue with %s", call_sid, result)
    return twiml.queue_failed()


def link_call_case(*, call_sid: str, case: Case) -> Call:
    """Record that this call produced this case. Idempotent."""
    call = Call.objects.filter(call_sid=call_sid).first()
    if call is None:
        raise CallNotFound(_("通话不存在。"))
    call.cases.add(case)
    return call


# The agent's call a registration belongs to: on the line, else ended with this caller lately.
_JUST_ENDED_MINUTES = 30
_ON_THE_LINE = "(c.ended_at IS NULL AND NOT c.abandoned)"
_LINK_SQL = f"""
INSERT INTO {Call.cases.through._meta.db_table} (call_id, case_id)
SELECT c.id, %s FROM {Call._meta.db_table} c
 WHERE c.agent_id = %s AND c.purpose = %s AND c.answered_at IS NOT NULL
   AND ({_ON_THE_LINE} OR (%s <> '' AND c.caller_phone = %s AND c.ended_at >= %s))
 ORDER BY CASE WHEN {_ON_THE_LINE} THEN 1 ELSE 0 END DESC,
          CASE WHEN {_ON_THE_LINE} THEN c.answered_at ELSE c.ended_at END DESC, c.id DESC
 LIMIT 1
RETURNING call_id"""


def link_registered_case(*, case: Case, actor: User | None) -> int | None:
    """A hotline case registered by an agent belongs to the call that agent is on (or has just
    finished with the same caller): the call on the line wins, else the latest one with this caller
    that ended in the last half hour. Called from the case_changed receiver, in its transaction.
    Returns the linked call's id, or None.

    One statement on every registration, found or not: the link row is inserted from the lookup
    itself (an INSERT … SELECT, hand-written because building the ORM's query cost a registration
    more CPU than anything else it read)."""
    if actor is None or case.channel != Channel.HOTLINE:
        return None
    since = case.registered_at - timedelta(minutes=_JUST_ENDED_MINUTES)
    with connection.cursor() as cursor:
        cursor.execute(
            _LINK_SQL,
            [
                case.pk,
                actor.pk,
                CallPurpose.HOTLINE.value,
                case.citizen_phone or "",
                case.citizen_phone or "",
                connection.ops.adapt_datetimefield_value(since),
            ],
        )
        row = cursor.fetchone()
    return row[0] if row else None


# --- voice messages -------------------------------------------------------------------


def voicemail_category() -> str:
    return getattr(settings, "TELEPHONY_VOICEMAIL_CATEGORY", settings.TELEPHONY_SMS_DEFAULT_CATEGORY)


def recording_received(
    *, call_sid: str, recording_sid: str, url: str, duration: int | None, status: str, from_number: str = ""
) -> Case | None:
    """An out-of-hours voice message is ready: keep it on the call and register a case for the
    morning shift (actor: the citizen). A caller whose number we cannot use gets no case — the
    recording stays on the call record and is logged for the supervisor."""
    with transaction.atomic():
        call, _created = _locked_call(
            call_sid,
            purpose=CallPurpose.AFTER_HOURS,
            from_number=from_number,
            caller_phone=caller_phone_of(from_number),
            status=CallStatus.IN_PROGRESS,
        )
        if status and status != "completed":
            log.warning("recording %s for call %s ended with status %s", recording_sid, call_sid, status)
            return None
        call.recording_sid, call.recording_url, call.recording_duration = recording_sid, url, duration
        call.purpose = CallPurpose.AFTER_HOURS  # it took the self-service path, not the queue
        call.save()
        number = call.caller_phone or call.from_number
        local = timezone.localtime(call.started_at)
        content = (
            f"非工作时间语音留言。来电号码：{number or '未知'}；来电时间：{local:%Y-%m-%d %H:%M}；"
            f"录音时长：{duration if duration is not None else '未知'}秒。录音地址：{url}\n"
            "请话务员收听录音后补充诉求内容并分拨。"
        )
        try:
            with transaction.atomic():
                case = case_register(
                    actor=None,
                    channel=Channel.HOTLINE,
                    kind=Kind.HELP,
                    category=voicemail_category(),
                    title=f"语音留言 {number or call_sid}"[:200],
                    content=content,
                    citizen=Citizen(phone=call.caller_phone),
                    publish_consent=False,
                    as_label="citizen",
                )
        except CaseValidationError as exc:
            log.warning("voice message %s on call %s not registered: %s", recording_sid, call_sid, exc.fields)
            return None
        call.cases.add(case)
    return case


# --- satisfaction call-back ---------------------------------------------------------------


def survey_call_request(*, case: Case, actor: User | None) -> None:
    """Ask the citizen to rate the answer by phone. The call is placed after commit (Twilio
    backend) or logged (console backend); the answers come back through voice/survey/."""
    if actor is not None and not rules.may_feedback(case, actor):
        raise CallError(_("您无权发起回访。"))
    if case.state != State.ANSWERED:
        raise CallConflict(_("工单状态为“%(state)s”，不需要回访评价。") % {"state": State(case.state).label})
    if not case.citizen_phone:
        raise CallError(_("工单没有联系电话，无法电话回访。"))
    to = "+86" + case.citizen_phone.removeprefix("0")  # E.164: a landline drops its trunk 0
    url = twiml.absolute("voice_survey", case=case.tracking_no)
    transaction.on_commit(lambda: _place_survey_call_rollback_unsafe(to, url, case.tracking_no))


def _place_survey_call_rollback_unsafe(to: str, url: str, tracking_no: str) -> None:
    if settings.TELEPHONY_BACKEND != "twilio":
        log.info("console telephony: would call %s for the rating of %s via %s", to, tracking_no, url)
        return
    try:
        _twilio_client().calls.create(
            to=to,
            from_=settings.TWILIO_FROM_NUMBER,
            url=url,
            method="POST",
            status_callback=twiml.absolute("voice_status"),
            status_callback_method="POST",
            status_callback_event=["initiated", "ringing", "answered", "completed"],
        )
    except Exception:  # the feedback window still runs; an agent can call back by hand
        log.warning("survey call for %s to %s could not be placed", tracking_no, to, exc_info=True)


def survey_call_start(*, call_sid: str, tracking_no: str, to_number: str) -> tuple[Call, Case | None]:
    """Our outbound survey call was answered; tie it to the case it asks about."""
    with transaction.atomic():
        case = Case.objects.filter(tracking_no=tracking_no).first()
        call, _created = _locked_call(
            call_sid,
            direction=Direction.OUTBOUND,
            purpose=CallPurpose.SURVEY,
            to_number=to_number,
            status=CallStatus.IN_PROGRESS,
            answered_at=timezone.now(),
        )
        call.purpose = CallPurpose.SURVEY
        call.survey_case = call.survey_case or case
        call.save()
    return call, call.survey_case
