"""Two supervisors deciding one extension request at once: the primitive's row lock makes exactly
one decision, one audit event and one announcement; the other gets a conflict. PostgreSQL only."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from cases.domain import case_changed
from cases.enums import State
from cases.exceptions import CaseConflict
from cases.models import CaseEvent
from sla import services as sla_services
from sla.enums import AuditAction, ExtensionStatus
from sla.models import Extension
from tests.cases.test_concurrency import in_thread, until_waiting
from tests.factories import make_case_in_state

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2026, 11, 24, 10, 0, tzinfo=SH), tick=False):
        yield


def test_a_grant_and_a_refusal_at_once_one_decides_the_other_is_told_it_was_decided(org, users):
    case = make_case_in_state(State.IN_PROGRESS, users)
    ext = sla_services.extension_request(case=case, actor=users["clerk_cgj"], until="2026-12-20", reason="需协调。")
    announced: list[str] = []
    case_changed.connect(lambda sender, **kw: announced.append(kw["action"]), weak=False, dispatch_uid="t.ext")
    holding, release = threading.Event(), threading.Event()
    results: dict[str, Any] = {}

    def grant() -> Extension:
        with transaction.atomic():  # the case row stays locked until this commits
            decided = sla_services.extension_decide(extension=ext.pk, actor=users["supervisor"], grant=True)
            holding.set()
            release.wait(30)
        return decided

    def refuse() -> Extension:
        return sla_services.extension_decide(extension=ext.pk, actor=users["admin"], grant=False, note="不同意。")

    try:
        t1 = in_thread(results, "grant", grant)
        holding.wait(30)
        t2 = in_thread(results, "refuse", refuse)
        until_waiting(1)  # the second supervisor waits on the case row lock
        release.set()
        t1.join()
        t2.join()
    finally:
        case_changed.disconnect(dispatch_uid="t.ext")

    assert isinstance(results["grant"], Extension) and results["grant"].status == ExtensionStatus.GRANTED
    assert isinstance(results["refuse"], CaseConflict)
    assert "已处理" in results["refuse"].message
    assert Extension.objects.get(pk=ext.pk).status == ExtensionStatus.GRANTED
    decisions = CaseEvent.objects.filter(
        case=case, transition__in=[AuditAction.EXTENSION_GRANTED, AuditAction.EXTENSION_REFUSED]
    )
    assert list(decisions.values_list("transition", flat=True)) == [AuditAction.EXTENSION_GRANTED]
    assert announced == [AuditAction.EXTENSION_GRANTED]
    assert CaseEvent.objects.filter(case=case).order_by("-seq").first().transition == AuditAction.EXTENSION_GRANTED
