"""The voice conversations: what the caller hears at each step and what it does.

In hours a call goes straight to the agents. Out of hours the caller may leave a voice
message (1) or key a tracking number to hear its status (2). The survey call asks for
1/2/3. Wrong keys get a spoken apology and another try, up to ``twiml.MAX_TRIES``.
"""

from __future__ import annotations

import logging
import re

from django.utils import timezone

from cases.enums import DissatisfiedReason, Rating, State
from cases.exceptions import CaseError
from cases.models import Case
from cases.services import case_feedback

from . import hours, services, twiml
from .enums import CallPurpose, GatherStep
from .models import Call
from .selectors import case_status_sentence

log = logging.getLogger(__name__)

TRACKING_NO = re.compile(r"^\d{13}$")
GOODBYE = "感谢您的来电，再见。"
TOO_MANY = "抱歉，未能识别您的按键。请在工作时间再拨95100，再见。"
NOTHING_TO_RATE = "您的工单目前没有需要评价的答复，感谢您的支持，再见。"
SURVEY_RATINGS = {"1": Rating.SATISFIED, "2": Rating.BASICALLY_SATISFIED, "3": Rating.DISSATISFIED}


def incoming(*, call_sid: str, from_number: str, to_number: str) -> str:
    purpose = CallPurpose.HOTLINE if hours.is_open() else CallPurpose.AFTER_HOURS
    call = services.call_ring(call_sid=call_sid, from_number=from_number, to_number=to_number, purpose=purpose)
    if call.purpose == CallPurpose.HOTLINE:
        return twiml.greeting_to_queue()
    return twiml.after_hours_menu(1)


def gather(*, call_sid: str, step: str, attempt: int, digits: str, from_number: str = "") -> str:
    if step == GatherStep.MENU:
        services.call_mark_self_service(call_sid=call_sid)
        return _menu(attempt, digits)
    if step == GatherStep.TRACK:
        return _track(attempt, digits, services.caller_phone_of(from_number))
    if step == GatherStep.RECORDED:
        return twiml.say_and_hang_up("您的留言已收到，我们将在上班后尽快处理。感谢您的来电，再见。")
    if step == GatherStep.SURVEY:
        return _survey(call_sid, attempt, digits)
    log.warning("gather for call %s with unknown step %r", call_sid, step)
    return twiml.say_and_hang_up(GOODBYE)


def _retry(attempt: int) -> int | None:
    return attempt + 1 if attempt < twiml.MAX_TRIES else None


def _menu(attempt: int, digits: str) -> str:
    if digits == "1":
        return twiml.record_message()
    if digits == "2":
        return twiml.ask_tracking_no(1)
    nxt = _retry(attempt)
    if nxt is None:
        return twiml.say_and_hang_up(TOO_MANY)
    apology = "抱歉，没有听到您的选择。" if not digits else "抱歉，您的按键无效。"
    return twiml.after_hours_menu(nxt, apology=apology)


def _track(attempt: int, digits: str, caller_phone: str) -> str:
    """Read a case's status to the number it was registered from. Tracking numbers are
    sequential, so anyone else hears exactly what an unknown number gets (the access code,
    which has letters, cannot be keyed; SMS 查询 accepts it)."""
    digits = digits.strip().rstrip("#")
    case = (
        Case.objects.select_related("department").filter(tracking_no=digits).first()
        if TRACKING_NO.match(digits)
        else None
    )
    if case is not None and (not caller_phone or case.citizen_phone != caller_phone):
        case = None
    if case is not None:
        sentence = case_status_sentence(case, now=timezone.now())
        sentence = sentence.replace(case.tracking_no, twiml.spell(case.tracking_no))
        return twiml.say_and_hang_up(sentence, GOODBYE)
    log.info("status check: no case for keyed digits %r", digits[:40])
    nxt = _retry(attempt)
    if nxt is None:
        return twiml.say_and_hang_up("抱歉，未能找到您的工单。请在工作时间再拨95100，再见。")
    if not digits:
        apology = "抱歉，没有收到您的输入。"
    elif not TRACKING_NO.match(digits):
        apology = "抱歉，流水号应为13位数字。"
    else:
        apology = "抱歉，没有找到这个流水号，请核对后重新输入。"
    return twiml.ask_tracking_no(nxt, apology=apology)


def survey(*, call_sid: str, tracking_no: str, to_number: str) -> str:
    _call, case = services.survey_call_start(call_sid=call_sid, tracking_no=tracking_no, to_number=to_number)
    if case is None or case.state != State.ANSWERED:
        log.info("survey call %s: case %s is not awaiting a rating", call_sid, tracking_no)
        return twiml.say_and_hang_up(NOTHING_TO_RATE)
    return twiml.survey_question(case.tracking_no, 1)


def _survey(call_sid: str, attempt: int, digits: str) -> str:
    call = Call.objects.select_related("survey_case").filter(call_sid=call_sid).first()
    case = call.survey_case if call else None
    if case is None:
        log.warning("survey keypress on call %s which asks about no case", call_sid)
        return twiml.say_and_hang_up(GOODBYE)
    rating = SURVEY_RATINGS.get(digits)
    if rating is None:
        nxt = _retry(attempt)
        if nxt is None:
            return twiml.say_and_hang_up(TOO_MANY)
        return twiml.survey_question(case.tracking_no, nxt, apology="抱歉，请按1、2或3。")
    try:
        case_feedback(
            case=case,
            actor=None,
            rating=rating,
            comment="电话回访按键评价",
            reason=DissatisfiedReason.UNSTATED if rating == Rating.DISSATISFIED else "",
        )
    except CaseError as exc:  # rated meanwhile (SMS, web) or reopened: say so, change nothing
        log.info("survey rating on %s refused: %s", case.tracking_no, exc.message)
        return twiml.say_and_hang_up(NOTHING_TO_RATE)
    services.link_call_case(call_sid=call_sid, case=case)
    if rating == Rating.DISSATISFIED:
        return twiml.say_and_hang_up("感谢您的评价。我们会安排专人跟进您的诉求，再见。")
    return twiml.say_and_hang_up("感谢您的评价，再见。")
