"""Issue 12 in the console: knowledge-base pages, the agent desk (status, banner, wrap-up, KB panel),
notifications that link and count, what is new since the last look, the emergency handover form,
and the portal's 常见问题."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from cases.enums import Kind, Role, State
from kb.models import Article, ArticleUse
from notifications.enums import Template
from notifications.models import Notification
from telephony import services as telephony
from telephony.enums import AgentState
from telephony.models import AgentStatus, Call
from tests.factories import CaseFactory, UserFactory, make_case_in_state
from tests.kb.conftest import NOW, make_article
from tests.web.console.test_console_pages import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk_gaj(org):
    return UserFactory(username="clerk_gaj", role=Role.CLERK, department_code="GAJ")


@pytest.fixture
def pinned():
    with time_machine.travel(NOW, tick=False):
        yield NOW


# --- knowledge-base pages -------------------------------------------------------------------


def test_kb_list_shows_use_counts_expiring_this_month_and_department_figures(client, users, pinned):
    used = make_article(users["dispatcher"])
    make_article(users["dispatcher"], title="居住证续签", valid_until="2026-12-20")  # expires this month
    make_article(users["dispatcher"], title="下月到期", valid_until="2027-01-05")
    case = CaseFactory(actor=users["agent"], kind="consultation", category="SEC-HUKOU")
    from kb.services import case_resolve_directly

    case_resolve_directly(case=case, actor=users["agent"], answer=used.body, kb_article=used.pk)
    login(client, users["agent"])
    html = client.get(reverse("kb_pages:list")).content.decode()
    row = html.split(f'<tr id="article-{used.pk}">')[1].split("</tr>")[0]
    assert '<td class="use-count">1</td>' in row
    expiring = html.split('id="kb-expiring"')[1].split("</section>")[0]
    assert "居住证续签" in expiring and "2026-12-20" in expiring and "下月到期" not in expiring
    dept = html.split('id="kb-dept-GAJ"')[1].split("</tr>")[0]
    assert '<td class="expiring">1</td>' in dept and '<td class="uses">1</td>' in dept
    # Agents read but do not write: no "new" button, no edit link.
    assert reverse("kb_pages:create") not in html


def test_clerk_creates_an_article_for_own_department_and_edits_it_into_version_two(client, clerk_gaj, pinned):
    login(client, clerk_gaj)
    response = client.post(
        reverse("kb_pages:create"),
        {
            "title": "户口迁入",
            "body": "携带户口簿到派出所办理。",
            "category": "SEC-HUKOU",
            "department": "GAJ",
            "valid_from": "2026-12-01",
            "status": "published",
        },
    )
    article = Article.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("kb_pages:detail", args=[article.pk])
    assert (article.department.code, article.version, article.created_by) == ("GAJ", 1, clerk_gaj)
    edit = client.post(
        reverse("kb_pages:edit", args=[article.pk]),
        {
            "title": "户口迁入办理",
            "body": "携带户口簿和准迁证到派出所办理。",
            "category": "SEC-HUKOU",
            "department": "GAJ",
            "valid_from": "2026-12-01",
            "status": "published",
            "version": "1",
        },
    )
    assert edit.status_code == 302
    article.refresh_from_db()
    assert article.version == 2
    html = client.get(reverse("kb_pages:detail", args=[article.pk])).content.decode()
    assert 'id="version-2"' in html and 'id="version-1"' in html and "携带户口簿到派出所办理。" in html


def test_article_form_without_title_is_400_and_other_department_edit_is_403(client, users, clerk_gaj, pinned):
    login(client, clerk_gaj)
    response = client.post(
        reverse("kb_pages:create"),
        {"title": "", "body": "", "category": "SEC-HUKOU", "department": "GAJ", "status": "draft"},
    )
    assert response.status_code == 400 and not Article.objects.exists()
    assert "请填写标题" in response.content.decode() or "标题" in response.content.decode()
    other = make_article(users["dispatcher"], category="ENV-NOISE", department="HBJ", title="噪声")
    denied = client.get(reverse("kb_pages:edit", args=[other.pk]))
    assert denied.status_code == 403


def test_answered_consultation_prompts_its_department_to_add_an_article(client, users, pinned):
    case = make_case_in_state(State.ANSWERED, users, kind=Kind.CONSULTATION, category="CITY-PROP")
    login(client, users["clerk_cgj"])
    page = client.get(reverse("console:case", args=[case.tracking_no])).content.decode()
    assert 'id="kb-prompt"' in page and f"?from_case={case.tracking_no}" in page
    inbox = client.get(reverse("console:inbox")).content.decode()
    assert 'id="kb-capture"' in inbox and case.tracking_no in inbox.split('id="kb-capture"')[1]
    form = client.get(reverse("kb_pages:create"), {"from_case": case.tracking_no}).content.decode()
    assert case.title in form
    client.post(
        reverse("kb_pages:create"),
        {
            "title": case.title,
            "body": "物业答复",
            "category": "CITY-PROP",
            "department": "CGJ",
            "status": "published",
            "source_case": case.tracking_no,
        },
    )
    assert Article.objects.get().source_case == case
    assert 'id="kb-prompt"' not in client.get(reverse("console:case", args=[case.tracking_no])).content.decode()
    # A complaint is not asked about.
    complaint = make_case_in_state(State.ANSWERED, users)
    assert 'id="kb-prompt"' not in client.get(reverse("console:case", args=[complaint.tracking_no])).content.decode()


# --- the desk ----------------------------------------------------------------------------------


def _call(sid="CA" + "1" * 32, phone="13912345678"):
    return telephony.call_ring(call_sid=sid, from_number=f"+86{phone}", to_number="+8612345", purpose="hotline")


def test_desk_page_has_status_bar_kb_panel_shortcuts_and_no_inline_script(client, users):
    login(client, users["agent"])
    html = client.get(reverse("console:desk")).content.decode()
    assert 'id="desk-bar"' in html and 'data-agent-status="idle"' in html
    assert 'id="kb-panel" data-api="/api/v1/kb/articles/"' in html
    assert 'id="desk-shortcuts"' in html and "<kbd>Alt+K</kbd>" in html
    assert "js/desk.js" in html and "<script>" not in html
    assert 'id="call-banner"' in html and "hidden" in html.split('id="call-banner"')[1].split(">")[0]


def test_agent_on_break_cannot_answer_and_wrap_up_makes_them_idle_again(client, users):
    agent = users["agent"]
    login(client, agent)
    call = _call()
    assert (
        client.post(
            reverse("telephony_desk:agent_status"), {"status": "break"}, content_type="application/json"
        ).json()["status"]
        == "break"
    )
    refused = client.post(reverse("telephony_desk:answer", args=[call.call_sid]))
    assert refused.status_code == 409 and "小休" in refused.json()["error"]["message"]
    assert Call.objects.get(pk=call.pk).agent is None
    client.post(reverse("telephony_desk:agent_status"), {"status": "idle"}, content_type="application/json")
    assert client.post(reverse("telephony_desk:answer", args=[call.call_sid])).status_code == 200
    assert AgentStatus.objects.get(agent=agent).status == AgentState.BUSY
    # On a call: cannot show idle until the wrap-up; the banner shows the call.
    assert (
        client.post(
            reverse("telephony_desk:agent_status"), {"status": "idle"}, content_type="application/json"
        ).status_code
        == 409
    )
    html = client.get(reverse("console:desk")).content.decode()
    assert f'data-call-sid="{call.call_sid}"' in html
    telephony.call_status(call_sid=call.call_sid, status="completed", duration=95)
    bad = client.post(
        reverse("telephony_desk:wrap_up", args=[call.call_sid]), {"code": "nope"}, content_type="application/json"
    )
    assert bad.status_code == 400
    ok = client.post(
        reverse("telephony_desk:wrap_up", args=[call.call_sid]),
        {"code": "answered", "note": "居住证"},
        content_type="application/json",
    )
    assert ok.status_code == 200
    call.refresh_from_db()
    assert (call.wrap_up_code, call.wrap_up_note) == ("answered", "居住证")
    assert AgentStatus.objects.get(agent=agent).status == AgentState.IDLE
    again = client.post(
        reverse("telephony_desk:wrap_up", args=[call.call_sid]), {"code": "answered"}, content_type="application/json"
    )
    assert again.status_code == 409
    stats = client.get(reverse("telephony_desk:stats")).content.decode()
    assert '<dd data-stat="agents">1/0/0</dd>' in stats


def test_other_agent_cannot_wrap_up_my_call_and_supervisor_cannot_set_a_status(client, users):
    call = _call()
    telephony.call_answer(call_sid=call.call_sid, agent=users["agent"])
    other = UserFactory(username="agent2", role=Role.AGENT, department_code="XFJ")
    login(client, other)
    assert (
        client.post(
            reverse("telephony_desk:wrap_up", args=[call.call_sid]),
            {"code": "answered"},
            content_type="application/json",
        ).status_code
        == 404
    )
    login(client, users["supervisor"])
    assert (
        client.post(
            reverse("telephony_desk:agent_status"), {"status": "idle"}, content_type="application/json"
        ).status_code
        == 403
    )


def test_resolve_directly_from_the_desk_records_the_article(client, users, pinned):
    article = make_article(users["dispatcher"])
    case = CaseFactory(actor=users["agent"], channel="hotline", kind="consultation", category="SEC-HUKOU")
    login(client, users["agent"])
    done = client.get(reverse("console:desk"), {"done": case.tracking_no}).content.decode()
    assert 'name="kb_article"' in done and 'data-initial-category="SEC-HUKOU"' in done
    response = client.post(
        reverse("console:case_action", args=[case.tracking_no, "resolve_directly"]),
        {"version": case.version, "answer": article.body, "kb_article": article.pk, "next": "/console/desk/"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.ANSWERED
    assert (ArticleUse.objects.get(case=case).article_id, ArticleUse.objects.get(case=case).version) == (article.pk, 1)
    page = client.get(reverse("console:case", args=[case.tracking_no])).content.decode()
    assert 'id="kb-use"' in page and article.title in page


def test_emergency_handover_from_the_case_page(client, users, pinned):
    case = CaseFactory(actor=users["agent"], channel="hotline", title="路口车祸", content="有人受伤")
    login(client, users["agent"])
    page = client.get(reverse("console:case", args=[case.tracking_no])).content.decode()
    assert "action-transfer" in page
    response = client.post(
        reverse("console:case_action", args=[case.tracking_no, "transfer"]),
        {"version": case.version, "number": "122", "at": "2026-12-01T09:55", "note": "已告知来电人"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.TRANSFERRED and case.transferred_to == "122"
    assert case.transferred_at == dt.datetime(2026, 12, 1, 1, 55, tzinfo=dt.UTC)
    blank = CaseFactory(actor=users["agent"], channel="hotline")
    bad = client.post(
        reverse("console:case_action", args=[blank.tracking_no, "transfer"]), {"version": blank.version, "number": ""}
    )
    assert bad.status_code == 400
    blank.refresh_from_db()
    assert blank.state == State.REGISTERED


# --- notifications -------------------------------------------------------------------------------


def _notify(user, case):
    # What the delivery worker writes for the in-app channel (notifications.transports).
    return Notification.objects.create(
        user=user, case=case, template=Template.CASE_ASSIGNED, title=f"新工单 {case.tracking_no}", body=case.title
    )


def test_notification_links_to_its_case_marks_it_read_and_the_menu_counts_unread(client, users):
    case = make_case_in_state(State.ASSIGNED, users)
    note = _notify(users["clerk_cgj"], case)
    login(client, users["clerk_cgj"])
    unread = Notification.objects.filter(user=users["clerk_cgj"], read_at__isnull=True).count()
    html = client.get(reverse("console:cases")).content.decode()
    assert f'id="nav-unread" title="未读消息">{unread}</span>' in html
    listing = client.get(reverse("notifications:list")).content.decode()
    assert reverse("notifications:open", args=[note.pk]) in listing
    response = client.get(reverse("notifications:open", args=[note.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("console:case", args=[case.tracking_no])
    note.refresh_from_db()
    assert note.read_at is not None
    login(client, users["clerk_hbj"])
    assert client.get(reverse("notifications:open", args=[note.pk])).status_code == 404


def test_inbox_says_what_is_new_since_the_last_visit(client, users):
    login(client, users["clerk_cgj"])
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        first = client.get(reverse("console:inbox")).content.decode()
        assert "首次查看" in first
    with time_machine.travel(dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC), tick=False):
        case = make_case_in_state(State.ASSIGNED, users, title="新转办的占道经营")
        _notify(users["clerk_cgj"], case)
    with time_machine.travel(dt.datetime(2026, 12, 1, 11, 0, tzinfo=dt.UTC), tick=False):
        html = client.get(reverse("console:inbox")).content.decode()
        box = html.split('id="new-since"')[1].split("</section>")[0]
        assert "2026-12-01 17:00" in box  # the previous visit, in Asia/Shanghai time
        assert "新转办来的工单 1 件" in box and case.tracking_no in box
        assert "新消息 1 条" in box
    with time_machine.travel(dt.datetime(2026, 12, 1, 11, 5, tzinfo=dt.UTC), tick=False):
        again = client.get(reverse("console:inbox")).content.decode()
        assert "没有新的情况" in again.split('id="new-since"')[1].split("</section>")[0]


def test_desk_says_which_articles_changed_since_the_agent_last_looked(client, users):
    login(client, users["agent"])
    with time_machine.travel(dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC), tick=False):
        client.get(reverse("console:desk"))
    with time_machine.travel(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC), tick=False):
        from kb.services import ArticleInput, article_create

        article_create(
            actor=users["dispatcher"],
            data=ArticleInput(
                title="新发布的社保卡补办",
                body="到社保中心补办。",
                category="LAB-INSUR",
                department="RSJ",
                status="published",
                valid_from="2026-11-01",
            ),
        )
    with time_machine.travel(dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC), tick=False):
        box = client.get(reverse("console:desk")).content.decode().split('id="new-since"')[1].split("</section>")[0]
        assert "知识库新增或更新 1 篇" in box and "新发布的社保卡补办" in box


# --- portal ---------------------------------------------------------------------------------------


def test_portal_faq_lists_published_valid_articles_and_searches_them(client, users, pinned):
    make_article(users["dispatcher"])
    make_article(users["dispatcher"], title="草稿不公开", status="draft")
    make_article(users["dispatcher"], title="过期的答复", valid_from="2025-01-01", valid_until="2026-06-30")
    make_article(
        users["dispatcher"],
        title="社保卡补办",
        body="到社保中心补办。",
        category="LAB-INSUR",
        department="RSJ",
        keywords="社保卡",
    )
    html = client.get(reverse("portal:faq")).content.decode()
    assert "居住证办理需要哪些材料" in html and "社保卡补办" in html
    assert "草稿不公开" not in html and "过期的答复" not in html
    found = client.get(reverse("portal:faq"), {"q": "社保"}).content.decode()
    assert "社保卡补办" in found and "居住证办理需要哪些材料" not in found
    family = client.get(reverse("portal:faq"), {"category": "SEC"}).content.decode()
    assert "居住证办理需要哪些材料" in family and "社保卡补办" not in family
