"""Racing citizens on PostgreSQL (real connections, real row locks): two urges of one case at once
make one urge and one 429; a supplement that waits for the dispatcher's approval is refused as a
conflict once the case is answered — never written to an answered case, never a 500."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import time_machine
from django.db import transaction

from cases import services
from cases.enums import State
from cases.exceptions import CaseConflict, CaseRateLimited
from cases.models import Case
from cases.supplements import case_supplement
from sla.urges import case_urge
from tests.cases.test_concurrency import in_thread, until_waiting
from tests.factories import make_case_in_state
from tests.sla.fixtures import at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_urges_at_once_make_one_urge_and_one_429(org, users):
    with time_machine.travel(at(2026, 11, 23, 9, 30), tick=False):
        case = make_case_in_state(State.IN_PROGRESS, users)
    holding, release = threading.Event(), threading.Event()
    results: dict[str, Any] = {}
    overdue = at(2026, 12, 11, 9, 0)

    def first() -> Case:
        with transaction.atomic():
            urged = case_urge(case=case, now=overdue)
            holding.set()
            release.wait(30)
        return urged

    def second() -> Case:
        return case_urge(case=case, now=overdue)

    t1 = in_thread(results, "first", first)
    holding.wait(30)
    t2 = in_thread(results, "second", second)
    until_waiting(1)
    release.set()
    t1.join(30)
    t2.join(30)

    assert isinstance(results["first"], Case)
    assert isinstance(results["second"], CaseRateLimited)
    assert case.events.filter(transition="sla.citizen.urged").count() == 1


def test_a_supplement_racing_the_approval_waits_and_is_then_refused_never_lost(org, users):
    case = make_case_in_state(State.REPLIED, users)  # still open: a supplement is welcome until the answer
    holding, release = threading.Event(), threading.Event()
    results: dict[str, Any] = {}

    def approve() -> Case:
        with transaction.atomic():
            answered = services.case_approve(case=case, actor=users["dispatcher"], answer="已处理。")
            holding.set()
            release.wait(30)
        return answered

    def supplement() -> Case:
        return case_supplement(case=case, text="还有一点要补充。", via="api")

    t1 = in_thread(results, "approve", approve)
    holding.wait(30)
    t2 = in_thread(results, "supplement", supplement)
    until_waiting(1)  # the supplement waits for the case's row lock
    release.set()
    t1.join(30)
    t2.join(30)

    assert isinstance(results["approve"], Case)
    assert isinstance(results["supplement"], CaseConflict) and results["supplement"].state == State.ANSWERED
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.state == State.ANSWERED
    assert not fresh.events.filter(transition="supplement").exists()
