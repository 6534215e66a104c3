"""Overdue board latency over a million cases: ``sla.board.overdue_board()`` and the API view.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench .venv/bin/python bench/overdue_board.py
    … bench/overdue_board.py --cases 200000 --live 0.1 --runs 20

Loads ``--cases`` cases with one timer each (bench/sla_data.py), of which the fraction ``--live``
is still running (the rest stopped, as closed cases' timers are); among the live ones 2 % are
breached and escalated, 3 % warned, 1 % paused. Reports p50/p95 of the board's four queries
and of GET /api/v1/boards/overdue/ for a supervisor, plus the number of queries.
Needs PostgreSQL; the database name must contain "bench" (its tables are emptied).
"""

from __future__ import annotations

import argparse
import statistics
import time

from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from sla_data import connection, insert_cases_and_timers, prepare_database

from cases.models import User
from sla import board


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


def report(label: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"  {label}: p50 {statistics.median(samples):.0f} ms, p95 {p95:.0f} ms over {len(samples)} runs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--live", type=float, default=1.0, help="fraction of timers still running (default all)")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    prepare_database()
    connection.ensure_connection()
    # VACUUM cannot run inside a transaction; the bench runs in autocommit.
    loaded = insert_cases_and_timers(args.cases, 0, now=timezone.now())
    shape_statuses(args.live)
    print(f"overdue board: {args.cases:,} cases, {args.live:.0%} with a live timer (loaded in {loaded:.1f} s)")
    with CaptureQueriesContext(connection) as ctx:
        data = board.overdue_board()
    print(f"  {len(ctx.captured_queries)} queries; totals {data['totals']}; {len(data['rows'])} rows")
    report("overdue_board()", timed(board.overdue_board, args.runs))
    supervisor, _ = User.objects.get_or_create(username="bench_supervisor", defaults={"role": "supervisor"})
    client = Client()
    client.force_login(supervisor)
    assert client.get("/api/v1/boards/overdue/").status_code == 200
    report("GET /api/v1/boards/overdue/", timed(lambda: client.get("/api/v1/boards/overdue/"), args.runs))


if __name__ == "__main__":
    main()
