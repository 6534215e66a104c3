"""Twilio request signatures: every webhook is checked before anything is read or written.

The signature covers the URL Twilio was told to call. Behind a reverse proxy the Host
header and scheme Django sees are not that URL, so we rebuild it from
settings.PUBLIC_BASE_URL + the request path and query string.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "HTTP_X_TWILIO_SIGNATURE"


def public_url(request: HttpRequest) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + request.get_full_path()


def signature_is_valid(request: HttpRequest) -> bool:
    token = getattr(settings, "TWILIO_AUTH_TOKEN", "")
    signature = request.META.get(SIGNATURE_HEADER, "")
    if not token or not signature:
        return False
    params = request.POST if request.method == "POST" else {}
    try:
        return RequestValidator(token).validate(public_url(request), params, signature)
    except Exception:  # a malformed body or header is a bad signature, never a 500
        log.warning("twilio signature check failed on %s", request.path, exc_info=True)
        return False


def twilio_webhook(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """POST only, no CSRF token (Twilio has none), and a valid X-Twilio-Signature or 403."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not signature_is_valid(request):
            log.warning("twilio webhook %s refused: missing or invalid signature", request.path)
            return HttpResponseForbidden("invalid signature", content_type="text/plain")
        return view(request, *args, **kwargs)

    return csrf_exempt(require_POST(wrapper))
