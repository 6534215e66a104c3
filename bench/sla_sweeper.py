"""SLA sweeper, the 17:30 burst: 100,000 timers due at once among 2,000,000 open, 1 worker then 2.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_NAME_bench REDIS_URL=redis://127.0.0.1:6379/N \
        .venv/bin/python bench/sla_sweeper.py
    … bench/sla_sweeper.py --open 200000 --due 10000 --workers 1,2 --anchor-due 1000

Loads the data once (bench/sla_data.py: INSERT … SELECT generate_series; ``--staff`` clerks with
an e-mail per department, so every breach writes real outbox rows: a breach message and a
supervision message, in-app and by e-mail, per clerk). Each round puts the burst back to due
(``reset_burst``), starts N ``manage.py run_sla_worker --until-idle`` processes at once (DEBUG off)
and measures the wall time until all have exited, sampling each worker's RSS every 0.2 s from the first committed batch on. Then it
checks the result the way the concurrency test does: every due timer breached exactly once, one
level-1 order and one audit event each, no claim left.

The anchor of the one-by-one path (``Sweeper._one_by_one``: each timer in its own transaction,
what the sweeper did before batches and still does when a batch fails) is measured in-process on
``--anchor-due`` timers of the same data.

Needs PostgreSQL (SKIP LOCKED); the database name must contain "bench" (its tables are emptied).
Prints one ``FIGURE`` line per figure (name, measured, goal, anchor, met).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.utils import timezone
from sla_data import add_staff, connection, figure, insert_cases_and_timers, prepare_database, reset_burst

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 60.0
GOAL_SPEEDUP = 1.6  # "~linear" on 2 cores that PostgreSQL shares with the workers
GOAL_RSS_GROWTH_MB = 10.0


def check(n_due: int) -> tuple[bool, str]:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM sla_timer WHERE status = 'breached' AND escalation_level = 1")
        breached = cur.fetchone()[0]
        cur.execute("SELECT count(*), count(DISTINCT timer_id) FROM sla_supervisionorder WHERE level = 1")
        orders, distinct = cur.fetchone()
        cur.execute(
            "SELECT count(*), count(DISTINCT case_id) FROM cases_caseevent WHERE transition = %s",
            ["sla.timer.escalated"],
        )
        events, event_cases = cur.fetchone()
        cur.execute("SELECT count(*) FROM sla_timer WHERE claimed_by <> ''")
        claimed = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM notifications_outbox")
        outbox = cur.fetchone()[0]
    ok = breached == orders == distinct == events == event_cases == n_due and claimed == 0
    return ok, (
        f"{'OK' if ok else 'WRONG'}: breached={breached} orders={orders} distinct={distinct} "
        f"events={events} claims_left={claimed} outbox_rows={outbox}"
    )


def rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def burst_started() -> bool:
    """Has a batch committed (an order is stored)? Asked from the sampler's thread (its own connection)."""
    with connection.cursor() as cur:
        cur.execute("SELECT EXISTS (SELECT 1 FROM sla_supervisionorder)")
        return bool(cur.fetchone()[0])


def backend_cpu() -> dict[tuple[str, int], float]:
    """CPU seconds so far of each PostgreSQL process working on this database but the asking one,
    by (backend type, pid): the workers' backends, and autovacuum cleaning up after their updates
    (read from /proc: the server runs on this machine)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT backend_type, pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        pids = cur.fetchall()
    out = {}
    for kind, pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[(kind, pid)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def run_round(n_workers: int, batch: int) -> tuple[float, list[list[float]], float, dict[str, float]]:
    """Wall seconds; each worker's RSS samples (MB) from the first committed batch on (the
    start-up before it, imports and connections, is not growth over the burst: two processes
    starting at once on a busy machine can take a quarter of a short round to get there); the
    CPU seconds of the workers and of their PostgreSQL backends (sampled every 0.2 s: the last
    0.2 s of a backend can be missed). Those are what a busy machine does not inflate much."""
    env = {**os.environ, "LOG_LEVEL": "WARNING", "DEBUG": "0"}
    cmd = [sys.executable, str(ROOT / "manage.py"), "run_sla_worker", "--until-idle", "--batch", str(batch)]
    before = backend_cpu()
    connection.close()
    t0, children0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    procs = [subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(n_workers)]
    samples: list[list[float]] = [[] for _ in procs]
    server: dict[tuple[str, int], float] = {}
    done = threading.Event()

    def sample() -> None:
        started = False
        while not done.is_set():
            started = started or burst_started()
            server.update(backend_cpu())
            for i, p in enumerate(procs):
                if started and p.poll() is None and (mb := rss_mb(p.pid)) is not None:
                    samples[i].append(mb)
            done.wait(0.2)
        connection.close()

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    outs = [p.communicate()[0].strip() for p in procs]
    elapsed = time.perf_counter() - t0
    done.set()
    sampler.join()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers_cpu = children.ru_utime + children.ru_stime - children0.ru_utime - children0.ru_stime
    for p, out in zip(procs, outs, strict=True):
        if p.returncode:
            sys.exit(f"worker failed ({p.returncode}): {out}")
        print(f"    {out.splitlines()[-1] if out else ''}")
    by_kind: dict[str, float] = {}
    for (kind, pid), seconds in server.items():  # a backend already there (the loader's, exiting) counts from then
        by_kind[kind] = by_kind.get(kind, 0.0) + seconds - before.get((kind, pid), 0.0)
    return elapsed, samples, workers_cpu, by_kind


def rss_growth(samples: list[list[float]]) -> tuple[float, float]:
    """(largest growth of a worker's RSS from the end of the first quarter of its burst samples to
    its peak, its RSS then): the first batches' allocations are not growth over the burst."""
    worst, base_of_worst = 0.0, 0.0
    for s in samples:
        if len(s) < 4:
            continue
        base = s[len(s) // 4]
        growth = max(s[len(s) // 4 :]) - base
        if growth >= worst:
            worst, base_of_worst = growth, base
    return worst, base_of_worst


def one_by_one_anchor(n: int, n_due: int, batch: int) -> float:
    """Timers/s of the one-by-one path on ``n`` due timers of the same data, in this process."""
    from sla import sweeper

    reset_burst(n_due)
    with connection.cursor() as cur:  # only the first n of the burst are due this time
        cur.execute("UPDATE sla_timer SET next_action_at = NULL WHERE case_id > %s AND case_id <= %s", [n, n_due])
    worker, now = sweeper.Sweeper(batch=batch), timezone.now()
    t0 = time.perf_counter()
    while pairs := sweeper.claim(worker.worker_id, now=now, limit=batch):
        worker._one_by_one(pairs, now, sweeper.Schedules())
    elapsed = time.perf_counter() - t0
    ok, text = check(n)
    print(f"  one by one, 1 worker in-process: {n:,} timers in {elapsed:.1f} s — {text}")
    if not ok:
        sys.exit("the one-by-one anchor did not act on every timer exactly once")
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=2_000_000, help="open timers (default %(default)s)")
    parser.add_argument("--due", type=int, default=100_000, help="of which due now (default %(default)s)")
    parser.add_argument("--workers", default="1,2", help="worker counts to compare (default %(default)s)")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--staff", type=int, default=1, help="clerks per department (default %(default)s)")
    parser.add_argument("--anchor-due", type=int, default=2000, help="timers for the one-by-one anchor (0: skip)")
    args = parser.parse_args()
    prepare_database()
    staff = add_staff(args.staff)
    load = os.getloadavg()
    print(
        f"sla sweeper burst: {args.open:,} open timers, {args.due:,} due; {staff} clerks; batch {args.batch}; "
        f"PostgreSQL {connection.pg_version}; Redis {'on' if os.environ.get('REDIS_URL') else 'off'}; "
        f"load average {load[0]:.1f} {load[1]:.1f} on {os.cpu_count()} cores"
    )
    loaded = insert_cases_and_timers(args.open, args.due, now=timezone.now())
    print(f"  data loaded in {loaded:.1f} s")
    results: dict[int, float] = {}
    growth: dict[int, tuple[float, float]] = {}
    all_ok = True
    for n in [int(x) for x in args.workers.split(",")]:
        reset_burst(args.due)
        connection.close()  # no open transaction or idle connection while the workers run
        elapsed, samples, workers_cpu, server_cpu = run_round(n, args.batch)
        ok, text = check(args.due)
        all_ok &= ok
        results[n], growth[n] = elapsed, rss_growth(samples)
        print(
            f"  {n} worker(s): {elapsed:.1f} s wall, {args.due / elapsed:,.0f} timers/s — {text}; "
            f"worst RSS growth {growth[n][0]:.1f} MB from {growth[n][1]:.0f} MB; load {os.getloadavg()[0]:.1f}"
        )
        per = 1000 / args.due
        server = ", ".join(f"{kind} {seconds * per:.2f} s" for kind, seconds in sorted(server_cpu.items()))
        print(
            f"    CPU per 1,000 timers: workers {workers_cpu * per:.2f} s; PostgreSQL: {server or 'none seen'} "
            "(start-up included; WAL writer and checkpointer not counted)"
        )
    anchor_rate = one_by_one_anchor(args.anchor_due, args.due, args.batch) if args.anchor_due else None
    anchor = f"one by one: {anchor_rate:,.0f} timers/s" if anchor_rate else "one by one: not run"
    label = f"{args.due:,} due of {args.open:,} open"
    most = max(results)
    if 1 in results:
        anchor = f"1 worker {results[1]:.1f} s; {anchor}"
    figure(
        f"sla burst {label}, {most} workers (s)",
        f"{results[most]:.1f}",
        f"< {GOAL_SECONDS:.0f}",
        anchor,
        all_ok and results[most] < GOAL_SECONDS,
    )
    if 1 in results and most > 1:
        speedup = results[1] / results[most]
        figure(
            f"sla sweeper speed-up 1 → {most} workers",
            f"{speedup:.2f}x",
            f">= {GOAL_SPEEDUP}x",
            f"1 worker {args.due / results[1]:,.0f}/s, {most} workers {args.due / results[most]:,.0f}/s",
            speedup >= GOAL_SPEEDUP,
        )
    worst = max(growth.values())
    figure(
        "sla worker RSS growth over the burst (MB)",
        f"{worst[0]:.1f}",
        f"< {GOAL_RSS_GROWTH_MB:.0f}",
        f"RSS {worst[1]:.0f} MB after the first quarter",
        worst[0] < GOAL_RSS_GROWTH_MB,
    )


if __name__ == "__main__":
    main()
