"""The supervisor's side of issue 13 in the console: the list of dissatisfied cases waiting for a
decision, with the two decisions on it; urges on the overdue board; urges and decisions in the
monthly report."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.urls import reverse

from cases import services
from cases.enums import State
from cases.models import Case
from sla.urges import case_urge
from tests.factories import make_case_in_state
from tests.sla.fixtures import at
from web.figures.followup import followup_figures

pytestmark = pytest.mark.django_db

START = at(2026, 11, 23, 9, 30)
PAGE = "/telephony/desk/dissatisfied/"


@pytest.fixture
def pinned():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_the_decision_list_shows_the_waiting_cases_with_their_reason_and_both_decisions(
    client, users, pinned, django_assert_max_num_queries
):
    waiting = [make_case_in_state(State.PENDING_DECISION, users) for _ in range(3)]
    make_case_in_state(State.CLOSED, users)  # satisfied: not listed
    client.force_login(users["supervisor"])
    client.get(PAGE)  # warm the session and the menu's caches

    with django_assert_max_num_queries(12):  # the same whatever the number of rows
        html = client.get(PAGE).content.decode()

    assert re.findall(r'data-tracking-no="(\d+)"', html) == [c.tracking_no for c in waiting]
    assert "问题没有解决" in html and "问题依旧" in html
    first = waiting[0].tracking_no
    assert f'action="/console/cases/{first}/actions/reopen/"' in html
    assert f'action="/console/cases/{first}/actions/close/"' in html


def test_a_supervisor_closes_from_the_list_and_the_case_leaves_it(client, users, pinned):
    case = make_case_in_state(State.PENDING_DECISION, users)
    client.force_login(users["supervisor"])

    response = client.post(
        f"/console/cases/{case.tracking_no}/actions/close/",
        {"version": case.version, "reason": "经复核，答复符合规定。", "next": PAGE},
    )

    assert response.status_code == 302 and response["Location"] == PAGE
    assert Case.objects.get(pk=case.pk).state == State.CLOSED
    assert f'data-tracking-no="{case.tracking_no}"' not in client.get(PAGE).content.decode()


def test_a_supervisor_reopens_to_another_department_from_the_list(client, users, pinned):
    case = make_case_in_state(State.PENDING_DECISION, users)
    client.force_login(users["supervisor"])
    client.post(
        f"/console/cases/{case.tracking_no}/actions/reopen/",
        {"version": case.version, "department": "HBJ", "reason": "转环保局核查。", "next": PAGE},
    )
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.department.code) == (State.ASSIGNED, "HBJ")


def test_a_dispatcher_cannot_decide(client, users, pinned):
    case = make_case_in_state(State.PENDING_DECISION, users)
    client.force_login(users["dispatcher"])
    response = client.post(
        f"/console/cases/{case.tracking_no}/actions/close/", {"version": case.version, "reason": "维持"}
    )
    assert response.status_code in {403, 409}
    assert Case.objects.get(pk=case.pk).state == State.PENDING_DECISION


def test_the_board_and_the_monthly_report_count_urges_and_decisions(client, users, pinned):
    overdue = make_case_in_state(State.IN_PROGRESS, users)
    upheld = make_case_in_state(State.PENDING_DECISION, users)
    reopened = make_case_in_state(State.PENDING_DECISION, users)
    make_case_in_state(State.PENDING_DECISION, users)  # still waiting
    services.case_close(case=upheld, actor=users["supervisor"], reason="维持原答复。")
    services.case_reopen(case=reopened, actor=users["supervisor"], department="HBJ", reason="转环保局。")
    pinned.move_to(at(2026, 12, 11, 9, 0))
    case_urge(case=overdue)

    november = followup_figures(START.date())
    cgj = next(r for r in november["rows"] if r.department and r.department.code == "CGJ")
    assert (cgj.dissatisfied, cgj.reopened, cgj.upheld, cgj.pending, cgj.urges) == (3, 1, 1, 1, 0)
    december = followup_figures(at(2026, 12, 1, 0, 0).date())
    assert [(r.department.code, r.urges, r.urged_cases) for r in december["rows"]] == [("CGJ", 1, 1)]

    client.force_login(users["supervisor"])
    board = client.get(reverse("sla_pages:board")).content.decode()
    assert re.search(r'id="urges">.*?data-department="CGJ"><td>[^<]+</td><td>1</td><td>1</td>', board, re.S)
    report = client.get(reverse("reports:monthly") + "?month=2026-11").content.decode()
    assert re.search(
        r'id="followup-total"><th>合计</th><th>0</th><th>0</th><th>3</th><th>1</th><th>1</th><th>1</th>', report
    )
