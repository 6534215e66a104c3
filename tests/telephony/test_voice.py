"""The 95100 call flow: greeting and queue in hours, the self-service menu out of hours,
status callbacks in any order, and every webhook idempotent on its Sid."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from cases import services as case_services
from cases.enums import Channel, State
from cases.models import Case
from telephony.enums import CallPurpose, CallStatus
from telephony.models import Call, WebhookReceipt
from telephony.selectors import case_status_sentence
from telephony.simulate import call_params
from tests.factories import make_case_in_state

from .conftest import CALLER, CALLER_PHONE, PUBLIC

pytestmark = pytest.mark.django_db

SID = "CA" + "a" * 32


def ring(tw, sid: str = SID, caller: str = CALLER):
    return tw.post("voice/incoming/", call_params(sid, caller, CallStatus="ringing"))


def status(tw, status_: str, sid: str = SID, **extra: str):
    return tw.post("voice/status/", call_params(sid, CALLER, CallStatus=status_, **extra))


# --- in hours ------------------------------------------------------------------------


def test_in_hours_the_caller_hears_the_greeting_in_chinese_then_joins_the_queue(tw, org, in_hours, desk_events):
    reply = ring(tw)

    assert reply.status == 200
    root = reply.xml
    assert root.tag == "Response"
    assert [el.tag for el in root] == ["Say", "Enqueue"]
    say, enqueue = list(root)
    assert say.get("language") == "cmn-CN"
    assert say.text == "您好，这里是95100政务服务热线。"
    assert enqueue.text == "hotline"
    assert enqueue.get("action") == PUBLIC + "/telephony/twilio/voice/queue/"
    assert enqueue.get("waitUrl") == PUBLIC + "/telephony/twilio/voice/wait/"
    call = Call.objects.get()
    assert (call.call_sid, call.purpose, call.status) == (SID, CallPurpose.HOTLINE, CallStatus.RINGING)
    assert (call.from_number, call.caller_phone) == (CALLER, CALLER_PHONE)


def test_a_ringing_call_pops_up_on_the_desk_with_the_callers_past_cases(tw, users, in_hours, desk_events):
    citizen = case_services.Citizen(name="李四", phone=CALLER_PHONE)
    make_closed = make_case_in_state(State.CLOSED, users, citizen=citizen)
    old = case_services.case_register(
        actor=users["agent"],
        channel=Channel.HOTLINE,
        kind="complaint",
        category="CITY-VEND",
        title="占道经营",
        content="门口摊贩占道",
        citizen=citizen,
    )
    case_services.case_register(
        actor=users["agent"],
        channel=Channel.HOTLINE,
        kind="help",
        category="CITY-VEND",
        title="别人的事",
        content="与本来电无关",
        citizen=case_services.Citizen(phone="13900139000"),
    )

    ring(tw)

    assert [t for t, _d in desk_events] == ["call.ringing"]
    data = desk_events[0][1]
    assert data["call_sid"] == SID
    assert data["phone"] == CALLER_PHONE
    assert data["open_count"] == 1
    assert [c["tracking_no"] for c in data["cases"]] == [old.tracking_no, make_closed.tracking_no]
    assert data["cases"][0]["state_label"] == "已登记"


def test_a_withheld_number_still_reaches_the_queue_with_no_history(tw, org, in_hours, desk_events):
    reply = ring(tw, caller="anonymous")

    assert reply.verbs() == ["Say", "Enqueue"]
    assert Call.objects.get().caller_phone == ""
    assert desk_events[0][1]["cases"] == [] and desk_events[0][1]["open_count"] == 0


def test_a_retried_incoming_webhook_answers_the_same_and_rings_once(tw, org, in_hours, desk_events):
    first = ring(tw)
    second = ring(tw)

    assert second.status == 200 and second.body == first.body
    assert Call.objects.count() == 1
    assert WebhookReceipt.objects.filter(kind="voice_incoming").count() == 1
    assert [t for t, _d in desk_events] == ["call.ringing"]


def test_an_incoming_webhook_without_callsid_is_a_400_and_writes_nothing(tw, org, in_hours):
    reply = tw.post("voice/incoming/", {"From": CALLER, "To": "+8610095100"})

    assert reply.status == 400
    assert reply.verbs() == ["Say", "Hangup"]
    assert not Call.objects.exists() and not WebhookReceipt.objects.exists()


def test_the_wait_music_tells_the_caller_their_place(tw, org):
    reply = tw.post("voice/wait/", call_params(SID, CALLER, QueuePosition="3"))

    assert reply.verbs() == ["Say", "Pause"]
    assert reply.xml[0].text == "您前面还有2位来电者，请耐心等候。"


# --- status callbacks, in any order ----------------------------------------------------


def test_a_completed_callback_before_the_incoming_webhook_is_kept_and_not_revived(tw, org, in_hours, desk_events):
    assert status(tw, "completed", CallDuration="5").status == 200
    call = Call.objects.get()
    assert call.status == CallStatus.COMPLETED and call.ended_at is not None

    ring(tw)

    call.refresh_from_db()
    assert call.status == CallStatus.COMPLETED
    assert call.from_number == CALLER
    assert "call.ringing" not in [t for t, _d in desk_events]


def test_a_late_ringing_callback_never_moves_a_completed_call_back(tw, org, in_hours):
    ring(tw)
    status(tw, "completed", CallDuration="30")
    ended_at = Call.objects.get().ended_at

    status(tw, "in-progress")
    status(tw, "ringing")

    call = Call.objects.get()
    assert call.status == CallStatus.COMPLETED
    assert call.ended_at == ended_at
    assert call.duration == 30


def test_a_repeated_completed_callback_ends_the_call_once(tw, org, in_hours, desk_events):
    ring(tw)
    status(tw, "completed", CallDuration="30")
    status(tw, "completed", CallDuration="999")

    assert Call.objects.get().duration == 30
    assert [t for t, _d in desk_events].count("call.ended") == 1


def test_a_status_callback_for_an_unknown_call_is_recorded_not_refused(tw, org):
    reply = status(tw, "no-answer", sid="CA" + "f" * 32)

    assert reply.status == 200
    assert Call.objects.get(call_sid="CA" + "f" * 32).status == CallStatus.NO_ANSWER


def test_an_unknown_call_status_value_is_logged_and_changes_nothing(tw, org, in_hours):
    ring(tw)

    reply = status(tw, "exploded")

    assert reply.status == 200
    assert Call.objects.get().status == CallStatus.RINGING


def test_a_caller_who_hangs_up_in_the_queue_is_an_abandoned_call(tw, org, in_hours, desk_events):
    ring(tw)
    tw.post("voice/queue/", call_params(SID, CALLER, QueueResult="hangup", QueueTime="40"))
    status(tw, "completed", CallDuration="45")

    call = Call.objects.get()
    assert call.abandoned is True
    assert call.queue_wait_seconds == 40
    assert desk_events[-1] == ("call.ended", {"call_sid": SID, "abandoned": True, "duration": 45})


def test_a_caller_bridged_from_the_queue_is_answered_with_its_wait(tw, org, in_hours):
    ring(tw)
    reply = tw.post("voice/queue/", call_params(SID, CALLER, QueueResult="bridged", QueueTime="9"))
    status(tw, "completed", CallDuration="120")

    assert reply.verbs() == ["Say", "Hangup"]
    call = Call.objects.get()
    assert call.answered_at is not None and call.queue_wait_seconds == 9
    assert call.abandoned is False


def test_a_full_queue_gets_a_spoken_apology(tw, org, in_hours):
    ring(tw)
    reply = tw.post("voice/queue/", call_params(SID, CALLER, QueueResult="queue-full", QueueTime="0"))

    assert reply.verbs() == ["Say", "Hangup"]
    assert "线路繁忙" in reply.text()


# --- out of hours ------------------------------------------------------------------------


def test_out_of_hours_the_caller_gets_a_one_key_menu_and_no_desk_popup(tw, org, after_hours, desk_events):
    reply = ring(tw)

    assert reply.verbs() == ["Say", "Gather"]
    gather = reply.xml.find("Gather")
    assert gather.get("numDigits") == "1"
    assert gather.get("actionOnEmptyResult") == "true"
    assert gather.get("action") == PUBLIC + "/telephony/twilio/voice/gather/?step=menu&attempt=1"
    assert gather.find("Say").text == "语音留言请按1；查询工单办理进度请按2。"
    assert Call.objects.get().purpose == CallPurpose.AFTER_HOURS
    assert desk_events == []


def test_key_1_records_a_message_with_a_status_callback(tw, org, after_hours):
    ring(tw)
    reply = tw.post("voice/gather/?step=menu&attempt=1", call_params(SID, CALLER, Digits="1"))

    assert reply.verbs() == ["Say", "Record"]
    record = reply.xml.find("Record")
    assert record.get("recordingStatusCallback") == PUBLIC + "/telephony/twilio/voice/recording/"
    assert record.get("finishOnKey") == "#"
    assert record.get("action") == PUBLIC + "/telephony/twilio/voice/gather/?step=recorded&attempt=1"


def _recording(tw, rec_sid: str = "RE" + "1" * 32, sid: str = SID):
    return tw.post(
        "voice/recording/",
        {
            "CallSid": sid,
            "RecordingSid": rec_sid,
            "RecordingStatus": "completed",
            "RecordingUrl": f"https://api.twilio.com/Recordings/{rec_sid}",
            "RecordingDuration": "21",
        },
    )


def test_a_voice_message_becomes_a_registered_hotline_case_for_the_morning(tw, org, after_hours):
    ring(tw)

    assert _recording(tw).status == 200

    case = Case.objects.get()
    assert (case.channel, case.state, case.kind, case.category.code) == (
        Channel.HOTLINE,
        State.REGISTERED,
        "help",
        "CIV-COMM",
    )
    assert case.citizen_phone == CALLER_PHONE
    assert "https://api.twilio.com/Recordings/RE" + "1" * 32 in case.content
    assert case.publish_consent is False
    call = Call.objects.get()
    assert list(call.cases.all()) == [case]
    assert (call.recording_sid, call.recording_duration) == ("RE" + "1" * 32, 21)


def test_a_repeated_recording_callback_registers_one_case(tw, org, after_hours):
    ring(tw)
    _recording(tw)
    _recording(tw)

    assert Case.objects.count() == 1


def test_a_voice_message_from_an_unusable_number_keeps_the_recording_but_makes_no_case(tw, org, after_hours):
    ring(tw, caller="anonymous")

    reply = _recording(tw)

    assert reply.status == 200
    assert not Case.objects.exists()
    assert Call.objects.get().recording_url.endswith("RE" + "1" * 32)


def test_a_recording_callback_without_url_is_a_400_and_writes_nothing(tw, org):
    reply = tw.post("voice/recording/", {"CallSid": SID, "RecordingSid": "RE" + "1" * 32})

    assert reply.status == 400
    assert not Call.objects.exists() and not Case.objects.exists()


def test_key_2_asks_for_the_tracking_number_ending_with_hash(tw, org, after_hours):
    reply = tw.post("voice/gather/?step=menu&attempt=1", call_params(SID, CALLER, Digits="2"))

    gather = reply.xml.find("Gather")
    assert gather.get("finishOnKey") == "#"
    assert gather.get("action").endswith("step=track&attempt=1")
    assert gather.find("Say").text == "请输入13位工单流水号，以井号键结束。"


def test_keying_a_tracking_number_reads_back_its_state_and_department(tw, users, after_hours):
    case = make_case_in_state(State.IN_PROGRESS, users, citizen=case_services.Citizen(phone=CALLER_PHONE))

    reply = tw.post("voice/gather/?step=track&attempt=1", call_params(SID, CALLER, Digits=case.tracking_no))

    assert reply.verbs() == ["Say", "Say", "Hangup"]
    spoken = reply.xml[0].text
    assert spoken.startswith(f"工单{' '.join(case.tracking_no)}的办理状态为：办理中。承办单位：")
    assert reply.xml[0].get("language") == "cmn-CN"


def test_someone_elses_tracking_number_sounds_exactly_like_an_unknown_one(tw, users, after_hours):
    theirs = make_case_in_state(State.IN_PROGRESS, users, citizen=case_services.Citizen(phone="13900139000"))

    reply = tw.post("voice/gather/?step=track&attempt=1", call_params(SID, CALLER, Digits=theirs.tracking_no))
    unknown = tw.post(
        "voice/gather/?step=track&attempt=1", call_params("CA" + "2" * 32, CALLER, Digits="2099010100001")
    )

    assert reply.verbs() == ["Say", "Gather"]
    assert reply.xml[0].text == unknown.xml[0].text == "抱歉，没有找到这个流水号，请核对后重新输入。"
    assert "办理中" not in reply.body


def test_the_status_sentence_reads_the_citizens_reply_deadline_not_the_nearer_sign_for_one(users):
    tz = ZoneInfo("Asia/Shanghai")
    with time_machine.travel(datetime(2026, 11, 23, 9, 30, tzinfo=tz), tick=False):  # Monday
        case = make_case_in_state(State.ASSIGNED, users)
        sentence = case_status_sentence(case, now=timezone.now())
    # the sign-for clock (Tuesday 17:30) is the department's, not the citizen's
    assert case.timers.get(stage="sign_for").due_at == datetime(2026, 11, 24, 17, 30, tzinfo=tz)
    assert sentence == (
        f"工单{case.tracking_no}的办理状态为：已转办。承办单位：{case.department.name_zh}。办理期限：12月10日17时30分。"
    )


@pytest.mark.parametrize(
    "step,digits,apology",
    [
        ("menu", "", "抱歉，没有听到您的选择。"),
        ("menu", "9", "抱歉，您的按键无效。"),
        ("track", "2026", "抱歉，流水号应为13位数字。"),
        ("track", "9" * 60, "抱歉，流水号应为13位数字。"),
        ("track", "2099010100001", "抱歉，没有找到这个流水号，请核对后重新输入。"),
        ("track", "", "抱歉，没有收到您的输入。"),
    ],
)
def test_a_wrong_key_or_unknown_tracking_number_is_apologised_for_and_asked_again(
    tw, org, after_hours, step, digits, apology
):
    reply = tw.post(f"voice/gather/?step={step}&attempt=1", call_params(SID, CALLER, Digits=digits))

    assert reply.status == 200
    assert reply.verbs() == ["Say", "Gather"]
    assert reply.xml[0].text == apology
    assert reply.xml.find("Gather").get("action").endswith(f"step={step}&attempt=2")


@pytest.mark.parametrize("step,digits", [("menu", "7"), ("track", "2099010100001")])
def test_after_the_last_try_the_caller_hears_goodbye(tw, org, after_hours, step, digits):
    reply = tw.post(f"voice/gather/?step={step}&attempt=3", call_params(SID, CALLER, Digits=digits))

    assert reply.verbs() == ["Say", "Hangup"]
    assert "再见" in reply.xml[0].text


def test_a_retried_gather_answers_as_the_first_time(tw, org, after_hours):
    first = tw.post("voice/gather/?step=menu&attempt=1", call_params(SID, CALLER, Digits="9"))
    again = tw.post("voice/gather/?step=menu&attempt=1", call_params(SID, CALLER, Digits="9"))

    assert again.body == first.body
    assert WebhookReceipt.objects.filter(kind="voice_gather").count() == 1


@pytest.mark.parametrize("query", ["step=nonsense&attempt=1", "attempt=1", "step=menu&attempt=abc"])
def test_a_gather_with_a_bad_step_or_attempt_is_handled(tw, org, after_hours, query):
    reply = tw.post(f"voice/gather/?{query}", call_params(SID, CALLER, Digits="1"))

    if "step=menu" in query:  # a garbled attempt counts as the first
        assert reply.status == 200 and reply.verbs() == ["Say", "Record"]
    else:
        assert reply.status == 400 and reply.verbs() == ["Say", "Hangup"]
