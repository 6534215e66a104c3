"""SMS of issue 13: a supplement to the sender's own open case (by its tracking number, or ``补充``
in the thread of their latest open case), and a short help answer for a reply that is not a rating
("4", "好的") instead of a new case."""

from __future__ import annotations

import pytest

from cases.enums import State
from cases.models import Case
from cases.services import Citizen
from notifications.enums import Template
from notifications.models import Outbox
from telephony.enums import SmsIntent
from telephony.models import SmsMessage
from telephony.simulate import sms
from tests.factories import make_case_in_state

from .conftest import CALLER, CALLER_PHONE

pytestmark = pytest.mark.django_db


def text_of(reply) -> str:
    assert [el.tag for el in reply.xml] == ["Message"]
    return reply.xml[0].text


def mine(users, state: str = State.IN_PROGRESS) -> Case:
    return make_case_in_state(state, users, citizen=Citizen(phone=CALLER_PHONE))


def test_an_sms_with_the_senders_tracking_number_is_a_supplement_not_a_new_case(tw, users):
    case = mine(users)
    cases = Case.objects.count()

    reply = sms(tw, CALLER, f"补充 {case.tracking_no} 摊位每晚七点后出现，在北侧。")

    assert text_of(reply) == f"已收到您对工单{case.tracking_no}的补充材料，已转交承办单位。"
    assert Case.objects.count() == cases
    event = case.events.order_by("-seq").first()
    assert (event.transition, event.note, event.data["via"]) == ("supplement", "摊位每晚七点后出现，在北侧。", "sms")
    assert Outbox.objects.filter(template=Template.SUPPLEMENT_ADDED, recipient__username="clerk_cgj").exists()
    row = SmsMessage.objects.get()
    assert (row.intent, row.case) == (SmsIntent.SUPPLEMENT, case)


def test_a_reply_starting_with_buchong_goes_to_the_senders_latest_open_case(tw, users):
    older = mine(users)
    latest = mine(users, State.ASSIGNED)
    mine(users, State.CLOSED)  # registered last, but closed: not the thread any more

    reply = sms(tw, CALLER, "补充：照片已发到网站。")

    assert latest.tracking_no in text_of(reply)
    assert latest.events.order_by("-seq").first().note == "照片已发到网站。"
    assert older.events.filter(transition="supplement").count() == 0


def test_someone_elses_tracking_number_is_an_ordinary_message(tw, users):
    theirs = make_case_in_state(State.IN_PROGRESS, users, citizen=Citizen(phone="13900009999"))
    cases = Case.objects.count()

    reply = sms(tw, CALLER, f"我邻居的工单{theirs.tracking_no}也是反映这个噪声问题，我家也受影响。")

    assert text_of(reply).startswith("您的诉求已受理。")  # a new case of the sender's own
    assert Case.objects.count() == cases + 1
    assert theirs.events.filter(transition="supplement").count() == 0


def test_a_supplement_to_a_closed_case_says_so_and_changes_nothing(tw, users):
    case = mine(users, State.CLOSED)
    events = case.events.count()

    reply = sms(tw, CALLER, f"补充 {case.tracking_no} 问题又出现了")

    assert text_of(reply) == (f"工单{case.tracking_no}已答复或办结，不能再补充材料。如有新的诉求，请直接发送诉求内容。")
    assert case.events.count() == events


def test_buchong_without_an_open_case_is_answered_and_registers_nothing(tw, org):
    reply = sms(tw, CALLER, "补充 楼下又开始施工了")
    assert text_of(reply).startswith("未找到您名下办理中的工单。")
    assert not Case.objects.exists()


@pytest.mark.parametrize("body", ["4", "好的", "好的，谢谢！", "0"])
def test_a_reply_that_is_not_a_rating_gets_help_instead_of_becoming_a_case(tw, users, body):
    case = mine(users, State.ANSWERED)
    cases = Case.objects.count()

    reply = sms(tw, CALLER, body)

    assert text_of(reply) == (
        f"如需评价工单{case.tracking_no}，请只回复数字：1满意，2基本满意，3不满意。如需反映新的诉求，请发送完整的诉求内容。"
    )
    assert Case.objects.count() == cases
    assert Case.objects.get(pk=case.pk).state == State.ANSWERED
    assert SmsMessage.objects.get().intent == SmsIntent.HELP


def test_a_bare_number_without_a_case_to_rate_gets_help_too(tw, org):
    reply = sms(tw, CALLER, "4")
    assert text_of(reply).startswith("未能识别您的短信。")
    assert not Case.objects.exists()


def test_a_real_matter_from_someone_with_a_case_to_rate_is_still_registered(tw, users):
    mine(users, State.ANSWERED)
    cases = Case.objects.count()
    reply = sms(tw, CALLER, "幸福路12号路灯不亮已经一周，晚上很危险。")
    assert text_of(reply).startswith("您的诉求已受理。")
    assert Case.objects.count() == cases + 1
