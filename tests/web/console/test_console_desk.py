"""The agent desk: quick intake, the numbers to read out, caller history, resolve now."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from cases.enums import Channel, Kind, Priority, ReplyChannel, State, Transition
from cases.models import Case
from cases.services import Citizen
from tests.factories import CaseFactory, make_case_in_state
from tests.web.console.test_console_pages import login

pytestmark = pytest.mark.django_db

CALL = {
    "channel": "hotline",
    "citizen_phone": "139 1234 5678",
    "citizen_name": "李四",
    "kind": "complaint",
    "category": "ENV-NOISE",
    "title": "工地夜间施工噪声",
    "content": "幸福路工地每晚十一点后仍在施工，噪声很大。",
    "location": "幸福路88号",
    "priority": "urgent",
    "reply_channel": "",
    "citizen_email": "",
    "citizen_id_no": "",
    "publish_consent": "on",
    "call_sid": "CA0123456789abcdef0123456789abcdef",
}


def test_desk_form_groups_categories_by_parent_and_shows_the_default_department(client, users):
    login(client, users["agent"])
    html = client.get(reverse("console:desk")).content.decode()
    group = re.search(r'<optgroup label="生态环境">(.*?)</optgroup>', html, re.S).group(1)
    assert '<option value="ENV-NOISE">噪声扰民（示范区生态环境分局）</option>' in group
    assert 'data-ws-topic="desk"' in html
    assert 'id="caller-history" data-url="/console/desk/caller-history/"' in html


def test_intake_registers_the_case_and_shows_tracking_number_and_access_code(client, users):
    login(client, users["agent"])
    response = client.post(reverse("console:desk"), CALL, REMOTE_ADDR="10.1.2.3")
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == (f"/console/desk/?done={case.tracking_no}&call_sid={CALL['call_sid']}")
    assert (case.channel, case.kind, case.category.code, case.priority) == (
        Channel.HOTLINE,
        Kind.COMPLAINT,
        "ENV-NOISE",
        Priority.URGENT,
    )
    assert (case.title, case.content, case.location) == (CALL["title"], CALL["content"], CALL["location"])
    assert (case.citizen_name, case.citizen_phone, case.reply_channel) == ("李四", "13912345678", ReplyChannel.SMS)
    assert case.publish_consent is True
    assert case.state == State.REGISTERED
    assert case.registered_by == users["agent"]
    event = case.events.get()
    assert (event.transition, event.actor, event.client_ip) == (Transition.REGISTER, users["agent"], "10.1.2.3")

    page = client.get(response["Location"])
    html = page.content.decode()
    assert f'<strong class="tracking-no">{case.tracking_no}</strong>' in html
    assert f'<strong class="access-code">{case.access_code}</strong>' in html
    assert f"登记成功：流水号 {case.tracking_no}，查询码 {case.access_code}。请向来电人复述。" in html
    assert page.context["call_sid"] == CALL["call_sid"]
    assert f'action="/console/cases/{case.tracking_no}/actions/resolve_directly/"' in html


def test_intake_of_a_paper_letter_by_a_clerk_without_phone_uses_email_reply(client, users):
    login(client, users["clerk_cgj"])
    data = {
        **CALL,
        "channel": "letter",
        "citizen_phone": "",
        "citizen_email": "li@example.com",
        "reply_channel": "email",
        "publish_consent": "",
        "call_sid": "",
    }
    response = client.post(reverse("console:desk"), data)
    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.channel, case.citizen_email, case.reply_channel, case.publish_consent) == (
        Channel.LETTER,
        "li@example.com",
        ReplyChannel.EMAIL,
        False,
    )
    # The clerk who registered it gets the numbers, though the unassigned case is not theirs to open.
    html = client.get(response["Location"]).content.decode()
    assert f'<strong class="tracking-no">{case.tracking_no}</strong>' in html
    assert f'<strong class="access-code">{case.access_code}</strong>' in html
    assert f'href="/console/cases/{case.tracking_no}/"' not in html
    # Clerks do not get the phone-history panel: it would show other departments' cases.
    assert 'id="caller-history"' not in html


def test_desk_does_not_show_the_numbers_of_a_case_someone_else_registered(client, users):
    case = CaseFactory(actor=users["agent"])
    login(client, users["dispatcher"])
    html = client.get(reverse("console:desk"), {"done": case.tracking_no}).content.decode()
    assert case.access_code not in html


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"citizen_phone": "12345"}, "citizen_phone", "电话号码格式不正确：应为11位手机号或带区号的固定电话。"),
        ({"citizen_phone": ""}, "citizen_phone", "请填写联系电话。"),
        ({"title": "  "}, "title", "请填写标题。"),
        ({"content": ""}, "content", "请填写诉求内容。"),
        ({"citizen_id_no": "110101199003070000"}, "citizen_id_no", "身份证号码无效：应为18位且校验位正确。"),
        ({"reply_channel": "email"}, "citizen_email", "选择邮件答复时请填写电子邮箱。"),
        ({"category": "NOPE"}, "category", "选择一个有效的选项。 NOPE 不在可用的选项中。"),
    ],
)
def test_bad_intake_shows_the_specific_error_next_to_the_field_and_saves_nothing(client, users, change, field, message):
    login(client, users["agent"])
    response = client.post(reverse("console:desk"), {**CALL, **change})
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert Case.objects.count() == 0
    # What was typed stays in the form.
    assert CALL["content"] in response.content.decode() or field == "content"


def test_intake_form_rerendered_with_a_phone_shows_that_callers_history(client, users):
    past = CaseFactory(actor=users["agent"], citizen=Citizen(name="李四", phone="13912345678"))
    login(client, users["agent"])
    response = client.post(reverse("console:desk"), {**CALL, "title": ""})
    assert response.status_code == 400
    history = response.context["history"]
    assert [c.tracking_no for c in history["cases"]] == [past.tracking_no]
    assert history["open_count"] == 1
    html = response.content.decode()
    assert f'href="/console/cases/{past.tracking_no}/"' in html
    assert "其中未办结 1 件" in html


def test_desk_opened_for_a_ringing_call_prefills_phone_and_keeps_the_call_sid(client, users):
    CaseFactory(actor=users["agent"], citizen=Citizen(name="李四", phone="13912345678"))
    login(client, users["agent"])
    response = client.get(reverse("console:desk"), {"phone": "13912345678", "call_sid": "CAabc"})
    assert response.context["call_sid"] == "CAabc"
    html = response.content.decode()
    assert 'name="call_sid" value="CAabc"' in html
    assert 'value="13912345678"' in html
    assert response.context["history"]["open_count"] == 1


def test_caller_history_json_returns_the_callers_cases_and_open_count(client, users):
    phone = "13912345678"
    closed = make_case_in_state(State.CLOSED, users, citizen=Citizen(name="李四", phone=phone))
    open_case = CaseFactory(actor=users["agent"], citizen=Citizen(name="李四", phone=phone))
    CaseFactory(actor=users["agent"], citizen=Citizen(name="别人", phone="13900000000"))
    login(client, users["agent"])
    response = client.get(reverse("console:caller_history"), {"phone": "139-1234-5678"})
    assert response.status_code == 200
    data = response.json()
    assert data["phone"] == phone
    assert data["open_count"] == 1
    assert [c["tracking_no"] for c in data["cases"]] == [open_case.tracking_no, closed.tracking_no]
    assert data["cases"][1] == {
        "tracking_no": closed.tracking_no,
        "title": closed.title,
        "state": "closed",
        "state_label": "已办结",
        "category": "占道经营",
        "department": "示范区城市管理和综合执法局",
        "registered_at": data["cases"][1]["registered_at"],
        "registered_at_display": data["cases"][1]["registered_at_display"],
        "is_open": False,
        "url": f"/console/cases/{closed.tracking_no}/",
    }


def test_caller_history_json_with_a_bad_number_is_a_400_with_a_message(client, users):
    login(client, users["agent"])
    response = client.get(reverse("console:caller_history"), {"phone": "abc"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["phone"] == ["电话号码格式不正确：应为11位手机号或带区号的固定电话。"]


def test_caller_history_json_is_not_for_department_staff(client, users):
    CaseFactory(actor=users["agent"], citizen=Citizen(name="李四", phone="13912345678"))
    login(client, users["clerk_hbj"])
    response = client.get(reverse("console:caller_history"), {"phone": "13912345678"})
    assert response.status_code == 403
    assert "tracking_no" not in response.content.decode()


def test_resolve_now_after_registering_answers_the_case_on_first_contact(client, users):
    login(client, users["agent"])
    client.post(reverse("console:desk"), CALL)
    case = Case.objects.get()
    response = client.post(
        reverse("console:case_action", args=[case.tracking_no, "resolve_directly"]),
        {
            "version": case.version,
            "answer": "已告知施工许可时间为早六点至晚十点，可向环保分局举报。",
            "next": reverse("console:desk"),
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("console:desk")
    case.refresh_from_db()
    assert case.state == State.ANSWERED
    assert case.first_contact_resolution is True
    assert case.answer.startswith("已告知施工许可时间")
    assert f"工单 {case.tracking_no}：已直接办结，当前状态：已答复。" in response.content.decode()
