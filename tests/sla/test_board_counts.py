"""The overdue board's counters (sla.board_counts, PostgreSQL triggers) agree with counting the
timers directly (sla.board.counted_directly, the definition) after every kind of timer write:
registration, assignment, sign-for, hold and resume, a forward to a sub-unit (two live clocks of
one case), replies, extensions, the sweeper's warnings, breaches and escalations, closing, a
deleted timers; at moments the sweeper has not reached yet (colours time changed); and after
compacting and rebuilding. Multi-row statements (the sweeper's set-wise updates) included. That
parallel registrations do not queue on a counter (delta rows are only inserted) is
tests/cases/test_intake_scale.py's open-registration test, which runs through these triggers."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from cases import forwarding, services
from cases.enums import State
from cases.models import Case
from sla import board, board_counts, sweeper
from sla.models import BoardCount, Timer
from tests.cases.dispatch_fixtures import MONDAY, forwarded_to_community, tier_users  # noqa: F401
from tests.factories import CaseFactory, make_case_in_state, reply_kwargs

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the board's counters are kept by PostgreSQL triggers (transition tables)")


def assert_agree(now: dt.datetime) -> tuple[dict, dict]:
    kept_rows, kept_totals = board_counts.counts(now)
    rows, totals = board.counted_directly(now)
    assert kept_totals == totals
    assert kept_rows == {k: v for k, v in rows.items() if any(v.values())}
    return rows, totals


def test_the_counters_agree_with_a_direct_count_through_a_working_week(tier_users, time_machine):
    u = tier_users
    time_machine.move_to(MONDAY, tick=False)
    fresh = CaseFactory(actor=u["agent"])
    assigned = make_case_in_state(State.ASSIGNED, u)
    working = make_case_in_state(State.IN_PROGRESS, u)
    held = make_case_in_state(State.IN_PROGRESS, u, department="HBJ")
    forwarded = forwarded_to_community(u, at=MONDAY)  # the street office's reply clock and the community's
    doomed = make_case_in_state(State.ASSIGNED, u)
    rows, totals = assert_agree(MONDAY)
    assert totals["running"] == 6  # six cases, though most have two live clocks and the forwarded one three
    assert sum(r["running"] for r in rows.values()) == 10  # assigned cases run sign-for and reply clocks

    services.case_hold(case=held, actor=u["clerk_hbj"], reason="等待补充材料。", now=MONDAY + dt.timedelta(hours=1))
    Timer.objects.filter(case=doomed).delete()  # cases are never deleted (audit); their timers can be
    assert_agree(MONDAY + dt.timedelta(hours=1))

    # 11:10: the fresh case's triage clock (due 11:30) is past its warning; the sweeper warns it.
    warned_at = MONDAY + dt.timedelta(minutes=100)
    _, totals = assert_agree(warned_at)
    assert totals["warning"] == 1
    while sweeper.Sweeper().step(now=warned_at):
        pass
    _, totals = assert_agree(warned_at)
    assert totals["warning"] == 1
    assert board_counts.stored_counts()[(True, None, "")]["warning"] == 1  # now stored, not corrected

    # Tuesday: nobody has swept; time alone has turned clocks amber and red.
    tuesday = MONDAY + dt.timedelta(days=1, hours=8)
    time_machine.move_to(tuesday, tick=False)
    _, totals = assert_agree(tuesday)
    assert totals["breached"] >= 1  # the triage of the fresh case and the unsigned sign-for are red
    assert board_counts.stored_counts()[(True, None, "")]["breached"] == 0  # the correction did it

    # The sweeper catches up set-wise (one UPDATE for many timers), escalating what is red.
    while sweeper.Sweeper().step(now=tuesday):
        pass
    _, totals = assert_agree(tuesday)
    assert totals["escalated"] >= 1

    services.case_assign(case=fresh, actor=u["dispatcher"], department="CGJ", instructions="请处理。", now=tuesday)
    services.case_sign_for(case=Case.objects.get(pk=assigned.pk), actor=u["clerk_cgj"], now=tuesday)
    services.case_resume(case=Case.objects.get(pk=held.pk), actor=u["clerk_hbj"], now=tuesday)
    community = services.case_sign_for(case=Case.objects.get(pk=forwarded.pk), actor=u["clerk_jde01"], now=tuesday)
    community = services.case_reply(
        case=community, actor=u["clerk_jde01"], text="社区已核实处理。", now=tuesday, **reply_kwargs(at=tuesday)
    )
    assert_agree(tuesday)
    forwarding.case_approve_up(case=community, actor=u["clerk_jde"], note="同意。", now=tuesday)
    services.case_reply(
        case=Case.objects.get(pk=working.pk),
        actor=u["clerk_cgj"],
        text="已处理完毕。",
        now=tuesday,
        **reply_kwargs(at=tuesday),
    )
    assert_agree(tuesday)

    # Folding the deltas and recounting from scratch change nothing.
    before = board_counts.counts(tuesday)
    assert board_counts.compact() > BoardCount.objects.count()
    assert board_counts.counts(tuesday) == before
    board_counts.rebuild()
    assert board_counts.counts(tuesday) == before
    assert_agree(tuesday + dt.timedelta(days=3))  # a later look, unswept again


def test_a_bulk_update_of_several_clocks_of_one_case_is_counted_once(tier_users, time_machine):
    u = tier_users
    time_machine.move_to(MONDAY, tick=False)
    case = forwarded_to_community(u, at=MONDAY)
    assert Timer.objects.filter(case=case, stopped_at__isnull=True).count() >= 2
    # Both of the case's clocks change in one statement (as a set-wise sweep does).
    Timer.objects.filter(case=case, stopped_at__isnull=True).update(status="breached", escalation_level=1)
    _, totals = assert_agree(MONDAY)
    assert (totals["breached"], totals["escalated"], totals["running"]) == (1, 1, 0)
    Timer.objects.filter(case=case).update(stopped_at=MONDAY)
    _, totals = assert_agree(MONDAY)
    assert not any(totals.values())


def test_the_sla_worker_folds_the_deltas_and_the_command_checks_them(users, time_machine):
    time_machine.move_to(MONDAY, tick=False)
    for _ in range(3):
        CaseFactory(actor=users["agent"])
    assert BoardCount.objects.count() >= 3
    sweeper.Sweeper(compact_every=0).step(now=MONDAY)
    assert BoardCount.objects.count() == 2  # the dispatch desk's triage row and the total
    out = StringIO()
    call_command("board_counts", stdout=out)
    assert "'running': 3" in out.getvalue()
    BoardCount.objects.update(running=0)  # a counter gone wrong is reported, and rebuilt
    with pytest.raises(CommandError, match="disagree"):
        call_command("board_counts", stdout=StringIO())
    call_command("board_counts", "--rebuild", stdout=StringIO())
    assert board_counts.counts(MONDAY)[1]["running"] == 3


def test_large_and_small_statements_on_one_connection_are_both_counted(users, time_machine):
    # A statement of more than FEW_ROWS timers is planned for its size, a smaller one runs the kept
    # plan (sla.board_counts._trigger_function); both must count alike, one after the other on the
    # same connection, whichever came first.
    time_machine.move_to(MONDAY, tick=False)
    cases = [CaseFactory(actor=users["agent"]) for _ in range(board_counts.FEW_ROWS + 8)]
    live = Timer.objects.filter(case__in=cases, stopped_at__isnull=True)
    assert live.count() > board_counts.FEW_ROWS
    live.update(status="breached", escalation_level=1)  # the large path
    _, totals = assert_agree(MONDAY)
    assert totals["breached"] == len(cases)
    Timer.objects.filter(case=cases[0], stopped_at__isnull=True).update(status="running", escalation_level=0)
    _, totals = assert_agree(MONDAY)  # the small path, after the large one
    assert (totals["breached"], totals["running"]) == (len(cases) - 1, 1)
    live.update(stopped_at=MONDAY)  # the large path again, after the small one
    _, totals = assert_agree(MONDAY)
    assert not any(totals.values())


def test_the_trigger_functions_run_without_jit():
    # JIT compiled the trigger's queries for 0.4-1 s on a large statement's estimates, every time.
    with connection.cursor() as cur:
        cur.execute("SELECT proname, proconfig FROM pg_proc WHERE proname LIKE 'sla_board_counts_%%' ORDER BY 1")
        found = cur.fetchall()
    assert [name for name, _ in found] == [
        "sla_board_counts_delete",
        "sla_board_counts_insert",
        "sla_board_counts_update",
    ]
    assert all("jit=off" in (config or []) for _, config in found)
