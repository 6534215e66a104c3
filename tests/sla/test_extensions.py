"""Extensions (延期): who may ask, until when, and what a grant or a refusal does."""

from __future__ import annotations

import pytest

from cases import services
from cases.enums import Channel, State
from cases.models import CaseEvent
from sla import sweeper
from sla.enums import AuditAction, ExtensionStatus, Stage, TimerStatus
from sla.models import Extension, SupervisionOrder, Timer
from tests.factories import CaseFactory, make_case_in_state
from tests.sla.fixtures import at, clock, published  # noqa: F401
from tests.web.api.api_helpers import assert_error, staff_client

pytestmark = pytest.mark.django_db


def ask(user, case, **body):
    return staff_client(user).post(f"/api/v1/cases/{case.tracking_no}/extensions/", body, format="json")


def decide(user, ext_id, **body):
    return staff_client(user).post(f"/api/v1/extensions/{ext_id}/decision/", body, format="json")


def reply_timer(case) -> Timer:
    return Timer.objects.get(case=case, stage=Stage.REPLY)


def last_event(case) -> CaseEvent:
    return CaseEvent.objects.filter(case=case).order_by("-seq").first()


@pytest.fixture
def case(users, clock):
    """A complaint in progress at CGJ since Monday 23 Nov; reply due Thursday 10 Dec 17:30."""
    c = make_case_in_state(State.IN_PROGRESS, users)
    clock.set(at(2026, 12, 1, 10, 0))
    return c


def test_the_department_asks_for_more_time_and_the_request_waits_for_a_supervisor(users, case, published):
    r = ask(users["clerk_cgj"], case, until="2026-12-20", reason="需协调住建局联合执法。")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "pending"
    assert body["until"] == "2026-12-20T23:59:59+08:00"  # a bare date means the end of that day
    assert body["previous_due_at"] == "2026-12-10T17:30:00+08:00"
    assert (body["department"], body["requested_by"]) == ("CGJ", "clerk_cgj")
    assert reply_timer(case).due_at == at(2026, 12, 10, 17, 30)  # nothing moves before a decision
    ev = last_event(case)
    assert (ev.transition, ev.public, ev.note) == (AuditAction.EXTENSION_REQUESTED, False, "需协调住建局联合执法。")
    assert ("board", "extension.requested") in {(t, ty) for t, ty, _ in published}


def test_a_grant_moves_the_reply_deadline_and_tells_the_citizen(users, case, published):
    ext_id = ask(users["clerk_cgj"], case, until="2026-12-20T17:30:00+08:00", reason="需现场测量。").json()["id"]
    r = decide(users["supervisor"], ext_id, grant=True, note="同意。")
    assert r.status_code == 200, r.content
    assert (r.json()["status"], r.json()["decided_by"]) == ("granted", "supervisor")
    timer = reply_timer(case)
    assert (timer.due_at, timer.extended, timer.status) == (at(2026, 12, 20, 17, 30), True, TimerStatus.RUNNING)
    assert timer.original_due_at == at(2026, 12, 10, 17, 30)
    assert at(2026, 12, 10, 17, 30) < timer.warn_at < timer.due_at
    assert timer.next_action_at == timer.warn_at
    ev = last_event(case)
    assert (ev.transition, ev.public) == (AuditAction.EXTENSION_GRANTED, True)
    assert ev.note == "办理期限延长至 2026-12-20 17:30。"
    assert ("inbox.CGJ", "extension.granted") in {(t, ty) for t, ty, _ in published}
    from cases.selectors import public_timeline

    assert public_timeline(case)[-1]["note"] == "办理期限延长至 2026-12-20 17:30。"  # what the tracking page shows


def test_a_grant_clears_a_breach_and_a_second_breach_climbs_to_the_next_level(users, case, clock):
    ext = services_request(users, case, until="2026-12-18")
    clock.set(at(2026, 12, 10, 17, 31))
    sweeper.Sweeper().step(now=clock.now)
    assert reply_timer(case).status == TimerStatus.BREACHED
    clock.set(at(2026, 12, 11, 9, 0))
    assert decide(users["supervisor"], ext.pk, grant=True).status_code == 200
    timer = reply_timer(case)
    assert (timer.status, timer.breached_at, timer.next_escalation_at) == (TimerStatus.RUNNING, None, None)
    assert timer.due_at == at(2026, 12, 18, 23, 59, 59)
    sweeper.Sweeper().step(now=at(2026, 12, 19, 0, 0))
    assert list(SupervisionOrder.objects.filter(timer=timer).order_by("level").values_list("level", flat=True)) == [
        1,
        2,
    ]


def services_request(users, case, *, until: str) -> Extension:
    r = ask(users["clerk_cgj"], case, until=until, reason="需协调。")
    assert r.status_code == 201, r.content
    return Extension.objects.get(pk=r.json()["id"])


def test_a_refusal_needs_a_reason_and_leaves_the_deadline_alone(users, case):
    ext = services_request(users, case, until="2026-12-15")
    err = assert_error(decide(users["supervisor"], ext.pk, grant=False), 400, "invalid")
    assert "note" in err["fields"]
    r = decide(users["supervisor"], ext.pk, grant=False, note="理由不充分，请按期办结。")
    assert r.json()["status"] == "refused"
    assert reply_timer(case).due_at == at(2026, 12, 10, 17, 30)
    ev = last_event(case)
    assert (ev.transition, ev.public, ev.data["granted"]) == (AuditAction.EXTENSION_REFUSED, False, False)
    from cases.selectors import public_timeline

    assert "理由不充分" not in str(public_timeline(case))  # a refusal's reason stays internal
    assert_error(decide(users["supervisor"], ext.pk, grant=True), 409, "conflict")


def test_no_request_after_the_deadline(users, case, clock):
    clock.set(at(2026, 12, 10, 17, 31))
    err = assert_error(ask(users["clerk_cgj"], case, until="2026-12-15", reason="来不及了。"), 409, "conflict")
    assert "2026-12-10 17:30" in err["message"]
    assert not Extension.objects.exists()


def test_no_request_beyond_15_working_days_over_the_original_deadline(users, case):
    err = assert_error(ask(users["clerk_cgj"], case, until="2027-01-01", reason="需要很久。"), 400, "invalid")
    assert err["fields"]["until"] == ["延期超过上限：最晚可延至 2026-12-31 17:30。"]
    assert ask(users["clerk_cgj"], case, until="2026-12-31T17:30:00+08:00", reason="需要很久。").status_code == 201


def test_a_letter_may_be_extended_by_the_statutory_30_calendar_days_and_no_more(users, clock):
    letter = make_case_in_state(State.IN_PROGRESS, users, channel=Channel.LETTER)
    assert reply_timer(letter).due_at == at(2027, 1, 22, 23, 59, 59)  # 60 calendar days
    err = assert_error(ask(users["clerk_cgj"], letter, until="2027-02-22", reason="调查取证。"), 400, "invalid")
    assert "2027-02-21 23:59" in err["fields"]["until"][0]
    assert ask(users["clerk_cgj"], letter, until="2027-02-21", reason="调查取证。").status_code == 201


def test_only_one_pending_request_at_a_time(users, case):
    services_request(users, case, until="2026-12-15")
    err = assert_error(ask(users["clerk_cgj"], case, until="2026-12-16", reason="再申请。"), 409, "conflict")
    assert err["message"] == "已有一项延期申请在等待审批。"


def test_another_department_gets_404_and_an_assisting_one_403(users, clock):
    case = CaseFactory(actor=users["agent"])
    services.case_assign(case=case, actor=users["dispatcher"], department="CGJ", assisting_departments=["HBJ"])
    lone = make_case_in_state(State.IN_PROGRESS, users)
    assert_error(ask(users["clerk_hbj"], lone, until="2026-12-15", reason="x"), 404, "not_found")
    assert_error(ask(users["clerk_hbj"], case, until="2026-12-15", reason="x"), 403, "forbidden")
    assert_error(ask(users["supervisor"], case, until="2026-12-15", reason="x"), 403, "forbidden")
    assert not Extension.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "需协调。"}, "until"),
        ({"until": "下周五", "reason": "需协调。"}, "until"),
        ({"until": "2026-13-45", "reason": "需协调。"}, "until"),
        ({"until": "2026-12-09", "reason": "需协调。"}, "until"),  # not later than the current deadline
        ({"until": "2026-12-15", "reason": "   "}, "reason"),
        ({"until": ["2026-12-15"], "reason": "需协调。"}, "until"),
    ],
)
def test_bad_requests_say_which_field_is_wrong(users, case, body, field):
    err = assert_error(ask(users["clerk_cgj"], case, **body), 400, "invalid")
    assert field in err["fields"]
    assert not Extension.objects.exists()


def test_a_request_on_a_case_no_longer_with_the_department_is_a_conflict(users, clock):
    replied = make_case_in_state(State.REPLIED, users)
    assert_error(ask(users["clerk_cgj"], replied, until="2026-12-15", reason="x"), 409, "conflict")


def test_only_supervisors_decide_and_bad_decisions_are_refused(users, case):
    ext = services_request(users, case, until="2026-12-15")
    assert_error(decide(users["clerk_cgj"], ext.pk, grant=True), 403, "forbidden")
    assert_error(decide(users["clerk_hbj"], ext.pk, grant=True), 404, "not_found")
    assert_error(decide(users["supervisor"], ext.pk, grant="yes"), 400, "invalid")
    assert_error(decide(users["supervisor"], 999999, grant=True), 404, "not_found")
    assert_error(decide(users["supervisor"], "abc", grant=True), 404, "not_found")
    assert_error(
        staff_client(users["supervisor"]).post(f"/api/v1/extensions/{ext.pk}/decision/", [1], format="json"),
        400,
        "invalid",
    )
    assert Extension.objects.get(pk=ext.pk).status == ExtensionStatus.PENDING


def test_a_grant_for_a_date_already_past_is_refused(users, case, clock):
    ext = services_request(users, case, until="2026-12-15")
    clock.set(at(2026, 12, 16, 9, 0))
    assert_error(decide(users["supervisor"], ext.pk, grant=True), 409, "conflict")
