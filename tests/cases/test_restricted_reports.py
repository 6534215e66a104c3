"""举报 about a department's own staff (issue 13): never routed to that department, read only in the
restricted queue (纪检/督查), as if absent everywhere else, and never published."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases import selectors, services
from cases.enums import Kind, Publication, Role, State
from cases.exceptions import CaseConflict, CaseValidationError
from cases.models import Case, Department
from cases.publication import publication_publish
from notifications.models import Outbox
from tests.factories import CaseFactory, UserFactory, reply_kwargs
from tests.web.api.api_helpers import staff_client
from tests.web.console.test_console_pages import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def jjz(users):
    dept = Department.objects.create(code="JJZ", name_zh="区纪委监委派驻纪检监察组", handles_staff_reports=True)
    users["clerk_jjz"] = UserFactory(username="clerk_jjz", role=Role.CLERK, department_code="JJZ")
    users["leader"] = UserFactory(username="leader", role=Role.LEADER, department_code="GOV")
    return dept


@pytest.fixture
def report(users, jjz) -> Case:
    """Registered by the agent: about CGJ staff, with a title a leak would show."""
    return CaseFactory(actor=users["agent"], kind=Kind.REPORT, title="举报执法队员收保护费", about_staff_of="CGJ")


def test_a_report_about_staff_goes_straight_to_the_restricted_queue(report, jjz):
    report.refresh_from_db()
    assert (report.state, report.department, report.about_staff_of.code) == (State.ASSIGNED, jjz, "CGJ")
    assign = report.events.get(transition="assign")
    assert (assign.actor_label, assign.data["restricted"]) == ("system", True)
    assert not report.timers.filter(department__code__in=["CGJ", "XFJ"], stopped_at__isnull=True).exists()


@pytest.mark.parametrize("who", ["agent", "dispatcher", "supervisor", "leader", "clerk_cgj", "head_cgj", "clerk_hbj"])
def test_nobody_but_the_restricted_queue_finds_it_anywhere(client, users, report, who):
    user = users[who]
    assert not selectors.cases_visible_to(user).filter(pk=report.pk).exists()
    assert report.tracking_no not in [c.tracking_no for c in selectors.cases_visible_to(user)]
    api = staff_client(user)
    assert api.get(f"/api/v1/cases/{report.tracking_no}/").status_code == 404
    listed = api.get("/api/v1/cases/", {"q": "保护费"}).json()["results"]
    assert listed == []
    login(client, user)
    assert client.get(reverse("console:case", args=[report.tracking_no])).status_code == 404
    assert client.get(reverse("console:assignment_sheet", args=[report.tracking_no])).status_code == 404
    assert report.tracking_no not in client.get(reverse("console:cases"), {"q": "保护费"}).content.decode()
    assert client.get(f"/open311/v2/requests/{report.tracking_no}.json").status_code == 404


@pytest.mark.parametrize("who", ["clerk_jjz", "admin"])
def test_the_restricted_queue_and_administrators_read_it(client, users, report, who):
    assert selectors.cases_visible_to(users[who]).filter(pk=report.pk).exists()
    # The same search the others ran finds it here: there was something to leak.
    found = staff_client(users[who]).get("/api/v1/cases/", {"q": "保护费"}).json()["results"]
    assert [c["tracking_no"] for c in found] == [report.tracking_no]
    login(client, users[who])
    page = client.get(reverse("console:case", args=[report.tracking_no]))
    assert page.status_code == 200
    assert "举报示范区城市管理和综合执法局工作人员：限纪检/督查部门查阅，不予公开" in page.content.decode()


def test_the_callers_history_at_the_desk_leaves_it_out(users, report):
    cases, open_count = selectors.caller_history(report.citizen_phone)
    assert (cases, open_count) == ([], 0)


def test_only_a_report_may_be_flagged_and_only_a_known_department(users, jjz):
    with pytest.raises(CaseValidationError) as exc:
        CaseFactory(actor=users["agent"], kind=Kind.COMPLAINT, about_staff_of="CGJ")
    assert exc.value.fields == {"about_staff_of": ["只有“举报”可以标记为举报某单位工作人员。"]}
    with pytest.raises(CaseValidationError) as exc:
        CaseFactory(actor=users["agent"], kind=Kind.REPORT, about_staff_of="NOPE")
    assert list(exc.value.fields) == ["about_staff_of"]
    assert not Case.objects.exists()


def test_it_can_never_be_sent_to_the_accused_department(users, report):
    report = services.case_return(case=report, actor=users["clerk_jjz"], reason="请分拨")
    for kwargs in ({"department": "CGJ"}, {"department": "HBJ", "assisting_departments": ["CGJ"]}):
        with pytest.raises(CaseValidationError) as exc:
            services.case_assign(case=report, actor=users["admin"], **kwargs)
        assert exc.value.fields == {"department": ["举报该单位工作人员的工单不能转给该单位办理或协办。"]}
    report.refresh_from_db()
    assert (report.state, report.department) == (State.REGISTERED, None)


def test_it_is_handled_reviewed_and_closed_in_its_queue_and_never_published(users, report):
    clerk = users["clerk_jjz"]
    report = services.case_sign_for(case=report, actor=clerk)
    report = services.case_reply(**reply_kwargs(), case=report, actor=clerk, text="经查属实，已立案。")
    report = services.case_approve(case=report, actor=clerk)  # the queue reviews its own replies
    report = services.case_feedback(case=report, actor=None, rating="satisfied")
    assert (report.state, report.publication) == (State.CLOSED, Publication.PRIVATE)
    with pytest.raises(CaseConflict):
        publication_publish(case=report, actor=users["admin"], title="t", content="c", answer="a")
    report.refresh_from_db()
    assert report.publication == Publication.PRIVATE


def test_nobody_outside_the_queue_is_told(users, report, monkeypatch):
    topics: list[str] = []
    from notifications import events

    monkeypatch.setattr(events, "publish", lambda topic, type_, data: topics.append(topic))
    services.case_return(case=report, actor=users["clerk_jjz"], reason="请分拨")  # dispatchers are told of returns
    services.case_assign(case=report, actor=users["admin"], department="JJZ")
    recipients = {r.recipient.username for r in Outbox.objects.filter(case=report, recipient__isnull=False)}
    assert recipients == {"clerk_jjz"}
    assert set(topics) == {"inbox.JJZ"}
