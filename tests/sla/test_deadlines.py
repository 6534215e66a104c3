"""sla.deadlines, the read APIs every edge uses: one definition of a live timer, one colour rule (the
same in Python and as the board's filter), one clock per list row, and no query per row.

Time is pinned with time-machine. The case is registered and assigned on Monday 23 November 2026,
09:30 Shanghai: its sign-for clock runs one working day (warns at 80 % on Tuesday, due Tuesday 17:30).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
import time_machine
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.enums import State
from cases.models import Case
from sla import board, sweeper
from sla.deadlines import (
    clock_colour,
    colour_condition,
    live_timers,
    prefetch_timers,
    row_clock,
)
from sla.enums import ClockColour, Stage, TimerStatus
from sla.models import Timer
from sla.serializers import TIMER_FIELDS, timer_data, timers_data
from tests.factories import CaseFactory, make_case_in_state, reply_kwargs
from tests.sla.fixtures import at

pytestmark = pytest.mark.django_db

START = at(2026, 11, 23, 9, 30)  # Monday


@pytest.fixture
def pinned() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def assigned(users, pinned) -> Case:
    return make_case_in_state(State.ASSIGNED, users)


def sign_for(case: Case) -> Timer:
    return Timer.objects.get(case=case, stage=Stage.SIGN_FOR)


# --- the colour rule ---------------------------------------------------------------------------


def test_a_clock_is_green_before_warn_at_amber_from_warn_at_and_red_from_its_deadline(assigned, pinned):
    timer = sign_for(assigned)
    assert START < timer.warn_at < timer.due_at == at(2026, 11, 24, 17, 30)
    second = dt.timedelta(seconds=1)
    assert clock_colour(timer, now=timer.warn_at - second) == ClockColour.RUNNING
    assert clock_colour(timer, now=timer.warn_at) == ClockColour.WARNING
    assert clock_colour(timer, now=timer.due_at - second) == ClockColour.WARNING
    assert clock_colour(timer, now=timer.due_at) == ClockColour.BREACHED
    # the sweeper marking it changes nothing: the rule already said so at those moments
    pinned.move_to(timer.warn_at)
    sweeper.Sweeper().step(now=timer.warn_at)
    timer.refresh_from_db()
    assert timer.warned_at is not None and clock_colour(timer, now=timer.warn_at) == ClockColour.WARNING
    pinned.move_to(timer.due_at)
    sweeper.Sweeper().step(now=timer.due_at)
    timer.refresh_from_db()
    assert timer.status == TimerStatus.BREACHED and clock_colour(timer, now=timer.due_at) == ClockColour.BREACHED


def test_a_paused_clock_is_grey_and_a_stopped_one_is_met_or_red(users, assigned, pinned):
    pinned.move_to(at(2026, 11, 23, 10, 0))
    case = services.case_hold(case=assigned, actor=users["clerk_cgj"], reason="等待补充材料。")
    paused = sign_for(case)
    assert paused.status == TimerStatus.PAUSED
    assert clock_colour(paused, now=paused.due_at + dt.timedelta(days=3)) == ClockColour.PAUSED
    case = services.case_resume(case=case, actor=users["clerk_cgj"])
    case = services.case_sign_for(case=case, actor=users["clerk_cgj"])
    stopped = sign_for(case)
    assert clock_colour(stopped, now=stopped.due_at + dt.timedelta(days=3)) == ClockColour.MET
    late = make_case_in_state(State.ASSIGNED, users)
    pinned.move_to(at(2026, 11, 25, 9, 0))  # a day after its sign-for deadline
    services.case_sign_for(case=late, actor=users["clerk_cgj"])
    assert clock_colour(sign_for(late), now=timezone.now()) == ClockColour.BREACHED


@pytest.mark.parametrize(
    "moment",
    [
        at(2026, 11, 23, 9, 30),
        at(2026, 11, 24, 10, 0),
        at(2026, 11, 24, 16, 0),
        at(2026, 11, 24, 17, 30),
        at(2026, 11, 26, 9, 0),
        at(2026, 12, 11, 9, 0),
    ],
)
def test_the_boards_filter_paints_every_live_clock_the_colour_clock_colour_gives(users, pinned, moment):
    make_case_in_state(State.IN_PROGRESS, users)
    make_case_in_state(State.ASSIGNED, users)
    CaseFactory(actor=users["agent"])
    held = make_case_in_state(State.IN_PROGRESS, users, department="HBJ")
    services.case_hold(case=held, actor=users["clerk_hbj"], reason="等待补充材料。")
    pinned.move_to(at(2026, 11, 24, 12, 0))
    sweeper.Sweeper().step(now=timezone.now())  # some clocks marked by the worker, others not yet
    expected = {t.pk: clock_colour(t, now=moment) for t in Timer.objects.filter(stopped_at__isnull=True)}
    by_filter = {}
    for colour in (ClockColour.RUNNING, ClockColour.WARNING, ClockColour.BREACHED, ClockColour.PAUSED):
        for pk in Timer.objects.filter(colour_condition(colour, now=moment)).values_list("pk", flat=True):
            assert pk not in by_filter, "a clock in two colours"
            by_filter[pk] = colour
    assert by_filter == expected
    # and the board's counts are those colours
    rows = board.board_rows(moment)
    counted = {c: sum(r[c] for r in rows) for c in ("running", "warning", "breached", "paused")}
    live = Timer.objects.filter(stopped_at__isnull=True, stage__in=board.BOARD_STAGES)
    assert counted == {c: sum(1 for t in live if expected[t.pk] == c) for c in counted}


def test_an_inbox_row_shows_one_clock_in_one_colour(client, users, assigned, pinned):
    pinned.move_to(at(2026, 11, 24, 16, 0))  # sign-for amber (past 80 %), reply still green
    assert clock_colour(sign_for(assigned), now=timezone.now()) == ClockColour.WARNING
    reply = Timer.objects.get(case=assigned, stage=Stage.REPLY)
    assert clock_colour(reply, now=timezone.now()) == ClockColour.RUNNING
    client.force_login(users["clerk_cgj"])
    html = client.get(reverse("console:inbox")).content.decode()
    row = re.search(rf'<tr id="case-{assigned.tracking_no}">(.*?)</tr>', html, re.S)[1]
    assert re.findall(r"sla-(running|warning|breached|paused|met)\b", row) == ["warning"]
    assert '<span class="sla-badge sla-warning" title="签收 · 期限 2026-11-24 17:30">签收' in row
    pinned.move_to(at(2026, 11, 24, 17, 30))  # red at the deadline, before any worker has run
    html = client.get(reverse("console:inbox")).content.decode()
    row = re.search(rf'<tr id="case-{assigned.tracking_no}">(.*?)</tr>', html, re.S)[1]
    assert re.findall(r"sla-(running|warning|breached|paused|met)\b", row) == ["breached"]


def test_the_queue_and_the_case_page_use_the_same_colour(client, users, pinned):
    case = CaseFactory(actor=users["agent"])  # triage due 11:30, warns 11:06
    pinned.move_to(at(2026, 11, 23, 11, 10))
    client.force_login(users["dispatcher"])
    queue = client.get(reverse("console:queue")).content.decode()
    assert '<span class="sla-badge sla-warning" title="分拨 · 期限 2026-11-23 11:30">' in queue
    page = client.get(reverse("console:case", args=[case.tracking_no])).content.decode()
    assert '<tr class="clock-triage"><td>分拨</td><td>2026-11-23 11:30</td><td><span class="sla-warning">' in page


# --- live timers, list rows, the API shape ------------------------------------------------------


def test_live_means_not_stopped_running_paused_or_breached(users, pinned):
    late = make_case_in_state(State.IN_PROGRESS, users)
    held = make_case_in_state(State.IN_PROGRESS, users)
    pinned.move_to(at(2026, 11, 24, 10, 0))
    held = services.case_hold(case=held, actor=users["clerk_cgj"], reason="等待补充材料。")
    pinned.move_to(at(2026, 12, 11, 9, 0))
    while sweeper.Sweeper().step(now=timezone.now()):
        pass
    # triage, sign-for and the return window stopped: not live; the breached and the paused reply clocks are
    assert {t.stage: t.status for t in live_timers(late)} == {Stage.REPLY: TimerStatus.BREACHED}
    assert {t.stage: t.status for t in live_timers(held)} == {Stage.REPLY: TimerStatus.PAUSED}
    running = make_case_in_state(State.ASSIGNED, users)
    assert {t.stage for t in live_timers(running)} == {Stage.SIGN_FOR, Stage.RETURN_WINDOW, Stage.REPLY}
    assert live_timers(Case.objects.filter(pk__in=[late.pk, held.pk, running.pk])).count() == 5


def test_row_clocks_of_a_whole_list_cost_one_query_for_the_timers(users, pinned, django_assert_num_queries):
    for state in (State.REGISTERED, State.ASSIGNED, State.IN_PROGRESS, State.REPLIED, State.CLOSED):
        make_case_in_state(state, users)
    with django_assert_num_queries(2):  # the cases, then all their timers
        clocks = [row_clock(c, now=timezone.now()) for c in prefetch_timers(Case.objects.order_by("pk"))]
    assert [c.stage if c else None for c in clocks] == [Stage.TRIAGE, Stage.SIGN_FOR, Stage.REPLY, Stage.REVIEW, None]


def test_a_timer_is_serialised_with_the_api_md_fields_and_its_id(assigned):
    rows = timers_data(assigned)
    assert [r["stage"] for r in rows] == [Stage.TRIAGE, Stage.SIGN_FOR, Stage.RETURN_WINDOW, Stage.REPLY]
    assert (
        tuple(rows[0])
        == TIMER_FIELDS
        == ("id", "stage", "started_at", "due_at", "warn_at", "status", "calendar_incomplete")
    )
    assert timer_data(sign_for(assigned))["due_at"] == "2026-11-24T17:30:00+08:00"
    assert Timer.objects.filter(case=assigned).aggregate(n=Count("pk"))["n"] == len(rows)
    assert {r["id"] for r in rows} == set(Timer.objects.filter(case=assigned).values_list("pk", flat=True))


def test_the_case_detail_api_lists_the_timers_in_that_shape(users, assigned):
    from tests.web.api.api_helpers import staff_client

    body = staff_client(users["clerk_cgj"]).get(f"/api/v1/cases/{assigned.tracking_no}/").json()
    assert body["timers"] == timers_data(assigned)


def test_the_api_overdue_filter_lists_the_cases_with_a_red_clock_not_those_replied_late(users, pinned):
    from tests.web.api.api_helpers import staff_client

    late = make_case_in_state(State.IN_PROGRESS, users)  # reply due 10 December
    answered_late = make_case_in_state(State.IN_PROGRESS, users)
    pinned.move_to(at(2026, 12, 11, 9, 0))  # no worker has run: the rule alone makes them red
    services.case_reply(**reply_kwargs(), case=answered_late, actor=users["clerk_cgj"], text="已处理。")
    fresh = make_case_in_state(State.IN_PROGRESS, users)
    client = staff_client(users["dispatcher"])
    overdue = client.get("/api/v1/cases/", {"overdue": "true"}).json()
    assert [row["tracking_no"] for row in overdue["results"]] == [late.tracking_no]
    not_overdue = client.get("/api/v1/cases/", {"overdue": "false"}).json()
    assert {row["tracking_no"] for row in not_overdue["results"]} == {answered_late.tracking_no, fresh.tracking_no}
