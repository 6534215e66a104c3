"""The wallboard's live topic. Case actions nudge it through ``wallboard_tick``, at most once per
``TICK_SECONDS`` per process, so a burst of intake costs one event, not one per case: the page
refetches itself on an event (static/js/live.js), so one nudge is as good as a hundred."""

from __future__ import annotations

import threading
import time

from notifications import events

TOPIC = "wallboard"
TICK_SECONDS = 5.0

_last = {"at": float("-inf")}
_lock = threading.Lock()


def wallboard_tick() -> bool:
    """Publish ``wallboard.tick`` after commit unless one was published lately; True if queued."""
    now = time.monotonic()
    with _lock:
        if now - _last["at"] < TICK_SECONDS:
            return False
        _last["at"] = now
    events.publish(TOPIC, "wallboard.tick", {})
    return True
