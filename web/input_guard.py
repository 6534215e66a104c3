"""One gate for bytes no field may hold: a NUL character (``\\x00``, ``%00``, JSON ``\\u0000``) in the
path, the query string, a form field, a JSON string, a cookie or a header is refused with a 400 that
names the field, before any view runs.

Why here and not in each view: PostgreSQL cannot store or even compare a text containing NUL
(psycopg raises ValueError), so every lookup, filter and insert fed from a request would be a 500;
SQLite stores it silently. No legitimate input carries one, so the whole site refuses it alike —
the API in its error shape, Open311 in the spec's error array, Twilio's webhooks with a plain 400
(Twilio logs it and does not retry), and pages with an error page.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _

from web.open311.render import error as open311_error

NUL = "\x00"
# The only ways a JSON body can carry a NUL: the escape (JSON has no other spelling of U+0000)
# or a zero byte (a raw NUL, which a parser refuses, or any UTF-16/32 body, parsed to be sure).
JSON_NUL_SPELLINGS = (b"\\u0000", b"\x00")


def _json_strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(field path, string) for every key and string value in a parsed JSON document."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            yield name, str(key)
            yield from _json_strings(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_strings(item, f"{path}.{index}" if path else str(index))


def _is_json(request: HttpRequest) -> bool:
    return request.content_type == "application/json" or request.content_type.endswith("+json")


def nul_field(request: HttpRequest) -> str | None:
    """The name of the first place in the request holding a NUL character, or None."""
    if NUL in request.path_info:
        return "path"
    for name, values in request.GET.lists():
        if NUL in name or any(NUL in v for v in values):
            return name.replace(NUL, "")
    for key, value in request.META.items():
        if key.startswith("HTTP_") and isinstance(value, str) and NUL in value:
            return key[5:].replace("_", "-").title()
    for name, value in request.COOKIES.items():
        if NUL in name or NUL in value:
            return f"cookie {name.replace(NUL, '')}"
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return None
    if _is_json(request):
        body = request.body  # RequestDataTooBig: the middleware answers it
        if not any(spelling in body for spelling in JSON_NUL_SPELLINGS):
            return None  # no NUL can be in it: not parsed here (the view's parser reads it once)
        try:
            document = json.loads(body)
            for name, text in _json_strings(document, ""):
                if NUL in text:
                    return name.replace(NUL, "") or "body"
        except (ValueError, RecursionError):  # malformed or absurdly nested: the view's parser answers
            return None
        return None
    if request.path_info.startswith("/api/"):
        # The API reads JSON only and answers a form body with 415; parsing it here would hide
        # that from DRF (it would see an already-read stream and an empty body).
        return None
    if request.content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        try:
            request.POST  # noqa: B018 - parse once here; Django keeps the result for the view
        except MultiPartParserError:  # no or a broken boundary: the view's parser answers that
            return None
        for name, values in request.POST.lists():
            if NUL in name or any(NUL in v for v in values):
                return name.replace(NUL, "")
        for name, files in request.FILES.lists():
            if NUL in name or any(NUL in (f.name or "") for f in files):
                return name.replace(NUL, "")
    return None


def refusal(request: HttpRequest, field: str, message: str | None = None) -> HttpResponse:
    """The 400 for ``field``, in the shape the part of the site that was asked answers in."""
    spec_message = f"{field}: contains a NUL character" if message is None else f"{field}: too large"
    message = message or _("“%(field)s”含有不允许的空字符（NUL）。") % {"field": field}
    path = request.path_info
    if path.startswith("/api/"):
        body = {"error": {"code": "invalid", "message": message, "fields": {field: [message]}}}
        return JsonResponse(body, status=400, json_dumps_params={"ensure_ascii": False})
    if path.startswith("/open311/"):
        return open311_error("xml" if path.endswith(".xml") else "json", 400, spec_message)
    if path.startswith("/telephony/twilio/"):
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    return render(request, "bad_request.html", {"message": message}, status=400)


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            field = nul_field(request)
        except RequestDataTooBig:
            # Django would answer its own HTML 400 page, not the API's error shape.
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
            return refusal(request, "body", _("请求内容过大（上限 %(kb)d KB）。") % {"kb": limit})
        if field is not None:
            return refusal(request, field)
        return self.get_response(request)
