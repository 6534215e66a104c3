"""Console pages: sign-in, role homes, and which cases each role's page lists."""

from __future__ import annotations

import re

import pytest
from django.http import HttpRequest
from django.urls import reverse

from cases.enums import State
from cases.models import Case
from tests.factories import PASSWORD, CaseFactory, make_case_in_state

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(request=HttpRequest(), username=user.username, password=PASSWORD)
    return client


def listed(response, section_id: str) -> list[str]:
    """Tracking numbers linked from rows inside the <section id=...> of a page."""
    html = response.content.decode()
    match = re.search(rf'<section class="card" id="{section_id}">(.*?)</section>', html, re.S)
    assert match, f"section {section_id} not on the page"
    return re.findall(r'<tr id="case-(\d+)"', match.group(1))


# --- sign-in and homes ------------------------------------------------------------------------


def test_anonymous_user_is_sent_to_the_login_page(client, org):
    response = client.get(reverse("console:queue"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("console:login") + "?next=/console/queue/")


def test_login_page_signs_in_and_lands_on_the_role_home(client, users):
    page = client.get(reverse("console:login"))
    assert "工作人员登录" in page.content.decode()
    response = client.post(reverse("console:login"), {"username": "dispatcher", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("console:queue")


def test_wrong_password_shows_an_error_and_stays_signed_out(client, users):
    response = client.post(reverse("console:login"), {"username": "agent", "password": "nope"})
    assert response.status_code == 200
    assert 'class="errorlist"' in response.content.decode()
    assert client.get(reverse("console:home")).status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("name", "home"),
    [
        ("agent", "console:desk"),
        ("dispatcher", "console:queue"),
        ("clerk_cgj", "console:inbox"),
        ("head_cgj", "console:inbox"),
        ("supervisor", "console:cases"),
        ("admin", "console:queue"),
    ],
)
def test_console_home_redirects_to_the_role_home(client, users, name, home):
    login(client, users[name])
    response = client.get(reverse("console:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse(home)


def test_logout_is_a_post_and_signs_out(client, users):
    login(client, users["agent"])
    response = client.post(reverse("console:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("console:login")
    assert "_auth_user_id" not in client.session


def test_shell_shows_who_is_signed_in_nav_and_live_indicator(client, users):
    login(client, users["clerk_cgj"])
    html = client.get(reverse("console:inbox")).content.decode()
    assert "clerk_cgj · 承办员 · 示范区城市管理和综合执法局" in html
    assert 'data-ws-topic="inbox"' in html
    assert 'data-ws-department="CGJ"' in html
    assert '<span id="live-indicator" class="live-indicator off"' in html
    assert 'href="/console/inbox/"' in html and 'href="/console/queue/"' not in html


def test_nav_links_each_role_to_its_pages_including_other_apps_console_pages(client, users):
    login(client, users["supervisor"])
    nav = re.search(
        r'<nav class="site-nav">(.*?)</nav>', client.get(reverse("console:cases")).content.decode(), re.S
    ).group(1)
    # The telephony supervisor pages (dissatisfied ratings, calls per day) are in the menu too.
    assert re.findall(r'<a href="([^"]+)"', nav) == [
        "/console/cases/",
        "/console/kb/",
        "/console/sla/board/",
        "/telephony/desk/dissatisfied/",
        "/telephony/desk/calls/report/",
        "/console/publication/",
        "/console/reports/",
        "/notifications/",
        "/console/insight/hotspots/",  # insight's pages, last in every menu
        "/console/insight/wallboard/",
    ]
    client.logout()
    login(client, users["agent"])
    nav = re.search(
        r'<nav class="site-nav">(.*?)</nav>', client.get(reverse("console:desk")).content.decode(), re.S
    ).group(1)
    assert re.findall(r'<a href="([^"]+)"', nav) == [
        "/console/desk/",
        "/console/cases/",
        "/console/kb/",
        "/notifications/",
    ]


@pytest.mark.parametrize(
    ("name", "url", "status"),
    [
        ("agent", "console:queue", 403),
        ("clerk_cgj", "console:queue", 403),
        ("supervisor", "console:desk", 403),
        ("agent", "console:inbox", 403),
        ("dispatcher", "console:inbox", 403),
        ("agent", "console:desk", 200),
        ("clerk_cgj", "console:desk", 200),
        ("supervisor", "console:cases", 200),
    ],
)
def test_pages_are_limited_to_the_roles_that_use_them(client, users, name, url, status):
    login(client, users[name])
    assert client.get(reverse(url)).status_code == status


# --- dispatcher queue ------------------------------------------------------------------------


def test_queue_lists_registered_cases_oldest_first_and_replies_to_review(client, users):
    first = CaseFactory(actor=users["agent"])
    second = CaseFactory(actor=users["agent"])
    replied = make_case_in_state(State.REPLIED, users)
    make_case_in_state(State.IN_PROGRESS, users)  # neither list
    login(client, users["dispatcher"])
    response = client.get(reverse("console:queue"))
    assert response.status_code == 200
    assert listed(response, "triage") == [first.tracking_no, second.tracking_no]
    assert listed(response, "review") == [replied.tracking_no]
    html = response.content.decode()
    assert 'data-ws-topic="queue"' in html


def test_queue_assign_form_preselects_the_categorys_default_department(client, users):
    case = CaseFactory(actor=users["agent"], category="ENV-NOISE", title="夜间施工噪声")
    login(client, users["dispatcher"])
    html = client.get(reverse("console:queue")).content.decode()
    select = re.search(
        rf'<select name="department" required id="id_{case.pk}_assign_department">(.*?)</select>', html, re.S
    ).group(1)
    assert '<option value="HBJ" selected>' in select
    assert 'value="XFJ"' not in select  # the dispatch centre is not a department to forward to


def test_queue_approve_form_is_prefilled_with_the_departments_reply(client, users):
    case = make_case_in_state(State.REPLIED, users)
    login(client, users["dispatcher"])
    html = client.get(reverse("console:queue")).content.decode()
    textarea = re.search(
        rf'<textarea name="answer"[^>]*id="id_{case.pk}_approve_answer">(.*?)</textarea>', html, re.S
    ).group(1)
    assert textarea.strip() == case.reply_text


def test_queue_suggests_possible_duplicates_by_phone_and_by_similar_title(client, users):
    from cases.services import Citizen

    same_phone = CaseFactory(
        actor=users["agent"], category="CITY-ROAD", title="路灯不亮", citizen=Citizen(name="李四", phone="13912345678")
    )
    similar = CaseFactory(actor=users["agent"], category="ENV-NOISE", title="幸福路工地夜间施工噪声扰民")
    unrelated = CaseFactory(actor=users["agent"], category="LAB-WAGE", title="公司拖欠三个月工资")
    case = CaseFactory(
        actor=users["agent"],
        category="ENV-NOISE",
        title="幸福路工地夜间施工噪声",
        citizen=Citizen(name="李四", phone="13912345678"),
    )
    login(client, users["dispatcher"])
    html = client.get(reverse("console:queue")).content.decode()
    row = re.search(rf'<tr id="case-{case.tracking_no}".*?</tr>', html, re.S).group(0)
    suggestions = re.search(r'<div class="duplicates">(.*?)</div>', row, re.S).group(1)
    assert same_phone.tracking_no in suggestions and "同一来电号码" in suggestions
    assert similar.tracking_no in suggestions and "同类诉求、标题相近" in suggestions
    assert unrelated.tracking_no not in suggestions


# --- department inbox ------------------------------------------------------------------------


def test_inbox_lists_the_departments_cases_by_stage(client, users):
    to_sign = make_case_in_state(State.ASSIGNED, users)
    working = make_case_in_state(State.IN_PROGRESS, users)
    replied = make_case_in_state(State.REPLIED, users)
    other_dept = make_case_in_state(State.ASSIGNED, users, department="HBJ")
    assisting = CaseFactory(actor=users["agent"])
    from cases import services

    services.case_assign(case=assisting, actor=users["dispatcher"], department="HBJ", assisting_departments=["CGJ"])
    login(client, users["clerk_cgj"])
    response = client.get(reverse("console:inbox"))
    assert listed(response, "to_sign") == [to_sign.tracking_no]
    assert listed(response, "in_progress") == [working.tracking_no]
    assert listed(response, "replied") == [replied.tracking_no]
    assert listed(response, "assisting") == [assisting.tracking_no]
    assert other_dept.tracking_no not in response.content.decode()


def test_inbox_offers_sign_for_and_return_on_assigned_and_reply_on_in_progress(client, users):
    to_sign = make_case_in_state(State.ASSIGNED, users)
    working = make_case_in_state(State.IN_PROGRESS, users)
    login(client, users["clerk_cgj"])
    html = client.get(reverse("console:inbox")).content.decode()
    for tracking_no, action in [
        (to_sign.tracking_no, "sign_for"),
        (to_sign.tracking_no, "return"),
        (working.tracking_no, "reply"),
        (working.tracking_no, "hold"),
    ]:
        assert f'action="/console/cases/{tracking_no}/actions/{action}/"' in html
    assert f'action="/console/cases/{working.tracking_no}/actions/draft_reply/"' not in html


def test_inbox_offers_a_draft_not_a_reply_to_a_clerk_whose_head_must_approve(client, users):
    from cases.models import Department

    Department.objects.filter(code="CGJ").update(reply_needs_head_approval=True)
    working = make_case_in_state(State.IN_PROGRESS, users)
    login(client, users["clerk_cgj"])
    html = client.get(reverse("console:inbox")).content.decode()
    assert f'action="/console/cases/{working.tracking_no}/actions/draft_reply/"' in html
    assert f'action="/console/cases/{working.tracking_no}/actions/reply/"' not in html
    client.logout()
    login(client, users["head_cgj"])
    html = client.get(reverse("console:inbox")).content.decode()
    assert f'action="/console/cases/{working.tracking_no}/actions/reply/"' in html


# --- case list ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "sees"),
    [
        ("agent", "all"),
        ("dispatcher", "all"),
        ("supervisor", "all"),
        ("admin", "all"),
        ("clerk_cgj", "cgj"),
        ("head_cgj", "cgj"),
        ("clerk_hbj", "hbj"),
    ],
)
def test_case_list_is_newest_first_and_only_what_the_user_may_see(client, users, name, sees):
    cgj_old = make_case_in_state(State.ASSIGNED, users)
    hbj = make_case_in_state(State.ASSIGNED, users, department="HBJ")
    cgj_new = make_case_in_state(State.IN_PROGRESS, users)
    unassigned = CaseFactory(actor=users["agent"])
    expected = {
        "all": [unassigned, cgj_new, hbj, cgj_old],
        "cgj": [cgj_new, cgj_old],
        "hbj": [hbj],
    }[sees]
    login(client, users[name])
    assert listed_rows(client.get(reverse("console:cases"))) == [c.tracking_no for c in expected]


def listed_rows(response) -> list[str]:
    return re.findall(r'<tr id="case-(\d+)"', response.content.decode())


def test_case_list_searches_by_tracking_number_phone_and_text(client, users):
    from cases.services import Citizen

    lamp = CaseFactory(
        actor=users["agent"],
        category="CITY-ROAD",
        title="幸福路路灯不亮",
        citizen=Citizen(name="王五", phone="13711112222"),
    )
    noise = CaseFactory(actor=users["agent"], category="ENV-NOISE", title="工地夜间施工")
    login(client, users["dispatcher"])
    url = reverse("console:cases")
    assert listed_rows(client.get(url, {"q": lamp.tracking_no})) == [lamp.tracking_no]
    assert listed_rows(client.get(url, {"q": "137 1111 2222"})) == [lamp.tracking_no]
    assert listed_rows(client.get(url, {"q": "路灯"})) == [lamp.tracking_no]
    assert listed_rows(client.get(url, {"q": "施工"})) == [noise.tracking_no]


def test_case_list_filters_by_state_department_and_category(client, users):
    assigned = make_case_in_state(State.ASSIGNED, users)
    hbj = make_case_in_state(State.ASSIGNED, users, department="HBJ")
    noise = CaseFactory(actor=users["agent"], category="ENV-NOISE", title="噪声")
    login(client, users["dispatcher"])
    url = reverse("console:cases")
    assert listed_rows(client.get(url, {"state": "assigned", "department": "CGJ"})) == [assigned.tracking_no]
    assert listed_rows(client.get(url, {"department": "HBJ"})) == [hbj.tracking_no]
    assert listed_rows(client.get(url, {"category": "ENV-NOISE"})) == [noise.tracking_no]


def test_case_list_with_a_bad_filter_shows_the_error_not_a_500(client, users):
    CaseFactory(actor=users["agent"])
    login(client, users["dispatcher"])
    response = client.get(reverse("console:cases"), {"state": "bogus", "page": "abc"})
    assert response.status_code == 200
    assert 'class="errorlist"' in response.content.decode()


def test_case_list_is_paginated_and_keeps_the_filters_on_page_links(client, users):
    for _ in range(27):
        CaseFactory(actor=users["agent"])
    login(client, users["dispatcher"])
    first = client.get(reverse("console:cases"), {"state": "registered"})
    assert len(listed_rows(first)) == 25
    assert '<a href="?state=registered&amp;page=2">' in first.content.decode()
    second = client.get(reverse("console:cases"), {"state": "registered", "page": 2})
    assert len(listed_rows(second)) == 2
    assert set(listed_rows(first)).isdisjoint(listed_rows(second))
    assert Case.objects.count() == 27


def test_case_list_masks_the_phone_for_department_staff_and_not_for_agents(client, users):
    case = make_case_in_state(State.ASSIGNED, users)
    phone = case.citizen_phone
    login(client, users["clerk_cgj"])
    html = client.get(reverse("console:cases")).content.decode()
    assert f"{phone[:3]}****{phone[-4:]}" in html and phone not in html
    client.logout()
    login(client, users["agent"])
    assert phone in client.get(reverse("console:cases")).content.decode()


def test_console_speaks_english_when_asked(client, users):
    CaseFactory(actor=users["agent"])
    login(client, users["dispatcher"])
    html = client.get(reverse("console:queue"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Dispatch queue" in html and "Replies to review" in html and "Sign out" in html
    # Buttons are verbs, though the same Chinese words label past events on the timeline.
    assert "<summary>Assign</summary>" in html and ">Assign</button>" in html
    assert "分拨队列" not in html
