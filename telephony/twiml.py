"""TwiML documents the webhooks answer with. Words spoken here are Simplified Chinese (cmn-CN)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from .enums import GatherStep

LANG = "cmn-CN"
MAX_TRIES = 3  # prompts before we say goodbye: a caller who cannot key must not loop forever
GATHER_TIMEOUT = 8  # seconds of silence before Twilio calls the action with no digits
RECORD_MAX_SECONDS = 180


def absolute(name: str, **query: object) -> str:
    """The public URL Twilio must call back (the one the signature is computed on)."""
    url = settings.PUBLIC_BASE_URL.rstrip("/") + reverse(f"telephony:{name}")
    return f"{url}?{urlencode(query)}" if query else url


def gather_url(step: str, attempt: int, **extra: object) -> str:
    return absolute("voice_gather", step=step, attempt=attempt, **extra)


def _say(target: VoiceResponse, text: str) -> None:
    target.say(text, language=LANG)


def spell(digits: str) -> str:
    """Digits separated so the voice reads them one by one (二零二六…, not 两万亿…)."""
    return " ".join(digits)


def say_and_hang_up(*texts: str) -> str:
    r = VoiceResponse()
    for text in texts:
        _say(r, text)
    r.hangup()
    return str(r)


def greeting_to_queue() -> str:
    """In hours: one greeting, then straight to the agents' queue (no menu maze).

    ``<Enqueue>`` rather than ``<Dial><Queue>``: the caller waits in a Twilio queue that any
    free agent dequeues; ``waitUrl`` tells them their place, and the ``action`` callback
    reports how the wait ended (bridged / hangup) and how long it was — that is where the
    abandoned-call and answered-within-15s figures come from.
    """
    r = VoiceResponse()
    _say(r, settings.TELEPHONY_GREETING)
    r.enqueue(
        settings.TELEPHONY_QUEUE_NAME,
        action=absolute("voice_queue"),
        method="POST",
        wait_url=absolute("voice_wait"),
        wait_url_method="POST",
    )
    return str(r)


def queue_wait(position: int | None) -> str:
    r = VoiceResponse()
    if position and position > 1:
        _say(r, f"您前面还有{position - 1}位来电者，请耐心等候。")
    else:
        _say(r, "话务员马上为您服务，请稍候。")
    r.pause(length=10)
    return str(r)


def queue_failed() -> str:
    return say_and_hang_up("抱歉，目前线路繁忙，请稍后再拨。也可以发送短信反映诉求。")


def empty() -> str:
    return str(VoiceResponse())


def after_hours_menu(attempt: int, *, apology: str = "") -> str:
    r = VoiceResponse()
    if apology:
        _say(r, apology)
    elif attempt == 1:
        _say(r, "您好，这里是95100政务服务热线。现在是非工作时间。")
    g = r.gather(
        num_digits=1,
        action=gather_url(GatherStep.MENU, attempt),
        method="POST",
        timeout=GATHER_TIMEOUT,
        action_on_empty_result=True,
    )
    _say(g, "语音留言请按1；查询工单办理进度请按2。")
    return str(r)


def record_message() -> str:
    r = VoiceResponse()
    _say(r, "请在提示音后说出您的诉求、姓名和地址，说完请按井号键。我们将在上班后尽快处理。")
    r.record(
        action=gather_url(GatherStep.RECORDED, 1),
        method="POST",
        max_length=RECORD_MAX_SECONDS,
        finish_on_key="#",
        play_beep=True,
        recording_status_callback=absolute("voice_recording"),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed",
    )
    return str(r)


def ask_tracking_no(attempt: int, *, apology: str = "") -> str:
    r = VoiceResponse()
    if apology:
        _say(r, apology)
    g = r.gather(
        finish_on_key="#",
        action=gather_url(GatherStep.TRACK, attempt),
        method="POST",
        timeout=GATHER_TIMEOUT * 2,
        action_on_empty_result=True,
    )
    _say(g, "请输入13位工单流水号，以井号键结束。")
    return str(r)


def survey_question(tracking_no: str, attempt: int, *, apology: str = "") -> str:
    r = VoiceResponse()
    if apology:
        _say(r, apology)
    elif attempt == 1:
        _say(r, f"您好，这里是95100政务服务热线回访。您的工单 {spell(tracking_no)} 已经答复。")
    g = r.gather(
        num_digits=1,
        action=gather_url(GatherStep.SURVEY, attempt),
        method="POST",
        timeout=GATHER_TIMEOUT,
        action_on_empty_result=True,
    )
    _say(g, "满意请按1；基本满意请按2；不满意请按3。")
    return str(r)


def dial_agent(target: str) -> str:
    """Bridge a queued caller to the agent who pressed "answer" (``client:name`` or a number)."""
    r = VoiceResponse()
    dial = r.dial()
    if target.startswith("client:"):
        dial.client(target.removeprefix("client:"))
    else:
        dial.number(target)
    return str(r)


def sms(text: str) -> str:
    r = MessagingResponse()
    r.message(text)
    return str(r)
