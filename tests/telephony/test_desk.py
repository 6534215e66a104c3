"""The agent's side: answering a ringing call, the call ↔ case link, desk and daily figures."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from cases import services as case_services
from cases.enums import Channel
from telephony import selectors
from telephony.enums import CallPurpose, CallStatus
from telephony.models import Call
from telephony.simulate import call_params

from .conftest import CALLER, CALLER_PHONE

pytestmark = pytest.mark.django_db

SID = "CA" + "b" * 32


def _answer(client, sid: str = SID):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(f"/telephony/desk/calls/{sid}/answer/")


@pytest.fixture
def ringing(tw, org, in_hours):
    tw.post("voice/incoming/", call_params(SID, CALLER, CallStatus="ringing"))
    return Call.objects.get(call_sid=SID)


def test_an_agent_answers_a_ringing_call(client, users, ringing, desk_events):
    client.force_login(users["agent"])

    response = _answer(client)

    assert response.status_code == 200
    body = response.json()
    assert body["call_sid"] == SID and body["agent"] == "agent"
    call = Call.objects.get()
    assert call.agent == users["agent"] and call.answered_at is not None
    assert call.status == CallStatus.IN_PROGRESS
    assert call.queue_wait_seconds == body["queue_wait_seconds"] >= 0
    assert desk_events[-1] == ("call.answered", {"call_sid": SID, "agent": "agent", "agent_name": "agent"})


def test_pressing_answer_twice_is_harmless(client, users, ringing, desk_events):
    client.force_login(users["agent"])
    _answer(client)

    assert _answer(client).status_code == 200
    assert [t for t, _d in desk_events].count("call.answered") == 1


def test_a_second_agent_cannot_take_a_call_already_answered(client, users, ringing):
    client.force_login(users["agent"])
    _answer(client)
    client.force_login(users["dispatcher"])

    response = _answer(client)

    assert response.status_code == 409
    assert response.json()["error"]["message"] == "该来电已由 agent 接听。"
    assert Call.objects.get().agent == users["agent"]


def test_a_call_that_hung_up_cannot_be_answered(client, users, ringing, tw):
    tw.post("voice/status/", call_params(SID, CALLER, CallStatus="completed", CallDuration="4"))
    client.force_login(users["agent"])

    response = _answer(client)

    assert response.status_code == 409
    call = Call.objects.get()
    assert call.agent is None and call.abandoned is True


def test_answering_needs_an_intake_role_and_a_known_call(client, users, ringing):
    assert client.post(f"/telephony/desk/calls/{SID}/answer/").status_code == 401
    client.force_login(users["clerk_cgj"])
    assert client.post(f"/telephony/desk/calls/{SID}/answer/").status_code == 403
    client.force_login(users["agent"])
    assert client.post("/telephony/desk/calls/CAnope/answer/").status_code == 404
    assert Call.objects.get().agent is None


def test_with_the_twilio_backend_answering_bridges_the_caller_to_the_agent(
    client, users, ringing, settings, monkeypatch
):
    settings.TELEPHONY_BACKEND = "twilio"
    updates = []

    class FakeCall:
        def __init__(self, sid: str) -> None:
            self.sid = sid

        def update(self, **kwargs: str) -> None:
            updates.append((self.sid, kwargs))

    class FakeClient:
        def calls(self, sid: str) -> FakeCall:
            return FakeCall(sid)

    monkeypatch.setattr("telephony.services._twilio_client", lambda: FakeClient())
    client.force_login(users["agent"])

    _answer(client)

    assert len(updates) == 1
    sid, kwargs = updates[0]
    assert sid == SID
    assert "<Dial><Client>agent</Client></Dial>" in kwargs["twiml"]


def _register(actor, phone: str = CALLER_PHONE):
    return case_services.case_register(
        actor=actor,
        channel=Channel.HOTLINE,
        kind="help",
        category="CIV-COMM",
        title="楼道灯坏了",
        content="三楼楼道灯坏了一个月。",
        citizen=case_services.Citizen(phone=phone),
    )


def test_a_case_the_agent_registers_during_the_call_is_linked_to_it(client, users, ringing):
    client.force_login(users["agent"])
    _answer(client)

    case = _register(users["agent"])
    other_number = _register(users["agent"], phone="13700137000")  # caller reports for a neighbour

    assert set(Call.objects.get().cases.all()) == {case, other_number}


def test_a_case_registered_by_another_agent_is_not_linked(client, users, ringing):
    client.force_login(users["agent"])
    _answer(client)

    _register(users["dispatcher"])

    assert not Call.objects.get().cases.exists()


def test_a_case_registered_just_after_hanging_up_is_linked_by_the_callers_number(client, users, ringing, tw):
    client.force_login(users["agent"])
    _answer(client)
    tw.post("voice/status/", call_params(SID, CALLER, CallStatus="completed", CallDuration="60"))

    case = _register(users["agent"])
    unrelated = _register(users["agent"], phone="13700137000")

    assert list(Call.objects.get().cases.all()) == [case]
    assert not unrelated.calls.exists()


@pytest.mark.django_db
def test_the_call_on_the_line_wins_over_ended_ones_and_the_latest_ended_over_older_ones(users):
    agent, now = users["agent"], timezone.now()

    def call(sid: str, *, answered: int, ended: int | None = None, phone: str = CALLER_PHONE, **kw) -> Call:
        return Call.objects.create(
            call_sid=sid,
            caller_phone=phone,
            agent=agent,
            answered_at=now - timedelta(minutes=answered),
            ended_at=None if ended is None else now - timedelta(minutes=ended),
            **kw,
        )

    older = call("CA-older", answered=25, ended=20)
    latest = call("CA-latest", answered=15, ended=10)
    call("CA-stale", answered=50, ended=40)  # ended more than half an hour ago
    call("CA-other-caller", answered=9, ended=5, phone="13700137000")
    call("CA-survey", answered=8, ended=4, purpose=CallPurpose.SURVEY)
    call("CA-abandoned", answered=3, abandoned=True)
    by_number = _register(agent)
    assert list(by_number.calls.all()) == [latest]

    first_live = call("CA-live-1", answered=7, phone="13600136000")
    second_live = call("CA-live-2", answered=2, phone="13500135000")
    on_the_line = _register(agent)  # the caller's number matches only ended calls: the line wins
    assert list(on_the_line.calls.all()) == [second_live]
    assert not older.cases.exists() and not first_live.cases.exists()


def test_the_desk_can_link_a_call_to_a_case_explicitly(client, users, ringing):
    case = _register(users["dispatcher"])
    client.force_login(users["agent"])

    response = client.post(
        f"/telephony/desk/calls/{SID}/link/",
        json.dumps({"tracking_no": case.tracking_no}),
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json() == {"call_sid": SID, "cases": [case.tracking_no]}
    again = client.post(f"/telephony/desk/calls/{SID}/link/", {"tracking_no": case.tracking_no})
    assert again.json()["cases"] == [case.tracking_no]


@pytest.mark.parametrize(
    "body,status", [({"tracking_no": "2099010100001"}, 404), ({}, 400), ({"tracking_no": ["x"]}, 404)]
)
def test_linking_to_a_missing_case_is_a_clear_error(client, users, ringing, body, status):
    client.force_login(users["agent"])

    response = client.post(f"/telephony/desk/calls/{SID}/link/", json.dumps(body), content_type="application/json")

    assert response.status_code == status
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert not Call.objects.get().cases.exists()


def _call(
    sid: str,
    *,
    started_ago: int,
    wait: int | None = None,
    abandoned: bool = False,
    purpose: str = CallPurpose.HOTLINE,
    status: str = CallStatus.COMPLETED,
) -> Call:
    start = timezone.now() - timedelta(seconds=started_ago)
    return Call.objects.create(
        call_sid=sid,
        purpose=purpose,
        status=status,
        started_at=start,
        abandoned=abandoned,
        answered_at=start + timedelta(seconds=wait) if wait is not None else None,
        queue_wait_seconds=wait,
    )


def test_desk_figures_count_waiting_answered_within_15s_and_abandoned(org, client, users):
    now = timezone.localtime()
    if now.hour == 0 and now.minute < 30:
        pytest.skip("fixture calls would straddle midnight")
    _call("CA1", started_ago=600, wait=5)
    _call("CA2", started_ago=600, wait=15)
    _call("CA3", started_ago=600, wait=16)
    _call("CA4", started_ago=600, abandoned=True)
    _call("CA5", started_ago=20, status=CallStatus.RINGING)  # waiting now
    _call("CA6", started_ago=600, purpose=CallPurpose.AFTER_HOURS)  # not a queue call
    _call("CA7", started_ago=3 * 86400, wait=3)  # another day

    assert selectors.desk_stats() == {
        "received": 5,
        "answered": 3,
        "answered_in_target": 2,
        "abandoned": 1,
        "waiting": 1,
        # agents per desk status (示闲/示忙/小休): none set one here
        "agents_idle": 0,
        "agents_busy": 0,
        "agents_break": 0,
    }
    client.force_login(users["agent"])
    html = client.get("/telephony/desk/stats/").content.decode()
    assert '<dd data-stat="waiting">1</dd>' in html
    assert '<dd data-stat="answered_in_target">2/3</dd>' in html
    assert '<dd data-stat="abandoned">1</dd>' in html


def test_daily_call_counts_for_reports(org, client, users):
    now = timezone.localtime()
    if now.hour == 0 and now.minute < 30:
        pytest.skip("fixture calls would straddle midnight")
    _call("CA1", started_ago=600, wait=5)
    _call("CA2", started_ago=600, abandoned=True)
    _call("CA3", started_ago=86400, wait=30)

    today = timezone.localdate()
    rows = selectors.calls_per_day(today - timedelta(days=1), today)

    assert [(r["day"], r["received"], r["answered"], r["answered_in_target"], r["abandoned"]) for r in rows] == [
        (today - timedelta(days=1), 1, 1, 0, 0),
        (today, 2, 1, 1, 1),
    ]
    client.force_login(users["supervisor"])
    assert client.get("/telephony/desk/calls/report/").status_code == 200
    client.force_login(users["clerk_cgj"])
    assert client.get("/telephony/desk/calls/report/").status_code == 403
