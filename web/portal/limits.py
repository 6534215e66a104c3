"""Per-IP limits for the citizens, counted in the cache (Redis in production). The IP is
``web.shell.client_address`` (X-Forwarded-For believed only from settings.TRUSTED_PROXIES).

The one definition of each policy: the portal's form and track page use them, and so does the
tracking API (web.api.throttling.LookupFailureThrottle), so a guesser has one budget of failed
look-ups per address whether they try the page or the API.

Fixed windows: simple, shared by every web copy through the cache, and good enough to stop a
script flooding the form or guessing access codes. A citizen who hits a limit is told which
one and how long to wait.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Limit:
    scope: str
    count: int
    window_seconds: int

    def _key(self, ip: str | None) -> str:
        window = int(time.time()) // self.window_seconds
        return f"portal:limit:{self.scope}:{ip or 'unknown'}:{window}"

    def retry_after(self) -> int:
        """Seconds until the current window ends and the count starts again."""
        return self.window_seconds - int(time.time()) % self.window_seconds

    def exceeded(self, ip: str | None) -> bool:
        return (cache.get(self._key(ip)) or 0) >= self.count

    def hit(self, ip: str | None) -> None:
        key = self._key(ip)
        cache.add(key, 0, timeout=self.window_seconds + 5)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr: start the window again
            cache.set(key, 1, timeout=self.window_seconds + 5)

    @property
    def minutes(self) -> int:
        return max(1, self.window_seconds // 60)


# Cases created through the form, per IP.
SUBMIT = Limit("submit", count=5, window_seconds=10 * 60)
# Failed tracking look-ups (unknown number or wrong code), per IP: the portal's track page and
# /api/v1/public/track/ (and feedback) count together.
TRACK_FAILURES = Limit("track-fail", count=10, window_seconds=10 * 60)
