"""``manage.py insight_hotspots``: run hotspot detection once now and list what it found."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from insight.hotspots import hotspots_detect


class Command(BaseCommand):
    help = "Detect surges and clusters among the recent cases once (the worker does it on a schedule)."

    def handle(self, *args, **options):
        new, updated = hotspots_detect(now=timezone.now())
        for label, rows in (("new", new), ("updated", updated)):
            for h in rows:
                self.stdout.write(f"{label}: [{h.kind}] {h.label} — {h.count} cases (baseline {h.baseline})")
        self.stdout.write(f"{len(new)} new, {len(updated)} updated")
