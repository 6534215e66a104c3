"""Two people at the street office forwarding one case at once (PostgreSQL, real row locks), each to
another community: exactly one wins, the other gets a clear conflict, one level is recorded."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import transaction

from cases import forwarding
from cases.enums import Role
from cases.exceptions import CaseConflict
from cases.models import Case, CaseAssignment
from sla.models import Timer
from tests.cases.dispatch_fixtures import signed_at_street_office
from tests.cases.test_concurrency import in_thread, until_waiting
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_clerks_forwarding_at_once_one_wins_and_one_level_is_recorded(org, users):
    u = {
        **users,
        "clerk_jde": UserFactory(username="clerk_jde", role=Role.CLERK, department_code="JD-E"),
        "head_jde": UserFactory(username="head_jde", role=Role.HEAD, department_code="JD-E"),
    }
    case = signed_at_street_office(u)
    seen = case.version  # both forms were built on the same version (the console and API send it)
    holding, release = threading.Event(), threading.Event()
    results: dict[str, Any] = {}

    def first() -> Case:
        with transaction.atomic():
            done = forwarding.case_forward(
                case=case,
                actor=u["clerk_jde"],
                department="JD-E-01",
                instructions="请东湖社区核实",
                expected_version=seen,
            )
            holding.set()
            release.wait(30)
        return done

    def second() -> Case:
        return forwarding.case_forward(
            case=case, actor=u["head_jde"], department="JD-E-02", instructions="请湖滨社区核实", expected_version=seen
        )

    t1 = in_thread(results, "first", first)
    holding.wait(30)
    t2 = in_thread(results, "second", second)
    until_waiting(1)
    release.set()
    t1.join(30)
    t2.join(30)

    assert isinstance(results["first"], Case), results["first"]
    assert isinstance(results["second"], CaseConflict), results["second"]
    case.refresh_from_db()
    assert case.handling_department.code == "JD-E-01"
    assert list(CaseAssignment.objects.filter(case=case, level=1).values_list("department__code", flat=True)) == [
        "JD-E-01"
    ]
    assert not Timer.objects.filter(case=case, department__code="JD-E-02").exists()
