"""manage.py fold_rollups — fold the rollups' shards into one row per key (run every few minutes)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from stats.figures import add_months
from stats.rollups import rollups_fold


class Command(BaseCommand):
    help = (
        "Fold the monthly rollups' shards into one row per key, so the report and the statistics "
        "read one row per key (concurrent registrations spread a key over 16 rows). Exact while "
        "case actions run; run it from cron every few minutes (--months 2: this month and the last)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--months", type=int, default=0, help="only the last N months (0: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        months = None
        if options["months"]:
            this = timezone.localdate().replace(day=1)
            months = [add_months(this, -i) for i in range(options["months"])]
        folded = rollups_fold(months=months)
        self.stdout.write(f"folded {folded} rollup rows in {time.perf_counter() - started:.1f}s")
