"""The 三率 ranking against hand-computed values on a small data set (November 2026, CN calendar:
Monday 2 November; a response is due by 17:30 of the next working day after the assignment)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cases import services
from cases.enums import DissatisfiedReason, Rating
from cases.models import Department
from stats.models import RankingSettings
from stats.ranking import month_ranking, ranked_units
from tests.factories import CaseFactory, reply_kwargs

from .helpers import at, citizen_says_resolved, contact

pytestmark = pytest.mark.django_db
NOV, OCT = date(2026, 11, 1), date(2026, 10, 1)


def _answered(users, department: str, *, assigned, contacted=None, rating=None, resolved=None, reply=True):
    d = users["dispatcher"]
    clerk = users["clerk_cgj"] if department.startswith("CGJ") else users["clerk_hbj"]
    case = CaseFactory(actor=users["agent"], now=assigned.replace(hour=9))
    services.case_assign(case=case, actor=d, department=department, now=assigned)
    if contacted is not None:
        contact(case, d, contacted)
    if not reply:
        return case
    services.case_sign_for(case=case, actor=clerk, now=assigned.replace(hour=16))
    services.case_reply(
        case=case,
        actor=clerk,
        text="已处理。",
        now=assigned.replace(day=assigned.day + 3),
        # the contact was recorded above (``contacted``): the reply gives only its result
        **reply_kwargs(contact=None),
    )
    services.case_approve(case=case, actor=d, now=assigned.replace(day=assigned.day + 3, hour=15))
    if rating:
        services.case_feedback(
            case=case,
            actor=None,
            rating=rating,
            # a dissatisfied rating must say why (citizen follow-up); the case awaits the decision
            reason=DissatisfiedReason.NOT_SOLVED if rating == Rating.DISSATISFIED else "",
            now=assigned.replace(day=assigned.day + 4),
        )
    if resolved is not None:
        citizen_says_resolved(case, resolved, assigned.replace(day=assigned.day + 4, hour=16))
    return case


@pytest.fixture
def ranked(users):
    """CGJ in November: c1 contacted the same afternoon, satisfied, solved; c2 contacted three
    days late, dissatisfied, not solved; c3 forwarded to its squad CGJ-E, not contacted yet.
    HBJ in November: h1 contacted in time, satisfied, solved. October: CGJ contacted in time,
    HBJ not (so October ranks CGJ first). November's weights version: a board of one."""
    _answered(users, "CGJ", assigned=at(11, 2), contacted=at(11, 2, 15), rating=Rating.SATISFIED, resolved=True)
    _answered(users, "CGJ", assigned=at(11, 3), contacted=at(11, 6), rating=Rating.DISSATISFIED, resolved=False)
    _answered(users, "CGJ-E", assigned=at(11, 4), reply=False)
    _answered(users, "HBJ", assigned=at(11, 2), contacted=at(11, 3, 17), rating=Rating.SATISFIED, resolved=True)
    _answered(users, "CGJ", assigned=at(10, 12), contacted=at(10, 12, 15), reply=False)
    _answered(users, "HBJ", assigned=at(10, 12), reply=False)
    RankingSettings.objects.create(valid_from=NOV, board_size=1)


def _row(ranking, code):
    return next(r for r in ranking.rows if r.department.code == code)


def test_department_rates_scores_and_ranks_match_the_hand_computed_values(ranked) -> None:
    ranking = month_ranking(NOV, level="department")
    cgj, hbj = _row(ranking, "CGJ"), _row(ranking, "HBJ")
    # CGJ (with its squad): 1 of 3 responded in time, 1 of 2 solved, 1 of 2 satisfied, 2 of 2 on time.
    assert cgj.rates == {
        "response_rate": 0.3333,
        "resolution_rate": 0.5,
        "satisfaction_rate": 0.5,
        "on_time_rate": 1.0,
        "first_contact_rate": None,  # no hotline case
    }
    # (25 × 0.3333 + 25 × 0.5 + 30 × 0.5 + 20 × 1.0) ÷ 100 × 100; the first-contact rate has no base.
    assert cgj.score == 55.83
    assert hbj.rates["response_rate"] == 1.0 and hbj.score == 100.0
    assert (hbj.rank, cgj.rank) == (1, 2)
    # October: CGJ 100 (responded), HBJ 0 (did not): the places swapped.
    assert (hbj.previous_rank, hbj.rank_change, cgj.previous_rank, cgj.rank_change) == (2, 1, 1, -1)
    assert cgj.last_year_rank is None and cgj.rank_change_yoy is None
    # Units with no case have no score and no rank, listed after the ranked ones.
    assert [r.department.code for r in ranking.rows[:2]] == ["HBJ", "CGJ"]
    assert all(r.rank is None for r in ranking.rows[2:])
    assert [r.department.code for r in ranking.red] == ["HBJ"]
    assert [r.department.code for r in ranking.black] == ["CGJ"]


def test_each_month_is_scored_with_its_own_weights(ranked) -> None:
    RankingSettings.objects.filter(valid_from=NOV).update(
        response_weight=Decimal("100"), resolution_weight=0, satisfaction_weight=0, on_time_weight=0
    )
    ranking = month_ranking(NOV)
    assert _row(ranking, "CGJ").score == 33.33
    assert ranking.weights["response_rate"] == 100.0
    assert month_ranking(OCT).weights["response_rate"] == 25.0  # October keeps the defaults


def test_a_street_office_counts_its_communities(users) -> None:
    d = users["dispatcher"]
    own = CaseFactory(actor=users["agent"], now=at(11, 2, 9))
    services.case_assign(case=own, actor=d, department="JD-E", now=at(11, 2))
    community = CaseFactory(actor=users["agent"], now=at(11, 2, 9))
    services.case_assign(case=community, actor=d, department="JD-E-01", now=at(11, 2))
    contact(community, d, at(11, 3, 17, 29))  # in time: 17:30 of the next working day
    late = CaseFactory(actor=users["agent"], now=at(11, 2, 9))
    services.case_assign(case=late, actor=d, department="JD-W-02", now=at(11, 2))
    contact(late, d, at(11, 3, 17, 31))
    ranking = month_ranking(NOV, level="street")
    assert {r.department.code for r in ranking.rows} == {"JD-E", "JD-W", "JD-S", "JD-N"}
    east, west = _row(ranking, "JD-E"), _row(ranking, "JD-W")
    assert (east.figures.assigned, east.figures.responded, east.score, east.rank) == (2, 1, 50.0, 1)
    assert (west.figures.assigned, west.figures.responded, west.score, west.rank) == (1, 0, 0.0, 2)
    assert month_ranking(NOV, level="department").rows[0].department.code not in {"JD-E", "JD-W"}


def test_the_levels_split_the_units(org) -> None:
    streets, street_of = ranked_units("street")
    departments, department_of = ranked_units("department")
    assert [u.code for u in streets] == ["JD-E", "JD-N", "JD-S", "JD-W"]
    assert "XFJ" not in {u.code for u in departments}  # the dispatch desk is never ranked
    assert {"GOV", "CGJ", "HBJ"} <= {u.code for u in departments}
    ids = dict(Department.objects.values_list("code", "pk"))
    assert street_of[ids["JD-E-01"]].code == "JD-E"
    assert department_of[ids["CGJ-E"]].code == "CGJ"
    assert ids["CGJ-E"] not in street_of and ids["JD-E-01"] not in department_of


def test_equal_scores_share_a_rank(users) -> None:
    for dept in ("CGJ", "HBJ", "ZJJ"):
        case = CaseFactory(actor=users["agent"], now=at(11, 2, 9))
        services.case_assign(case=case, actor=users["dispatcher"], department=dept, now=at(11, 2))
        if dept != "ZJJ":
            contact(case, users["dispatcher"], at(11, 2, 11))
    ranking = month_ranking(NOV)
    assert [(r.department.code, r.rank) for r in ranking.rows[:3]] == [("CGJ", 1), ("HBJ", 1), ("ZJJ", 3)]
