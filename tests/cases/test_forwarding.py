"""Multi-tier dispatch (二次派单): forward down, sign for and reply below, review above, return one
level up; the levels recorded; who sees the case; bad input refused with nothing changed."""

from __future__ import annotations

import datetime as dt

import pytest

from cases import forwarding, selectors, services
from cases.enums import State, Transition
from cases.exceptions import CaseConflict, CasePermissionDenied, CaseValidationError
from cases.models import Case, CaseAssignment, Department
from cases.models_dispatch import AssignmentState
from sla.enums import Stage, TimerStatus
from sla.models import Timer
from tests.cases.dispatch_fixtures import (  # noqa: F401  (tier_users is a fixture)
    MONDAY,
    TUESDAY,
    WEDNESDAY,
    forwarded_to_community,
    signed_at_street_office,
    tier_users,
)
from tests.factories import CaseFactory, reply_kwargs

pytestmark = pytest.mark.django_db


def footprint(case: Case) -> tuple:
    """Everything a refused action must leave alone."""
    row = Case.objects.filter(pk=case.pk).values("state", "version", "department_id", "handling_department_id").get()
    return (
        row,
        case.events.count(),
        list(CaseAssignment.objects.filter(case=case).values_list("department__code", "state", "ended_at")),
        list(Timer.objects.filter(case=case).values_list("stage", "department_id", "status", "stopped_at")),
    )


def live(case: Case, stage: str, code: str) -> Timer:
    return Timer.objects.get(case=case, stage=stage, department__code=code, stopped_at__isnull=True)


def test_a_case_forwarded_to_a_community_is_replied_there_reviewed_by_the_street_office_and_approved(tier_users):
    u = tier_users
    case = forwarded_to_community(u)
    assert (case.state, case.department.code, case.handling_department.code) == (State.ASSIGNED, "JD-E", "JD-E-01")

    case = services.case_sign_for(case=case, actor=u["clerk_jde01"], now=TUESDAY)
    case = services.case_reply(
        case=case, actor=u["clerk_jde01"], text="社区已上门核实，摊点已劝离。", now=TUESDAY, **reply_kwargs(at=TUESDAY)
    )
    assert case.state == State.SUB_REPLIED
    # Not yet for the dispatcher: the street office reviews first.
    assert not selectors.dispatcher_queue(u["dispatcher"])["review"].filter(pk=case.pk).exists()
    assert selectors.department_inbox(u["clerk_jde"])["sub_review"].get() == case

    case = forwarding.case_approve_up(case=case, actor=u["clerk_jde"], note="同意上报。", now=WEDNESDAY)
    assert (case.state, case.handling_department_id, case.replied_at) == (State.REPLIED, None, WEDNESDAY)
    assert selectors.dispatcher_queue(u["dispatcher"])["review"].get() == case

    case = services.case_approve(case=case, actor=u["dispatcher"], now=WEDNESDAY)
    assert case.state == State.ANSWERED
    assert case.answer == "社区已上门核实，摊点已劝离。"
    levels = list(
        CaseAssignment.objects.filter(case=case).order_by("id").values_list("department__code", "level", "state")
    )
    assert levels == [("JD-E", 0, AssignmentState.APPROVED), ("JD-E-01", 1, AssignmentState.APPROVED)]
    community = CaseAssignment.objects.get(case=case, level=1)
    assert (community.signed_at, community.replied_at, community.parent.department.code) == (TUESDAY, TUESDAY, "JD-E")
    assert community.instructions == "请社区上门核实，三日内回复街道。"
    assert [e.transition for e in case.events.order_by("seq")][-5:] == [
        Transition.FORWARD,
        Transition.SIGN_FOR,
        Transition.REPLY,
        Transition.APPROVE_UP,
        Transition.APPROVE,
    ]


def test_the_sub_units_clocks_run_inside_the_parents_deadline_which_keeps_running(tier_users):
    u = tier_users
    # Forwarded two days after the street office signed for it: the community's 13-working-day
    # reply term would end after the street office's, so it ends with it.
    case = forwarded_to_community(u, forward_at=WEDNESDAY)
    parent = live(case, Stage.REPLY, "JD-E")
    sub_reply, sub_sign = live(case, Stage.REPLY, "JD-E-01"), live(case, Stage.SIGN_FOR, "JD-E-01")
    assert sub_reply.due_at == parent.due_at
    assert sub_reply.started_at == WEDNESDAY
    assert sub_sign.due_at == dt.datetime(2026, 11, 26, 17, 30, tzinfo=MONDAY.tzinfo)  # 1 working day, uncapped
    assert parent.status == TimerStatus.RUNNING

    services.case_sign_for(case=case, actor=u["clerk_jde01"], now=WEDNESDAY)
    services.case_reply(case=case, actor=u["clerk_jde01"], text="已核实。", now=WEDNESDAY, **reply_kwargs(at=WEDNESDAY))
    sub_reply.refresh_from_db()
    parent.refresh_from_db()
    assert (sub_reply.stopped_at, sub_reply.status) == (WEDNESDAY, TimerStatus.MET)
    assert parent.stopped_at is None  # the street office's own deadline still binds

    forwarding.case_approve_up(case=case, actor=u["clerk_jde"], now=WEDNESDAY + dt.timedelta(hours=1))
    parent.refresh_from_db()
    assert parent.stopped_at == WEDNESDAY + dt.timedelta(hours=1)
    assert Timer.objects.filter(case=case, stage=Stage.REVIEW, stopped_at__isnull=True).count() == 1


def test_sending_the_reply_down_resumes_the_sub_units_own_reply_clock(tier_users):
    u = tier_users
    case = forwarded_to_community(u)
    services.case_sign_for(case=case, actor=u["clerk_jde01"], now=MONDAY)
    services.case_reply(case=case, actor=u["clerk_jde01"], text="已处理。", now=MONDAY, **reply_kwargs(at=MONDAY))
    case = forwarding.case_send_down(case=case, actor=u["clerk_jde"], note="请附现场照片。", now=TUESDAY)
    assert (case.state, case.handling_department.code) == (State.IN_PROGRESS, "JD-E-01")
    assert live(case, Stage.REPLY, "JD-E-01").status == TimerStatus.RUNNING
    assert CaseAssignment.objects.get(case=case, level=1).state == AssignmentState.IN_PROGRESS


def test_a_sub_units_return_goes_back_one_level_to_the_department_that_forwarded_it(tier_users):
    u = tier_users
    case = forwarded_to_community(u)
    case = services.case_return(case=case, actor=u["clerk_jde01"], reason="不在本社区辖区。", now=TUESDAY)
    assert (case.state, case.department.code, case.handling_department_id) == (State.IN_PROGRESS, "JD-E", None)
    assert case.return_count == 0 and case.returned_from_id is None  # not a return to the dispatcher
    assert not Timer.objects.filter(case=case, department__code="JD-E-01", stopped_at__isnull=True).exists()
    assert live(case, Stage.REPLY, "JD-E").status == TimerStatus.RUNNING
    assert case.events.order_by("-seq").first().transition == Transition.RETURN_UP
    assert CaseAssignment.objects.get(case=case, level=1).state == AssignmentState.RETURNED
    assert CaseAssignment.objects.get(case=case, level=0).state == AssignmentState.IN_PROGRESS
    # The street office can forward it again, to another community.
    case = forwarding.case_forward(
        case=case, actor=u["clerk_jde"], department="JD-E-02", instructions="改由湖滨社区核实。", now=TUESDAY
    )
    assert case.handling_department.code == "JD-E-02"


def test_the_sub_units_staff_see_the_case_and_the_parent_keeps_seeing_it(tier_users):
    u = tier_users
    case = forwarded_to_community(u)
    for name in ("clerk_jde", "clerk_jde01"):
        assert selectors.cases_visible_to(u[name]).filter(pk=case.pk).exists(), name
        assert selectors.case_for_user(u[name], case.tracking_no) == case
    for name in ("clerk_jde02", "clerk_jdw", "clerk_cgj"):
        assert not selectors.cases_visible_to(u[name]).filter(pk=case.pk).exists(), name
    assert selectors.department_inbox(u["clerk_jde01"])["to_sign"].get() == case
    assert selectors.department_inbox(u["clerk_jde"])["forwarded"].get() == case
    assert not selectors.department_inbox(u["clerk_jde"])["to_sign"].exists()


def test_the_parent_may_not_act_for_the_sub_unit_nor_the_sub_unit_review_itself(tier_users):
    u = tier_users
    case = forwarded_to_community(u)
    with pytest.raises(CasePermissionDenied):
        services.case_sign_for(case=case, actor=u["clerk_jde"], now=MONDAY)
    services.case_sign_for(case=case, actor=u["clerk_jde01"], now=MONDAY)
    services.case_reply(case=case, actor=u["clerk_jde01"], text="已处理。", now=MONDAY, **reply_kwargs(at=MONDAY))
    before = footprint(case)
    for actor in ("clerk_jde01", "dispatcher", "clerk_jdw"):
        with pytest.raises((CasePermissionDenied, services.CaseNotFound)):
            forwarding.case_approve_up(case=case, actor=u[actor], now=TUESDAY)
    with pytest.raises(CaseConflict):  # the dispatcher's approve is for replied cases only
        services.case_approve(case=case, actor=u["dispatcher"], now=TUESDAY)
    assert footprint(case) == before


@pytest.mark.parametrize(
    ("target", "error"),
    [
        ("JD-W-01", CasePermissionDenied),  # another street office's community: outside the subtree
        ("GOV", CasePermissionDenied),  # upwards
        ("CGJ-E", CasePermissionDenied),  # another department's squad
        ("JD-E", CaseValidationError),  # itself
        ("NOPE", CaseValidationError),  # unknown
    ],
)
def test_forwarding_outside_the_own_subtree_or_to_a_non_sub_unit_is_refused_and_changes_nothing(
    tier_users, target, error
):
    u = tier_users
    case = signed_at_street_office(u)
    before = footprint(case)
    with pytest.raises(error) as exc:
        forwarding.case_forward(case=case, actor=u["clerk_jde"], department=target, instructions="请处理", now=TUESDAY)
    if error is CaseValidationError:
        assert "department" in exc.value.fields
    assert footprint(case) == before


def test_forwarding_past_a_direct_sub_unit_is_refused(tier_users):
    u = tier_users
    Department.objects.create(
        code="JD-E-01-G1", name_zh="东湖社区第一网格", parent=Department.objects.get(code="JD-E-01")
    )
    case = signed_at_street_office(u)
    before = footprint(case)
    with pytest.raises(CaseValidationError) as exc:
        forwarding.case_forward(
            case=case, actor=u["clerk_jde"], department="JD-E-01-G1", instructions="请处理", now=TUESDAY
        )
    assert "直属下级" in exc.value.message
    assert footprint(case) == before


def test_forwarding_a_case_not_signed_for_is_a_conflict_and_by_another_department_is_refused(tier_users):
    u = tier_users
    case = CaseFactory(actor=u["agent"], now=MONDAY)
    case = services.case_assign(case=case, actor=u["dispatcher"], department="JD-E", instructions="", now=MONDAY)
    before = footprint(case)
    with pytest.raises(CaseConflict):
        forwarding.case_forward(case=case, actor=u["clerk_jde"], department="JD-E-01", instructions="请处理")
    assert footprint(case) == before
    signed = services.case_sign_for(case=case, actor=u["clerk_jde"], now=MONDAY)
    before = footprint(signed)
    with pytest.raises(CasePermissionDenied):
        forwarding.case_forward(case=signed, actor=u["dispatcher"], department="JD-E-01", instructions="请处理")
    with pytest.raises(CaseValidationError):  # instructions are required
        forwarding.case_forward(case=signed, actor=u["clerk_jde"], department="JD-E-01", instructions=" ")
    assert footprint(signed) == before


def test_forwarding_transitions_check_the_named_permission(tier_users):
    # The same check as tests/cases/test_case_action.py's: the FSM's permission is the service's.
    from cases import rules

    declared = {t.name: t.permission for t in Case().get_all_state_transitions()}
    assert declared["forward"] is rules.may_forward
    assert declared["return_up"] is rules.may_handle
    assert declared["approve_up"] is rules.may_review_sub_reply
    assert declared["send_down"] is rules.may_review_sub_reply
    assert declared["dispute"] is rules.may_dispute
    assert declared["arbitrate"] is rules.may_arbitrate


def test_a_reopened_forwarded_case_starts_again_at_the_lead_department(tier_users):
    u = tier_users
    case = forwarded_to_community(u)
    services.case_sign_for(case=case, actor=u["clerk_jde01"], now=MONDAY)
    services.case_reply(case=case, actor=u["clerk_jde01"], text="已处理。", now=MONDAY, **reply_kwargs(at=MONDAY))
    forwarding.case_approve_up(case=case, actor=u["clerk_jde"], now=MONDAY)
    services.case_approve(case=case, actor=u["dispatcher"], now=MONDAY)
    case = services.case_reopen(case=case, actor=u["supervisor"], reason="群众反映仍未解决。", now=TUESDAY)
    assert (case.state, case.department.code, case.handling_department_id) == (State.ASSIGNED, "JD-E", None)
    open_levels = CaseAssignment.objects.filter(case=case, ended_at__isnull=True)
    assert list(open_levels.values_list("department__code", "level")) == [("JD-E", 0)]
    # The community that handled the first round still sees the case it worked on.
    assert selectors.cases_visible_to(u["clerk_jde01"]).filter(pk=case.pk).exists()


def test_assignment_counts_count_a_case_at_every_level_it_passed(tier_users):
    u = tier_users
    forwarded_to_community(u)
    counts = forwarding.assignment_counts(since=MONDAY - dt.timedelta(days=1), until=WEDNESDAY)
    assert counts["JD-E"] == {"received": 1, "forwarded_in": 0}
    assert counts["JD-E-01"] == {"received": 1, "forwarded_in": 1}


def test_the_citizen_is_told_the_lead_departments_deadline_while_a_sub_unit_holds_the_case(tier_users):
    from sla.deadlines import citizen_deadline

    u = tier_users
    case = forwarded_to_community(u, forward_at=TUESDAY)
    parent = live(case, Stage.REPLY, "JD-E")
    # The community's own reply clock is capped at (here: equal to) the parent's, but a shorter
    # policy term would end earlier; what the citizen hears is always the street office's.
    Timer.objects.filter(case=case, department__code="JD-E-01", stage=Stage.REPLY).update(
        due_at=parent.due_at - dt.timedelta(days=3)
    )
    case = Case.objects.get(pk=case.pk)
    assert citizen_deadline(case, now=TUESDAY).due_at == parent.due_at
    services.case_sign_for(case=case, actor=u["clerk_jde01"], now=TUESDAY)
    services.case_reply(case=case, actor=u["clerk_jde01"], text="已处理。", now=TUESDAY, **reply_kwargs(at=TUESDAY))
    case = Case.objects.get(pk=case.pk)
    told = citizen_deadline(case, now=TUESDAY)
    assert (told.due_at, told.status) == (parent.due_at, "running")


def test_a_sub_unit_may_not_extend_its_clock_past_the_parents_reply_deadline(tier_users):
    from sla import services as sla_services

    u = tier_users
    case = forwarded_to_community(u, forward_at=TUESDAY)
    parent = live(case, Stage.REPLY, "JD-E")
    # Start the community on a shorter clock than the street office's.
    Timer.objects.filter(case=case, department__code="JD-E-01", stage=Stage.REPLY).update(
        due_at=parent.due_at - dt.timedelta(days=3)
    )
    services.case_sign_for(case=case, actor=u["clerk_jde01"], now=TUESDAY)
    later = (parent.due_at + dt.timedelta(days=1)).isoformat()
    with pytest.raises(CaseValidationError) as exc:
        sla_services.extension_request(
            case=case, actor=u["clerk_jde01"], until=later, reason="需要更多时间", now=TUESDAY
        )
    assert "until" in exc.value.fields
    ext = sla_services.extension_request(
        case=case, actor=u["clerk_jde01"], until=parent.due_at.isoformat(), reason="需要更多时间", now=TUESDAY
    )
    assert ext.until == parent.due_at and ext.department.code == "JD-E-01"
