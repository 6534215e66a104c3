"""The monthly rollups, kept inside every case action, always equal a recount from raw rows."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction

from cases import services
from cases.enums import Channel, DissatisfiedReason, Rating, State
from cases.models import Case
from stats import rollups
from stats.models import CaseFigures, MonthlyRollup
from tests.factories import CaseFactory, reply_kwargs
from web.figures import metrics

from .helpers import at, citizen_says_resolved, contact

pytestmark = pytest.mark.django_db
NOV = date(2026, 11, 1)


def _recounted() -> dict:
    _facts, sums = rollups.recount()
    return {key: {c: n for c, n in counts.items() if n} for key, counts in sums.items() if any(counts.values())}


def _mixed_november(users) -> dict[str, Case]:
    """A realistic mix: first-contact resolution, reject, merge, return and reassignment, send-back,
    a late reply, two rating rounds across a reopen to another department, auto-close, hold and
    resume, a contact and a citizen's "solved", and one case of October."""
    d, c = users["dispatcher"], users["clerk_cgj"]
    h = users["clerk_hbj"]
    a = CaseFactory(actor=users["agent"], channel=Channel.HOTLINE, now=at(11, 2))
    services.case_resolve_directly(case=a, actor=users["agent"], answer="已告知。", now=at(11, 2, 11))
    b = CaseFactory(actor=users["agent"], now=at(11, 2))
    services.case_reject(case=b, actor=d, reason="out_of_remit", note="", now=at(11, 2, 11))
    target = CaseFactory(actor=users["agent"], now=at(11, 3))
    m = CaseFactory(actor=users["agent"], now=at(11, 3))
    services.case_merge(case=m, actor=d, duplicate_of=target.tracking_no, now=at(11, 3, 11))
    # target: CGJ returns it, HBJ answers on time, rated dissatisfied; reopened to CGJ, whose
    # reply comes late, is sent back, then approved and rated satisfied.
    services.case_assign(case=target, actor=d, department="CGJ", now=at(11, 3, 14))
    with time_machine.travel(at(11, 4), tick=False):  # the return window is checked on the clock
        services.case_return(case=target, actor=c, reason="不属于本单位", now=at(11, 4))
    services.case_assign(case=target, actor=d, department="HBJ", now=at(11, 4, 11))
    services.case_sign_for(case=target, actor=h, now=at(11, 4, 14))
    services.case_reply(case=target, actor=h, text="已处理。", now=at(11, 5), **reply_kwargs(at=at(11, 5)))
    services.case_approve(case=target, actor=d, now=at(11, 5, 11))
    services.case_feedback(
        case=target, actor=None, rating=Rating.DISSATISFIED, reason=DissatisfiedReason.NOT_SOLVED, now=at(11, 5, 15)
    )  # the reason is required (citizen follow-up); the supervisor's decision below reopens it
    services.case_reopen(case=target, actor=users["supervisor"], department="CGJ", reason="未解决", now=at(11, 6))
    services.case_sign_for(case=target, actor=c, now=at(11, 6, 11))
    services.case_reply(
        case=target, actor=c, text="已再次处理。", now=at(11, 30), **reply_kwargs(at=at(11, 30))
    )  # 13 working days passed
    services.case_send_back(case=target, actor=d, note="请补充", now=at(11, 30, 11))
    services.case_reply(case=target, actor=c, text="已补充。", now=at(11, 30, 14), **reply_kwargs(at=at(11, 30, 14)))
    services.case_approve(case=target, actor=d, now=at(11, 30, 15))
    services.case_feedback(case=target, actor=None, rating=Rating.SATISFIED, now=at(11, 30, 16))
    # e: contacted in time, answered, then auto-closed; the citizen said it was solved.
    e = CaseFactory(actor=users["agent"], channel=Channel.HOTLINE, now=at(11, 9))
    services.case_assign(case=e, actor=d, department="CGJ", now=at(11, 9, 11))
    services.case_sign_for(case=e, actor=c, now=at(11, 9, 14))
    contact(e, c, at(11, 10, 9))
    services.case_reply(
        case=e, actor=c, text="已处理。", now=at(11, 10, 10), **reply_kwargs(contact=None)
    )  # contacted above
    services.case_approve(case=e, actor=d, now=at(11, 10, 11))
    citizen_says_resolved(e, True, at(11, 11))
    services.case_auto_close(case=e, now=at(11, 16))
    # f: on hold and resumed, still in progress.
    f = CaseFactory(actor=users["agent"], now=at(11, 12))
    services.case_assign(case=f, actor=d, department="HBJ", now=at(11, 12, 11))
    services.case_hold(case=f, actor=h, reason="等待群众补充材料", now=at(11, 12, 14))
    services.case_resume(case=f, actor=h, now=at(11, 13))
    services.case_sign_for(case=f, actor=h, now=at(11, 13, 11))
    # g: registered in October, rated in November, counted in October.
    g = CaseFactory(actor=users["agent"], now=at(10, 30))
    services.case_assign(case=g, actor=d, department="CGJ", now=at(10, 30, 11))
    services.case_sign_for(case=g, actor=c, now=at(10, 30, 14))
    services.case_reply(case=g, actor=c, text="已处理。", now=at(11, 2), **reply_kwargs(at=at(11, 2)))
    services.case_approve(case=g, actor=d, now=at(11, 2, 11))
    services.case_feedback(case=g, actor=None, rating=Rating.BASICALLY_SATISFIED, now=at(11, 2, 15))
    citizen_says_resolved(g, False, at(11, 2, 16))
    return {"a": a, "b": b, "m": m, "target": target, "e": e, "f": f, "g": g}


def test_rollups_equal_a_recount_from_raw_rows_after_a_realistic_mix(users) -> None:
    _mixed_november(users)
    assert rollups.stored_sums() == _recounted()
    assert CaseFigures.objects.count() == Case.objects.count()


def test_the_kept_rollups_give_the_hand_computed_november_figures(users) -> None:
    cases = _mixed_november(users)
    rows = {r.department.code: r for r in metrics.department_figures(NOV)}
    cgj, hbj, xfj = rows["CGJ"], rows["HBJ"], rows["XFJ"]
    # CGJ holds target (reopened to it; its last reply late) and e (on time, auto-closed).
    assert (cgj.registered, cgj.closed, cgj.replied, cgj.replied_on_time) == (2, 2, 2, 1)
    assert (cgj.rated, cgj.satisfied, cgj.returned, cgj.reopened) == (1, 1, 1, 1)
    assert (cgj.assigned, cgj.responded, cgj.resolution_answered, cgj.resolved) == (2, 1, 1, 1)
    # Every reply round counts for the department holding the case: target's three (HBJ's, and
    # CGJ's late one and the one after the send-back), e's (contacted the day before it).
    assert (cgj.reply_rounds, cgj.contacted_first, cgj.contact_before_reply_rate) == (4, 4, 1.0)
    # HBJ: the dissatisfied round of target stays HBJ's; f is in progress.
    assert (hbj.registered, hbj.rated, hbj.satisfied, hbj.returned) == (1, 1, 0, 0)
    assert (hbj.reply_rounds, hbj.contacted_first, hbj.contact_before_reply_rate) == (0, 0, None)
    # The dispatch desk: a (resolved directly, hotline), b (rejected), m (merged).
    assert (xfj.registered, xfj.rejected, xfj.merged, xfj.hotline, xfj.resolved_directly) == (3, 1, 1, 1, 1)
    [october] = [r for r in metrics.department_figures(date(2026, 10, 1)) if r.department.code == "CGJ"]
    assert (october.registered, october.rated, october.satisfied) == (1, 1, 1)
    assert (october.resolution_answered, october.resolved) == (1, 0)
    cases["target"].refresh_from_db()
    assert cases["target"].state == State.CLOSED


def test_an_action_that_rolls_back_leaves_the_rollups_as_they_were(users) -> None:
    case = CaseFactory(actor=users["agent"], now=at(11, 2))
    before = rollups.stored_sums()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.case_assign(case=case, actor=users["dispatcher"], department="CGJ", now=at(11, 2, 11))
        raise RuntimeError("the request failed after the action")
    assert rollups.stored_sums() == before
    services.case_assign(case=case, actor=users["dispatcher"], department="CGJ", now=at(11, 2, 11))
    assert rollups.stored_sums() != before  # the assignment moved the case out of the desk's row
    assert rollups.stored_sums() == _recounted()


def test_a_registration_costs_one_statement_for_the_rollups_two_on_sqlite(users) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases.domain import case_changed
    from stats.receivers import on_case_changed

    CaseFactory(actor=users["agent"], now=at(11, 2))  # the month's row exists
    with CaptureQueriesContext(connection) as counted:
        CaseFactory(actor=users["agent"], now=at(11, 2))
    case_changed.disconnect(dispatch_uid="stats_rollups_on_case_changed")
    try:
        with CaptureQueriesContext(connection) as unseen:
            CaseFactory(actor=users["agent"], now=at(11, 2))
    finally:
        case_changed.connect(on_case_changed, dispatch_uid="stats_rollups_on_case_changed")
    # The case's fact and the month's upsert: one statement on PostgreSQL, two on SQLite.
    assert len(counted) == len(unseen) + (1 if connection.vendor == "postgresql" else 2)
    assert rollups.stored_sums() != _recounted()  # the third case was registered unseen
    rollups.rollups_refresh(Case.objects.values_list("pk", flat=True))
    assert rollups.stored_sums() == _recounted()


def test_rebuild_rollups_replaces_wrong_rows_with_the_recount(users, capsys) -> None:
    _mixed_november(users)
    expected = _recounted()
    MonthlyRollup.objects.update(registered=999)
    CaseFigures.objects.all().delete()
    call_command("rebuild_rollups")
    assert rollups.stored_sums() == expected
    assert CaseFigures.objects.count() == Case.objects.count()
    assert "recounted 7 cases" in capsys.readouterr().out


def test_a_late_reply_counts_late_once_given(users) -> None:
    case = CaseFactory(actor=users["agent"], now=at(11, 2))
    services.case_assign(case=case, actor=users["dispatcher"], department="CGJ", now=at(11, 2, 11))
    services.case_sign_for(case=case, actor=users["clerk_cgj"], now=at(11, 2, 14))
    services.case_reply(
        case=case,
        actor=users["clerk_cgj"],
        text="迟到的答复。",
        now=at(11, 2) + timedelta(days=40),
        **reply_kwargs(at=at(11, 2) + timedelta(days=40)),
    )
    [cgj] = [r for r in metrics.department_figures(NOV) if r.department.code == "CGJ"]
    assert (cgj.replied, cgj.replied_on_time) == (1, 0)


def test_most_overdue_finds_running_and_late_replies_through_the_facts(users, django_assert_max_num_queries) -> None:
    d, c = users["dispatcher"], users["clerk_cgj"]
    running = CaseFactory(actor=users["agent"], now=at(11, 2))
    services.case_assign(case=running, actor=d, department="CGJ", now=at(11, 2, 11))
    late = CaseFactory(actor=users["agent"], now=at(11, 3))
    services.case_assign(case=late, actor=d, department="CGJ", now=at(11, 3, 11))
    services.case_sign_for(case=late, actor=c, now=at(11, 3, 14))
    services.case_reply(case=late, actor=c, text="迟到的答复。", now=at(11, 30, 10), **reply_kwargs(at=at(11, 30, 10)))
    on_time = CaseFactory(actor=users["agent"], now=at(11, 4))
    services.case_assign(case=on_time, actor=d, department="CGJ", now=at(11, 4, 11))
    services.case_sign_for(case=on_time, actor=c, now=at(11, 4, 14))
    services.case_reply(case=on_time, actor=c, text="按时答复。", now=at(11, 5, 10), **reply_kwargs(at=at(11, 5, 10)))
    now = at(12, 28)
    with django_assert_max_num_queries(3):
        overdue = metrics.most_overdue(NOV, now=now)
    assert [(o["case"].pk, o["running"]) for o in overdue] == [(running.pk, True), (late.pk, False)]
    assert overdue[0]["overdue_hours"] > overdue[1]["overdue_hours"] > 0


def test_a_reply_counts_as_contacted_first_only_with_a_contact_at_or_before_it() -> None:
    from stats.figures import round_counts

    reply = at(11, 5, 10)

    def counted(data: object) -> dict[str, int]:
        return round_counts("reply", data, reply)

    assert counted({"contact": {"at": at(11, 5, 9).isoformat()}}) == {"reply_rounds": 1, "contacted_first": 1}
    assert counted({"contact": {"at": reply.isoformat()}}) == {"reply_rounds": 1, "contacted_first": 1}
    assert counted({"contact": {"at": at(11, 5, 11).isoformat()}}) == {"reply_rounds": 1, "contacted_first": 0}
    # A reply from before the rule, an unreadable or a naive moment: a reply without a contact.
    for data in ({}, {"contact": None}, {"contact": {"at": "yesterday"}}, {"contact": {"at": "2026-11-05T09:00"}}):
        assert counted(data) == {"reply_rounds": 1, "contacted_first": 0}


def test_the_reports_one_read_gives_what_each_figure_reads_alone(users, django_assert_max_num_queries) -> None:
    from django.core.cache import cache

    from cases import refcache
    from cases.models import Department
    from stats.ranking import month_ranking

    _mixed_november(users)
    first = date(2025, 12, 1)

    def rows(found: list) -> list:
        return [(f.department, f.as_row(), f.by_channel, f.by_kind) for f in found]

    def ranks(ranking) -> list:
        return [(r.department.code, r.score, r.rank, r.previous_rank, r.last_year_rank) for r in ranking.rows]

    for department in (None, Department.objects.get(code="CGJ"), Department.objects.get(code="XFJ")):
        for level in ("department", "street"):
            cache.clear()
            # The process's copies, fresh, with the stamp read after the clear: a stamp this thread
            # read before it would be read again within the block below once a second passed, and
            # the copies rebuilt there (a slow or loaded machine).
            refcache.clear()
            refcache.departments.get(), refcache.categories.get()
            with django_assert_max_num_queries(2):  # the rollups, the ranking's settings
                found = metrics.month_figures(NOV, now=at(12, 1), level=level, department=department)
            assert rows(found.snapshot.rows) == rows(metrics.department_figures(NOV))
            assert found.snapshot.total.as_row() == metrics.total(metrics.department_figures(NOV)).as_row()
            alone = metrics.monthly_series(first, NOV, department=department)
            assert [(f.month, f.as_row()) for f in found.series] == [(f.month, f.as_row()) for f in alone]
            assert ranks(found.ranking) == ranks(month_ranking(NOV, level=level))
            assert [(t["category"].pk, t["count"]) for t in found.categories] == [
                (t["category"].pk, t["count"]) for t in metrics.top_categories(NOV)
            ]
    assert found.series[-1].registered == 3 and found.series[-2].registered == 0  # XFJ: a, b, m in November


def test_folding_the_shards_keeps_every_sum_and_leaves_one_row_per_key(users) -> None:
    _mixed_november(users)  # each case writes to its own shard (case id % 16)
    CaseFactory(actor=users["agent"], now=at(11, 2))  # a second case of one key, in another shard
    spread = rollups.stored_sums()
    assert spread == _recounted()
    by_key = MonthlyRollup.objects.values_list(*rollups._KEY_COLUMNS)
    assert by_key.count() > by_key.distinct().count()  # some key has two shards
    keys = by_key.distinct().count()
    assert rollups.rollups_fold(months=[date(2026, 10, 1)]) > 0  # October only
    assert MonthlyRollup.objects.filter(month=NOV, shard__gt=0).exists()
    assert not MonthlyRollup.objects.filter(month=date(2026, 10, 1), shard__gt=0).exists()
    assert rollups.stored_sums() == spread
    assert rollups.rollups_fold() > 0
    assert rollups.stored_sums() == spread
    assert not MonthlyRollup.objects.filter(shard__gt=0).exists()
    assert MonthlyRollup.objects.count() == keys
    assert rollups.rollups_fold() == 0  # nothing left to fold
    # The kept rollups move on from the folded rows: a new case and an action, then the recount.
    case = CaseFactory(actor=users["agent"], now=at(11, 21))
    services.case_assign(case=case, actor=users["dispatcher"], department="CGJ", now=at(11, 21, 11))
    assert rollups.stored_sums() == _recounted()


def test_fold_rollups_command_folds_this_and_last_month_or_all(users, capsys) -> None:
    _mixed_november(users)  # November's cases and one of October's, over several shards
    spread = rollups.stored_sums()
    october = MonthlyRollup.objects.filter(month=date(2026, 10, 1))
    october_rows = sorted(october.values_list("pk", "shard"))
    with time_machine.travel(at(12, 5), tick=False):
        call_command("fold_rollups", "--months", "1")  # December only: nothing of it to fold
    assert "folded 0 rollup rows" in capsys.readouterr().out
    with time_machine.travel(at(12, 5), tick=False):
        call_command("fold_rollups", "--months", "2")  # December and November
    assert sorted(october.values_list("pk", "shard")) == october_rows  # left as it was
    assert not MonthlyRollup.objects.filter(month=NOV, shard__gt=0).exists()
    call_command("fold_rollups")
    assert not MonthlyRollup.objects.filter(shard__gt=0).exists()
    assert rollups.stored_sums() == spread
