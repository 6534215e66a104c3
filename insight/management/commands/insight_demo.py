"""``manage.py insight_demo``: 12 months of backdated demo history and two planted hotspots, then
one hotspot detection (``scripts/serve`` runs it after ``demo_data``). Idempotent: history and
plants are written once; the classifier is trained by the insight worker's first step."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cases.models import Case, User
from insight import demo_history
from insight.hotspots import hotspots_detect


class Command(BaseCommand):
    help = "Write 12 months of demo history and plant a surge and a cluster (once), then detect hotspots."

    def handle(self, *args, **options):
        if not getattr(settings, "DEMO_DATA_ALLOWED", False):
            raise CommandError("Demo data is refused here (settings.DEMO_DATA_ALLOWED is False).")
        now = timezone.now()
        started = time.perf_counter()
        if demo_history.history_exists(now):
            self.stdout.write("Demo history already there; nothing written.")
        else:
            n = demo_history.create_history(now=now)
            self.stdout.write(f"Wrote {n} backdated cases in {time.perf_counter() - started:.1f} s.")
        if not Case.objects.filter(title="江景花园停水").exists():
            planted = demo_history.plant_hotspots(now=now, agent=User.objects.filter(username="agent").first())
            self.stdout.write(f"Planted {planted} cases (a surge and a cluster).")
        new, updated = hotspots_detect(now=timezone.now())
        for h in new:
            self.stdout.write(f"hotspot: [{h.kind}] {h.label} — {h.count} cases")
        self.stdout.write(f"{len(new)} new hotspots, {len(updated)} updated, in {time.perf_counter() - started:.1f} s")
