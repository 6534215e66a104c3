"""manage.py rebuild_rollups — recount the monthly figures from the cases and their events."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from stats.rollups import rollups_rebuild


class Command(BaseCommand):
    help = (
        "Recount the monthly rollups (stats) from raw rows: after a bulk import, a change of the "
        "ranking's response term, or data edited by hand. Case actions wait while it runs."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        cases, rows = rollups_rebuild()
        self.stdout.write(f"recounted {cases} cases into {rows} rollup rows in {time.perf_counter() - started:.1f}s")
