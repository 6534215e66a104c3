"""The wallboard's live topic. The insight worker nudges it (``wallboard_tick``) every
``TICK_EVERY`` when cases changed since its last nudge — never per case action, so intake pays
nothing for it and a burst of a thousand cases costs one event. The page refetches itself on an
event (static/js/live.js); its live indicator shows whether the socket and heartbeats are up."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Max

from cases.models import Case
from notifications import events

TOPIC = "wallboard"
TICK_EVERY = dt.timedelta(seconds=15)


def cases_stamp() -> tuple:
    """Changes whenever a case is registered or acted on (``updated_at`` moves on every save)."""
    row = Case.objects.aggregate(n=Count("pk"), last=Max("updated_at"))
    return row["n"], row["last"]


def wallboard_tick(previous: tuple | None) -> tuple:
    """Publish ``wallboard.tick`` if the cases changed since ``previous``; returns the new stamp."""
    stamp = cases_stamp()
    if previous is not None and stamp != previous:
        events.publish(TOPIC, "wallboard.tick", {})
    return stamp
