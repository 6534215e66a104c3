"""The API's one error shape, {"error": {"code", "message", "fields"}} (API.md "Conventions"),
and the one place where exceptions become it: DRF calls ``exception_handler`` for every API view
(settings.REST_FRAMEWORK["EXCEPTION_HANDLER"]), so views raise and never build errors themselves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from cases.exceptions import (
    AttachmentTooLarge,
    CaseConflict,
    CaseError,
    CaseNotFound,
    CasePermissionDenied,
    CaseRateLimited,
    CaseValidationError,
    PersonalDataRemains,
)
from sla.calendar import NoWorkingTime, TermError, UnknownCalendar


class InvalidCredentials(CaseValidationError):
    """Wrong username or password at the token endpoint: 400 ``invalid_credentials``."""

    code = "invalid_credentials"


# (code, message, fields, extra members of "error")
Shaped = tuple[str, str, dict[str, list[str]], dict[str, Any]]


def _case_error(exc: CaseError) -> Shaped:
    extra: dict[str, Any] = {"state": exc.state} if isinstance(exc, CaseConflict) and exc.state else {}
    if isinstance(exc, PersonalDataRemains):
        extra["warnings"] = exc.warnings
    return exc.code, exc.message, exc.fields, extra


def _term_error(exc: TermError) -> Shaped:
    return "invalid", exc.message, {name: [exc.message] for name in exc.fields}, {}


def _calendar_error(exc: Exception) -> Shaped:
    return "invalid", str(exc), {"calendar": [str(exc)]}, {}


# Domain exception → HTTP status and how to read it. Looked up along the exception's class
# hierarchy, so a subclass (InvalidCredentials) answers like its parent unless listed itself.
DOMAIN_ERRORS: dict[type[Exception], tuple[int, Callable[[Any], Shaped]]] = {
    CaseValidationError: (status.HTTP_400_BAD_REQUEST, _case_error),
    AttachmentTooLarge: (status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, _case_error),
    CasePermissionDenied: (status.HTTP_403_FORBIDDEN, _case_error),
    CaseNotFound: (status.HTTP_404_NOT_FOUND, _case_error),
    CaseConflict: (status.HTTP_409_CONFLICT, _case_error),
    CaseRateLimited: (status.HTTP_429_TOO_MANY_REQUESTS, _case_error),
    CaseError: (status.HTTP_400_BAD_REQUEST, _case_error),
    TermError: (status.HTTP_400_BAD_REQUEST, _term_error),
    UnknownCalendar: (status.HTTP_400_BAD_REQUEST, _calendar_error),
    NoWorkingTime: (status.HTTP_400_BAD_REQUEST, _calendar_error),
}


def error_response(code: str, message: str, http_status: int, fields: dict | None = None, **extra: Any) -> Response:
    body = {"error": {"code": code, "message": message, "fields": fields or {}, **extra}}
    return Response(body, status=http_status)


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(value, dict):
                for sub, msgs in _flatten(value).items():
                    out[f"{key}.{sub}"] = msgs
            else:
                out[key] = [str(v) for v in (value if isinstance(value, list) else [value])]
        return out
    return {"non_field_errors": [str(d) for d in (detail if isinstance(detail, list) else [detail])]}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    for cls in type(exc).__mro__:
        if cls in DOMAIN_ERRORS:
            http_status, read = DOMAIN_ERRORS[cls]
            code, message, fields, extra = read(exc)
            return error_response(code, message, http_status, fields, **extra)
    if isinstance(exc, Http404):
        return error_response("not_found", "Not found.", 404)
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        first = next(iter(fields.values()))[0] if fields else "Invalid input."
        return error_response("invalid", first, 400, fields)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = {
        400: "invalid",
        401: "not_authenticated",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        429: "throttled",
        415: "unsupported_media_type",
        406: "not_acceptable",
    }.get(response.status_code, "error")
    detail = response.data.get("detail", "") if isinstance(response.data, dict) else str(response.data)
    shaped = error_response(code, str(detail), response.status_code)
    # Keep what DRF put in the headers (WWW-Authenticate on 401, Retry-After on 429).
    for header, value in response.headers.items():
        if header.lower() in {"www-authenticate", "retry-after"}:
            shaped[header] = value
    return shaped
