"""Nothing a client can send is a server error: a NUL character anywhere in a request, on every URL
the site answers, as anyone, is a 400 naming the field — in the API's error shape, Open311's error
array, a plain 400 for Twilio and an error page for pages (web.input_guard).

PostgreSQL is where this bites (psycopg refuses a text holding NUL, so a lookup fed from the request
was a 500); the walk runs on whichever database the suite runs on, and CI runs it on PostgreSQL.
"""

from __future__ import annotations

import json
import re
from types import SimpleNamespace
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve

# Field names the site's views, forms, Open311 and the webhooks read (and a few they don't): a NUL in
# any of them is refused, whoever reads it.
NAMES = [
    "q",
    "status",
    "page",
    "month",
    "department",
    "tracking_no",
    "access_code",
    "phone",
    "reason",
    "note",
    "text",
    "title",
    "content",
    "name",
    "email",
    "until",
    "start",
    "level",
    "grant",
    "rating",
    "comment",
    "category",
    "location",
    "service_code",
    "service_request_id",
    "description",
    "lat",
    "long",
    "address_string",
    "api_key",
    "start_date",
    "end_date",
    "From",
    "To",
    "Body",
    "CallSid",
    "Digits",
    "username",
    "password",
    "code",
    "next",
    "language",
]
# Values tried for a URL's parameters, first match wins: a number for ids, a word for codes, and the
# admin's app labels and model names.
SAMPLES = ["1", "x", "cases", "case", "sla", "json"]


def _patterns(resolver: URLResolver, prefix: str = "") -> list[str]:
    """Every route's pattern string, with its prefix, walking includes."""
    out = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            out.extend(_patterns(entry, prefix + str(entry.pattern)))
        elif isinstance(entry, URLPattern):
            out.append(prefix + str(entry.pattern))
    return out


_GROUP = re.compile(r"<(?:\w+:)?\w+>|\(\?P<\w+>(?P<regex>[^)]*)\)")


def _concrete(pattern: str) -> str | None:
    """A path that resolves to this very pattern, trying the sample values for its parameters (a
    regex group of plain alternatives, like Open311's json|xml, takes its first); None if none does."""

    def fill(sample: str) -> str:
        def one(m: re.Match) -> str:
            alternatives = (m.group("regex") or "").split("|")
            return alternatives[0] if all(a.isalnum() for a in alternatives) else sample

        return "/" + _GROUP.sub(one, pattern).replace("^", "").replace("$", "").replace("\\.", ".")

    for sample in SAMPLES:
        path = fill(sample)
        try:
            match = resolve(path)
        except Resolver404:
            continue
        if match.route.replace("^", "") == pattern.replace("^", ""):
            return path
    return None


def _urls() -> list[str]:
    seen: dict[str, None] = {}
    for pattern in _patterns(get_resolver()):
        path = _concrete(pattern)
        if path is not None:
            seen.setdefault(path, None)
    return list(seen)


URLS = _urls()


def test_the_walk_covers_every_part_of_the_site():
    prefixes = {"/api/v1/", "/open311/v2/", "/board/", "/stats/", "/telephony/twilio/", "/console/", "/admin/", "/"}
    for prefix in prefixes:
        assert any(u.startswith(prefix) for u in URLS), prefix
    assert len(URLS) > 80


def _nul_path(path: str) -> str:
    """The same route with a NUL in its first parameter-like segment (or appended to the path)."""
    segments = path.split("/")
    for i in range(len(segments) - 1, -1, -1):
        if segments[i] in SAMPLES or segments[i].split(".")[0] in SAMPLES:
            segments[i] = segments[i].replace(segments[i].split(".")[0], "x%00", 1)
            return "/".join(segments)
    return path.rstrip("/") + "/x%00/"


def _field_named(path: str, response, field: str) -> bool:
    body = response.content.decode()
    if path.startswith("/api/"):
        data = json.loads(body)
        return field in data["error"]["fields"] and data["error"]["code"] == "invalid"
    if path.startswith("/open311/"):
        if path.endswith(".xml"):
            return "<errors><error><code>400</code>" in body and field in body
        data = json.loads(body)
        return data[0]["code"] == 400 and field in data[0]["description"]
    return field in body


@pytest.fixture
def clients(users):
    anonymous = Client()
    dispatcher = Client()
    dispatcher.force_login(users["dispatcher"])
    clerk = Client()
    clerk.force_login(users["clerk_cgj"])
    return {"anonymous": anonymous, "dispatcher": dispatcher, "clerk": clerk}


@pytest.mark.django_db
@pytest.mark.parametrize("path", URLS)
def test_a_nul_anywhere_in_a_request_is_a_400_naming_the_field(path, clients):
    nul = "a\x00b"
    query = urlencode({n: nul for n in NAMES})
    failures = []
    for who, client in clients.items():
        attempts = {
            "query": (lambda c=client: c.get(f"{path}?{query}"), NAMES[0]),
            "query on POST": (lambda c=client: c.post(f"{path}?{query}"), NAMES[0]),
            "form": (lambda c=client: c.post(path, {n: nul for n in NAMES}), NAMES[0]),
            "json": (
                lambda c=client: c.post(path, json.dumps({n: nul for n in NAMES}), content_type="application/json"),
                NAMES[0],
            ),
            "nested json": (
                lambda c=client: c.post(path, json.dumps({"citizen": {"name": nul}}), content_type="application/json"),
                "citizen.name",
            ),
            "path": (lambda c=client: c.get(_nul_path(path)), "path"),
            "header": (lambda c=client: c.get(path, headers={"Authorization": "Token a\x00b"}), "Authorization"),
        }
        for what, (send, field) in attempts.items():
            response = send()
            if what == "form" and path.startswith("/api/"):  # JSON only: 415 (or 401/403/404/405 first)
                if not 400 < response.status_code < 500:
                    failures.append(f"{who} {what}: {response.status_code} {response.content[:120]!r}")
                continue
            if response.status_code != 400 or not _field_named(path, response, field):
                failures.append(f"{who} {what}: {response.status_code} {response.content[:120]!r}")
    assert not failures, failures


@pytest.mark.django_db
def test_the_api_refusal_is_the_api_error_shape(clients):
    response = clients["dispatcher"].post(
        "/api/v1/cases/", json.dumps({"title": "路灯", "content": "不亮\u0000了"}), content_type="application/json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["content"]
    assert "NUL" in error["message"]


@pytest.mark.django_db
def test_a_nul_in_a_utf16_json_body_is_refused_too(clients):
    body = json.dumps({"title": "路灯", "content": "不亮\u0000了"}, ensure_ascii=False).encode("utf-16")
    response = clients["dispatcher"].post("/api/v1/cases/", body, content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["content"]


@pytest.mark.django_db
def test_a_json_body_without_a_nul_is_left_to_the_view_to_parse(clients, monkeypatch):
    # A body that cannot hold a NUL is not parsed by the gate: the view's parser reads it, once.
    from web import input_guard

    parsed = []

    def loads(body):
        parsed.append(body)
        return json.loads(body)

    monkeypatch.setattr(input_guard, "json", SimpleNamespace(loads=loads))
    ordinary = json.dumps({"title": "路灯", "content": "不亮了"})
    clients["dispatcher"].post("/api/v1/cases/", ordinary, content_type="application/json")
    assert parsed == []
    with_nul = json.dumps({"title": "路灯", "content": "不亮\u0000了"})
    assert clients["dispatcher"].post("/api/v1/cases/", with_nul, content_type="application/json").status_code == 400
    assert len(parsed) == 1


@pytest.mark.django_db
def test_an_escaped_backslash_before_u0000_is_no_nul(clients):
    body = json.dumps({"title": "路灯", "content": "路径 C:\\u0000 不是空字符"})
    response = clients["dispatcher"].post("/api/v1/cases/", body, content_type="application/json")
    assert "NUL" not in response.content.decode()


@pytest.mark.django_db
def test_open311_refusal_is_the_spec_error_array(clients):
    response = clients["anonymous"].get("/open311/v2/requests.json?service_code=%00")
    assert response.status_code == 400
    assert response.json() == [{"code": 400, "description": "service_code: contains a NUL character"}]


@pytest.mark.django_db
def test_a_nul_free_request_passes_the_gate(clients):
    # The gate must not refuse ordinary input: the same query without the NUL is answered by the view.
    response = clients["anonymous"].get("/open311/v2/requests.json?" + quote("status") + "=open")
    assert response.status_code == 200


JUNK = {
    "words": "x",
    "long": "9" * 400,
    "list": [1],
    "number": 7,
    "object": {"a": "b"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("path", URLS)
def test_junk_in_every_field_is_never_a_server_error(path, clients):
    # Not a NUL this time, so the views themselves read it: words where numbers belong, texts
    # past any column's length, and JSON lists, numbers and objects where texts belong.
    failures = []
    for who, client in clients.items():
        for kind, value in JUNK.items():
            sends = {
                "json": lambda c=client, v=value: c.post(
                    path, json.dumps({n: v for n in NAMES}), content_type="application/json"
                ),
            }
            if isinstance(value, str):
                sends["query"] = lambda c=client, v=value: c.get(f"{path}?{urlencode({n: v for n in NAMES})}")
                sends["form"] = lambda c=client, v=value: c.post(path, {n: v for n in NAMES})
            for what, send in sends.items():
                try:
                    status = send().status_code
                except Exception as exc:  # noqa: BLE001 - the test client re-raises what would have been a 500
                    status = f"{type(exc).__name__}: {exc}"[:160]
                if not isinstance(status, int) or status >= 500:
                    failures.append(f"{who} {kind} {what}: {status}")
    assert not failures, failures
