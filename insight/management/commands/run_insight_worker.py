"""``manage.py run_insight_worker``: hotspot detection on a schedule and the daily retraining.

Flags of every worker (``cases.workers``) plus ``--detect-every`` and ``--retrain-every``
(minutes). With ``--once`` it detects, retrains if due, and exits.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import CommandError, CommandParser

from cases.workers import WorkerCommand
from insight.worker import DETECT_EVERY, RETRAIN_EVERY, InsightWorker
from notifications import events


class Command(WorkerCommand):
    help = "Run the insight worker: detect hotspots every few minutes, retrain the dispatch classifier daily."
    name = "insight worker"
    default_batch = 1
    default_idle_sleep = 5.0

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--detect-every", type=float, default=DETECT_EVERY.total_seconds() / 60, help="minutes")
        parser.add_argument("--retrain-every", type=float, default=RETRAIN_EVERY.total_seconds() / 60, help="minutes")

    def handle(self, *args, detect_every: float, retrain_every: float, **options):
        if detect_every <= 0 or retrain_every <= 0:
            raise CommandError("--detect-every and --retrain-every must be positive")
        self._every = (dt.timedelta(minutes=detect_every), dt.timedelta(minutes=retrain_every))
        super().handle(*args, **options)

    def make_worker(self, *, batch: int, worker_id: str) -> InsightWorker:
        events.relay_from_this_process()  # without Redis, alerts reach the pages through the DB relay
        return InsightWorker(worker_id=worker_id, detect_every=self._every[0], retrain_every=self._every[1])
