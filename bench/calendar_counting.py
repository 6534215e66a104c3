"""How fast ``sla.calendar.compute_deadline`` counts, per term kind, on the seeded CN calendar.

    .venv/bin/python bench/calendar_counting.py [--n 20000]

Uses whatever database settings say (SQLite by default; run ``manage.py migrate`` first so the
calendars are seeded). Starts are random moments in 2025–2026. Two ways of calling are timed:
with a Schedule loaded once (what a bulk recompute should do: no queries per call) and with
the calendar code (one schedule load per call, as the deadline API does).
"""

from __future__ import annotations

import argparse
import datetime as dt
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

from sla.calendar import compute_deadline, load_schedule  # noqa: E402

TERMS = [
    ("working_hours", 2),
    ("working_days", 1),
    ("working_days", 13),
    ("calendar_days", 60),
    ("working_hours", 0.5),
    ("working_days", 0),
]


def starts(n: int, tz: dt.tzinfo) -> list[dt.datetime]:
    rng = random.Random(42)
    base = dt.datetime(2025, 1, 1, tzinfo=tz)
    return [base + dt.timedelta(seconds=rng.randrange(0, 2 * 365 * 86400)) for _ in range(n)]


def timed(label: str, calls: list, fn) -> None:
    samples = []
    for call in calls:
        t0 = time.perf_counter()
        fn(*call)
        samples.append(time.perf_counter() - t0)
    samples.sort()
    p50, p99 = samples[len(samples) // 2], samples[int(len(samples) * 0.99)]
    print(
        f"{label:<34} n={len(samples):>6}  p50={p50 * 1e6:8.1f} µs  p99={p99 * 1e6:8.1f} µs  "
        f"mean={statistics.fmean(samples) * 1e6:8.1f} µs"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()
    schedule = load_schedule("CN")
    moments = starts(args.n, schedule.tz)
    for unit, value in TERMS:
        timed(
            f"schedule  {unit}={value}",
            [(m,) for m in moments],
            lambda m, u=unit, v=value: compute_deadline(schedule, m, **{u: v}),
        )
    few = moments[: max(1, args.n // 20)]
    timed("by code   working_days=13", [(m,) for m in few], lambda m: compute_deadline("CN", m, working_days=13))


if __name__ == "__main__":
    main()
