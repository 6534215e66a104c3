"""One dispatch desk for every app: the reports count an unassigned case against it, the sla
clocks run against it before assignment, and the notifications reach its staff."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases.enums import Role
from cases.models import Department
from cases.selectors import dispatch_department
from notifications.enums import Template
from notifications.outbox import notify_deadline
from sla.models import Timer
from tests.factories import CaseFactory, UserFactory
from web.figures import metrics

pytestmark = pytest.mark.django_db

# An ordinary Monday morning: the triage clock starts at once.
MONDAY = dt.datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def what_each_app_uses(users: dict) -> tuple[str, str, set[str]]:
    """(the report's row of an unassigned case, the triage timer's department, who is told)."""
    with time_machine.travel(MONDAY, tick=False):
        case = CaseFactory(actor=users["agent"])  # registered, no department yet
        rows = metrics.department_figures(MONDAY.date().replace(day=1))
        told = notify_deadline(case=case, template=Template.TIMER_WARNING, key=f"t:{case.pk}")
    reported = [r.department.code for r in rows if r.registered]
    assert len(reported) == 1
    timer = Timer.objects.get(case=case, stage="triage")
    return reported[0], timer.department.code, {m.recipient.department.code for m in told}


def test_with_two_active_dispatch_desks_every_app_picks_the_same_one_by_code(users):
    extra = Department.objects.create(code="AAA", name_zh="备用分拨中心", is_dispatch=True)
    UserFactory(username="dispatcher_aaa", role=Role.DISPATCHER, department_code="AAA")
    assert dispatch_department() == extra  # before: sla by code (AAA), notifications by pk (XFJ)
    assert what_each_app_uses(users) == ("AAA", "AAA", {"AAA"})


def test_an_inactive_dispatch_desk_is_never_picked(users):
    Department.objects.filter(code="XFJ").update(active=False)
    Department.objects.create(code="ZZZ", name_zh="新分拨中心", is_dispatch=True)
    UserFactory(username="dispatcher_zzz", role=Role.DISPATCHER, department_code="ZZZ")
    assert dispatch_department().code == "ZZZ"  # before: the reports still counted against XFJ
    assert what_each_app_uses(users) == ("ZZZ", "ZZZ", {"ZZZ"})


def test_no_dispatch_desk_is_none_not_an_error(org):
    Department.objects.filter(is_dispatch=True).update(active=False)
    assert dispatch_department() is None
