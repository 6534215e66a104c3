"""The satisfaction call-back: an outbound call asks for 1/2/3 and records the rating."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import TestCase

from cases.enums import Rating, State
from cases.services import Citizen
from telephony import services
from telephony.enums import CallPurpose, Direction
from telephony.models import Call
from telephony.simulate import survey
from tests.factories import make_case_in_state

from .conftest import CALLER, CALLER_PHONE, PUBLIC

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(users):
    return make_case_in_state(State.ANSWERED, users, citizen=Citizen(phone=CALLER_PHONE))


def test_the_survey_call_asks_for_1_2_3_about_the_case(tw, answered):
    replies = survey(tw, CALLER, answered.tracking_no, "2")

    question = replies[0]
    assert question.verbs() == ["Say", "Gather"]
    assert (
        question.xml[0].text
        == f"您好，这里是95100政务服务热线回访。您的工单 {' '.join(answered.tracking_no)} 已经答复。"
    )
    gather = question.xml.find("Gather")
    assert gather.get("numDigits") == "1"
    assert gather.find("Say").text == "满意请按1；基本满意请按2；不满意请按3。"
    assert replies[1].verbs() == ["Say", "Hangup"]
    answered.refresh_from_db()
    assert (answered.state, answered.rating) == (State.CLOSED, Rating.BASICALLY_SATISFIED)
    call = Call.objects.get()
    assert (call.purpose, call.direction, call.survey_case) == (CallPurpose.SURVEY, Direction.OUTBOUND, answered)
    assert list(call.cases.all()) == [answered]


def test_a_wrong_survey_key_is_asked_again_and_rates_nothing(tw, answered):
    question = survey(tw, CALLER, answered.tracking_no, "9")[1]

    assert question.verbs() == ["Say", "Gather"]
    assert question.xml[0].text == "抱歉，请按1、2或3。"
    answered.refresh_from_db()
    assert answered.state == State.ANSWERED


def test_a_case_rated_meanwhile_is_not_rated_twice(tw, answered):
    survey(tw, CALLER, answered.tracking_no, "1")

    replies = survey(tw, CALLER, answered.tracking_no, "3")

    assert len(replies) == 1 and replies[0].verbs() == ["Say", "Hangup"]
    answered.refresh_from_db()
    assert answered.rating == Rating.SATISFIED


def test_a_survey_call_for_an_unknown_case_says_goodbye(tw, org):
    replies = survey(tw, CALLER, "2099010100001", "1")

    assert replies[0].verbs() == ["Say", "Hangup"]


def test_requesting_a_survey_call_with_the_console_backend_only_logs_it(answered, users, caplog):
    with caplog.at_level(logging.INFO, logger="telephony.services"), TestCase.captureOnCommitCallbacks(execute=True):
        services.survey_call_request(case=answered, actor=users["agent"])

    assert f"would call +86{CALLER_PHONE} for the rating of {answered.tracking_no}" in caplog.text


def test_with_the_twilio_backend_the_survey_call_is_placed_after_commit(answered, users, settings, monkeypatch):
    settings.TELEPHONY_BACKEND = "twilio"
    created = []

    class FakeCalls:
        def create(self, **kwargs: object) -> None:
            created.append(kwargs)

    class FakeClient:
        calls = FakeCalls()

    monkeypatch.setattr("telephony.services._twilio_client", lambda: FakeClient())
    with TestCase.captureOnCommitCallbacks(execute=False) as pending:
        services.survey_call_request(case=answered, actor=users["agent"])
        assert created == []  # nothing leaves before commit
    for callback in pending:
        callback()

    assert len(created) == 1
    kwargs = created[0]
    assert kwargs["to"] == "+8613800138000"
    parts = urlsplit(kwargs["url"])
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == PUBLIC + "/telephony/twilio/voice/survey/"
    assert parse_qs(parts.query) == {"case": [answered.tracking_no]}
    assert kwargs["status_callback"] == PUBLIC + "/telephony/twilio/voice/status/"


def test_the_desk_button_requests_a_survey_call_only_for_answered_cases(client, users, answered):
    registered = make_case_in_state(State.REGISTERED, users)
    client.force_login(users["agent"])

    ok = client.post(f"/telephony/desk/cases/{answered.tracking_no}/survey-call/")
    conflict = client.post(f"/telephony/desk/cases/{registered.tracking_no}/survey-call/")
    missing = client.post("/telephony/desk/cases/2099010100001/survey-call/")

    assert (ok.status_code, ok.json()) == (202, {"tracking_no": answered.tracking_no, "queued": True})
    assert conflict.status_code == 409
    assert conflict.json()["error"]["message"] == "工单状态为“已登记”，不需要回访评价。"
    assert missing.status_code == 404
    client.force_login(users["clerk_cgj"])
    assert client.post(f"/telephony/desk/cases/{answered.tracking_no}/survey-call/").status_code == 403


def test_call_back_status_callbacks_before_the_answer_are_not_hotline_calls(tw, answered, desk_events):
    sid = "CA" + "e" * 32
    params = {"CallSid": sid, "From": "+8610095100", "To": CALLER, "Direction": "outbound-api"}

    tw.post("voice/status/", {**params, "CallStatus": "ringing"})
    tw.post("voice/status/", {**params, "CallStatus": "no-answer"})

    call = Call.objects.get()
    assert (call.purpose, call.direction, call.status) == (CallPurpose.SURVEY, Direction.OUTBOUND, "no-answer")
    assert call.caller_phone == CALLER_PHONE
    assert call.abandoned is False
    assert desk_events == []  # the agents' desk hears nothing of call-backs
