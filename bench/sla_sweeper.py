"""SLA sweeper throughput: one worker against four, over a million open timers of which 10,000 are due.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench .venv/bin/python bench/sla_sweeper.py
    … bench/sla_sweeper.py --open 100000 --due 2000 --workers 1,2,4

Each round loads fresh data (bench/sla_data.py: INSERT … SELECT generate_series), then starts N
``manage.py run_sla_worker --until-idle`` processes at once and measures the wall time until all have
exited (each leaves when a claim finds nothing). Then it checks the result the way the
concurrency test does: every due timer breached exactly once, one level-1 order each, no claim left.
Needs PostgreSQL (SKIP LOCKED); the database name must contain "bench" (its tables are emptied).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from django.utils import timezone
from sla_data import connection, insert_cases_and_timers, prepare_database

ROOT = Path(__file__).resolve().parent.parent


def check(n_due: int) -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM sla_timer WHERE status = 'breached' AND escalation_level = 1")
        breached = cur.fetchone()[0]
        cur.execute("SELECT count(*), count(DISTINCT timer_id) FROM sla_supervisionorder WHERE level = 1")
        orders, distinct = cur.fetchone()
        cur.execute("SELECT count(*) FROM sla_timer WHERE claimed_by <> ''")
        claimed = cur.fetchone()[0]
    ok = breached == orders == distinct == n_due and claimed == 0
    return f"{'OK' if ok else 'WRONG'}: breached={breached} orders={orders} distinct={distinct} claims_left={claimed}"


def run_round(n_workers: int, batch: int) -> float:
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    cmd = [sys.executable, str(ROOT / "manage.py"), "run_sla_worker", "--until-idle", "--batch", str(batch)]
    t0 = time.perf_counter()
    procs = [subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(n_workers)]
    outs = [p.communicate()[0].strip() for p in procs]
    elapsed = time.perf_counter() - t0
    for p, out in zip(procs, outs, strict=True):
        if p.returncode:
            sys.exit(f"worker failed ({p.returncode}): {out}")
        print(f"    {out}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=1_000_000, help="open timers (default %(default)s)")
    parser.add_argument("--due", type=int, default=10_000, help="of which due now (default %(default)s)")
    parser.add_argument("--workers", default="1,4", help="worker counts to compare (default %(default)s)")
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    prepare_database()
    print(f"sla sweeper: {args.open:,} open timers, {args.due:,} due; PostgreSQL {connection.pg_version}")
    for n in [int(x) for x in args.workers.split(",")]:
        loaded = insert_cases_and_timers(args.open, args.due, now=timezone.now())
        print(f"  data loaded in {loaded:.1f} s")
        connection.close()  # no open transaction or idle connection while the workers run
        elapsed = run_round(n, args.batch)
        print(f"  {n} worker(s): {elapsed:.1f} s wall, {args.due / elapsed:,.0f} timers/s — {check(args.due)}")


if __name__ == "__main__":
    main()
