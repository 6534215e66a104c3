"""Benchmark: the console's monthly report (月度简报: figures per department, breakdowns, ranking,
charts, top categories, most overdue replies) at ~1,000,000 cases on PostgreSQL.

    .venv/bin/python bench/monthly_report.py [--cases 1000000] [--runs 30] [--db cc_figures_bench]

Each run clears the cache first (the report normally shares a five-minute snapshot with the
public page and the API). The rollup rows are first spread over all their shards, as a day of
concurrent intake leaves them (``figures_data.spread_shards``), and the report measured so; then
``manage.py fold_rollups``'s code folds them (what cron does every few minutes) and the figure is
measured on the folded rows. The anchor, from the same run, counts the month's cases from the raw
rows (one aggregate query: the least a report without rollups must do). Besides the wall-clock
percentiles (noisy on a shared machine) it prints the server-side CPU time per request
(``time.process_time``) and the queries per request. Prints ``FIGURE`` lines for ``bench/all``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures_data import (  # noqa: E402
    arguments,
    figure,
    fill_as_a_web_process,
    p99,
    setup,
    spread_shards,
    timed,
    vacuum_rollups,
)


def main() -> None:
    args = arguments()
    setup(args.db)
    from django.core.cache import cache
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from cases.enums import Role
    from cases.models import Case, User
    from stats.models import MonthlyRollup
    from web.figures import metrics
    from web.figures.reports import monthly_report_data

    fill_as_a_web_process(args.cases)
    cases = Case.objects.count()
    month = metrics.parse_month(args.month)
    boss, _ = User.objects.get_or_create(username="bench_supervisor", defaults={"role": Role.SUPERVISOR})
    staff = Client()
    staff.force_login(boss)

    def page(**extra: str):
        def call() -> None:
            cache.clear()
            response = staff.get("/console/reports/", {"month": args.month, **extra})
            assert response.status_code == 200, response.status_code

        return call

    def data_only() -> None:
        cache.clear()
        monthly_report_data(month, now=timezone.now())

    def raw_month() -> None:
        list(metrics.cohort(month).order_by().values("department_id").annotate(n=Count("pk")))

    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from stats.rollups import rollups_fold

    spread = spread_shards()
    shards = MonthlyRollup.objects.count()
    print(f"\n{cases:,} cases; {args.runs} runs each:")
    unfolded = timed(f"report: uncached, {shards:,} rollup rows (every shard written)", page(), args.runs)
    started = time.perf_counter()
    folded = rollups_fold()
    vacuum_rollups(full=True)  # once, after the first fold (README: fold the shards)
    print(f"fold_rollups: {folded:,} rows folded in {time.perf_counter() - started:.1f}s (spread {spread:,})")
    call = page()
    reset_queries()  # the fold's statements are not the report's
    with CaptureQueriesContext(connection) as queries:
        call()
    cpu = []
    for _ in range(args.runs):
        before = time.process_time()
        call()
        cpu.append((time.process_time() - before) * 1000)
    cpu.sort()
    print(
        f"report: {len(queries)} queries per request; CPU (process_time) per request "
        f"p50 {cpu[len(cpu) // 2]:.1f} ms, max {cpu[-1]:.1f} ms"
    )
    measured = timed(f"report: /console/reports/?month={args.month} uncached", page(), args.runs)
    timed("report: print version uncached", page(print="1"), args.runs)
    timed("report: data only (figures, ranking, charts, lists)", data_only, args.runs)
    anchor = timed("anchor: the month's cases counted from raw rows", raw_month, max(3, args.runs // 10))
    figure(
        f"monthly report uncached, {cases:,} cases",
        p99(measured),
        100,
        f"raw month count p99 {p99(anchor):.1f} ms; unfolded shards p99 {p99(unfolded):.1f} ms",
    )


if __name__ == "__main__":
    main()
