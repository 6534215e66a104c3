"""The insight worker: hotspot detection every few minutes, retraining the classifier daily, and
the wallboard's live nudge every 15 seconds when cases changed (``insight.live``).

A ``cases.workers`` worker: ``step()`` does whatever is due and returns whether it did anything.
Detection is idempotent (hotspot keys), so two copies at once only repeat work; retraining is due
when the newest model version is older than ``retrain_every`` (read from the database, so a second
copy sees the first one's version once it is stored).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import Counter

from django.utils import timezone

from .hotspots import hotspots_detect
from .live import TICK_EVERY, wallboard_tick
from .models import DispatchModel
from .services import dispatch_model_train

log = logging.getLogger(__name__)

DETECT_EVERY = dt.timedelta(minutes=10)
RETRAIN_EVERY = dt.timedelta(days=1)


class InsightWorker:
    def __init__(
        self, *, worker_id: str, detect_every: dt.timedelta = DETECT_EVERY, retrain_every: dt.timedelta = RETRAIN_EVERY
    ) -> None:
        self.worker_id = worker_id
        self.stopping = threading.Event()
        self.acted: Counter[str] = Counter()
        self.detect_every = detect_every
        self.retrain_every = retrain_every
        self.last_detect: dt.datetime | None = None
        self.last_tick: dt.datetime | None = None
        self.stamp: tuple | None = None

    def retrain_due(self, now: dt.datetime) -> bool:
        newest = DispatchModel.objects.order_by("-version").values_list("trained_at", flat=True).first()
        return newest is None or now - newest >= self.retrain_every

    def step(self, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        worked = False
        if self.last_tick is None or now - self.last_tick >= TICK_EVERY:
            # Not "work": the loop still sleeps between ticks.
            self.stamp, self.last_tick = wallboard_tick(self.stamp), now
        if self.last_detect is None or now - self.last_detect >= self.detect_every:
            new, updated = hotspots_detect(now=now)
            self.acted["hotspots_new"] += len(new)
            self.acted["hotspots_updated"] += len(updated)
            self.last_detect = now
            worked = True
        if not self.stopping.is_set() and self.retrain_due(now):
            model = dispatch_model_train(now=now)
            log.info("insight worker trained model v%s", model.version)
            self.acted["models_trained"] += 1
            worked = True
        return worked

    def release(self) -> int:
        return 0
