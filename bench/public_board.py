"""Benchmark: the public board's search and filters over ~1,000,000 cases on PostgreSQL.

    .venv/bin/python bench/public_board.py [--cases 1000000] [--runs 30] [--db cc_figures_bench]

Fills (once) its database through ``bench/figures_data.py`` (about a third of the cases
published, with their bigram search rows), then times full requests through the Django test
client (view + template + queries) and prints p50/p99 per scenario, and the issue-11 figure
(month + kind filter, page 50) as a ``FIGURE`` line with the newest page as its anchor. The
statistics and the monthly report have their own benches (``bench/stats_page.py``,
``bench/monthly_report.py``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures_data import figure, fill, p99, setup, timed  # noqa: E402

ONLY = ""


def _time(label: str, fn, runs: int) -> list[float]:
    if ONLY and not label.startswith(ONLY):
        return []
    return timed(label, fn, runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--only", default="", help="run only the scenarios whose label starts with this")
    parser.add_argument("--db", default="cc_figures_bench")
    args = parser.parse_args()
    global ONLY
    ONLY = args.only
    setup(args.db)
    from django.test import Client

    from cases.models import Case

    fill(args.cases)
    client = Client()

    def get(c: Client, path: str, **params: str):
        def call() -> None:
            response = c.get(path, params)
            assert response.status_code == 200, (path, params, response.status_code)

        return call

    published = Case.objects.filter(publication="published").count()
    print(f"\n{args.runs} runs each, full requests through the Django test client:")
    newest = _time("board: newest page", get(client, "/board/"), args.runs)
    _time("board: q=路灯 (2 chars)", get(client, "/board/", q="路灯"), args.runs)
    _time("board: q=路灯不亮 (AND of bigrams)", get(client, "/board/", q="路灯不亮"), args.runs)
    _time("board: q=拖欠 department=RSJ", get(client, "/board/", q="拖欠", department="RSJ"), args.runs)
    _time("board: q=灯 (1 char, substring)", get(client, "/board/", q="灯"), args.runs)
    _time("board: q=没有的词 (no hit)", get(client, "/board/", q="没有的词"), args.runs)
    filtered = _time(
        "board: month=2026-03 kind=complaint page 50",
        get(client, "/board/", month="2026-03", kind="complaint", page="50"),
        args.runs,
    )
    if filtered and newest:
        figure(
            f"public board, month + kind filter, page 50, {published:,} published (p99)",
            p99(filtered),
            100,
            f"newest page p99 {p99(newest):.1f} ms",
        )


if __name__ == "__main__":
    main()
