"""A version stamp in the shared cache (Redis in production), read by each thread at most once a
``recheck`` interval.

Per-process copies (``cases.refcache``'s reference data, ``web.api.authentication``'s remembered
tokens) keep what they loaded with the stamp they saw; a change anywhere bumps the stamp, and every
thread sees the new one within ``recheck`` seconds: one cache round trip per thread and interval, not
one per request. The cache failing never fails the caller: the stamp then reads as ``""`` and the
copies' own maximum age bounds how stale they get.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

from django.core.cache import cache


class SharedStamp:
    def __init__(self, key: str, *, clock: Callable[[], float], recheck: float = 1.0) -> None:
        self.key = key
        self.recheck = recheck
        # Called each time, not bound once: tests pin the clock by patching what it calls.
        self._clock = clock
        self._seen = threading.local()

    def get(self) -> str:
        """The stamp as this thread last read it, read again once it is ``recheck`` seconds old (or
        the clock went back)."""
        now = self._clock()
        at = getattr(self._seen, "at", None)
        if at is not None and 0 <= now - at < self.recheck:
            return self._seen.stamp
        try:
            stamp = cache.get(self.key) or ""
        except Exception:  # noqa: BLE001 - the cache must never fail a request; max ages still bound
            stamp = ""
        self._seen.stamp, self._seen.at = stamp, now
        return stamp

    def forget(self) -> None:
        """This thread reads the stamp again at its next ``get``."""
        self._seen.at = None

    def bump(self) -> None:
        """Tell every process: a new stamp (this thread reads it again too)."""
        self.forget()
        try:
            cache.set(self.key, uuid.uuid4().hex, timeout=None)
        except Exception:  # noqa: BLE001 - the others then notice within their copies' maximum age
            pass
