"""The tracking page of issue 13: the expected reply date (and on the receipt), 补充材料, 催办, a
dissatisfied rating that asks why, and the merged case's surviving case with its answer.

Time is pinned: Monday 23 November 2026, 09:30 in Shanghai; a complaint's reply is then due on
Thursday 10 December (13 working days)."""

from __future__ import annotations

import re

import pytest
import time_machine

from cases import services
from cases.enums import Kind, State
from cases.models import Attachment, Case
from notifications.enums import Template
from notifications.models import Outbox
from tests.attachment_files import HTML, PNG, upload
from tests.factories import CaseFactory, make_case_in_state, reply_kwargs
from tests.sla.fixtures import at

from .test_portal import fresh_cache_and_media, post_form, solved, track  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

START = at(2026, 11, 23, 9, 30)


@pytest.fixture
def pinned(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def page_of(client, case: Case) -> tuple[str, str]:
    """(the tracking page's URL, its HTML) after proving the access code."""
    url = track(client, case.tracking_no, case.access_code)["Location"]
    return url, client.get(url).content.decode()


def test_the_receipt_shows_the_expected_reply_date_from_the_reply_term(client, pinned):
    response = post_form(
        client,
        {
            "name": "王小明",
            "phone": "13912345678",
            "kind": Kind.CONSULTATION,  # 3 working days
            "category": "ENV-NOISE",
            "title": "噪声投诉怎么办理",
            "content": "请问夜间施工噪声向哪个部门反映？",
            "reply_channel": "sms",
            **solved(),
        },
    )
    html = client.get(response["Location"]).content.decode()
    assert re.search(
        r'id="expected-reply">预计答复日期：<strong><time datetime="2026-11-26T17:30:00\+08:00">2026-11-26</time>', html
    )


def test_the_tracking_page_shows_the_expected_reply_date_in_local_time(client, users, pinned):
    _url, html = page_of(client, make_case_in_state(State.ASSIGNED, users))
    assert '<dd id="expected-reply"><time datetime="2026-12-10T17:30:00+08:00">2026-12-10</time></dd>' in html


def test_a_supplement_from_the_tracking_page_stores_text_and_file_and_shows_in_the_timeline(client, users, pinned):
    case = make_case_in_state(State.IN_PROGRESS, users)
    url, html = page_of(client, case)
    assert 'id="supplement-form"' in html

    response = client.post(
        url + "supplement/", {"text": "补充：每晚七点后出现。", "attachments": [upload("现场.png", PNG)]}
    )

    assert response.status_code == 302
    html = client.get(url).content.decode()
    assert "补充材料已提交，承办单位会收到通知。" in html
    assert "群众补充材料" in html and "补充：每晚七点后出现。" in html
    assert Attachment.objects.get(case=case).original_name == "现场.png"
    assert Outbox.objects.filter(template=Template.SUPPLEMENT_ADDED, recipient__username="clerk_cgj").exists()


def test_a_bad_supplement_is_shown_beside_the_form_and_stores_nothing(client, users, pinned):
    case = make_case_in_state(State.IN_PROGRESS, users)
    url, _html = page_of(client, case)
    events = case.events.count()
    empty = client.post(url + "supplement/", {"text": " "})
    assert empty.status_code == 400 and "请填写补充内容或选择附件。" in empty.content.decode()
    bad_file = client.post(url + "supplement/", {"text": "见附件", "attachments": [upload("a.png", HTML)]})
    assert bad_file.status_code == 400 and "按文件内容判断" in bad_file.content.decode()
    assert (case.events.count(), Attachment.objects.count()) == (events, 0)


def test_a_closed_case_offers_no_supplement_and_refuses_one(client, users, pinned):
    case = make_case_in_state(State.CLOSED, users)
    url, html = page_of(client, case)
    assert 'id="supplement-form"' not in html
    events = case.events.count()
    response = client.post(url + "supplement/", {"text": "还有"}, follow=True)
    assert "不能再补充材料" in response.content.decode()
    assert case.events.count() == events


def test_the_urge_button_shows_only_when_overdue_and_urges_once_a_day(client, users, pinned):
    case = make_case_in_state(State.IN_PROGRESS, users)
    url, html = page_of(client, case)
    assert 'id="urge-form"' not in html

    pinned.move_to(at(2026, 12, 11, 9, 0))
    url, html = page_of(client, case)
    assert 'id="urge-form"' in html
    first = client.post(url + "urge/", follow=True).content.decode()
    assert "已为您催办，承办单位和督办员会收到通知。" in first and "群众催办" in first
    second = client.post(url + "urge/", follow=True).content.decode()
    assert "今天已催办过此工单" in second
    assert case.events.filter(transition="sla.citizen.urged").count() == 1


def test_a_dissatisfied_rating_without_a_reason_asks_for_it_and_keeps_the_case_answered(client, users, pinned):
    case = make_case_in_state(State.ANSWERED, users)
    url, html = page_of(client, case)
    assert 'name="reason"' in html and 'name="resolved"' in html

    refused = client.post(url + "feedback/", {"rating": "dissatisfied", "resolved": "no"})
    assert refused.status_code == 400 and "请选择不满意的原因。" in refused.content.decode()
    assert Case.objects.get(pk=case.pk).state == State.ANSWERED

    done = client.post(
        url + "feedback/", {"rating": "dissatisfied", "reason": "not_solved", "resolved": "no", "comment": "摊位还在"}
    )
    assert done.status_code == 302
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.dissatisfied_reason, fresh.feedback_resolved) == (
        State.PENDING_DECISION,
        "not_solved",
        False,
    )
    html = client.get(url).content.decode()
    assert 'id="pending-decision"' in html and "您的意见已转督办员研判" in html


def test_the_citizen_of_a_merged_case_is_shown_the_surviving_case_and_then_its_answer(client, users, pinned):
    survivor = make_case_in_state(State.IN_PROGRESS, users)
    merged = services.case_merge(
        case=CaseFactory(actor=users["agent"]), actor=users["dispatcher"], duplicate_of=survivor.tracking_no
    )
    url, html = page_of(client, merged)
    assert re.search(rf'id="merged-into">.*?<strong>{survivor.tracking_no}</strong>', html, re.S)
    assert "已清理" not in html

    services.case_reply(case=survivor, actor=users["clerk_cgj"], text="已清理。", **reply_kwargs())
    services.case_approve(case=survivor, actor=users["dispatcher"], answer="已清理占道摊位，并加强巡查。")

    assert "已清理占道摊位，并加强巡查。" in client.get(url).content.decode()
    told = Outbox.objects.get(template=Template.MERGED_ANSWERED)
    assert (told.case_id, told.address) == (merged.pk, merged.citizen_phone)
