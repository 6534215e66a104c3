"""Play Twilio's side of calls and SMS against a casecenter server, with signed webhooks.

Used by ``manage.py simulate_call`` (stdlib urllib against a running server) and by the
tests (Django's test client or a live server): give ``Twilio`` a ``send`` callable.
"""

from __future__ import annotations

import http.cookiejar
import secrets
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

from twilio.request_validator import RequestValidator

BASE = "/telephony/twilio/"
HOTLINE = "+8610095100"


@dataclass
class Reply:
    status: int
    body: str

    @property
    def xml(self) -> ET.Element:
        return ET.fromstring(self.body)

    def verbs(self) -> list[str]:
        """Top-level TwiML verbs, e.g. ['Say', 'Enqueue']."""
        return [child.tag for child in self.xml]

    def text(self) -> str:
        """Everything said or messaged, joined: for eyes and for asserts."""
        if not self.body.lstrip().startswith("<"):
            return self.body.strip()
        return " ".join(el.text or "" for el in self.xml.iter() if el.tag in {"Say", "Message", "Body"}).strip()


Send = Callable[[str, dict[str, str], dict[str, str]], Reply]


def urllib_sender(server: str, timeout: float = 10.0) -> Send:
    """POST form data to ``server`` + path with the stdlib."""

    def send(path_qs: str, params: dict[str, str], headers: dict[str, str]) -> Reply:
        data = urllib.parse.urlencode(params).encode()
        req = urllib.request.Request(server.rstrip("/") + path_qs, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return Reply(resp.status, resp.read().decode())
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, exc.read().decode())

    return send


def client_sender(client: object) -> Send:
    """Adapter for django.test.Client."""

    def send(path_qs: str, params: dict[str, str], headers: dict[str, str]) -> Reply:
        extra = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items() if k != "Content-Type"}
        resp = client.post(path_qs, params, **extra)  # type: ignore[attr-defined]
        return Reply(resp.status_code, resp.content.decode())

    return send


def desk_answerer(server: str, username: str, password: str, log: Callable[[str], None]) -> Callable[[str], None]:
    """Sign in to the staff console like a browser and press "answer" on the desk."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = server.rstrip("/")

    def csrf() -> str:
        return next((c.value for c in jar if c.name == "csrftoken"), "")

    opener.open(base + "/console/login/", timeout=10).read()
    login = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": csrf()}).encode()
    opener.open(
        urllib.request.Request(base + "/console/login/", data=login, headers={"Referer": base + "/console/login/"}),
        timeout=10,
    ).read()
    if not any(c.name == "sessionid" for c in jar):
        raise OSError(f"could not sign in to {base} as {username}")

    def answer(call_sid: str) -> None:
        req = urllib.request.Request(
            f"{base}/telephony/desk/calls/{call_sid}/answer/",
            data=b"{}",
            method="POST",
            headers={"X-CSRFToken": csrf(), "Content-Type": "application/json", "Referer": base + "/console/desk/"},
        )
        try:
            with opener.open(req, timeout=10) as resp:
                log(f"desk: {username} answered {call_sid} → {resp.status}")
        except urllib.error.HTTPError as exc:
            log(f"desk: {username} could not answer {call_sid} → {exc.code} {exc.read().decode()[:120]}")

    return answer


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


@dataclass
class Twilio:
    """Twilio as seen from our server: signs each request like Twilio does."""

    send: Send
    public_base_url: str
    auth_token: str
    log: Callable[[str], None] = field(default=lambda _line: None)

    def post(self, path_qs: str, params: dict[str, str], *, sign: bool = True) -> Reply:
        path_qs = path_qs if path_qs.startswith("/") else BASE + path_qs
        url = self.public_base_url.rstrip("/") + path_qs
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if sign:
            headers["X-Twilio-Signature"] = RequestValidator(self.auth_token).compute_signature(url, params)
        reply = self.send(path_qs, params, headers)
        self.log(f"POST {path_qs} → {reply.status} {reply.text()[:120]}")
        return reply

    def follow(self, reply: Reply, params: dict[str, str]) -> Reply:
        """Post to the action of the first Gather/Record in ``reply`` (as Twilio would)."""
        for el in reply.xml.iter():
            if el.tag in {"Gather", "Record"} and el.get("action"):
                parsed = urllib.parse.urlsplit(el.attrib["action"])
                return self.post(parsed.path + (f"?{parsed.query}" if parsed.query else ""), params)
        raise AssertionError(f"no Gather/Record to follow in {reply.body}")


# --- scenarios: each returns the replies in order -------------------------------------


def call_params(call_sid: str, caller: str, **extra: str) -> dict[str, str]:
    return {
        "CallSid": call_sid,
        "AccountSid": "AC" + "0" * 32,
        "From": caller,
        "To": HOTLINE,
        "Direction": "inbound",
        **extra,
    }


def hotline_call(
    tw: Twilio,
    caller: str,
    *,
    wait: int = 8,
    talk: int = 95,
    call_sid: str = "",
    answer: Callable[[str], None] | None = None,
) -> list[Reply]:
    """Ring, wait in the queue, (an agent presses "answer" on the desk,) be bridged, talk, hang up."""
    sid = call_sid or new_sid("CA")
    replies = [tw.post("voice/incoming/", call_params(sid, caller, CallStatus="ringing"))]
    replies.append(tw.post("voice/wait/", call_params(sid, caller, QueuePosition="1", QueueTime="3")))
    if answer is not None:
        answer(sid)
    replies.append(tw.post("voice/queue/", call_params(sid, caller, QueueResult="bridged", QueueTime=str(wait))))
    replies.append(
        tw.post("voice/status/", call_params(sid, caller, CallStatus="completed", CallDuration=str(wait + talk)))
    )
    return replies


def voice_message(tw: Twilio, caller: str, *, call_sid: str = "") -> list[Reply]:
    """Out of hours: choose 1, leave a message; the recording callback follows."""
    sid = call_sid or new_sid("CA")
    # The recording callback carries no From: the call record made on ringing supplies it.
    tw.post("voice/incoming/", call_params(sid, caller, CallStatus="ringing"))
    menu = tw.post("voice/gather/?step=menu&attempt=1", call_params(sid, caller, Digits="1"))
    recorded = tw.follow(
        menu,
        call_params(sid, caller, RecordingUrl="https://api.twilio.com/rec/RE1", RecordingDuration="21", Digits="#"),
    )
    rec_sid = new_sid("RE")
    recording = tw.post(
        "voice/recording/",
        {
            "CallSid": sid,
            "AccountSid": "AC" + "0" * 32,
            "RecordingSid": rec_sid,
            "RecordingStatus": "completed",
            "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/{rec_sid}",
            "RecordingDuration": "21",
        },
    )
    ended = tw.post("voice/status/", call_params(sid, caller, CallStatus="completed", CallDuration="40"))
    return [menu, recorded, recording, ended]  # the ringing reply depends on the server's clock


def status_check(tw: Twilio, caller: str, tracking_no: str, *, call_sid: str = "") -> list[Reply]:
    """Out of hours: choose 2 and key the tracking number."""
    sid = call_sid or new_sid("CA")
    tw.post("voice/incoming/", call_params(sid, caller, CallStatus="ringing"))
    menu = tw.post("voice/gather/?step=menu&attempt=1", call_params(sid, caller, Digits="2"))
    answer = tw.follow(menu, call_params(sid, caller, Digits=tracking_no))
    ended = tw.post("voice/status/", call_params(sid, caller, CallStatus="completed", CallDuration="30"))
    return [menu, answer, ended]


def sms(tw: Twilio, sender: str, body: str, *, message_sid: str = "") -> Reply:
    return tw.post(
        "sms/incoming/",
        {
            "MessageSid": message_sid or new_sid("SM"),
            "AccountSid": "AC" + "0" * 32,
            "From": sender,
            "To": HOTLINE,
            "Body": body,
            "NumMedia": "0",
        },
    )


def survey(tw: Twilio, citizen: str, tracking_no: str, digit: str, *, call_sid: str = "") -> list[Reply]:
    """Our satisfaction call-back is answered; the citizen keys 1, 2 or 3."""
    sid = call_sid or new_sid("CA")
    params = {
        "CallSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": HOTLINE,
        "To": citizen,
        "Direction": "outbound-api",
    }
    question = tw.post(f"voice/survey/?case={tracking_no}", {**params, "CallStatus": "in-progress"})
    if not any(el.tag == "Gather" for el in question.xml.iter()):
        return [question]
    return [question, tw.follow(question, {**params, "Digits": digit})]
