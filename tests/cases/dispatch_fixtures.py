"""Shared setup of the multi-tier dispatch tests: the street office's and community's clerks, and a
case walked to the point each test starts from. Time is pinned by the tests (time_machine)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cases import forwarding, services
from cases.enums import Role
from tests.factories import CaseFactory, UserFactory

SH = ZoneInfo("Asia/Shanghai")
# Monday of a week without holidays (23-27 Nov 2026), and the days after it.
MONDAY = dt.datetime(2026, 11, 23, 9, 30, tzinfo=SH)
TUESDAY = MONDAY + dt.timedelta(days=1)
WEDNESDAY = MONDAY + dt.timedelta(days=2)


@pytest.fixture
def tier_users(users):
    """The demo users of issue 12 beside the usual ones."""
    return {
        **users,
        "clerk_jde": UserFactory(username="clerk_jde", role=Role.CLERK, department_code="JD-E"),
        "clerk_jde01": UserFactory(username="clerk_jde01", role=Role.CLERK, department_code="JD-E-01"),
        "clerk_jde02": UserFactory(username="clerk_jde02", role=Role.CLERK, department_code="JD-E-02"),
        "clerk_jdw": UserFactory(username="clerk_jdw", role=Role.CLERK, department_code="JD-W"),
        "clerk_cgje": UserFactory(username="clerk_cgje", role=Role.CLERK, department_code="CGJ-E"),
    }


def signed_at_street_office(u: dict, *, at: dt.datetime = MONDAY, **overrides):
    """A complaint assigned to 东湖街道 (JD-E) and signed for there at ``at``."""
    case = CaseFactory(actor=u["agent"], now=at, **overrides)
    case = services.case_assign(case=case, actor=u["dispatcher"], department="JD-E", instructions="请核实", now=at)
    return services.case_sign_for(case=case, actor=u["clerk_jde"], now=at)


def forwarded_to_community(u: dict, *, at: dt.datetime = MONDAY, forward_at: dt.datetime | None = None, **overrides):
    case = signed_at_street_office(u, at=at, **overrides)
    return forwarding.case_forward(
        case=case,
        actor=u["clerk_jde"],
        department="JD-E-01",
        instructions="请社区上门核实，三日内回复街道。",
        now=forward_at or at,
    )


def returned_by_cgj(u: dict, *, at: dt.datetime = MONDAY):
    """A case assigned to 城管局 (CGJ) and returned by it as not its remit: back with the dispatcher."""
    case = CaseFactory(actor=u["agent"], now=at)
    services.case_assign(case=case, actor=u["dispatcher"], department="CGJ", instructions="", now=at)
    return services.case_return(case=case, actor=u["clerk_cgj"], reason="不属本单位职责", now=at)
