"""The department's answer in the console (issue 13): the reply form (file, result, contact,
templates), head approval as a visible step, assisting opinions, the printable 交办单, and the
contact-before-reply rate of the monthly report."""

from __future__ import annotations

import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.urls import reverse

from cases import services
from cases.enums import State, Transition
from cases.models import Case, Department, ReplyTemplate
from stats.rollups import rollups_refresh
from tests.attachment_files import PNG, upload
from tests.factories import CaseFactory, make_case_in_state
from tests.web.console.test_console_actions import act
from tests.web.console.test_console_pages import login

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=SH)


@pytest.fixture
def working(users, time_machine):
    time_machine.move_to(NOW - dt.timedelta(hours=1), tick=False)
    case = make_case_in_state(State.IN_PROGRESS, users)
    time_machine.move_to(NOW, tick=False)
    return case


def test_the_reply_form_has_a_file_input_a_result_contact_fields_and_the_templates(client, users, working):
    ReplyTemplate.objects.create(title="占道·已整治", body="{citizen_name}您好：{tracking_no}已整治。")
    login(client, users["clerk_cgj"])
    html = client.get(reverse("console:case", args=[working.tracking_no])).content.decode()
    form = re.search(r'<form[^>]+action-reply"[^>]*>(.*?)</form>', html, re.S)
    assert form and 'enctype="multipart/form-data"' in form.group(0)
    body = form.group(1)
    for needle in (
        'type="file" name="attachments"',
        'name="result"',
        '<option value="explained">未解决·已解释说明</option>',
        'type="datetime-local" name="contact_at"',
        'name="contact_method"',
        '<option value="visit">上门/现场</option>',
        'data-reply-template="1"',
    ):
        assert needle in body, needle
    templates = json.loads(
        re.search(r'<script id="reply-templates" type="application/json">(.*?)</script>', html).group(1)
    )
    assert [t["text"] for t in templates] == [f"张三您好：{working.tracking_no}已整治。"]
    assert '<script src="/static/js/reply_templates.js" defer></script>' in html
    assert not re.search(r"<script>(?!\s*</script>)", html)  # no inline script (CSP)


def test_the_department_replies_with_a_photo_a_result_and_its_contact(client, users, working):
    login(client, users["clerk_cgj"])
    response = act(
        client,
        working,
        "reply",
        {
            "text": "已现场处置。",
            "result": "solved",
            "contact_at": "2026-11-24T09:40",
            "contact_method": "phone",
            "attachments": [upload("现场照片.png", PNG)],
        },
    )
    assert response.status_code == 302
    working.refresh_from_db()
    assert (working.state, working.reply_result, working.contact_method) == (State.REPLIED, "solved", "phone")
    assert working.contacted_at == dt.datetime(2026, 11, 24, 9, 40, tzinfo=SH)  # typed in local time
    (photo,) = working.attachments.all()
    assert (photo.original_name, photo.kind, photo.in_reply) == ("现场照片.png", "reply", True)
    page = client.get(reverse("console:case", args=[working.tracking_no])).content.decode()
    assert '<dd class="reply-result">已解决</dd>' in page
    assert "2026-11-24 09:40 · 电话 · clerk_cgj" in page


def test_a_reply_without_contact_comes_back_with_the_message_by_the_field_and_nothing_stored(client, users, working):
    login(client, users["clerk_cgj"])
    response = act(
        client, working, "reply", {"text": "已处理。", "result": "solved", "attachments": [upload("a.png", PNG)]}
    )
    assert response.status_code == 400
    assert "答复前须先联系群众：请填写联系时间和联系方式。" in response.content.decode()
    working.refresh_from_db()
    assert (working.state, working.attachments.count()) == (State.IN_PROGRESS, 0)


def test_the_clerk_sees_the_heads_return_and_the_head_sees_the_waiting_draft(client, users, working):
    Department.objects.filter(code="CGJ").update(reply_needs_head_approval=True)
    login(client, users["clerk_cgj"])
    act(client, working, "draft_reply", {"text": "拟答复：已清理。", "result": "solved",
                                         "contact_at": "2026-11-24T09:30", "contact_method": "phone"})  # fmt: skip
    client.logout()
    login(client, users["head_cgj"])
    page = client.get(reverse("console:case", args=[working.tracking_no])).content.decode()
    assert "待负责人审批" in page and "action-return_draft" in page
    assert 'value="2026-11-24T09:30"' in page  # the head's reply form starts from the draft's contact
    assert act(client, working, "return_draft", {"note": "请补充整改时限。"}).status_code == 302
    client.logout()
    login(client, users["clerk_cgj"])
    page = client.get(reverse("console:case", args=[working.tracking_no])).content.decode()
    assert "负责人已退回" in page and '<span class="draft-note">请补充整改时限。</span>' in page
    assert "action-return_draft" not in page
    inbox = client.get(reverse("console:inbox")).content.decode()
    row = re.search(rf'<tr id="case-{working.tracking_no}">(.*?)</tr>', inbox, re.S).group(1)
    assert '<span class="badge draft-returned">负责人已退回</span>' in row


def test_an_assisting_department_gives_its_opinion_and_the_lead_sees_it(client, users):
    case = CaseFactory(actor=users["agent"])
    services.case_assign(case=case, actor=users["dispatcher"], department="CGJ", assisting_departments=["HBJ"])
    login(client, users["clerk_hbj"])
    assert act(client, case, "assist_opinion", {"text": "排水归我局，已清淤。"}).status_code == 302
    client.logout()
    login(client, users["clerk_cgj"])
    html = client.get(reverse("console:case", args=[case.tracking_no])).content.decode()
    opinions = re.search(r'<ul class="assist-opinions">(.*?)</ul>', html, re.S).group(1)
    assert "示范区生态环境分局" in opinions and "排水归我局，已清淤。" in opinions


def test_the_assignment_sheet_is_one_printable_page_of_what_a_department_files(client, users, working):
    login(client, users["clerk_cgj"])
    response = client.get(reverse("console:assignment_sheet", args=[working.tracking_no]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "12345政务服务热线工单交办单" in html and working.tracking_no in html
    assert working.content in html and "请核实处理" in html and "示范区城市管理和综合执法局" in html
    assert "138****" in html  # the citizen's phone, masked for the department as on the case page
    assert 'class="site-nav"' not in html and "<form" not in html  # not the whole page
    assert "承办人（签字）" in html
    login(client, users["clerk_hbj"])
    assert client.get(reverse("console:assignment_sheet", args=[working.tracking_no])).status_code == 404


def test_the_monthly_report_shows_the_contact_before_reply_rate(client, users, time_machine):
    time_machine.move_to(NOW, tick=False)
    make_case_in_state(State.REPLIED, users)  # contacted now, replied now
    old_style = make_case_in_state(State.IN_PROGRESS, users)
    # A reply written before the rule: its audit event carries no contact record. Written here
    # beside the services (as old data is), so the case is recounted as ``rebuild_rollups`` would.
    with transaction.atomic():
        services._record(
            old_style, actor=users["clerk_cgj"], action=Transition.REPLY, from_state=State.IN_PROGRESS, now=NOW,
            note="已处理。", data={}, public=None, client_ip=None, as_label="",
        )  # fmt: skip
        Case.objects.filter(pk=old_style.pk).update(replied_at=NOW)
    rollups_refresh([old_style.pk])
    login(client, users["supervisor"])
    html = client.get(reverse("reports:monthly"), {"month": "2026-11"}).content.decode()
    section = re.search(r'<section class="card" id="contact-before-reply">(.*?)</section>', html, re.S).group(1)
    assert "答复 2 次，其中答复前已联系群众 1 次" in section
    assert '<strong class="contact-rate">50.0%</strong>' in section
