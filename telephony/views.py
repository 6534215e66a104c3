"""Twilio webhooks: check the signature, read Twilio's parameters, run one handler once.

Every handler runs through ``services.run_once`` keyed on Twilio's Sid (plus the status or
the step), so a retry answers exactly as the first time and changes nothing. A request
missing a parameter we need gets 400 and is logged; nothing is written.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import ivr, services, sms, twiml
from .enums import CallStatus, GatherStep, Webhook
from .security import twilio_webhook

log = logging.getLogger(__name__)

XML = "text/xml; charset=utf-8"


def _xml(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, content_type=XML, status=status)


# Twilio Sids are two letters and 32 hex digits; allow some slack, refuse garbage before it
# reaches a 64-character column.
SID = re.compile(r"^[A-Za-z]{2}[0-9A-Za-z]{10,62}$")


def _missing(request: HttpRequest, *names: str) -> HttpResponse | None:
    absent = [n for n in names if not request.POST.get(n, "").strip()]
    absent += [n for n in names if n.endswith("Sid") and n not in absent and not SID.match(request.POST[n])]
    if not absent:
        return None
    log.warning("twilio webhook %s without a valid %s", request.path, ", ".join(absent))
    return _xml(
        twiml.say_and_hang_up("抱歉，系统暂时无法处理您的请求，请稍后再拨。")
        if "/voice/" in request.path
        else twiml.empty(),
        status=400,
    )


def _int(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 <= number < 10**7 else None


def _once(kind: str, key: str, handler: Callable[[], str]) -> HttpResponse:
    return _xml(services.run_once(kind, key[:160], handler))


@twilio_webhook
def voice_incoming(request: HttpRequest) -> HttpResponse:
    if bad := _missing(request, "CallSid"):
        return bad
    p = request.POST
    sid = p["CallSid"]
    return _once(
        Webhook.VOICE_INCOMING,
        sid,
        lambda: ivr.incoming(call_sid=sid, from_number=p.get("From", "")[:40], to_number=p.get("To", "")[:40]),
    )


@twilio_webhook
def voice_wait(request: HttpRequest) -> HttpResponse:
    # Read-only and repeated by design (Twilio loops on it while the caller waits).
    return _xml(twiml.queue_wait(_int(request.POST.get("QueuePosition"))))


@twilio_webhook
def voice_queue(request: HttpRequest) -> HttpResponse:
    if bad := _missing(request, "CallSid", "QueueResult"):
        return bad
    p = request.POST
    sid = p["CallSid"]
    return _once(
        Webhook.VOICE_QUEUE,
        sid,
        lambda: services.call_queue_result(
            call_sid=sid, result=p["QueueResult"].strip(), queue_time=_int(p.get("QueueTime"))
        ),
    )


@twilio_webhook
def voice_gather(request: HttpRequest) -> HttpResponse:
    if bad := _missing(request, "CallSid"):
        return bad
    step = request.GET.get("step", "")
    attempt = _int(request.GET.get("attempt")) or 1
    if step not in GatherStep.values:
        log.warning("gather with unknown step %r", step[:40])
        return _xml(twiml.say_and_hang_up(ivr.GOODBYE), status=400)
    sid = request.POST["CallSid"]
    digits = request.POST.get("Digits", "")[:64]
    return _once(
        Webhook.VOICE_GATHER,
        f"{sid}:{step}:{attempt}",
        lambda: ivr.gather(
            call_sid=sid, step=step, attempt=attempt, digits=digits, from_number=request.POST.get("From", "")[:40]
        ),
    )


@twilio_webhook
def voice_status(request: HttpRequest) -> HttpResponse:
    if bad := _missing(request, "CallSid", "CallStatus"):
        return bad
    p = request.POST
    sid, status = p["CallSid"], p["CallStatus"].strip()
    if status not in CallStatus.values:
        log.warning("call %s: unknown status %r ignored", sid, status[:40])
        return _xml(twiml.empty())

    def handle() -> str:
        services.call_status(
            call_sid=sid,
            status=status,
            duration=_int(p.get("CallDuration")),
            from_number=p.get("From", "")[:40],
            to_number=p.get("To", "")[:40],
            direction=p.get("Direction", ""),
        )
        return twiml.empty()

    return _once(Webhook.VOICE_STATUS, f"{sid}:{status}", handle)


@twilio_webhook
def voice_recording(request: HttpRequest) -> HttpResponse:
    if bad := _missing(request, "CallSid", "RecordingSid", "RecordingUrl"):
        return bad
    p = request.POST

    def handle() -> str:
        services.recording_received(
            call_sid=p["CallSid"],
            recording_sid=p["RecordingSid"],
            url=p["RecordingUrl"][:500],
            duration=_int(p.get("RecordingDuration")),
            status=p.get("RecordingStatus", "completed"),
            from_number=p.get("From", "")[:40],
        )
        return twiml.empty()

    return _once(Webhook.VOICE_RECORDING, p["RecordingSid"], handle)


@twilio_webhook
def voice_survey(request: HttpRequest) -> HttpResponse:
    """The outbound satisfaction call was answered (the case is in the signed URL's query)."""
    if bad := _missing(request, "CallSid"):
        return bad
    tracking_no = request.GET.get("case", "")[:16]
    sid = request.POST["CallSid"]
    return _once(
        Webhook.VOICE_SURVEY,
        sid,
        lambda: ivr.survey(call_sid=sid, tracking_no=tracking_no, to_number=request.POST.get("To", "")[:40]),
    )


@twilio_webhook
def sms_incoming(request: HttpRequest) -> HttpResponse:
    if bad := _missing(request, "MessageSid", "From"):
        return bad
    p = request.POST
    sid = p["MessageSid"]
    return _once(
        Webhook.SMS_INCOMING,
        sid,
        lambda: twiml.sms(
            sms.sms_incoming(message_sid=sid, from_number=p["From"], to_number=p.get("To", ""), body=p.get("Body", ""))
        ),
    )


@twilio_webhook
def sms_status(request: HttpRequest) -> HttpResponse:
    if bad := _missing(request, "MessageSid", "MessageStatus"):
        return bad
    p = request.POST
    sid, status = p["MessageSid"], p["MessageStatus"].strip()[:20]

    def handle() -> str:
        sms.sms_status(message_sid=sid, status=status, error_code=p.get("ErrorCode", "")[:16])
        return twiml.empty()

    return _once(Webhook.SMS_STATUS, f"{sid}:{status}", handle)
