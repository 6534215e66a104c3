"""Failed sign-ins lock out (API.md "Conventions"): the console and admin login pages and the API
token endpoint, through django-axes (configured by the ``AXES_*`` settings).

Two rules, both counted over the last ``AXES_COOLOFF_TIME`` and keyed on ``web.shell.client_address``
(the one address rule: X-Forwarded-For believed only from TRUSTED_PROXIES):

- one account from one address: ``AXES_FAILURE_LIMIT`` failures lock that account there;
- one address, whatever accounts it tries: ``LOGIN_ADDRESS_FAILURE_LIMIT`` failures lock the
  address (higher, since an office signs in from one address; it stops password spraying).

A successful sign-in forgets that account's failures at that address, not its neighbours'.

SignInFailures                   AXES_HANDLER: axes' database handler counting the two rules
lockout_response                 AXES_LOCKOUT_CALLABLE: 429, the API's error shape under /api/,
                                 the lockout page elsewhere
signin_succeeded(request, user)  for a sign-in that is not a Django login (the token endpoint)

Every failure is also kept in axes' access-failure log, shown to administrators in the admin.
"""

from __future__ import annotations

from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off, get_credentials, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from cases.models import User

API_PREFIX = "/api/"


class SignInFailures(AxesDatabaseHandler):
    """axes' database handler, with a second, per-address threshold (see the module docstring)."""

    def _recent(self, request: HttpRequest) -> Any:
        attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        return attempts

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """The count axes compares with AXES_FAILURE_LIMIT: this account's failures from this
        address, or the limit itself once the address has reached its own."""
        username = get_client_username(request, credentials)
        counts = self._recent(request).aggregate(
            address=Sum("failures_since_start"), account=Sum("failures_since_start", filter=Q(username=username))
        )
        account, address = counts["account"] or 0, counts["address"] or 0
        if address >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            return max(account, get_failure_limit(request, credentials))
        return account

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """On success (AXES_RESET_ON_SUCCESS): this account's failures at this address only, so one
        insider signing in does not wipe the count of someone spraying from the same address."""
        username = get_client_username(request, credentials)
        count, _details = AccessAttempt.objects.filter(username=username, ip_address=request.axes_ip_address).delete()
        return count


def cool_off_minutes() -> int:
    cool_off = get_cool_off()
    return max(1, int(cool_off.total_seconds() // 60)) if cool_off else 0


def lockout_message() -> str:
    return _("登录失败次数过多，已暂时锁定，请%(minutes)d分钟后再试。如忘记密码，请联系系统管理员。") % {
        "minutes": cool_off_minutes()
    }


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """What a locked-out sign-in gets: 429 with the API's error shape on the token endpoint (and a
    Retry-After of the cool-off), the lockout page on the console and admin login pages."""
    message = lockout_message()
    if request.path_info.startswith(API_PREFIX):
        body = {"error": {"code": "too_many_attempts", "message": message, "fields": {}}}
        response: HttpResponse = JsonResponse(body, status=429, json_dumps_params={"ensure_ascii": False})
        response["Retry-After"] = str(cool_off_minutes() * 60)
        return response
    return render(request, "console/lockout.html", {"message": message}, status=429)


def signin_succeeded(request: HttpRequest, user: User) -> None:
    """A sign-in that is not a Django login (no user_logged_in signal): the token endpoint. Forgets
    the account's failures at this address, as a login does (AXES_RESET_ON_SUCCESS)."""
    if not settings.AXES_RESET_ON_SUCCESS:
        return
    AxesProxyHandler.update_request(request)
    AxesProxyHandler.get_implementation().reset_user_attempts(request, get_credentials(user.get_username()))
