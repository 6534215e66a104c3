"""Escalation that reaches people (issue 13): 督办 (level 2) and 通报 (level 3) are told to the
supervisors and the leadership, not only the department; the leadership has a list of 通报 cases."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.enums import Role, State
from notifications.models import Outbox
from sla import services as sla_services
from sla import sweeper
from sla.enums import Stage
from sla.models import Timer
from tests.factories import UserFactory, make_case_in_state
from tests.sla.fixtures import at, clock, published  # noqa: F401
from tests.web.console.test_console_pages import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(users):
    users["leader"] = UserFactory(
        username="leader", role=Role.LEADER, department_code="GOV", email="leader@gov.example"
    )
    users["supervisor2"] = UserFactory(username="supervisor2", role=Role.SUPERVISOR, department_code="GOV")
    return users


def escalated_to(case) -> set[tuple[str, str]]:
    rows = Outbox.objects.filter(case=case, template="supervision_escalated").select_related("recipient")
    return {(r.recipient.username, r.channel) for r in rows}


@pytest.mark.parametrize("level", [2, 3])
def test_a_formal_order_or_report_reaches_the_supervisors_and_the_leadership(people, level):
    case = make_case_in_state(State.IN_PROGRESS, people)
    sla_services.supervision_issue(case=case, actor=people["supervisor"], level=level, note="请限期办结。")
    assert escalated_to(case) == {
        ("supervisor", "inapp"),
        ("supervisor2", "inapp"),
        ("leader", "inapp"),
        ("leader", "email"),
    }
    row = Outbox.objects.get(case=case, template="supervision_escalated", recipient=people["leader"], channel="email")
    assert row.context["payload"]["level"] == level
    # The department still gets its own order.
    assert Outbox.objects.filter(case=case, template="supervision_issued", recipient=people["clerk_cgj"]).exists()


def test_a_reminder_stays_with_the_department(people):
    case = make_case_in_state(State.IN_PROGRESS, people)
    sla_services.supervision_issue(case=case, actor=people["supervisor"], level=1, note="请尽快办理。")
    assert escalated_to(case) == set()


def test_the_sweepers_escalation_to_level_2_reaches_them_too(people, clock, published):
    case = make_case_in_state(State.IN_PROGRESS, people)
    for moment in (at(2026, 12, 10, 17, 31), at(2026, 12, 17, 17, 31)):
        clock.set(moment)
        worker = sweeper.Sweeper()
        while worker.step(now=clock.now):
            pass
    assert Timer.objects.get(case=case, stage=Stage.REPLY).escalation_level == 2
    assert ("leader", "inapp") in escalated_to(case) and ("supervisor", "inapp") in escalated_to(case)


def test_the_leadership_sees_the_short_list_of_reported_cases(client, people):
    reported = make_case_in_state(State.IN_PROGRESS, people)
    ordered = make_case_in_state(State.IN_PROGRESS, people)
    sla_services.supervision_issue(case=reported, actor=people["supervisor"], level=3, note="通报全区。")
    sla_services.supervision_issue(case=ordered, actor=people["supervisor"], level=2, note="督办。")
    login(client, people["leader"])
    home = client.get(reverse("console:home"))
    page = client.get(reverse("console:leader_reports"))
    html = page.content.decode()
    assert page.status_code == 200 and 'href="/console/leader/reports/"' in client.get(home.url).content.decode()
    assert reported.tracking_no in html and ordered.tracking_no not in html
    assert "通报全区" not in html  # the list shows the department's answer, not the order's note
    client.logout()
    login(client, people["clerk_cgj"])
    assert client.get(reverse("console:leader_reports")).status_code == 403
