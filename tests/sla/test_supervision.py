"""Supervision orders (督办): issued by a supervisor or by escalation, answered by the department."""

from __future__ import annotations

import pytest

from cases import services
from cases.enums import State
from cases.models import CaseEvent
from sla import sweeper
from sla.enums import AuditAction
from sla.models import SupervisionOrder
from tests.factories import CaseFactory, make_case_in_state
from tests.sla.fixtures import at, clock, published  # noqa: F401
from tests.web.api.api_helpers import assert_error, staff_client

pytestmark = pytest.mark.django_db


def issue(user, case, **body):
    return staff_client(user).post(f"/api/v1/cases/{case.tracking_no}/supervision/", body, format="json")


def answer(user, order_id, **body):
    return staff_client(user).post(f"/api/v1/supervision/{order_id}/answer/", body, format="json")


def last_event(case) -> CaseEvent:
    return CaseEvent.objects.filter(case=case).order_by("-seq").first()


def test_a_supervisor_orders_the_department_and_it_shows_on_the_timeline_and_board(users, clock, published):
    case = make_case_in_state(State.IN_PROGRESS, users)
    r = issue(users["supervisor"], case, level=2, note="群众多次来电，请三日内办结。")
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["level"], body["level_label"], body["department"], body["issued_by"], body["escalation"]) == (
        2,
        "督办",
        "CGJ",
        "supervisor",
        False,
    )
    assert body["answered_at"] is None
    ev = last_event(case)
    assert (ev.transition, ev.public, ev.note) == (
        AuditAction.SUPERVISION_ISSUED,
        False,
        "群众多次来电，请三日内办结。",
    )
    assert {("board", "supervision.issued"), ("inbox.CGJ", "supervision.issued")} <= {(t, ty) for t, ty, _ in published}


def test_an_order_before_assignment_goes_to_the_dispatch_desk(users, clock):
    case = CaseFactory(actor=users["agent"])
    assert issue(users["supervisor"], case, level=1, note="请尽快分拨。").json()["department"] == "XFJ"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"level": 4, "note": "x"}, "level"),
        ({"level": "2", "note": "x"}, "level"),
        ({"level": True, "note": "x"}, "level"),
        ({"note": "x"}, "level"),
        ({"level": 1, "note": ""}, "note"),
    ],
)
def test_bad_orders_say_which_field_is_wrong(users, clock, body, field):
    case = make_case_in_state(State.IN_PROGRESS, users)
    err = assert_error(issue(users["supervisor"], case, **body), 400, "invalid")
    assert field in err["fields"]
    assert not SupervisionOrder.objects.exists()


def test_only_supervisors_issue_orders_and_only_on_open_cases(users, clock):
    case = make_case_in_state(State.IN_PROGRESS, users)
    assert_error(issue(users["clerk_cgj"], case, level=1, note="x"), 403, "forbidden")
    assert_error(issue(users["dispatcher"], case, level=1, note="x"), 403, "forbidden")
    assert_error(issue(users["clerk_hbj"], case, level=1, note="x"), 404, "not_found")
    closed = make_case_in_state(State.CLOSED, users)
    assert_error(issue(users["supervisor"], closed, level=1, note="x"), 409, "conflict")
    assert not SupervisionOrder.objects.exists()


def test_the_department_answers_once(users, clock, published):
    case = make_case_in_state(State.IN_PROGRESS, users)
    order_id = issue(users["supervisor"], case, level=1, note="请加快办理。").json()["id"]
    r = answer(users["clerk_cgj"], order_id, text="已于今日现场处理完毕，正在起草答复。")
    assert r.status_code == 200, r.content
    assert (r.json()["answered_by"], r.json()["answer"]) == ("clerk_cgj", "已于今日现场处理完毕，正在起草答复。")
    assert r.json()["answered_at"] == "2026-11-23T09:30:00+08:00"
    ev = last_event(case)
    assert (ev.transition, ev.public) == (AuditAction.SUPERVISION_ANSWERED, False)
    assert ("board", "supervision.answered") in {(t, ty) for t, ty, _ in published}
    assert_error(answer(users["clerk_cgj"], order_id, text="再答一次"), 409, "conflict")


def test_other_departments_cannot_answer(users, clock):
    case = CaseFactory(actor=users["agent"])
    services.case_assign(case=case, actor=users["dispatcher"], department="CGJ", assisting_departments=["HBJ"])
    order_id = issue(users["supervisor"], case, level=1, note="请加快。").json()["id"]
    lone = make_case_in_state(State.IN_PROGRESS, users)
    lone_order = issue(users["supervisor"], lone, level=1, note="请加快。").json()["id"]
    assert_error(answer(users["clerk_hbj"], order_id, text="协办意见"), 403, "forbidden")
    assert_error(answer(users["clerk_hbj"], lone_order, text="不是我们的"), 404, "not_found")
    assert_error(answer(users["supervisor"], order_id, text="代答"), 403, "forbidden")
    assert_error(answer(users["clerk_cgj"], order_id, text="  "), 400, "invalid")
    assert_error(answer(users["clerk_cgj"], 999999, text="x"), 404, "not_found")
    assert not SupervisionOrder.objects.filter(answered_at__isnull=False).exists()


def test_an_escalation_order_is_answered_like_any_other(users, clock):
    case = make_case_in_state(State.ASSIGNED, users)
    sweeper.Sweeper().step(now=at(2026, 11, 24, 17, 31))  # sign-for deadline passed
    order = SupervisionOrder.objects.get(case=case)
    assert (order.level, order.issued_by, order.department.code) == (1, None, "CGJ")
    assert answer(users["clerk_cgj"], order.pk, text="已签收。").status_code == 200


def test_the_dispatch_desk_answers_its_own_triage_escalation(users, clock):
    case = CaseFactory(actor=users["agent"])
    sweeper.Sweeper().step(now=at(2026, 11, 23, 12, 0))
    order = SupervisionOrder.objects.get(case=case)
    assert order.department.code == "XFJ"
    assert answer(users["dispatcher"], order.pk, text="已分拨。").status_code == 200


def test_the_department_answers_from_a_console_form_and_returns_to_its_page(users, clock, client):
    case = make_case_in_state(State.IN_PROGRESS, users)
    order_id = issue(users["supervisor"], case, level=1, note="请加快。").json()["id"]
    client.force_login(users["clerk_cgj"])
    r = client.post(f"/console/sla/supervision/{order_id}/answer/", {"text": "已办结。", "next": "/console/inbox/"})
    assert (r.status_code, r["Location"]) == (302, "/console/inbox/")
    assert SupervisionOrder.objects.get(pk=order_id).answer == "已办结。"
    r = client.post(f"/console/sla/supervision/{order_id}/answer/", {"text": "再答", "next": "https://evil.example/"})
    assert r["Location"] == "/console/"  # only our own pages; the second answer was refused
    assert SupervisionOrder.objects.get(pk=order_id).answer == "已办结。"
