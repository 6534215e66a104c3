"""Is the hotline staffed right now? A daily window from settings.TELEPHONY_OPEN_HOURS.

The hotline answers every day of the year inside its window (holidays included — a 24x7
service with night hours), so this is a plain clock check, not a working-day calendar;
statutory deadlines are sla.calendar's business, not this module's.
"""

from __future__ import annotations

from datetime import datetime, time

from django.conf import settings
from django.utils import timezone


def _parse(value: str) -> time:
    value = value.strip()
    if value in {"24:00", "24:00:00"}:
        return time.max
    return time.fromisoformat(value)


def open_window() -> tuple[time, time]:
    start, end = getattr(settings, "TELEPHONY_OPEN_HOURS", ("08:00", "20:00"))
    return _parse(start), _parse(end)


def is_open(now: datetime | None = None) -> bool:
    """True when agents are on duty. A window whose end is before its start runs past midnight."""
    local = timezone.localtime(now or timezone.now()).time()
    start, end = open_window()
    if start == end:
        return True
    if start < end:
        return start <= local < end
    return local >= start or local < end
