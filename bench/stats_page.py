"""Benchmark: the public statistics page uncached (month + 12-month trend + ranking + charts) at
~1,000,000 cases on PostgreSQL, read from the monthly rollups.

    .venv/bin/python bench/stats_page.py [--cases 1000000] [--runs 30] [--db cc_figures_bench]

Each run clears the cache first, so every request computes its figures (the page normally
shares a five-minute snapshot). The anchor, from the same run, is what the figures cost when
counted from the raw case rows (the twelve months' cases grouped by month, one aggregate query,
as the page did before the rollups). Prints ``FIGURE`` lines for ``bench/all``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file's name is the standard library's: run as a script, keep bench/ off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.figures_data import arguments, figure, fill_as_a_web_process, p99, setup, timed  # noqa: E402


def main() -> None:
    args = arguments()
    setup(args.db)
    from django.core.cache import cache
    from django.db.models import Count
    from django.db.models.functions import TruncMonth
    from django.test import Client
    from django.utils import timezone

    from cases.models import Case
    from web.figures import metrics

    fill_as_a_web_process(args.cases)
    cases = Case.objects.count()
    month = metrics.parse_month(args.month)
    first = metrics.add_months(month, -11)
    client = Client()

    def page() -> None:
        cache.clear()
        response = client.get("/stats/", {"month": args.month})
        assert response.status_code == 200, response.status_code

    def figures_only() -> None:
        cache.clear()
        metrics.department_figures(month)
        metrics.monthly_series(first, month)

    def raw_trend() -> None:
        start, _ = metrics.month_bounds(first)
        _, end = metrics.month_bounds(month)
        tz = timezone.get_current_timezone()
        list(
            Case.objects.filter(registered_at__gte=start, registered_at__lt=end)
            .annotate(m=TruncMonth("registered_at", tzinfo=tz))
            .order_by()
            .values("m")
            .annotate(n=Count("pk"))
        )

    print(f"\n{cases:,} cases; {args.runs} runs each:")
    measured = timed(f"stats: /stats/?month={args.month} uncached (full request)", page, args.runs)
    timed("stats: figures only (month + 12-month trend, rollups)", figures_only, args.runs)
    anchor = timed("anchor: 12-month count from raw case rows", raw_trend, max(3, args.runs // 10))
    figure(
        f"statistics page uncached (month + 12-month trend), {cases:,} cases",
        p99(measured),
        200,
        f"raw 12-month count p99 {p99(anchor):.1f} ms",
    )


if __name__ == "__main__":
    main()
