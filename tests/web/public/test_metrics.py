"""The §7 definitions against hand-computed values on fixed data (October 2026 cohort)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from cases import services
from cases.enums import Channel, Rating, State
from cases.exceptions import CaseValidationError
from cases.models import Case
from sla.models import Timer
from stats.rollups import rollups_refresh
from tests.cases.publication.helpers import at, pin, shift_registered
from tests.factories import CaseFactory, make_case_in_state
from web.figures import metrics

pytestmark = pytest.mark.django_db
OCT = date(2026, 10, 1)


@pytest.fixture(autouse=True)
def _after_october(time_machine):
    # The cohort is written now and moved into October; "now" is a fixed day after it, so the
    # figures (and most_overdue's ``now``) never depend on the day the suite runs.
    time_machine.move_to(at(2026, 11, 25, 10, 0), tick=False)


def _mark_reply_late(case: Case) -> None:
    """The reply came an hour after its reply timer's due time."""
    assert Timer.objects.filter(case=case, stage="reply").exists()
    Timer.objects.filter(case=case, stage="reply").update(due_at=F("stopped_at") - timedelta(hours=1))
    rollups_refresh([case.pk])


@pytest.fixture
def october(users) -> dict[str, Case]:
    """CGJ: A closed satisfied (10 h), B closed dissatisfied with a late reply (30 h), C returned once and in progress.
    HBJ: E closed basically satisfied (20 h), J replied on time, answered (40 h), closed, then reopened.
    Dispatch desk: F rejected, G merged into G2 (registered), H hotline resolved directly (1 h), I hotline registered.
    Outside the month: N closed in November."""
    a = make_case_in_state(State.CLOSED, users)
    b = make_case_in_state(State.ANSWERED, users)
    b = services.case_feedback(case=b, actor=None, rating=Rating.DISSATISFIED, reason="not_solved")
    b = services.case_close(case=b, actor=users["supervisor"], reason="答复符合规定，维持。")  # the decision
    _mark_reply_late(b)
    c = make_case_in_state(State.ASSIGNED, users)
    c = services.case_return(case=c, actor=users["clerk_cgj"], reason="不属于本单位")
    c = services.case_assign(case=c, actor=users["dispatcher"], department="CGJ")
    c = services.case_sign_for(case=c, actor=users["clerk_cgj"])
    e = make_case_in_state(State.ANSWERED, users, department="HBJ")
    e = services.case_feedback(case=e, actor=None, rating=Rating.BASICALLY_SATISFIED)
    j = make_case_in_state(State.CLOSED, users, department="HBJ")
    j = services.case_reopen(case=j, actor=users["supervisor"], department="HBJ", reason="群众反映未解决")
    f = make_case_in_state(State.REJECTED, users)
    g = make_case_in_state(State.MERGED, users)
    g2 = g.duplicate_of
    h = CaseFactory(actor=users["agent"], channel=Channel.HOTLINE)
    h = services.case_resolve_directly(case=h, actor=users["agent"], answer="已告知办理流程。")
    i = CaseFactory(actor=users["agent"], channel=Channel.HOTLINE)
    n = make_case_in_state(State.CLOSED, users)
    hours = {"a": 10, "b": 30, "e": 20, "j": 40, "h": 1}
    cases = {"a": a, "b": b, "c": c, "e": e, "j": j, "f": f, "g": g, "g2": g2, "h": h, "i": i}
    for day, (key, case) in enumerate(sorted(cases.items()), start=1):
        case = shift_registered(case, at(2026, 10, day))
        if key in hours:
            case = pin(case, answered_at=case.registered_at + timedelta(hours=hours[key]))
        cases[key] = case
    cases["n"] = shift_registered(n, at(2026, 11, 2))
    return cases


def _by_code(rows: list[metrics.Figures]) -> dict[str, metrics.Figures]:
    return {r.department.code: r for r in rows}


def test_department_figures_match_the_hand_computed_october_values(october, django_assert_max_num_queries) -> None:
    with django_assert_max_num_queries(5):
        rows = _by_code(metrics.department_figures(OCT))
    assert set(rows) == {"CGJ", "HBJ", "XFJ"}
    cgj, hbj, xfj = rows["CGJ"], rows["HBJ"], rows["XFJ"]
    assert (cgj.registered, cgj.closed, cgj.closure_rate) == (3, 2, 0.6667)
    assert (cgj.replied, cgj.replied_on_time, cgj.on_time_rate) == (2, 1, 0.5)
    assert (cgj.rated, cgj.satisfied, cgj.satisfaction_rate) == (2, 1, 0.5)
    assert (cgj.returned, cgj.reopened, cgj.avg_handling_hours) == (1, 0, 20.0)
    assert (hbj.registered, hbj.closed, hbj.closure_rate) == (2, 1, 0.5)
    assert (hbj.replied, hbj.replied_on_time, hbj.on_time_rate) == (2, 2, 1.0)
    # J was rated satisfied before it was reopened: that round stays counted.
    assert (hbj.rated, hbj.satisfaction_rate, hbj.reopened, hbj.avg_handling_hours) == (2, 1.0, 1, 30.0)
    # The dispatch desk holds the unassigned, rejected, merged and directly resolved cases.
    assert (xfj.registered, xfj.rejected, xfj.merged, xfj.closure_base, xfj.closed) == (5, 1, 1, 3, 0)
    assert xfj.closure_rate == 0.0 and xfj.on_time_rate is None and xfj.satisfaction_rate is None
    assert (xfj.hotline, xfj.resolved_directly, xfj.first_contact_rate) == (2, 1, 0.5)
    assert xfj.avg_handling_hours == 1.0


def test_total_adds_the_departments_up(october) -> None:
    total = metrics.total(metrics.department_figures(OCT))
    assert (total.registered, total.closed, total.closure_base) == (10, 3, 8)
    assert total.closure_rate == 0.375
    assert (total.replied, total.replied_on_time, total.on_time_rate) == (4, 3, 0.75)
    assert (total.rated, total.satisfied, total.satisfaction_rate) == (4, 3, 0.75)
    assert total.avg_handling_hours == round((10 + 30 + 20 + 40 + 1) / 5, 2)


def test_breakdowns_count_channels_and_kinds_per_department(october, django_assert_max_num_queries) -> None:
    with django_assert_max_num_queries(5):
        rows = _by_code(metrics.department_figures(OCT))
    assert rows["XFJ"].by_channel == {"web": 3, "hotline": 2}
    assert rows["CGJ"].by_kind == {"complaint": 3}


def test_most_overdue_lists_the_late_reply_by_how_late_it_was(october) -> None:
    overdue = metrics.most_overdue(OCT, now=timezone.now())
    assert [(o["case"].pk, o["overdue_hours"], o["running"]) for o in overdue] == [(october["b"].pk, 1.0, False)]


def test_top_categories_counts_the_cohort(october) -> None:
    top = metrics.top_categories(OCT)
    assert (top[0]["category"].code, top[0]["count"]) == ("CITY-VEND", 10)


def test_monthly_series_gives_every_month_even_empty_ones(october, django_assert_num_queries) -> None:
    with django_assert_num_queries(1):  # one read of the rollups
        series = metrics.monthly_series(date(2026, 9, 1), date(2026, 11, 1))
    assert [(f.month, f.registered) for f in series] == [(date(2026, 9, 1), 0), (OCT, 10), (date(2026, 11, 1), 1)]
    assert series[1].closure_rate == 0.375 and series[2].closure_rate == 1.0


def test_monthly_series_for_one_department(october, users) -> None:
    from cases.models import Department

    series = metrics.monthly_series(OCT, OCT, department=Department.objects.get(code="CGJ"))
    assert (series[0].registered, series[0].closed) == (3, 2)


def test_month_boundaries_are_in_shanghai_time(users) -> None:
    late = shift_registered(CaseFactory(actor=users["agent"]), at(2026, 10, 31, 23, 59))
    early = shift_registered(CaseFactory(actor=users["agent"]), at(2026, 11, 1, 0, 1))
    assert metrics.total(metrics.department_figures(OCT)).registered == 1
    assert metrics.cohort(date(2026, 11, 1)).filter(pk=early.pk).exists()
    assert metrics.cohort(OCT).filter(pk=late.pk).exists()


@pytest.mark.parametrize("value", ["2026-13", "2026/11", "11-2026", "x" * 500, "2026-1", "1999-01", "2026-11-01"])
def test_a_bad_month_is_a_validation_error(value: str) -> None:
    with pytest.raises(CaseValidationError):
        metrics.parse_month(value)


def test_an_empty_month_is_the_current_one() -> None:
    assert metrics.parse_month("") == metrics.current_month()
    assert metrics.parse_month("2026-02") == date(2026, 2, 1)
