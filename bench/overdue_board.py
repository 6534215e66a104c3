"""Overdue board latency over a million cases: ``sla.board.overdue_board()`` and the API view.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench .venv/bin/python bench/overdue_board.py
    … bench/overdue_board.py --cases 200000 --live 0.1 --runs 20

Loads ``--cases`` cases with one timer each (bench/sla_data.py), of which the fraction ``--live``
is still running (the rest stopped, as closed cases' timers are); among the live ones 2 % are
breached and escalated, 3 % warned, 1 % paused. Reports p50/p95/p99 of the board's queries
and of GET /api/v1/boards/overdue/ for a supervisor, plus the number of queries, and one\n``FIGURE`` line (the API's p99 against the 50 ms goal).
Needs PostgreSQL; the database name must contain "bench" (its tables are emptied).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from sla_data import board_triggers_off, connection, figure, insert_cases_and_timers, prepare_database

from cases.models import User
from sla import board

GOAL_P99_MS = 50.0


def shape_statuses(live_fraction: float) -> None:
    """Stop most timers (closed cases) and colour the live ones."""
    with connection.cursor() as cur:
        cur.execute("SELECT max(id) FROM sla_timer")
        top = cur.fetchone()[0]
        live_up_to = int(top * live_fraction)
        cur.execute(
            "UPDATE sla_timer SET status = 'met', stopped_at = due_at - interval '1 day', "
            "next_action_at = NULL WHERE id > %s",
            [live_up_to],
        )
        cur.execute(
            "UPDATE sla_timer SET status = 'breached', breached_at = due_at, escalation_level = 1, "
            "due_at = now() - (id %% 500) * interval '1 hour', next_action_at = NULL "
            "WHERE id <= %s AND id %% 50 = 0",
            [live_up_to],
        )
        cur.execute("UPDATE sla_timer SET warned_at = now() WHERE id <= %s AND id %% 50 IN (1, 2, 3)", [live_up_to])
        cur.execute(
            "UPDATE sla_timer SET status = 'paused', next_action_at = NULL WHERE id <= %s AND id %% 100 = 7",
            [live_up_to],
        )
        cur.execute("VACUUM ANALYZE sla_timer")


def timed(fn, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(label: str, samples: list[float]) -> float:
    """Prints p50/p95/p99; returns p99."""
    p95, p99 = percentile(samples, 0.95), percentile(samples, 0.99)
    print(
        f"  {label}: p50 {statistics.median(samples):.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms "
        f"over {len(samples)} runs"
    )
    return p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--live", type=float, default=1.0, help="fraction of timers still running (default all)")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--no-load", action="store_true", help="measure the rows a previous run loaded")
    args = parser.parse_args()
    prepare_database()
    connection.ensure_connection()
    # VACUUM cannot run inside a transaction; the bench runs in autocommit.
    loaded = 0.0
    if not args.no_load:
        loaded = insert_cases_and_timers(args.cases, 0, now=timezone.now())
        with board_triggers_off():
            shape_statuses(args.live)
    print(f"overdue board: {args.cases:,} cases, {args.live:.0%} with a live timer (loaded in {loaded:.1f} s)")
    with CaptureQueriesContext(connection) as ctx:
        data = board.overdue_board()
    n_queries = len(ctx.captured_queries)
    print(f"  {n_queries} queries; totals {data['totals']}; {len(data['rows'])} rows")
    fn_p99 = report("overdue_board()", timed(board.overdue_board, args.runs))
    supervisor, _ = User.objects.get_or_create(username="bench_supervisor", defaults={"role": "supervisor"})
    client = Client()
    client.force_login(supervisor)
    assert client.get("/api/v1/boards/overdue/").status_code == 200
    api_p99 = report("GET /api/v1/boards/overdue/", timed(lambda: client.get("/api/v1/boards/overdue/"), args.runs))
    live = round(args.cases * args.live)
    figure(
        f"overdue board API p99, {live:,} live timers (ms)",
        f"{api_p99:.0f}",
        f"< {GOAL_P99_MS:.0f}",
        f"overdue_board() alone p99 {fn_p99:.0f} ms; {n_queries} queries; load {os.getloadavg()[0]:.1f}",
        api_p99 < GOAL_P99_MS,
    )


if __name__ == "__main__":
    main()
