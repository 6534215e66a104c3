"""Assisting departments (协办单位) give their opinion on a clock of their own (issue 13)."""

from __future__ import annotations

import pytest

from cases import answer_services, services
from cases.exceptions import CasePermissionDenied
from notifications.models import Outbox
from sla import sweeper
from sla.enums import Stage, TimerStatus
from sla.models import SupervisionOrder, Timer
from tests.factories import CaseFactory, reply_kwargs
from tests.sla.fixtures import at, clock, published  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def assisted(users, clock):
    """Assigned to CGJ on Monday 09:30 with HBJ and SJJ assisting."""
    case = CaseFactory(actor=users["agent"])
    return services.case_assign(
        case=case, actor=users["dispatcher"], department="CGJ", assisting_departments=["HBJ", "SJJ"]
    )


def assist_timers(case) -> dict[str, Timer]:
    return {
        t.department.code: t for t in Timer.objects.filter(case=case, stage=Stage.ASSIST).select_related("department")
    }


def test_each_assisting_department_gets_its_own_two_working_day_clock(assisted):
    timers = assist_timers(assisted)
    assert set(timers) == {"HBJ", "SJJ"}
    assert {t.due_at for t in timers.values()} == {at(2026, 11, 25, 17, 30)}
    assert {t.status for t in timers.values()} == {TimerStatus.RUNNING}


def test_an_opinion_meets_that_departments_clock_and_the_lead_department_is_told(users, assisted, clock):
    clock.set(at(2026, 11, 24, 15, 0))
    opinion = answer_services.case_give_assist_opinion(
        case=assisted, actor=users["clerk_hbj"], text="该路段排水由我局负责，已安排清淤。"
    )
    assert (opinion.department.code, opinion.author, opinion.at) == ("HBJ", users["clerk_hbj"], clock.now)
    timers = assist_timers(assisted)
    assert (timers["HBJ"].status, timers["HBJ"].stopped_at) == (TimerStatus.MET, clock.now)
    assert (timers["SJJ"].status, timers["SJJ"].stopped_at) == (TimerStatus.RUNNING, None)
    told = Outbox.objects.filter(case=assisted, template="assist_opinion", channel="inapp")
    assert {r.recipient.username for r in told} == {"clerk_cgj", "head_cgj"}
    assert told[0].context["note"] == "该路段排水由我局负责，已安排清淤。"
    event = assisted.events.order_by("-seq").first()
    assert (event.transition, event.public) == ("cases.assist.opinion", False)


def test_only_an_assisting_department_gives_an_opinion(users, assisted):
    for who in ("clerk_cgj", "dispatcher", "supervisor"):
        with pytest.raises(CasePermissionDenied):
            answer_services.case_give_assist_opinion(case=assisted, actor=users[who], text="意见")
    assert not assisted.assist_opinions.exists()


def test_a_missing_opinion_breaches_and_escalates_to_the_assisting_department(users, assisted, clock, published):
    answer_services.case_give_assist_opinion(case=assisted, actor=users["clerk_hbj"], text="已处理。")
    clock.set(at(2026, 11, 25, 17, 31))
    worker = sweeper.Sweeper()
    while worker.step(now=clock.now):
        pass
    timers = assist_timers(assisted)
    assert (timers["SJJ"].status, timers["SJJ"].escalation_level) == (TimerStatus.BREACHED, 1)
    assert timers["HBJ"].status == TimerStatus.MET
    order = SupervisionOrder.objects.get(case=assisted, timer=timers["SJJ"])
    assert (order.level, order.department.code) == (1, "SJJ")


def test_the_lead_departments_reply_stops_the_opinion_clocks_still_running(users, assisted, clock):
    services.case_sign_for(case=assisted, actor=users["clerk_cgj"])
    clock.set(at(2026, 11, 24, 10, 0))
    services.case_reply(**reply_kwargs(), case=assisted, actor=users["clerk_cgj"], text="已处理。")
    assert {t.stopped_at for t in assist_timers(assisted).values()} == {clock.now}
