"""SMS to the hotline: a matter becomes a case; 查询 answers the status; 1/2/3 rates the answer."""

from __future__ import annotations

import re

import pytest

from cases.enums import Channel, Rating, State
from cases.models import Case
from cases.services import Citizen
from telephony.enums import SmsIntent
from telephony.models import SmsMessage
from telephony.simulate import sms
from tests.factories import make_case_in_state

from .conftest import CALLER, CALLER_PHONE

pytestmark = pytest.mark.django_db

MATTER = "幸福路12号路灯不亮已经一周，晚上很危险。"


def _message(reply) -> str:
    assert [el.tag for el in reply.xml] == ["Message"]
    return reply.xml[0].text


def test_an_sms_matter_registers_a_case_and_replies_with_its_numbers(tw, org):
    reply = sms(tw, CALLER, MATTER, message_sid="SM" + "1" * 32)

    assert reply.status == 200
    case = Case.objects.get()
    assert _message(reply) == (
        f"您的诉求已受理。流水号：{case.tracking_no}，查询码：{case.access_code}。"
        f"回复“查询 {case.tracking_no}”可了解办理进度。"
    )
    assert (case.channel, case.kind, case.category.code, case.state) == (
        Channel.SMS,
        "help",
        "CIV-COMM",
        State.REGISTERED,
    )
    assert (case.citizen_phone, case.content, case.title) == (CALLER_PHONE, MATTER, MATTER)
    assert case.publish_consent is False
    row = SmsMessage.objects.get()
    assert (row.message_sid, row.intent, row.case) == ("SM" + "1" * 32, SmsIntent.INTAKE, case)


def test_the_default_sms_category_is_a_setting(tw, org, settings):
    settings.TELEPHONY_SMS_DEFAULT_CATEGORY = "CIV-ELDER"

    sms(tw, CALLER, MATTER)

    assert Case.objects.get().category.code == "CIV-ELDER"


def test_a_retried_sms_webhook_registers_one_case_and_replies_the_same(tw, org):
    first = sms(tw, CALLER, MATTER, message_sid="SM" + "2" * 32)
    again = sms(tw, CALLER, MATTER, message_sid="SM" + "2" * 32)

    assert again.body == first.body
    assert Case.objects.count() == 1 and SmsMessage.objects.count() == 1


@pytest.mark.parametrize(
    "body,expected",
    [
        ("   \n  ", "短信内容为空。请直接发送您的诉求内容，例如：幸福路12号路灯不亮。"),
        ("路" * 5001, "短信内容超过5000字，未能登记。请精简后重新发送，或拨打95100。"),
    ],
)
def test_an_empty_or_oversized_sms_is_refused_clearly_and_makes_no_case(tw, org, body, expected):
    reply = sms(tw, CALLER, body)

    assert _message(reply) == expected
    assert not Case.objects.exists()
    assert SmsMessage.objects.get().intent == SmsIntent.REFUSED


def test_an_sms_of_exactly_the_content_limit_is_registered(tw, org):
    sms(tw, CALLER, "路" * 5000)

    case = Case.objects.get()
    assert len(case.content) == 5000
    assert case.title == "路" * 30 + "…"  # the first line, cut to a readable title


def test_an_sms_from_an_unusable_number_is_refused(tw, org):
    reply = sms(tw, "+1415555", MATTER)

    assert _message(reply) == "抱歉，无法识别您的手机号码，短信诉求未能登记。请拨打95100。"
    assert not Case.objects.exists()


def test_an_sms_without_from_is_a_400_and_writes_nothing(tw, org):
    reply = tw.post("sms/incoming/", {"MessageSid": "SM" + "1" * 32, "Body": MATTER})

    assert reply.status == 400
    assert not SmsMessage.objects.exists() and not Case.objects.exists()


def test_a_status_query_from_the_citizens_own_phone_gets_the_state(tw, users):
    case = make_case_in_state(State.ASSIGNED, users, citizen=Citizen(phone=CALLER_PHONE))

    reply = sms(tw, CALLER, f"查询 {case.tracking_no}")

    text = _message(reply)
    assert text.startswith(f"工单{case.tracking_no}的办理状态为：已转办。承办单位：")
    assert SmsMessage.objects.get().intent == SmsIntent.QUERY


def test_a_status_query_for_someone_elses_case_looks_like_an_unknown_number(tw, users):
    theirs = make_case_in_state(State.ASSIGNED, users, citizen=Citizen(phone="13900139000"))

    reply = sms(tw, CALLER, f"查询{theirs.tracking_no}")

    assert _message(reply) == f"未找到工单{theirs.tracking_no}。请核对流水号，或在流水号后附上6位查询码。"
    assert sms(tw, CALLER, "查询 2099010100001").xml[0].text.startswith("未找到工单2099010100001。")


def test_a_status_query_with_the_access_code_works_from_any_phone(tw, users):
    theirs = make_case_in_state(State.ASSIGNED, users, citizen=Citizen(phone="13900139000"))

    reply = sms(tw, CALLER, f"查询 {theirs.tracking_no} {theirs.access_code.lower()}")

    assert _message(reply).startswith(f"工单{theirs.tracking_no}的办理状态为：已转办。")


@pytest.mark.parametrize(
    "digit,rating", [("1", Rating.SATISFIED), ("２", Rating.BASICALLY_SATISFIED), ("3", Rating.DISSATISFIED)]
)
def test_a_1_2_3_reply_rates_the_callers_answered_case(tw, users, digit, rating):
    case = make_case_in_state(State.ANSWERED, users, citizen=Citizen(phone=CALLER_PHONE))

    reply = sms(tw, CALLER, digit)

    case.refresh_from_db()
    # A dissatisfied rating waits for a supervisor's decision instead of closing the case.
    expected = State.PENDING_DECISION if rating == Rating.DISSATISFIED else State.CLOSED
    assert (case.state, case.rating) == (expected, rating)
    assert case.dissatisfied_reason == ("unstated" if rating == Rating.DISSATISFIED else "")
    assert case.events.order_by("-seq").first().actor is None
    assert case.tracking_no in _message(reply)
    assert SmsMessage.objects.get().intent == SmsIntent.RATING


def test_a_rating_from_a_number_with_nothing_to_rate_changes_nothing(tw, users):
    others = make_case_in_state(State.ANSWERED, users, citizen=Citizen(phone="13900139000"))

    reply = sms(tw, CALLER, "1")

    assert _message(reply) == "您目前没有待评价的工单。如需反映诉求，请直接发送诉求内容。"
    others.refresh_from_db()
    assert others.state == State.ANSWERED
    assert Case.objects.count() == 1  # "1" is not registered as a matter either


def test_a_dissatisfied_sms_rating_lands_on_the_supervisors_follow_up_page(tw, users, client):
    case = make_case_in_state(State.ANSWERED, users, citizen=Citizen(phone=CALLER_PHONE))
    happy = make_case_in_state(State.CLOSED, users)  # rated satisfied: must not be listed

    reply = sms(tw, CALLER, "3")
    assert "不满意" in _message(reply)

    client.force_login(users["supervisor"])
    page = client.get("/telephony/desk/dissatisfied/")
    assert page.status_code == 200
    listed = re.findall(r'data-tracking-no="(\d+)"', page.content.decode())
    assert listed == [case.tracking_no]
    assert happy.tracking_no not in page.content.decode()


def test_the_follow_up_page_is_for_supervisors_only(client, users):
    client.force_login(users["agent"])

    assert client.get("/telephony/desk/dissatisfied/").status_code == 403


def test_a_delivery_report_updates_the_outbox_row(tw, org, monkeypatch):
    calls = []
    monkeypatch.setattr(
        "notifications.outbox.outbox_mark_delivery", lambda sid, status, code: calls.append((sid, status, code)) or True
    )

    reply = tw.post(
        "sms/status/", {"MessageSid": "SM" + "9" * 32, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    )

    assert reply.status == 200
    assert calls == [("SM" + "9" * 32, "undelivered", "30003")]
    assert not SmsMessage.objects.exists()


def test_a_delivery_report_for_a_message_not_in_the_outbox_is_recorded_here(tw, org):
    tw.post("sms/status/", {"MessageSid": "SM" + "8" * 32, "MessageStatus": "delivered"})
    tw.post("sms/status/", {"MessageSid": "SM" + "8" * 32, "MessageStatus": "delivered"})

    row = SmsMessage.objects.get()
    assert (row.message_sid, row.direction, row.status) == ("SM" + "8" * 32, "outbound", "delivered")
