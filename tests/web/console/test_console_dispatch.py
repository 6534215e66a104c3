"""The console of issue 12: the dispatcher's queue (urgent first, filters, reasons, merges, bulk
assign / reject with conflicts), forwarding and review from the inbox and case page, disputes,
supervision orders from the case page and the board, and the calendar banner."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from cases import forwarding, services
from cases.enums import Priority, State
from cases.models import Case
from sla.models import SupervisionOrder, Timer
from tests.cases.dispatch_fixtures import MONDAY, TUESDAY, signed_at_street_office, tier_users  # noqa: F401
from tests.factories import CaseFactory, make_case_in_state, reply_kwargs
from tests.web.console.test_console_pages import listed, login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tuesday(time_machine):
    time_machine.move_to(TUESDAY, tick=False)


def test_urgent_cases_come_first_then_the_oldest(client, users):
    old = CaseFactory(actor=users["agent"], now=MONDAY)
    newer = CaseFactory(actor=users["agent"], now=MONDAY + dt.timedelta(hours=1))
    urgent = CaseFactory(actor=users["agent"], now=MONDAY + dt.timedelta(hours=2), priority=Priority.URGENT)
    login(client, users["dispatcher"])
    assert listed(client.get(reverse("console:queue")), "triage") == [
        urgent.tracking_no,
        old.tracking_no,
        newer.tracking_no,
    ]


def test_the_queue_filters_by_channel_category_priority_colour_and_search(client, users):
    web = CaseFactory(actor=users["agent"], now=MONDAY, title="学府路路灯不亮")
    hotline = CaseFactory(
        actor=users["agent"], now=TUESDAY - dt.timedelta(minutes=10), channel="hotline", category="ENV-NOISE"
    )
    urgent = CaseFactory(actor=users["agent"], now=TUESDAY - dt.timedelta(minutes=5), priority=Priority.URGENT)
    login(client, users["dispatcher"])

    def rows(**params):
        return listed(client.get(reverse("console:queue"), params), "triage")

    assert rows(channel="hotline") == [hotline.tracking_no]
    assert rows(category="ENV-NOISE") == [hotline.tracking_no]
    assert rows(priority="urgent") == [urgent.tracking_no]
    assert rows(q="路灯") == [web.tracking_no]
    # Monday's web case has been waiting a day: its 2-hour triage clock is red; the others are not.
    assert rows(colour="breached") == [web.tracking_no]
    assert sorted(rows(colour="running")) == sorted([hotline.tracking_no, urgent.tracking_no])


def test_the_queue_shows_why_a_case_came_back_and_the_cases_merged_into_it(client, users):
    case = CaseFactory(actor=users["agent"], now=MONDAY)
    services.case_assign(case=case, actor=users["dispatcher"], department="CGJ", instructions="", now=MONDAY)
    services.case_return(case=case, actor=users["clerk_cgj"], reason="属住建局监管的物业事项。", now=MONDAY)
    dup = CaseFactory(actor=users["agent"], now=MONDAY)
    services.case_merge(case=dup, actor=users["dispatcher"], duplicate_of=case.tracking_no, now=MONDAY)
    sent_back = make_case_in_state(State.REPLIED, users)
    services.case_send_back(case=sent_back, actor=users["dispatcher"], note="请补充整改照片。")
    services.case_reply(case=sent_back, actor=users["clerk_cgj"], text="已补充照片。", **reply_kwargs())
    login(client, users["dispatcher"])
    html = client.get(reverse("console:queue")).content.decode()
    row = re.search(rf'<tr id="case-{case.tracking_no}".*?</tr>', html, re.S).group(0)
    assert "属住建局监管的物业事项。" in row and "退单" in row
    assert f'href="/console/cases/{dup.tracking_no}/"' in row
    review = re.search(rf'<tr id="case-{sent_back.tracking_no}".*?</tr>', html, re.S).group(0)
    assert "请补充整改照片。" in review
    # The surviving case's page says what was merged into it.
    page = client.get(reverse("console:case", args=[case.tracking_no])).content.decode()
    assert 'class="merged-cases"' in page and dup.tracking_no in page


def test_bulk_assign_goes_through_for_each_case_and_reports_one_that_changed_meanwhile(client, users):
    a, b, c = (CaseFactory(actor=users["agent"], now=MONDAY) for _ in range(3))
    versions = {x.pk: Case.objects.get(pk=x.pk).version for x in (a, b, c)}
    # Someone acts on b after the queue was shown.
    services.case_hold(case=b, actor=users["dispatcher"], reason="等待群众补充")
    login(client, users["dispatcher"])
    post = {
        "bulk_action": "assign",
        "department": "CGJ",
        "instructions": "请核实",
        "cases": [a.tracking_no, b.tracking_no, c.tracking_no],
        **{f"version_{pk}": v for pk, v in versions.items()},
    }
    response = client.post(reverse("console:queue_bulk"), post, follow=True)
    states = dict(Case.objects.filter(pk__in=versions).values_list("tracking_no", "state"))
    assert states == {a.tracking_no: State.ASSIGNED, b.tracking_no: State.REGISTERED, c.tracking_no: State.ASSIGNED}
    html = response.content.decode()
    assert "已转办 2 件" in html and f"冲突（工单已被他人更新，未处理）：{b.tracking_no}" in html
    # Each one its own audited action.
    assert [e.transition for e in Case.objects.get(pk=a.pk).events.order_by("seq")] == ["register", "assign"]


def test_bulk_assign_with_a_version_int_cannot_read_is_an_unchecked_assignment_not_a_500(client, users):
    case = CaseFactory(actor=users["agent"], now=MONDAY)
    login(client, users["dispatcher"])
    post = {"bulk_action": "assign", "department": "CGJ", "cases": [case.tracking_no], f"version_{case.pk}": "²"}
    response = client.post(reverse("console:queue_bulk"), post, follow=True)
    assert response.status_code == 200  # "²".isdigit() is true and int("²") raised
    assert Case.objects.get(pk=case.pk).state == State.ASSIGNED


def test_bulk_reject_needs_a_reason_and_refuses_every_case_without_one(client, users):
    a, b = (CaseFactory(actor=users["agent"], now=MONDAY) for _ in range(2))
    login(client, users["dispatcher"])
    response = client.post(
        reverse("console:queue_bulk"), {"bulk_action": "reject", "cases": [a.tracking_no, b.tracking_no]}, follow=True
    )
    assert set(Case.objects.filter(pk__in=[a.pk, b.pk]).values_list("state", flat=True)) == {State.REGISTERED}
    assert "请从列表中选择不予受理理由" in response.content.decode()
    client.post(
        reverse("console:queue_bulk"),
        {"bulk_action": "reject", "reason": "out_of_remit", "cases": [a.tracking_no, b.tracking_no]},
    )
    assert set(Case.objects.filter(pk__in=[a.pk, b.pk]).values_list("state", flat=True)) == {State.REJECTED}


def test_bulk_actions_are_for_dispatchers_only(client, users):
    a = CaseFactory(actor=users["agent"], now=MONDAY)
    login(client, users["agent"])
    response = client.post(
        reverse("console:queue_bulk"), {"bulk_action": "assign", "department": "CGJ", "cases": [a.tracking_no]}
    )
    assert response.status_code == 403
    assert Case.objects.get(pk=a.pk).state == State.REGISTERED


def test_the_street_office_forwards_from_its_inbox_and_the_community_sees_it(client, tier_users):
    u = tier_users
    case = signed_at_street_office(u, at=MONDAY)
    login(client, u["clerk_jde"])
    inbox = client.get(reverse("console:inbox")).content.decode()
    assert f'action="/console/cases/{case.tracking_no}/actions/forward/"' in inbox
    options = re.search(rf'id="id_{case.pk}_forward_department">(.*?)</select>', inbox, re.S).group(1)
    assert re.findall(r'value="([^"]+)"', options) == ["JD-E-01", "JD-E-02", "JD-E-03"]
    case.refresh_from_db()
    response = client.post(
        reverse("console:case_action", args=[case.tracking_no, "forward"]),
        {"version": case.version, "department": "JD-E-01", "instructions": "请社区核实"},
    )
    assert response.status_code == 302
    assert listed(client.get(reverse("console:inbox")), "forwarded") == [case.tracking_no]
    client.logout()
    login(client, u["clerk_jde01"])
    assert listed(client.get(reverse("console:inbox")), "to_sign") == [case.tracking_no]
    page = client.get(reverse("console:case", args=[case.tracking_no])).content.decode()
    assert 'id="handling-department"' in page and "请社区核实" in page


def test_a_forward_outside_the_subtree_from_the_console_is_a_403_and_changes_nothing(client, tier_users):
    u = tier_users
    case = signed_at_street_office(u, at=MONDAY)
    case.refresh_from_db()
    login(client, u["clerk_jde"])
    response = client.post(
        reverse("console:case_action", args=[case.tracking_no, "forward"]),
        {"version": case.version, "department": "JD-W-01", "instructions": "请处理"},
    )
    # JD-W-01 is not among the form's choices: the form refuses it before the service is asked.
    assert response.status_code == 400
    assert Case.objects.get(pk=case.pk).handling_department_id is None


def test_a_supervisor_issues_an_order_from_the_case_page_with_an_answer_by_date(client, tier_users):
    u = tier_users
    case = signed_at_street_office(u, at=MONDAY)
    forwarding.case_forward(case=case, actor=u["clerk_jde"], department="JD-E-01", instructions="请核实")
    login(client, u["supervisor"])
    page = client.get(reverse("console:case", args=[case.tracking_no])).content.decode()
    assert 'id="issue-supervision"' in page
    response = client.post(
        reverse("console:supervision_issue", args=[case.tracking_no]),
        {"level": "2", "note": "请社区加快办理", "answer_by": "2026-11-27", "department": "JD-E-01"},
        follow=True,
    )
    order = SupervisionOrder.objects.get(case=case)
    assert (order.level, order.department.code, order.note) == (2, "JD-E-01", "请社区加快办理")
    assert order.answer_by == dt.datetime(2026, 11, 27, 23, 59, 59, tzinfo=MONDAY.tzinfo)
    assert "已向东湖社区居委会下达督办" in response.content.decode()
    # A past date is refused and nothing is issued.
    client.post(
        reverse("console:supervision_issue", args=[case.tracking_no]),
        {"level": "1", "note": "催办", "answer_by": "2026-11-20"},
    )
    assert SupervisionOrder.objects.filter(case=case).count() == 1


def test_only_supervisors_get_the_order_form_and_may_post_it(client, users):
    case = make_case_in_state(State.IN_PROGRESS, users)
    login(client, users["dispatcher"])
    assert 'id="issue-supervision"' not in client.get(reverse("console:case", args=[case.tracking_no])).content.decode()
    response = client.post(reverse("console:supervision_issue", args=[case.tracking_no]), {"level": "1", "note": "x"})
    assert response.status_code == 403
    assert not SupervisionOrder.objects.filter(case=case).exists()


def test_the_board_offers_an_order_on_each_breached_case_and_lists_disputes(client, users):
    late = CaseFactory(actor=users["agent"], now=MONDAY)  # its 2-hour triage clock is red by Tuesday
    returned = CaseFactory(actor=users["agent"], now=MONDAY)
    services.case_assign(case=returned, actor=users["dispatcher"], department="CGJ", instructions="", now=MONDAY)
    services.case_return(case=returned, actor=users["clerk_cgj"], reason="非本单位职责", now=MONDAY)
    forwarding.case_dispute(case=returned, actor=users["dispatcher"], note="属城管职责")
    login(client, users["supervisor"])
    html = client.get(reverse("sla_pages:board")).content.decode()
    assert f'action="/console/cases/{late.tracking_no}/supervision/"' in html
    disputes = re.search(r'<section class="card" id="disputes">(.*?)</section>', html, re.S).group(1)
    assert returned.tracking_no in disputes and "非本单位职责" in disputes


def test_the_calendar_banner_shows_to_supervisors_and_admins_when_a_clock_counts_into_an_unknown_year(client, users):
    case = CaseFactory(actor=users["agent"], now=MONDAY)
    login(client, users["supervisor"])
    assert 'id="calendar-banner"' not in client.get(reverse("console:cases")).content.decode()
    Timer.objects.filter(case=case).update(
        calendar_incomplete=True, due_at=dt.datetime(2027, 1, 5, 17, 30, tzinfo=MONDAY.tzinfo)
    )
    html = client.get(reverse("console:cases")).content.decode()
    banner = re.search(r'<div class="calendar-banner" id="calendar-banner".*?</div>', html, re.S).group(0)
    assert "2027" in banner and 'href="/admin/sla/calendar/"' in banner
    client.logout()
    login(client, users["dispatcher"])
    assert 'id="calendar-banner"' not in client.get(reverse("console:queue")).content.decode()


def test_the_monthly_report_counts_each_level_and_the_disputes_per_department(client, tier_users):
    u = tier_users
    forwarding.case_forward(
        case=signed_at_street_office(u, at=MONDAY), actor=u["clerk_jde"], department="JD-E-01", instructions="请核实"
    )
    returned = CaseFactory(actor=u["agent"], now=MONDAY)
    services.case_assign(case=returned, actor=u["dispatcher"], department="CGJ", instructions="", now=MONDAY)
    services.case_return(case=returned, actor=u["clerk_cgj"], reason="非本单位职责", now=MONDAY)
    forwarding.case_dispute(case=returned, actor=u["dispatcher"], note="属城管职责", now=MONDAY)
    login(client, u["supervisor"])
    html = client.get(reverse("reports:monthly"), {"month": "2026-11"}).content.decode()
    section = re.search(r'<section class="card" id="report-dispatch">(.*?)</section>', html, re.S).group(1)
    cells = {
        code: re.findall(r"<td>(\d+)</td>", row)
        for code, row in re.findall(r'<tr class="dept-([^"]+)">(.*?)</tr>', section, re.S)
    }
    # received (all levels), forwarded down to it, disputes about its returns, assigned back
    assert cells == {"CGJ": ["1", "0", "1", "0"], "JD-E": ["1", "0", "0", "0"], "JD-E-01": ["1", "1", "0", "0"]}
    october = client.get(reverse("reports:monthly"), {"month": "2026-10"}).content.decode()
    assert "本月没有派单记录。" in october


def test_the_dispatcher_disputes_a_return_from_the_queue_and_a_supervisor_arbitrates_on_the_case_page(client, users):
    case = CaseFactory(actor=users["agent"], now=MONDAY)
    services.case_assign(case=case, actor=users["dispatcher"], department="CGJ", instructions="", now=MONDAY)
    services.case_return(case=case, actor=users["clerk_cgj"], reason="非本单位职责", now=MONDAY)
    login(client, users["dispatcher"])
    queue = client.get(reverse("console:queue")).content.decode()
    assert f'action="/console/cases/{case.tracking_no}/actions/dispute/"' in queue
    case.refresh_from_db()
    client.post(
        reverse("console:case_action", args=[case.tracking_no, "dispute"]),
        {"version": case.version, "note": "属城管职责", "next": "/console/queue/"},
    )
    assert listed(client.get(reverse("console:queue")), "triage") == []
    assert case.tracking_no in client.get(reverse("console:queue")).content.decode().split('id="disputed"')[1]
    client.logout()
    login(client, users["supervisor"])
    page = client.get(reverse("console:case", args=[case.tracking_no])).content.decode()
    assert 'class="disputes"' in page and "非本单位职责" in page
    assert f'action="/console/cases/{case.tracking_no}/actions/arbitrate/"' in page
    case.refresh_from_db()
    client.post(
        reverse("console:case_action", args=[case.tracking_no, "arbitrate"]),
        {"version": case.version, "department": "CGJ", "reason": "由城管局办理"},
    )
    case.refresh_from_db()
    assert (case.state, case.department.code) == (State.ASSIGNED, "CGJ")
