"""Console pages reaching the other apps' data: the case page's notifications, calls, supervision orders
and extensions (with the department's and supervisor's forms), the inbox's deadline badges and
its orders / extension requests, and live.js on the notifications list."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.enums import State
from sla import services as sla
from sla.models import Extension, SupervisionOrder
from tests.factories import make_case_in_state
from tests.sla.fixtures import clock, published  # noqa: F401
from tests.web.console.test_console_pages import login

pytestmark = pytest.mark.django_db


def page(client, user, tracking_no: str) -> str:
    client.logout()
    login(client, user)
    response = client.get(reverse("console:case", args=[tracking_no]))
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, section_id: str) -> str:
    match = re.search(rf'<section class="[^"]*" id="{section_id}">(.*?)</section>', html, re.S)
    assert match, f"no section #{section_id}"
    return match[1]


def later_than_reply_deadline(case, days: int = 1) -> str:
    """A datetime-local value (what the browser posts) a few days after the live reply deadline."""
    timer = case.timers.get(stage="reply", stopped_at__isnull=True)
    return timezone.localtime(timer.due_at + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


# --- the case page -----------------------------------------------------------------------------


def test_case_page_lists_the_messages_sent_about_the_case(client, users, clock, published):
    case = make_case_in_state(State.ANSWERED, users)
    sent = list(case.outbox_messages.all())
    assert sent, "the answer should have been queued for the citizen"
    html = page(client, users["dispatcher"], case.tracking_no)
    outbox = html[html.index('class="case-outbox"') :]
    assert "通知记录" in outbox
    for message in sent:
        assert message.get_template_display() in outbox


def test_case_page_lists_the_calls_about_the_case_and_no_others(client, users, clock, published):
    from telephony.enums import CallPurpose, Direction
    from telephony.models import Call

    case = make_case_in_state(State.ANSWERED, users)
    other = make_case_in_state(State.ASSIGNED, users)
    intake = Call.objects.create(
        call_sid="CA-intake",
        from_number="+8613800138000",
        caller_phone="13800138000",
        started_at=case.registered_at,
        status="completed",
        duration=185,
        agent=users["agent"],
    )
    intake.cases.add(case)
    survey = Call.objects.create(
        call_sid="CA-survey",
        direction=Direction.OUTBOUND,
        purpose=CallPurpose.SURVEY,
        to_number="+8613800138000",
        started_at=clock.now,
        survey_case=case,
    )
    elsewhere = Call.objects.create(call_sid="CA-other", from_number="+8613900139000", started_at=clock.now)
    elsewhere.cases.add(other)

    calls = section(page(client, users["dispatcher"], case.tracking_no), "calls")
    assert f'id="call-{intake.pk}"' in calls and f'id="call-{survey.pk}"' in calls
    assert f'id="call-{elsewhere.pk}"' not in calls
    assert "185" in calls and "满意度回访" in calls and users["agent"].display_name in calls
    assert "13800138000" not in calls  # the number stays in the (masked, audited) contact card
    quiet = make_case_in_state(State.REGISTERED, users)
    assert "无通话记录。" in section(page(client, users["dispatcher"], quiet.tracking_no), "calls")


def test_the_department_answers_a_supervision_order_from_the_case_page(client, users, clock, published):
    case = make_case_in_state(State.IN_PROGRESS, users)
    order = sla.supervision_issue(case=case, actor=users["supervisor"], level=2, note="群众多次来电，请于今日内处理。")

    clerk_view = section(page(client, users["clerk_cgj"], case.tracking_no), "deadline-work")
    assert "督办" in clerk_view and "群众多次来电，请于今日内处理。" in clerk_view
    assert reverse("sla_pages:supervision_answer", args=[order.pk]) in clerk_view
    # the supervisor sees the order but has nothing to answer
    supervisor_view = section(page(client, users["supervisor"], case.tracking_no), "deadline-work")
    assert "群众多次来电，请于今日内处理。" in supervisor_view
    assert reverse("sla_pages:supervision_answer", args=[order.pk]) not in supervisor_view

    client.logout()
    login(client, users["clerk_cgj"])
    case_url = reverse("console:case", args=[case.tracking_no])
    response = client.post(
        reverse("sla_pages:supervision_answer", args=[order.pk]), {"text": "已派人现场清理。", "next": case_url}
    )
    assert (response.status_code, response.url) == (302, case_url)
    order.refresh_from_db()
    assert (order.answer, order.answered_by) == ("已派人现场清理。", users["clerk_cgj"])
    answered = section(page(client, users["clerk_cgj"], case.tracking_no), "deadline-work")
    assert "已派人现场清理。" in answered
    assert reverse("sla_pages:supervision_answer", args=[order.pk]) not in answered


def test_the_department_requests_an_extension_and_the_supervisor_decides_it_on_the_case_page(
    client, users, clock, published
):
    case = make_case_in_state(State.IN_PROGRESS, users)
    request_url = reverse("sla_pages:extension_request", args=[case.tracking_no])
    case_url = reverse("console:case", args=[case.tracking_no])
    assert request_url in page(client, users["clerk_cgj"], case.tracking_no)
    assert request_url not in page(client, users["dispatcher"], case.tracking_no)  # not the department

    client.logout()
    login(client, users["clerk_cgj"])
    response = client.post(request_url, {"until": later_than_reply_deadline(case), "reason": "需协调环卫车辆。"})
    assert (response.status_code, response.url) == (302, case_url)
    ext = Extension.objects.get(case=case)
    assert (ext.status, ext.reason, ext.requested_by) == ("pending", "需协调环卫车辆。", users["clerk_cgj"])

    shown = section(page(client, users["supervisor"], case.tracking_no), "deadline-work")
    assert "待审批" in shown and "需协调环卫车辆。" in shown
    decide_url = reverse("sla_pages:extension_decide", args=[ext.pk])
    assert decide_url in shown
    assert decide_url not in page(client, users["clerk_cgj"], case.tracking_no)

    client.logout()
    login(client, users["supervisor"])
    response = client.post(decide_url, {"decision": "grant", "note": "", "next": case_url})
    assert (response.status_code, response.url) == (302, case_url)
    ext.refresh_from_db()
    assert ext.status == "granted"
    assert "已批准" in section(page(client, users["supervisor"], case.tracking_no), "deadline-work")


def test_a_refused_extension_request_says_why_and_creates_nothing(client, users, clock, published):
    case = make_case_in_state(State.IN_PROGRESS, users)
    login(client, users["clerk_cgj"])
    url = reverse("sla_pages:extension_request", args=[case.tracking_no])
    response = client.post(url, {"until": "next week", "reason": "需协调"}, follow=True)
    assert response.status_code == 200
    assert "日期格式不正确：next week" in response.content.decode()
    response = client.post(url, {"until": later_than_reply_deadline(case), "reason": ""}, follow=True)
    assert "延期理由" in response.content.decode()
    assert not Extension.objects.exists()


def test_an_extension_cannot_be_requested_for_a_case_the_user_cannot_see(client, users, clock, published):
    case = make_case_in_state(State.IN_PROGRESS, users)  # CGJ's case
    login(client, users["clerk_hbj"])
    response = client.post(
        reverse("sla_pages:extension_request", args=[case.tracking_no]),
        {"until": later_than_reply_deadline(case), "reason": "想看看"},
    )
    assert response.status_code == 404
    assert "工单不存在" in response.content.decode() and case.title not in response.content.decode()
    assert not Extension.objects.exists()


# --- the department inbox ----------------------------------------------------------------------


def test_inbox_shows_each_cases_deadline_in_colour(client, users, clock, published):
    assigned = make_case_in_state(State.ASSIGNED, users)
    in_progress = make_case_in_state(State.IN_PROGRESS, users)
    login(client, users["clerk_cgj"])
    html = client.get(reverse("console:inbox")).content.decode()
    for case, stage in [(assigned, "签收"), (in_progress, "答复")]:
        row = re.search(rf'<tr id="case-{case.tracking_no}">(.*?)</tr>', html, re.S)[1]
        assert re.search(rf'<span class="sla-badge sla-running" title="{stage}[^"]*">{stage}', row), row
    # late by now: the badge turns red
    clock.advance(days=7)
    client.force_login(users["clerk_cgj"])  # the session would have expired meanwhile
    html = client.get(reverse("console:inbox")).content.decode()
    row = re.search(rf'<tr id="case-{assigned.tracking_no}">(.*?)</tr>', html, re.S)[1]
    assert 'class="sla-badge sla-breached"' in row and "超期" in row


def test_inbox_lists_the_departments_orders_to_answer_and_its_extension_requests_only(client, users, clock, published):
    ours = make_case_in_state(State.IN_PROGRESS, users)
    theirs = make_case_in_state(State.IN_PROGRESS, users, department="HBJ")
    our_order = sla.supervision_issue(case=ours, actor=users["supervisor"], level=1, note="请加快办理")
    their_order = sla.supervision_issue(case=theirs, actor=users["supervisor"], level=2, note="环保督办")
    sla.extension_request(
        case=ours, actor=users["clerk_cgj"], until=later_than_reply_deadline(ours), reason="需协调环卫车辆。"
    )
    sla.extension_request(
        case=theirs, actor=users["clerk_hbj"], until=later_than_reply_deadline(theirs), reason="需要监测数据。"
    )

    login(client, users["clerk_cgj"])
    html = client.get(reverse("console:inbox")).content.decode()
    orders = section(html, "supervision-orders")
    assert ours.tracking_no in orders and "请加快办理" in orders
    assert reverse("sla_pages:supervision_answer", args=[our_order.pk]) in orders
    assert 'name="next" value="/console/inbox/"' in orders
    assert theirs.tracking_no not in orders and "环保督办" not in orders
    extensions = section(html, "extension-requests")
    assert ours.tracking_no in extensions and "需协调环卫车辆。" in extensions and "待审批" in extensions
    assert theirs.tracking_no not in extensions and "需要监测数据。" not in extensions

    # answered from the inbox: back to the inbox, and the order leaves the list
    response = client.post(
        reverse("sla_pages:supervision_answer", args=[our_order.pk]), {"text": "今日完成。", "next": "/console/inbox/"}
    )
    assert (response.status_code, response.url) == (302, "/console/inbox/")
    orders = section(client.get(reverse("console:inbox")).content.decode(), "supervision-orders")
    assert ours.tracking_no not in orders
    assert SupervisionOrder.objects.get(pk=their_order.pk).answered_at is None


def test_the_supervision_answer_form_only_returns_to_console_pages(client, users, clock, published):
    case = make_case_in_state(State.IN_PROGRESS, users)
    order = sla.supervision_issue(case=case, actor=users["supervisor"], level=1, note="请加快办理")
    login(client, users["clerk_cgj"])
    response = client.post(
        reverse("sla_pages:supervision_answer", args=[order.pk]),
        {"text": "好的", "next": "https://evil.example/console/"},
    )
    assert (response.status_code, response.url) == (302, reverse("console:home"))


# --- other pages -------------------------------------------------------------------------------


def test_the_notifications_list_loads_live_js_once(client, users):
    login(client, users["clerk_cgj"])
    html = client.get(reverse("notifications:list")).content.decode()
    assert html.count("js/live.js") == 1
    assert 'id="live-region"' in html


def test_the_deadline_sections_speak_english_when_asked(client, users, clock, published):
    case = make_case_in_state(State.IN_PROGRESS, users)
    sla.supervision_issue(case=case, actor=users["supervisor"], level=2, note="请加快办理")
    sla.extension_request(case=case, actor=users["clerk_cgj"], until=later_than_reply_deadline(case), reason="需协调")
    login(client, users["clerk_cgj"])
    html = client.get(reverse("console:case", args=[case.tracking_no]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    shown = section(html, "deadline-work")
    for text in ["Supervision and extensions", "Answer the order", "deadline "]:
        assert text in shown
    assert "督办与延期" not in shown and "回复督办" not in shown
    inbox = client.get(reverse("console:inbox"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Supervision orders to answer" in section(inbox, "supervision-orders")
