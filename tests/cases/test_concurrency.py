"""Two people acting on one case at once: exactly one wins, the other gets a clear conflict.

These run on PostgreSQL with real connections (one per thread) and real row locks. To
make the race certain rather than lucky, one side holds the case's row lock while the
other is observed waiting for it (pg_stat_activity), and only then lets go.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction

from cases import services
from cases.enums import State
from cases.exceptions import CaseConflict
from cases.models import Case
from tests.factories import make_case_in_state, reply_body, reply_kwargs
from tests.web.api.api_helpers import act, staff_client

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def until_waiting(n: int, *, give_up_after: float = 20.0) -> None:
    """Poll until ``n`` other sessions wait on a lock. (Not a timing assertion: if they never
    show up, the test below still checks the outcome, which is the point.)"""
    deadline = time.monotonic() + give_up_after
    while waiting_on_locks() < n and time.monotonic() < deadline:
        time.sleep(0.02)


def in_thread(results: dict, key: str, fn: Callable[[], Any], start: threading.Event | None = None) -> threading.Thread:
    def target() -> None:
        try:
            if start is not None:
                start.wait()
            results[key] = fn()
        except BaseException as exc:  # noqa: BLE001 — inspected by the test
            results[key] = exc
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=target)
    thread.start()
    return thread


def queued_behind_a_lock(case: Case, **calls: Callable[[], Any]) -> dict[str, Any]:
    """Run ``calls`` at once, each in a thread of its own, while another session holds ``case``'s
    row lock: they all queue on it and go, in the order PostgreSQL picks, once it is let go.
    Returns each call's result, or the exception it raised, by its name."""
    holding, release = threading.Event(), threading.Event()
    results: dict[str, Any] = {}

    def holder() -> None:
        # someone else (a hold by the clerk's console, say) has the row for a moment
        with transaction.atomic():
            Case.objects.select_for_update().get(pk=case.pk)
            holding.set()
            release.wait(30)

    held = in_thread(results, "_holder", holder)
    holding.wait(30)
    threads = [in_thread(results, name, call) for name, call in calls.items()]
    until_waiting(len(calls))
    release.set()
    for thread in (held, *threads):
        thread.join(30)
    results.pop("_holder")
    return results


def test_two_dispatchers_assigning_at_once_one_wins_one_gets_a_conflict(org, users):
    case = make_case_in_state(State.REGISTERED, users)
    holding = threading.Event()
    release = threading.Event()
    results: dict[str, Any] = {}

    def first() -> Case:
        # assign inside an open transaction: the row stays locked until we commit
        with transaction.atomic():
            assigned = services.case_assign(case=case, actor=users["dispatcher"], department="CGJ")
            holding.set()
            release.wait(30)
        return assigned

    def second() -> Case:
        return services.case_assign(case=case, actor=users["admin"], department="HBJ")

    t1 = in_thread(results, "first", first)
    holding.wait(30)
    t2 = in_thread(results, "second", second)
    until_waiting(1)  # the second dispatcher is blocked on the row lock
    release.set()
    t1.join()
    t2.join()

    assert isinstance(results["first"], Case) and results["first"].state == State.ASSIGNED
    assert isinstance(results["second"], CaseConflict)
    assert results["second"].state == State.ASSIGNED
    case.refresh_from_db()
    assert (case.state, case.department.code, case.version) == (State.ASSIGNED, "CGJ", 2)
    assert list(case.events.values_list("transition", flat=True)) == ["register", "assign"]


def test_an_unorchestrated_race_still_has_exactly_one_winner(org, users):
    case = make_case_in_state(State.REGISTERED, users)
    go = threading.Event()
    results: dict[str, Any] = {}
    threads = [
        in_thread(
            results,
            str(i),
            lambda d=dept, a=actor: services.case_assign(case=case, actor=users[a], department=d),
            start=go,
        )
        for i, (dept, actor) in enumerate(
            [("CGJ", "dispatcher"), ("HBJ", "admin"), ("ZJJ", "dispatcher"), ("JTJ", "admin")]
        )
    ]
    go.set()
    for t in threads:
        t.join()
    winners = [r for r in results.values() if isinstance(r, Case)]
    losers = [r for r in results.values() if isinstance(r, CaseConflict)]
    assert (len(winners), len(losers)) == (1, 3)
    case.refresh_from_db()
    assert case.department.code == winners[0].department.code
    assert case.events.filter(transition="assign").count() == 1


def test_through_the_api_one_gets_200_and_the_other_409(org, users):
    case = make_case_in_state(State.REGISTERED, users)
    results = queued_behind_a_lock(
        case,
        a=lambda: act(staff_client(users["dispatcher"]), case, "assign", department="CGJ"),
        b=lambda: act(staff_client(users["admin"]), case, "assign", department="HBJ"),
    )

    statuses = sorted([results["a"].status_code, results["b"].status_code])
    assert statuses == [200, 409]
    loser = results["a"] if results["a"].status_code == 409 else results["b"]
    assert loser.json()["error"]["code"] == "conflict"
    assert loser.json()["error"]["state"] == State.ASSIGNED
    case.refresh_from_db()
    assert case.events.filter(transition="assign").count() == 1


def test_a_stale_version_is_refused_even_when_the_state_still_allows_the_action(org, users):
    case = make_case_in_state(State.IN_PROGRESS, users)
    seen = case.version  # both the clerk and the dispatcher opened the case at this version
    services.case_hold(case=case, actor=users["dispatcher"], reason="等待群众补充材料", expected_version=seen)
    services.case_resume(case=case, actor=users["dispatcher"])
    with pytest.raises(CaseConflict) as exc:
        services.case_reply(
            **reply_kwargs(), case=case, actor=users["clerk_cgj"], text="已处理。", expected_version=seen
        )
    assert exc.value.state == State.IN_PROGRESS
    response = act(staff_client(users["clerk_cgj"]), case, "reply", text="已处理。", version=seen)
    assert response.status_code == 409
    assert response.json()["error"]["state"] == State.IN_PROGRESS
    response = act(staff_client(users["clerk_cgj"]), case, "reply", text="已处理。", version=seen + 2, **reply_body())
    assert response.status_code == 200, response.content
    assert response.json()["state"] == State.REPLIED
