"""Inbound SMS: register a matter, answer a status query, or take a 1/2/3 rating.

- ``1``/``2``/``3`` from a number with an answered case awaiting feedback → the rating.
- ``查询 <流水号>`` (optionally followed by the access code) → the status sentence. Without
  the access code, only the number the case was registered with gets an answer.
- A message that carries the tracking number of an open case registered with the sender's number,
  or that starts with ``补充`` (a reply in the thread of the sender's latest open case) → a
  supplement to that case (``cases.supplements``), the department is told.
- A short message that is not a rating ("4", "好的") while the sender has an answered case waiting
  for a rating, or a bare number → a short help answer, never a new case.
- Anything else → a new case (channel sms, kind help, category
  settings.TELEPHONY_SMS_DEFAULT_CATEGORY — the dispatcher re-files it at triage), answered
  with tracking_no + access_code.
Empty, over-long or unattributable messages get a clear reply and create nothing.
"""

from __future__ import annotations

import logging
import re
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cases.enums import OPEN_STATES, Channel, DissatisfiedReason, Kind, Rating, ReplyChannel
from cases.exceptions import CaseConflict, CaseError, CaseValidationError
from cases.models import Case
from cases.services import Citizen, case_feedback, case_register
from cases.supplements import case_supplement
from cases.validation import MAX_CONTENT

from .enums import Direction, SmsIntent
from .models import SmsMessage
from .selectors import case_awaiting_rating, case_status_sentence
from .services import caller_phone_of

log = logging.getLogger(__name__)

RATINGS = {"1": Rating.SATISFIED, "2": Rating.BASICALLY_SATISFIED, "3": Rating.DISSATISFIED}
QUERY = re.compile(r"^(?:查询|查|CX)\s*[:：]?\s*(\d{1,20})\s*([A-Za-z0-9]{6})?$", re.IGNORECASE)
TITLE_CHARS = 30
# A tracking number inside a message (13 digits: date + 5-digit sequence), not part of a longer number.
TRACKING_NO = re.compile(r"(?<!\d)(\d{13})(?!\d)")
SUPPLEMENT_PREFIX = re.compile(r"^\s*(?:补充材料|补充|BC)\s*[:：]?\s*", re.IGNORECASE)
# A reply this short that is not a rating is an acknowledgement ("好的", "4"), not a new matter.
SHORT_REPLY = 6
_PUNCTUATION = re.compile(r"[\s,.!?;:，。！？；：、~～…]+")
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def _title(body: str) -> str:
    first = body.splitlines()[0].strip()
    return first if len(first) <= TITLE_CHARS else first[:TITLE_CHARS] + "…"


def _query(phone: str, tracking_no: str, code: str) -> tuple[str, Case | None]:
    case = Case.objects.select_related("department").filter(tracking_no=tracking_no).first()
    owns = case is not None and (
        (phone and case.citizen_phone == phone) or (code and secrets.compare_digest(case.access_code, code.upper()))
    )
    if not owns:
        # Same answer for unknown and not-yours: a stranger learns nothing.
        return f"未找到工单{tracking_no}。请核对流水号，或在流水号后附上6位查询码。", None
    return case_status_sentence(case, now=timezone.now()), case


def _rate(phone: str, digit: str) -> tuple[str, Case | None]:
    case = case_awaiting_rating(phone)
    if case is None:
        return "您目前没有待评价的工单。如需反映诉求，请直接发送诉求内容。", None
    try:
        case = case_feedback(
            case=case,
            actor=None,
            rating=RATINGS[digit],
            comment="短信评价",
            reason=DissatisfiedReason.UNSTATED if RATINGS[digit] == Rating.DISSATISFIED else "",
        )
    except CaseError as exc:
        log.info("SMS rating of %s refused: %s", case.tracking_no, exc.message)
        return "该工单已完成评价，感谢您的支持。", case
    if RATINGS[digit] == Rating.DISSATISFIED:
        return f"已收到您对工单{case.tracking_no}的评价：不满意。我们会安排专人跟进。", case
    return f"已收到您对工单{case.tracking_no}的评价：{Rating(RATINGS[digit]).label}。感谢您的支持。", case


def _intake(phone: str, body: str) -> tuple[str, Case | None]:
    try:
        with transaction.atomic():
            case = case_register(
                actor=None,
                channel=Channel.SMS,
                kind=Kind.HELP,
                category=settings.TELEPHONY_SMS_DEFAULT_CATEGORY,
                title=_title(body),
                content=body,
                citizen=Citizen(phone=phone),
                publish_consent=False,
                reply_channel=ReplyChannel.SMS,
            )
    except CaseValidationError as exc:
        log.warning("SMS intake refused: %s", exc.fields)
        return f"抱歉，您的诉求未能登记：{exc.message}", None
    return (
        f"您的诉求已受理。流水号：{case.tracking_no}，查询码：{case.access_code}。"
        f"回复“查询 {case.tracking_no}”可了解办理进度。",
        case,
    )


def _supplement_target(phone: str, text: str) -> tuple[Case | None, str] | None:
    """The case an SMS adds to, and the added text; None when the SMS is not a supplement.

    A tracking number in the text names the case (it must be registered with the sender's number:
    a stranger's number is treated as unknown); else a leading ``补充`` means the sender's latest
    open case. ``(None, text)``: a supplement that names no case of the sender's."""
    match = TRACKING_NO.search(text)
    prefixed = SUPPLEMENT_PREFIX.match(text)
    if match is None and prefixed is None:
        return None
    rest = text
    if match is not None:
        rest = (text[: match.start()] + text[match.end() :]).strip()
        rest = SUPPLEMENT_PREFIX.sub("", rest, count=1).strip()
        case = Case.objects.filter(tracking_no=match.group(1), citizen_phone=phone).first()
        if case is None and prefixed is None:
            return None  # a number that is not the sender's case: an ordinary message
        return case, rest
    rest = SUPPLEMENT_PREFIX.sub("", text, count=1).strip()
    case = (
        Case.objects.filter(citizen_phone=phone, state__in=list(OPEN_STATES)).order_by("-registered_at", "-pk").first()
    )
    return case, rest


def _supplement(case: Case | None, text: str) -> tuple[str, Case | None]:
    if case is None:
        return "未找到您名下办理中的工单。补充材料请发送“补充 流水号 内容”，反映新诉求请直接发送诉求内容。", None
    if not text:
        return f"请在“补充 {case.tracking_no}”后写明要补充的内容。", case
    try:
        case = case_supplement(case=case, text=text, via="sms")
    except CaseConflict:
        return f"工单{case.tracking_no}已答复或办结，不能再补充材料。如有新的诉求，请直接发送诉求内容。", case
    except CaseValidationError as exc:
        return f"补充材料未能提交：{exc.message}", case
    return f"已收到您对工单{case.tracking_no}的补充材料，已转交承办单位。", case


def _is_short_reply(text: str) -> bool:
    bare = _PUNCTUATION.sub("", text)
    return len(bare) <= SHORT_REPLY


def _help(phone: str, text: str) -> str | None:
    """The help answer for a message that is neither a rating nor a matter; None otherwise."""
    bare = _PUNCTUATION.sub("", text)
    awaiting = case_awaiting_rating(phone)
    if awaiting is not None and _is_short_reply(text):
        return (
            f"如需评价工单{awaiting.tracking_no}，请只回复数字：1满意，2基本满意，3不满意。"
            "如需反映新的诉求，请发送完整的诉求内容。"
        )
    if bare.isdigit() and len(bare) <= SHORT_REPLY:
        return "未能识别您的短信。反映诉求请发送诉求内容；查询进度请发送“查询 流水号”。"
    return None


def classify(body: str) -> str:
    text = body.strip().translate(_FULLWIDTH)
    if text in RATINGS:
        return SmsIntent.RATING
    if QUERY.match(text):
        return SmsIntent.QUERY
    return SmsIntent.INTAKE


def sms_incoming(*, message_sid: str, from_number: str, to_number: str, body: str) -> str:
    """Handle one inbound SMS and return the reply text. Runs inside ``run_once``."""
    text = (body or "").strip()
    phone = caller_phone_of(from_number)
    intent, case = classify(text), None
    if not text:
        intent, reply = SmsIntent.REFUSED, "短信内容为空。请直接发送您的诉求内容，例如：幸福路12号路灯不亮。"
    elif len(text) > MAX_CONTENT:
        intent = SmsIntent.REFUSED
        reply = f"短信内容超过{MAX_CONTENT}字，未能登记。请精简后重新发送，或拨打95100。"
    elif not phone:
        intent, reply = SmsIntent.REFUSED, "抱歉，无法识别您的手机号码，短信诉求未能登记。请拨打95100。"
    elif intent == SmsIntent.RATING:
        reply, case = _rate(phone, text.translate(_FULLWIDTH))
    elif intent == SmsIntent.QUERY:
        match = QUERY.match(text.translate(_FULLWIDTH))
        reply, case = _query(phone, match.group(1), match.group(2) or "")
    elif (target := _supplement_target(phone, text)) is not None:
        intent = SmsIntent.SUPPLEMENT
        reply, case = _supplement(*target)
    elif (help_text := _help(phone, text)) is not None:
        intent, reply = SmsIntent.HELP, help_text
    else:
        reply, case = _intake(phone, text)
    SmsMessage.objects.create(
        message_sid=message_sid,
        direction=Direction.INBOUND,
        from_number=from_number[:40],
        to_number=to_number[:40],
        body=text[: MAX_CONTENT + 100],
        intent=intent,
        reply=reply,
        case=case,
    )
    log.info("SMS %s from %s handled as %s", message_sid, phone or from_number[:40], intent)
    return reply


def sms_status(*, message_sid: str, status: str, error_code: str) -> None:
    """A delivery report: the outbox row if it was ours, else a record on our side."""
    from notifications.outbox import outbox_mark_delivery

    if outbox_mark_delivery(message_sid, status, error_code or None):
        return
    row, _created = SmsMessage.objects.get_or_create(
        message_sid=message_sid, defaults={"direction": Direction.OUTBOUND}
    )
    row.status, row.error_code = status[:16], error_code[:16]
    row.save(update_fields=["status", "error_code", "updated_at"])
