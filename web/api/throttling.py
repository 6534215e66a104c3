"""Rate limits for the citizens' endpoints.

A tracking number is printed on receipts and read out on the phone; the access code is
what keeps strangers out. ``LookupFailureThrottle`` counts only *failed* lookups per
client IP, so a citizen checking their case often is never blocked while someone trying
codes is stopped after a few guesses. Counts live in the configured cache (Redis in
production, so every web copy shares them).

The client IP is ``web.shell.client_address`` (X-Forwarded-For believed only from
settings.TRUSTED_PROXIES), never DRF's own ``get_ident``, which takes X-Forwarded-For from
anyone unless NUM_PROXIES is set.
"""

from __future__ import annotations

from django.core.cache import cache as default_cache
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle

from web.shell import client_address

DEFAULT_FAILURE_RATE = "10/hour"


class ClientAddressIdent:
    """Key a throttle on the client address of API.md, not on whatever X-Forwarded-For says."""

    def get_ident(self, request: Request) -> str:
        return client_address(request) or "unknown"


class LookupFailureThrottle(ClientAddressIdent, SimpleRateThrottle):
    """Refuses a client IP once it has made too many failed tracking lookups."""

    scope = "public_lookup_failures"
    default_rate = DEFAULT_FAILURE_RATE
    cache = default_cache

    def get_rate(self) -> str:
        # Read the settings on each use (not at import) so deployments and tests can tune it.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) or self.default_rate

    def get_cache_key(self, request: Request, view: object) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request: Request, view: object) -> bool:
        # Unlike the parent, a request is not recorded here: only failures are (record_failure).
        self.key = self.get_cache_key(request, view)
        self.now = self.timer()
        self.history = [t for t in self.cache.get(self.key, []) if t > self.now - self.duration]
        return len(self.history) < self.num_requests

    @classmethod
    def record_failure(cls, request: Request) -> None:
        throttle = cls()
        key = throttle.get_cache_key(request, None)
        now = throttle.timer()
        history = [t for t in throttle.cache.get(key, []) if t > now - throttle.duration]
        history.insert(0, now)
        throttle.cache.set(key, history, throttle.duration)

    @classmethod
    def reset(cls, request: Request) -> None:
        throttle = cls()
        throttle.cache.delete(throttle.get_cache_key(request, None))


class PublicTrackThrottle(ClientAddressIdent, ScopedRateThrottle):
    """Overall request rate for the public endpoints (``public_track`` in settings)."""

    scope_attr = "throttle_scope"

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request: Request, view: object) -> bool:
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        if not self.rate:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return SimpleRateThrottle.allow_request(self, request, view)
