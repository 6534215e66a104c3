"""The case page (fields, contact masking and audited reveal, timeline), department isolation
across every console page and action, and query-count guards on the lists."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases import services
from cases.enums import State, Transition
from cases.models import Case
from tests.factories import CaseFactory, make_case_in_state
from tests.web.console.test_console_actions import snapshot
from tests.web.console.test_console_pages import listed, listed_rows, login

pytestmark = pytest.mark.django_db

ID_NO = "11010519491231002X"


def case_with_id(users, state: str = State.ASSIGNED) -> Case:
    return make_case_in_state(
        state, users, citizen=services.Citizen(name="赵六", phone="13812345678", email="zhao@example.com", id_no=ID_NO)
    )


# --- the case page ---------------------------------------------------------------------------


def test_case_page_shows_fields_timeline_and_the_users_actions(client, users):
    case = make_case_in_state(State.REPLIED, users, title="小区门口占道经营", location="幸福路12号")
    services.case_add_note(case=case, actor=users["dispatcher"], note="群众来电催办")
    login(client, users["dispatcher"])
    response = client.get(reverse("console:case", args=[case.tracking_no]))
    assert response.status_code == 200
    html = response.content.decode()
    for text in [
        "小区门口占道经营",
        "幸福路12号",
        "城建城管 › 占道经营",
        "示范区城市管理和综合执法局",
        "待审核",
        case.reply_text,
        "请核实处理",
        case.access_code,
    ]:
        assert text in html
    events = response.context["events"]
    assert [(e["label"], e["from"], e["to"]) for e in events] == [
        ("登记", "", "已登记"),
        ("转办", "已登记", "已转办"),
        ("签收", "已转办", "办理中"),
        ("答复", "办理中", "待审核"),
        ("备注", "待审核", "待审核"),
    ]
    assert (events[1]["actor"], events[1]["role"], events[1]["note"]) == ("dispatcher", "分拨员", "请核实处理")
    assert events[4]["public"] is False
    # reclassify: the dispatcher's correction of category, kind or priority (issue 12)
    assert [spec.name for spec, _ in response.context["action_forms"]] == ["approve", "send_back", "reclassify"]
    # Every action form carries the version the user saw.
    assert html.count(f'name="version" value="{case.version}"') >= 3


def test_case_page_lists_assisting_departments(client, users):
    case = CaseFactory(actor=users["agent"])
    services.case_assign(case=case, actor=users["dispatcher"], department="CGJ", assisting_departments=["HBJ"])
    login(client, users["clerk_cgj"])
    response = client.get(reverse("console:case", args=[case.tracking_no]))
    assert [d.code for d in response.context["assisting"]] == ["HBJ"]
    assert "示范区生态环境分局" in response.content.decode()


def test_assisting_department_can_read_and_give_its_opinion_but_not_act(client, users):
    case = CaseFactory(actor=users["agent"])
    services.case_assign(case=case, actor=users["dispatcher"], department="CGJ", assisting_departments=["HBJ"])
    login(client, users["clerk_hbj"])
    response = client.get(reverse("console:case", args=[case.tracking_no]))
    assert response.status_code == 200
    # Its opinion (协办意见) is all it may give: no transition of the lead department's.
    assert [spec.name for spec, _ in response.context["action_forms"]] == ["assist_opinion"]
    before = snapshot(case)
    denied = client.post(reverse("console:case_action", args=[case.tracking_no, "sign_for"]), {"version": case.version})
    assert denied.status_code == 403
    assert snapshot(case) == before


def test_case_page_shows_every_sla_clock_in_its_colour(client, users):
    case = make_case_in_state(State.ASSIGNED, users)
    login(client, users["clerk_cgj"])
    response = client.get(reverse("console:case", args=[case.tracking_no]))
    clocks = response.context["clocks"]
    assert len(clocks) == case.timers.count() > 0
    assert all(c.due_at is not None for c in clocks)
    html = response.content.decode()
    assert 'id="timers"' in html
    assert '<tr class="clock-reply"><td>答复</td>' in html and '<span class="sla-running">计时中</span>' in html


def test_queue_and_inbox_show_each_cases_running_clock(client, users):
    registered = CaseFactory(actor=users["agent"])
    assigned = make_case_in_state(State.ASSIGNED, users)
    from django.utils import timezone

    for case, user, url, stage in [
        (registered, "dispatcher", "console:queue", "triage"),
        (assigned, "clerk_cgj", "console:inbox", "sign_for"),
    ]:
        timer = case.timers.get(stage=stage)
        client.logout()
        login(client, users[user])
        html = client.get(reverse(url)).content.decode()
        due = timezone.localtime(timer.due_at)
        # one clock per row, in one colour (sla/_clock.html)
        assert (
            f'<span class="sla-badge sla-running" title="{timer.get_stage_display()} · 期限 '
            f'{due:%Y-%m-%d %H:%M}">{timer.get_stage_display()}\n{due:%m-%d %H:%M} 到期</span>'
        ) in html


# --- contact masking and reveal --------------------------------------------------------------


def test_clerk_sees_masked_contact_and_agent_sees_it_in_full(client, users):
    case = case_with_id(users)
    login(client, users["clerk_cgj"])
    html = client.get(reverse("console:case", args=[case.tracking_no])).content.decode()
    assert '<dd class="phone">138****5678</dd>' in html
    assert '<dd class="id-no">110105********002X</dd>' in html
    assert "13812345678" not in html and ID_NO not in html
    assert case.access_code not in html  # the citizen's key is not for department staff
    client.logout()
    login(client, users["agent"])
    html = client.get(reverse("console:case", args=[case.tracking_no])).content.decode()
    assert '<dd class="phone">13812345678</dd>' in html
    assert f'<dd class="id-no">{ID_NO}</dd>' in html
    assert f'action="/console/cases/{case.tracking_no}/reveal/"' not in html


def test_reveal_shows_the_full_contact_and_writes_an_audit_event(client, users):
    case = case_with_id(users)
    before = case.events.count()
    login(client, users["clerk_cgj"])
    response = client.post(reverse("console:case_reveal", args=[case.tracking_no]), REMOTE_ADDR="10.9.8.7")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<dd class="phone">13812345678</dd>' in html
    assert f'<dd class="id-no">{ID_NO}</dd>' in html
    assert case.events.count() == before + 1
    event = case.events.order_by("-seq").first()
    assert (event.transition, event.actor, event.client_ip, event.public) == (
        Transition.REVEAL,
        users["clerk_cgj"],
        "10.9.8.7",
        False,
    )
    # The reveal is for that one response: reloading masks again.
    again = client.get(reverse("console:case", args=[case.tracking_no])).content.decode()
    assert "13812345678" not in again


# --- department isolation: a CGJ case must not leak to HBJ -----------------------------------


@pytest.fixture
def cgj_case(users):
    """A CGJ case in progress, and an HBJ case so clerk_hbj's pages have something to show."""
    case = case_with_id(users, State.IN_PROGRESS)
    make_case_in_state(State.ASSIGNED, users, department="HBJ")
    return case


def test_other_departments_clerk_gets_404_for_the_case_page(client, users, cgj_case):
    login(client, users["clerk_hbj"])
    assert client.get(reverse("console:case", args=[cgj_case.tracking_no])).status_code == 404


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("reply", {"text": "冒名答复"}),
        ("hold", {"reason": "x"}),
        ("note", {"note": "x"}),
        ("draft_reply", {"text": "x"}),
        ("sign_for", {}),
        ("assign", {"department": "HBJ"}),
    ],
)
def test_other_departments_clerk_gets_404_for_every_action_and_nothing_changes(client, users, cgj_case, action, data):
    before = snapshot(cgj_case)
    login(client, users["clerk_hbj"])
    response = client.post(
        reverse("console:case_action", args=[cgj_case.tracking_no, action]), {"version": cgj_case.version, **data}
    )
    assert response.status_code == 404
    assert snapshot(cgj_case) == before


def test_other_departments_clerk_gets_404_for_reveal_and_no_event_is_written(client, users, cgj_case):
    before = snapshot(cgj_case)
    login(client, users["clerk_hbj"])
    response = client.post(reverse("console:case_reveal", args=[cgj_case.tracking_no]))
    assert response.status_code == 404
    assert "13812345678" not in response.content.decode()
    assert snapshot(cgj_case) == before


def test_other_departments_clerk_cannot_list_or_find_the_case(client, users, cgj_case):
    hbj_case = Case.objects.get(department__code="HBJ")
    login(client, users["clerk_hbj"])
    assert listed_rows(client.get(reverse("console:cases"))) == [hbj_case.tracking_no]
    for q in [cgj_case.tracking_no, "13812345678", cgj_case.title]:
        response = client.get(reverse("console:cases"), {"q": q})
        assert listed_rows(response) == []
        assert f'href="/console/cases/{cgj_case.tracking_no}/"' not in response.content.decode()
    inbox = client.get(reverse("console:inbox"))
    assert listed(inbox, "to_sign") == [hbj_case.tracking_no]
    assert cgj_case.tracking_no not in inbox.content.decode()
    # The owning department does see it (so the checks above could have failed).
    client.logout()
    login(client, users["clerk_cgj"])
    assert listed(client.get(reverse("console:inbox")), "in_progress") == [cgj_case.tracking_no]


# --- query-count guards ------------------------------------------------------------------------


@pytest.fixture
def many_cases(users):
    """~20 cases across the states the lists show, with assisting departments on some."""
    for _ in range(8):
        CaseFactory(actor=users["agent"])
    for state in [State.ASSIGNED, State.IN_PROGRESS, State.REPLIED] * 4:
        make_case_in_state(state, users)
    assisted = CaseFactory(actor=users["agent"])
    services.case_assign(case=assisted, actor=users["dispatcher"], department="HBJ", assisting_departments=["CGJ"])
    assert Case.objects.count() == 21


@pytest.mark.parametrize(
    ("name", "url", "params", "max_queries", "expected"),
    [
        # session, user, triage + its timers, review + its timers, departments, reject reasons,
        # duplicate scan, header department, the menu's unread count; issue 12: categories (filters,
        # correction), the reasons cases came back, the cases merged into them, the disputed list
        ("dispatcher", "console:queue", {}, 15, {"triage": 8, "review": 4}),
        # session, user, four lists + their timers, header department, supervision orders, extension requests,
        # the menu's unread count, consultations to capture in the knowledge base, and what is new since the
        # last visit (the visit read + written, new notifications, newly assigned cases); issue 12: the
        # sub-units' replies to review, the forwarded list, the sub-units to forward to; issue 13: the
        # assisting list's departments (one prefetch: may it give an opinion)
        ("clerk_cgj", "console:inbox", {}, 23, {"to_sign": 4, "in_progress": 4, "replied": 4, "assisting": 1}),
        # session, user, filter choices (2), count, page + its timers, header department, the menu's unread count
        ("dispatcher", "console:cases", {"q": "占道"}, 9, {None: 21}),
        ("clerk_cgj", "console:cases", {"q": "占道"}, 9, {None: 13}),
    ],
)
def test_list_query_count_does_not_grow_with_cases(
    client, users, many_cases, django_assert_max_num_queries, name, url, params, max_queries, expected
):
    login(client, users[name])
    with django_assert_max_num_queries(max_queries):
        response = client.get(reverse(url), params)
    counts = {section: len(listed(response, section) if section else listed_rows(response)) for section in expected}
    assert counts == expected
