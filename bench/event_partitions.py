"""A trial of the event table partitioned by month, beside a plain copy, on the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench .venv/bin/python bench/event_partitions.py [--events 1000000]

Builds two scratch tables shaped like ``cases_caseevent`` (case, seq, at, a payload): ``trial_event``
(plain) and ``trial_event_p`` (``PARTITION BY RANGE (at)``, one partition per month over 12 months),
each with the chain's index ``(case_id, seq)`` and one on ``at``, fills both with the same events
(10 per case, a case's events within its month), and times the two reads the application makes:
a case's chain (with and without the case's month bounding the scan) and a month's events
(reports, checkpoints). Drops both tables at the end. Not one of issue 11's figures: the evidence
for the README's "Partitioning the event table by month".
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casecenter.settings")

import django

django.setup()

from django.db import connection  # noqa: E402

START = "2026-01-01"


def timed(cur, sql: str, params: list, runs: int) -> float:
    """Median milliseconds of ``runs`` executions, each with its own parameters from ``params``."""
    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        cur.execute(sql, params[i % len(params)])
        cur.fetchall()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    if connection.vendor != "postgresql" or "bench" not in connection.settings_dict["NAME"]:
        sys.exit("needs DATABASE_URL=postgres://…/<name with 'bench'>")
    cases = args.events // 10
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS trial_event, trial_event_p")
        cols = "id bigint, case_id bigint NOT NULL, seq int NOT NULL, at timestamptz NOT NULL, data text NOT NULL"
        cur.execute(f"CREATE TABLE trial_event ({cols}, PRIMARY KEY (id))")
        cur.execute(f"CREATE TABLE trial_event_p ({cols}, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)")
        for m in range(12):
            cur.execute(
                f"CREATE TABLE trial_event_p_{m:02d} PARTITION OF trial_event_p FOR VALUES FROM "
                f"(DATE '{START}' + interval '{m} month') TO (DATE '{START}' + interval '{m + 1} month')"
            )
        # Case c is registered in month c % 12; its 10 events follow within hours.
        fill = f"""
            SELECT c * 10 + s, c, s + 1,
                   DATE '{START}' + ((c % 12) || ' month')::interval + ((c / 12) % 600 || ' minutes')::interval
                       + (s || ' hours')::interval,
                   repeat('x', 120)
            FROM generate_series(0, {cases - 1}) c, generate_series(0, 9) s"""
        t0 = time.perf_counter()
        cur.execute(f"INSERT INTO trial_event {fill}")
        cur.execute(f"INSERT INTO trial_event_p {fill}")
        for table in ("trial_event", "trial_event_p"):
            cur.execute(f"CREATE UNIQUE INDEX ON {table} (case_id, seq{', at' if table.endswith('_p') else ''})")
            cur.execute(f"CREATE INDEX ON {table} (at)")
            cur.execute(f"ANALYZE {table}")
        print(
            f"event partitions trial: {args.events:,} events of {cases:,} cases, loaded in {time.perf_counter() - t0:.0f} s"
        )

        picks = [random.randrange(cases) for _ in range(args.runs)]
        chain = [[c] for c in picks]
        bounded = [[c, c % 12, c % 12 + 1] for c in picks]
        month_of = "DATE '" + START + "' + (%s || ' month')::interval"
        rows = {
            "case chain, plain table": timed(
                cur, "SELECT * FROM trial_event WHERE case_id = %s ORDER BY seq", chain, args.runs
            ),
            "case chain, partitioned, no date": timed(
                cur, "SELECT * FROM trial_event_p WHERE case_id = %s ORDER BY seq", chain, args.runs
            ),
            "case chain, partitioned, case's month": timed(
                cur,
                f"SELECT * FROM trial_event_p WHERE case_id = %s AND at >= {month_of} AND at < {month_of} ORDER BY seq",
                bounded,
                args.runs,
            ),
        }
        month = [[m, m + 1] for m in range(12)]
        count = f"SELECT count(*) FROM {{}} WHERE at >= {month_of} AND at < {month_of}"
        rows["one month's events counted, plain"] = timed(cur, count.format("trial_event"), month, 12)
        rows["one month's events counted, partitioned"] = timed(cur, count.format("trial_event_p"), month, 12)
        for label, ms in rows.items():
            print(f"  {label:<42} median {ms:8.2f} ms")
        cur.execute(
            "SELECT pg_size_pretty(pg_indexes_size('trial_event')), pg_size_pretty(pg_indexes_size('trial_event_p_00'))"
        )
        plain, one = cur.fetchone()
        print(f"  indexes: plain table {plain}; one month's partition {one}")
        t0 = time.perf_counter()
        cur.execute("ALTER TABLE trial_event_p DETACH PARTITION trial_event_p_00")
        print(
            f"  detaching the oldest month: {(time.perf_counter() - t0) * 1000:.0f} ms (vs DELETE of its rows on the plain table)"
        )
        cur.execute("DROP TABLE IF EXISTS trial_event, trial_event_p, trial_event_p_00")


if __name__ == "__main__":
    main()
