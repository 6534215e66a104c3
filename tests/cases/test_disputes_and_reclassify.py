"""Disputes (派单争议) and the dispatcher's correction of category, kind or priority."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cases import forwarding, services
from cases.enums import Kind, Priority, State, Transition
from cases.exceptions import CaseConflict, CaseNotFound, CasePermissionDenied, CaseValidationError
from cases.models import Case, Dispute
from sla.enums import Stage, TermUnit
from sla.models import Timer
from tests.cases.dispatch_fixtures import MONDAY, TUESDAY, WEDNESDAY, tier_users  # noqa: F401
from tests.factories import CaseFactory, make_case_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_the_week_of_the_cases(time_machine):
    # The return window is read against the wall clock (Case.return_window_open): pin it.
    time_machine.move_to(TUESDAY, tick=False)


def returned_by_cgj(u: dict) -> Case:
    case = CaseFactory(actor=u["agent"], now=MONDAY)
    case = services.case_assign(case=case, actor=u["dispatcher"], department="CGJ", instructions="请处理", now=MONDAY)
    return services.case_return(case=case, actor=u["clerk_cgj"], reason="物业收费不属城管职责。", now=MONDAY)


def state_and_counts(case: Case) -> tuple:
    row = Case.objects.filter(pk=case.pk).values("state", "version", "department_id").get()
    return row, case.events.count(), Dispute.objects.filter(case=case).count()


def test_a_disputed_return_is_arbitrated_by_a_supervisor_to_the_department_with_the_reason(users):
    case = returned_by_cgj(users)
    assert case.returned_from.code == "CGJ"
    case = forwarding.case_dispute(case=case, actor=users["dispatcher"], note="占道经营属城管职责。", now=TUESDAY)
    assert case.state == State.DISPUTED
    dispute = Dispute.objects.get(case=case)
    assert (dispute.department.code, dispute.return_reason, dispute.note) == (
        "CGJ",
        "物业收费不属城管职责。",
        "占道经营属城管职责。",
    )
    assert not Timer.objects.filter(case=case, stage=Stage.TRIAGE, stopped_at__isnull=True).exists()
    assert forwarding.disputes_open() == [dispute]

    case = forwarding.case_arbitrate(
        case=case, actor=users["supervisor"], department="CGJ", reason="经研究，由城管局办理。", now=WEDNESDAY
    )
    assert (case.state, case.department.code, case.instructions, case.returned_from_id) == (
        State.ASSIGNED,
        "CGJ",
        "经研究，由城管局办理。",
        None,
    )
    dispute.refresh_from_db()
    assert (dispute.decided_by, dispute.decision_department.code, dispute.reason) == (
        users["supervisor"],
        "CGJ",
        "经研究，由城管局办理。",
    )
    # The department's clocks start again from the arbitration.
    assert Timer.objects.get(case=case, stage=Stage.SIGN_FOR, stopped_at__isnull=True).started_at == WEDNESDAY
    last = case.events.order_by("-seq").first()
    assert (last.transition, last.public, last.data["disputed_department"]) == (Transition.ARBITRATE, True, "CGJ")
    counts = forwarding.dispute_counts(since=MONDAY, until=WEDNESDAY + dt.timedelta(days=1))
    assert counts == {"CGJ": {"disputes": 1, "assigned_back": 1}}
    assert forwarding.disputes_open() == []


def test_a_dispute_on_a_case_that_was_not_returned_is_a_conflict_and_changes_nothing(users):
    fresh = CaseFactory(actor=users["agent"], now=MONDAY)
    assigned = make_case_in_state(State.ASSIGNED, users)
    for case in (fresh, assigned):
        before = state_and_counts(case)
        with pytest.raises(CaseConflict):
            forwarding.case_dispute(case=case, actor=users["dispatcher"], note="不同意")
        assert state_and_counts(case) == before
    # Returned, then assigned again: no longer a return to dispute.
    again = services.case_assign(
        case=returned_by_cgj(users), actor=users["dispatcher"], department="ZJJ", instructions="改派"
    )
    with pytest.raises(CaseConflict):
        forwarding.case_dispute(case=again, actor=users["dispatcher"], note="不同意")


def test_only_a_dispatcher_disputes_and_only_a_supervisor_arbitrates(users):
    case = returned_by_cgj(users)
    before = state_and_counts(case)
    for name in ("agent", "supervisor"):
        with pytest.raises(CasePermissionDenied):
            forwarding.case_dispute(case=case, actor=users[name], note="不同意")
    # The department that handed it back no longer sees the case at all (its level is returned).
    with pytest.raises(CaseNotFound):
        forwarding.case_dispute(case=case, actor=users["clerk_cgj"], note="不同意")
    assert state_and_counts(case) == before
    forwarding.case_dispute(case=case, actor=users["dispatcher"], note="不同意")
    before = state_and_counts(case)
    with pytest.raises(CasePermissionDenied):
        forwarding.case_arbitrate(case=case, actor=users["dispatcher"], department="CGJ", reason="由城管办理")
    with pytest.raises(CaseValidationError):
        forwarding.case_arbitrate(case=case, actor=users["supervisor"], department="XFJ", reason="回分拨中心")
    with pytest.raises(CaseValidationError):
        forwarding.case_arbitrate(case=case, actor=users["supervisor"], department="CGJ", reason="")
    assert state_and_counts(case) == before


# --- reclassify -------------------------------------------------------------------------------


def test_correcting_the_kind_recounts_the_running_reply_clock_on_the_new_term(users, time_machine):
    time_machine.move_to(MONDAY + dt.timedelta(days=2), tick=False)  # the wall clock is not the clock used
    case = CaseFactory(actor=users["agent"], now=MONDAY, kind=Kind.COMPLAINT)
    case = services.case_assign(case=case, actor=users["dispatcher"], department="CGJ", instructions="", now=MONDAY)
    reply = Timer.objects.get(case=case, stage=Stage.REPLY)
    assert reply.term_value == Decimal("13")
    case = forwarding.case_reclassify(
        case=case, actor=users["dispatcher"], kind=Kind.CONSULTATION, note="实为政策咨询。", now=TUESDAY
    )
    reply.refresh_from_db()
    # 3 working days counted from the assignment on Monday: Thursday 17:30.
    assert (reply.term_unit, reply.term_value) == (TermUnit.WORKING_DAYS, Decimal("3"))
    assert reply.due_at == dt.datetime(2026, 11, 26, 17, 30, tzinfo=MONDAY.tzinfo)
    assert reply.started_at == MONDAY
    event = case.events.order_by("-seq").first()
    assert (event.transition, event.data, event.note) == (
        Transition.RECLASSIFY,
        {"changes": {"kind": ["complaint", "consultation"]}},
        "实为政策咨询。",
    )
    assert case.kind == Kind.CONSULTATION


def test_marking_a_registered_case_urgent_shortens_its_triage_clock(users):
    case = CaseFactory(actor=users["agent"], now=MONDAY)
    triage = Timer.objects.get(case=case, stage=Stage.TRIAGE)
    assert triage.due_at == MONDAY + dt.timedelta(hours=2)
    forwarding.case_reclassify(
        case=case, actor=users["dispatcher"], priority=Priority.URGENT, note="涉及安全。", now=MONDAY
    )
    triage.refresh_from_db()
    assert triage.due_at == MONDAY + dt.timedelta(minutes=30)


def test_an_urgent_case_gets_the_short_triage_term_by_default(users):
    case = CaseFactory(actor=users["agent"], now=MONDAY, priority=Priority.URGENT)
    triage = Timer.objects.get(case=case, stage=Stage.TRIAGE)
    assert (triage.term_unit, triage.term_value) == (TermUnit.WORKING_HOURS, Decimal("0.5"))
    assert triage.due_at == MONDAY + dt.timedelta(minutes=30)


def test_a_bad_correction_is_refused_and_changes_nothing(users):
    case = CaseFactory(actor=users["agent"], now=MONDAY)
    closed = make_case_in_state(State.CLOSED, users)
    before = state_and_counts(case)
    with pytest.raises(CaseValidationError) as exc:
        forwarding.case_reclassify(case=case, actor=users["dispatcher"], category="NOPE", note="更正")
    assert "category" in exc.value.fields
    with pytest.raises(CaseValidationError):  # nothing changes
        forwarding.case_reclassify(case=case, actor=users["dispatcher"], kind=case.kind, note="更正")
    with pytest.raises(CaseValidationError):
        forwarding.case_reclassify(case=case, actor=users["dispatcher"], kind="gossip", note="更正")
    with pytest.raises(CasePermissionDenied):
        forwarding.case_reclassify(case=case, actor=users["agent"], kind=Kind.HELP, note="更正")
    assert state_and_counts(case) == before
    with pytest.raises(CaseConflict):
        forwarding.case_reclassify(case=closed, actor=users["dispatcher"], kind=Kind.HELP, note="更正")
