"""Rate limits for the citizens' endpoints.

A tracking number is printed on receipts and read out on the phone; the access code is
what keeps strangers out. ``LookupFailureThrottle`` counts only *failed* lookups per
client IP, so a citizen checking their case often is never blocked while someone trying
codes is stopped after a few guesses; it shares its limit and count with the portal's track
page (web/portal/limits.py). Counts live in the configured cache (Redis in production, so
every web copy shares them). Staff sign-ins are not throttled here: they lock out (web/signin.py).

The client IP is ``web.shell.client_address`` (X-Forwarded-For believed only from
settings.TRUSTED_PROXIES), never DRF's own ``get_ident``, which takes X-Forwarded-For from
anyone unless NUM_PROXIES is set.
"""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, ScopedRateThrottle, SimpleRateThrottle

from web.portal import limits
from web.shell import client_address


class ClientAddressIdent:
    """Key a throttle on the client address of API.md, not on whatever X-Forwarded-For says."""

    def get_ident(self, request: Request) -> str:
        return client_address(request) or "unknown"


class LookupFailureThrottle(BaseThrottle):
    """Refuses a client address once it has made too many failed tracking lookups. The count is
    the portal's (``web.portal.limits.TRACK_FAILURES``): one policy for the page and the API."""

    def allow_request(self, request: Request, view: object) -> bool:
        return not limits.TRACK_FAILURES.exceeded(client_address(request))

    def wait(self) -> float:
        return float(limits.TRACK_FAILURES.retry_after())

    @classmethod
    def record_failure(cls, request: Request) -> None:
        limits.TRACK_FAILURES.hit(client_address(request))


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
