"""Whole sessions played by the simulator: through the test client, and through
``manage.py simulate_call`` over HTTP against a live server."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from cases.enums import Channel, Rating, State
from cases.models import Case
from cases.services import Citizen
from telephony import simulate
from telephony.enums import CallPurpose, CallStatus
from telephony.models import Call, SmsMessage
from tests.factories import make_case_in_state

from .conftest import CALLER, CALLER_PHONE, PUBLIC, TOKEN


@pytest.mark.django_db
def test_a_whole_hotline_call_rings_is_answered_and_hangs_up(tw, org, in_hours, desk_events):
    replies = simulate.hotline_call(tw, CALLER, wait=7, talk=80, call_sid="CA" + "c" * 32)

    assert [r.status for r in replies] == [200, 200, 200, 200]
    assert replies[0].verbs() == ["Say", "Enqueue"]
    call = Call.objects.get()
    assert (call.status, call.purpose, call.queue_wait_seconds, call.duration, call.abandoned) == (
        CallStatus.COMPLETED,
        CallPurpose.HOTLINE,
        7,
        87,
        False,
    )
    assert call.answered_at is not None and call.ended_at is not None
    assert [t for t, _d in desk_events] == ["call.ringing", "call.ended"]


@pytest.mark.django_db
def test_a_whole_out_of_hours_session_message_sms_status_and_survey(tw, users, after_hours):
    # Voice message → a case for the morning.
    simulate.voice_message(tw, CALLER)
    voicemail = Case.objects.get(channel=Channel.HOTLINE)
    assert Call.objects.get().cases.get() == voicemail

    # SMS → a case, and its number in the reply.
    reply = simulate.sms(tw, CALLER, "小区门口垃圾三天没人清运。")
    tracking_no = re.search(r"流水号：(\d{13})", reply.text()).group(1)
    assert Case.objects.get(tracking_no=tracking_no).channel == Channel.SMS

    # Keypad status check of that case.
    _menu, answer, _ended = simulate.status_check(tw, CALLER, tracking_no)
    assert answer.xml[0].text.startswith(f"工单{' '.join(tracking_no)}的办理状态为：已登记。")

    # Keypad survey of an answered case.
    answered = make_case_in_state(State.ANSWERED, users, citizen=Citizen(phone=CALLER_PHONE))
    simulate.survey(tw, CALLER, answered.tracking_no, "1")
    answered.refresh_from_db()
    assert answered.rating == Rating.SATISFIED


@pytest.mark.django_db(transaction=True)
def test_manage_py_simulate_call_plays_everything_over_http_against_a_live_server(live_server, org, in_hours):
    out = io.StringIO()

    call_command(
        "simulate_call", server=live_server.url, public_base_url=PUBLIC, token=TOKEN, caller=CALLER, stdout=out
    )

    text = out.getvalue()
    assert "403" not in text and "→ 400" not in text and "done" in text
    hotline = Call.objects.get(purpose=CallPurpose.HOTLINE)
    assert hotline.status == CallStatus.COMPLETED and hotline.answered_at is not None
    assert Call.objects.filter(purpose=CallPurpose.AFTER_HOURS).count() == 2  # voice message, status check
    voicemail = Call.objects.get(purpose=CallPurpose.AFTER_HOURS, recording_sid__startswith="RE")
    assert voicemail.cases.get().channel == Channel.HOTLINE
    assert SmsMessage.objects.get().case.channel == Channel.SMS
    assert "的办理状态为：已登记" in text  # the status check read the SMS case back
    assert not Call.objects.filter(abandoned=True).exists()  # self-service calls are not abandoned


@pytest.mark.django_db(transaction=True)
def test_simulate_call_can_press_answer_on_the_desk_as_a_signed_in_agent(live_server, users, in_hours):
    out = io.StringIO()

    call_command(
        "simulate_call",
        server=live_server.url,
        public_base_url=PUBLIC,
        token=TOKEN,
        caller=CALLER,
        only=["call"],
        agent="agent",
        password="demo12345",
        stdout=out,
    )

    call = Call.objects.get()
    assert "desk: agent answered" in out.getvalue()
    assert call.agent == users["agent"] and call.status == CallStatus.COMPLETED


@pytest.mark.django_db(transaction=True)
def test_simulate_call_against_a_server_with_another_token_is_refused(live_server, org):
    out = io.StringIO()

    call_command(
        "simulate_call", server=live_server.url, public_base_url=PUBLIC, token="wrong", only=["sms"], stdout=out
    )

    assert "→ 403" in out.getvalue()
    assert not Case.objects.exists()
