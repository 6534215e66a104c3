"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at /open311/v2/.

services = leaf categories (service_code = category code); requests = cases
(service_request_id = tracking_no). POST registers synchronously through
``case_register`` (channel ``open311``), so a token is the request id itself.
Only public data goes out (API.md "Open311 listing"): ``requests`` and
``requests/{id}`` show published cases, with their redacted public copy as
description and status_notes, and the requests the calling ``api_key``
registered itself (``Case.open311_key``). Any other case - unpublished, private,
a report about officials, another client's - is the spec's 404 and never listed.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from cases import services
from cases.enums import Channel, Kind, Publication, State
from cases.exceptions import CaseError, CaseValidationError
from cases.models import Case, Category, Open311ApiKey
from cases.validation import parse_moment
from web.shell import client_address

from .render import error, respond

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-21T00:00:00+08:00"
CLOSED_STATES = (State.ANSWERED, State.CLOSED, State.REJECTED, State.MERGED, State.TRANSFERRED)
MAX_REQUESTS = 1000
DEFAULT_WINDOW = timedelta(days=90)


def _param(request: HttpRequest, name: str) -> str:
    """POST takes form body or query string (the spec allows both)."""
    value = request.POST.get(name) if request.method == "POST" else None
    if value is None:
        value = request.GET.get(name, "")
    return (value or "").strip()


def _services() -> QuerySet[Category]:
    return Category.objects.filter(active=True, children__isnull=True, parent__isnull=False).select_related("parent")


def _service(cat: Category) -> dict[str, Any]:
    return {
        "service_code": cat.code,
        "service_name": cat.name,
        "description": cat.path,
        "metadata": False,
        "type": "realtime",
        "keywords": ",".join(cat.kinds or []),
        "group": cat.parent.name if cat.parent_id else "",
    }


def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri("/open311/v2/")
    data = {
        "changeset": CHANGESET,
        "contact": "12345 政务服务便民热线",
        "key_service": getattr(settings, "PUBLIC_BASE_URL", "") + "/admin/",
        "endpoints": [
            {
                "specification": SPEC_URL,
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return respond(data, fmt, root="discovery", list_item={"endpoints": "endpoint", "formats": "format"})


def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    return respond([_service(c) for c in _services()], fmt, root="services", item="service")


def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    cat = _services().filter(code=code).first()
    if cat is None:
        return error(fmt, 404, f"service_code {code[:40]} not found")
    return respond(
        {"service_code": cat.code, "attributes": []},
        fmt,
        root="service_definition",
        list_item={"attributes": "attribute"},
    )


def _status(case: Case) -> str:
    return "closed" if case.state in CLOSED_STATES else "open"


def _is_published(case: Case) -> bool:
    return case.publication == Publication.PUBLISHED and case.publish_consent


def _request(case: Case, key: Open311ApiKey | None = None) -> dict[str, Any]:
    published = _is_published(case)
    own = key is not None and case.open311_key_id == key.pk
    updated = case.closed_at or case.answered_at or case.replied_at or case.assigned_at or case.registered_at
    if published:
        description, notes = case.public_content, case.public_answer
    else:
        # The client's own request: it wrote the description; the answer stays with the citizen
        # until a redacted copy is published.
        description, notes = (case.content if own else ""), ""
    return {
        "service_request_id": case.tracking_no,
        "status": _status(case),
        "status_notes": notes,
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": description,
        "agency_responsible": case.department.name if case.department_id else "",
        "service_notice": "",
        "requested_datetime": timezone.localtime(case.registered_at).isoformat(),
        "updated_datetime": timezone.localtime(updated).isoformat(),
        "expected_datetime": "",
        "address": "",
        "address_id": "",
        "zipcode": "",
        "lat": "",
        "long": "",
        "media_url": "",
    }


def _when(value: str) -> datetime | None:
    return parse_moment(value, date_at=time.min)


def _cases(key: Open311ApiKey | None) -> QuerySet[Case]:
    """The cases this caller may read: the published ones, and those its own key registered."""
    visible = Q(publication=Publication.PUBLISHED, publish_consent=True)
    if key is not None:
        visible |= Q(open311_key=key)
    # A report about staff (cases.rules.is_restricted) is never an Open311 request, whoever asks.
    return Case.objects.filter(visible, about_staff_of__isnull=True).select_related("category", "department")


def _list_requests(request: HttpRequest, fmt: str) -> HttpResponse:
    key = _api_key(request)
    ids = [i.strip() for i in _param(request, "service_request_id").split(",") if i.strip()][:MAX_REQUESTS]
    if ids:  # the spec: other parameters are ignored when ids are given
        cases = _cases(key).filter(tracking_no__in=ids).order_by("-registered_at")
        return respond([_request(c, key) for c in cases], fmt, root="service_requests", item="request")
    qs = _cases(key)
    codes = [c.strip() for c in _param(request, "service_code").split(",") if c.strip()]
    if codes:
        qs = qs.filter(category__code__in=codes)
    try:
        times = {}
        for name in ("start_date", "end_date"):
            raw = _param(request, name)
            times[name] = _when(raw) if raw else None
            if raw and times[name] is None:
                raise ValueError(name)
    except ValueError as exc:
        return error(fmt, 400, f"{exc} must be a W3C datetime, e.g. 2026-11-21T09:30:00+08:00")
    end = times["end_date"] or timezone.now()
    start = times["start_date"] or end - DEFAULT_WINDOW
    qs = qs.filter(registered_at__gte=start, registered_at__lte=end)
    statuses = {s.strip() for s in _param(request, "status").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        return error(fmt, 400, "status must be open or closed")
    if statuses == {"open"}:
        qs = qs.exclude(state__in=CLOSED_STATES)
    elif statuses == {"closed"}:
        qs = qs.filter(state__in=CLOSED_STATES)
    cases = qs.order_by("-registered_at")[:MAX_REQUESTS]
    return respond([_request(c, key) for c in cases], fmt, root="service_requests", item="request")


def _api_key(request: HttpRequest) -> Open311ApiKey | None:
    key = _param(request, "api_key")[:64]
    if not key:
        return None
    found = Open311ApiKey.objects.filter(key=key, active=True).first()
    if found is not None:
        Open311ApiKey.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
    return found


def _create_request(request: HttpRequest, fmt: str) -> HttpResponse:
    key = _api_key(request)
    if key is None:
        return error(fmt, 403, "api_key was not provided or is invalid")
    code = _param(request, "service_code")
    if not code:
        return error(fmt, 400, "service_code is required")
    cat = _services().filter(code=code[:32]).first()
    if cat is None:
        return error(fmt, 404, f"service_code {code[:40]} not found")
    lat, lon, address = _param(request, "lat"), _param(request, "long"), _param(request, "address_string")
    location = address
    if lat or lon:
        try:
            lat_f, lon_f = float(lat), float(lon)
        except ValueError:
            return error(fmt, 400, "lat and long must both be decimal degrees")
        if not (-90 <= lat_f <= 90 and -180 <= lon_f <= 180):
            return error(fmt, 400, "lat/long out of range")
        location = f"{address} ({lat_f:.6f}, {lon_f:.6f})".strip()
    if not location:
        return error(fmt, 400, "a location is required: lat and long, or address_string")
    description = _param(request, "description")
    if not description:
        return error(fmt, 400, "description is required")
    name = " ".join(p for p in (_param(request, "last_name"), _param(request, "first_name")) if p)
    kind = next((k for k in (cat.kinds or []) if k in Kind.values), Kind.HELP)
    try:
        case = services.case_register(
            actor=None,
            channel=Channel.OPEN311,
            kind=kind,
            category=cat,
            title=description[:40],
            content=description,
            location=location[:300],
            citizen=services.Citizen(name=name, phone=_param(request, "phone"), email=_param(request, "email")),
            publish_consent=True,
            client_ip=client_address(request),
            as_label="open311",
            open311_key=key,
        )
    except CaseValidationError as exc:
        errors = [(400, f"{field}: {msg}") for field, msgs in exc.fields.items() for msg in msgs] or [
            (400, exc.message)
        ]
        return error(fmt, 400, errors=errors)
    except CaseError as exc:
        return error(fmt, 400, exc.message)
    body = [{"service_request_id": case.tracking_no, "token": case.tracking_no, "service_notice": "", "account_id": ""}]
    return respond(body, fmt, root="service_requests", item="request", status=201)


@csrf_exempt
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create_request(request, fmt)
    if request.method in {"GET", "HEAD"}:
        return _list_requests(request, fmt)
    return error(fmt, 405, "method not allowed")


def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    key = _api_key(request)
    case = _cases(key).filter(tracking_no=request_id[:20]).first()
    if case is None:
        return error(fmt, 404, f"service_request_id {request_id[:40]} not found")
    return respond([_request(case, key)], fmt, root="service_requests", item="request")


def token(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    # Registration is synchronous: the token handed out is the tracking number itself. Like the
    # requests themselves, a token is answered for published cases and the caller's own only.
    found = _cases(_api_key(request)).filter(tracking_no=token[:20]).values_list("tracking_no", flat=True).first()
    if found is None:
        return error(fmt, 404, f"token {token[:40]} not found")
    return respond([{"service_request_id": found, "token": token}], fmt, root="service_requests", item="request")


def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    fmt = "xml" if path.endswith(".xml") else "json"
    return error(fmt, 404, "no such Open311 endpoint (use .json or .xml)")
