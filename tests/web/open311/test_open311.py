"""Open311 GeoReport v2: every endpoint in JSON and XML, including the error bodies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from xml.etree import ElementTree as ET

import pytest
import time_machine

from cases import publication
from cases.enums import Channel, State
from cases.models import Case, CaseEvent, Open311ApiKey
from tests.cases.publication.helpers import at, shift_registered
from tests.factories import make_case_in_state

pytestmark = pytest.mark.django_db
BASE = "/open311/v2/"
FORMATS = ["json", "xml"]


@pytest.fixture
def api_key(org) -> str:
    return Open311ApiKey.objects.create(key="demo-open311-key", name="demo").key


def _errors(response, fmt: str) -> list[tuple[int, str]]:
    if fmt == "json":
        return [(e["code"], e["description"]) for e in json.loads(response.content)]
    root = ET.fromstring(response.content)
    assert root.tag == "errors"
    return [(int(e.findtext("code")), e.findtext("description")) for e in root.findall("error")]


def _requests(response, fmt: str) -> list[dict]:
    if fmt == "json":
        return json.loads(response.content)
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests"
    return [{child.tag: child.text or "" for child in req} for req in root.findall("request")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_lists_the_endpoint_and_formats(client, org, fmt: str) -> None:
    response = client.get(f"{BASE}discovery.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        data = json.loads(response.content)
        assert data["endpoints"][0]["formats"] == ["text/xml", "application/json"]
        assert data["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    else:
        root = ET.fromstring(response.content)
        assert root.tag == "discovery"
        assert [f.text for f in root.find("endpoints/endpoint/formats")] == ["text/xml", "application/json"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_leaf_categories(client, org, fmt: str) -> None:
    response = client.get(f"{BASE}services.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        services = json.loads(response.content)
        codes = {s["service_code"] for s in services}
        vend = next(s for s in services if s["service_code"] == "CITY-VEND")
        assert vend == {
            "service_code": "CITY-VEND",
            "service_name": "占道经营",
            "description": "城建城管 › 占道经营",
            "metadata": False,
            "type": "realtime",
            "keywords": "complaint",
            "group": "城建城管",
        }
    else:
        root = ET.fromstring(response.content)
        assert root.tag == "services"
        codes = {s.findtext("service_code") for s in root.findall("service")}
        assert root.find("service/metadata").text == "false"
    assert "CITY-VEND" in codes and "CITY" not in codes


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_and_unknown_service(client, org, fmt: str) -> None:
    ok = client.get(f"{BASE}services/CITY-VEND.{fmt}")
    assert ok.status_code == 200
    if fmt == "json":
        assert json.loads(ok.content) == {"service_code": "CITY-VEND", "attributes": []}
    else:
        assert ET.fromstring(ok.content).tag == "service_definition"
    missing = client.get(f"{BASE}services/NOPE.{fmt}")
    assert missing.status_code == 404
    assert _errors(missing, fmt) == [(404, "service_code NOPE not found")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_request_registers_a_case_through_the_service(client, api_key, fmt: str) -> None:
    response = client.post(
        f"{BASE}requests.{fmt}",
        {
            "api_key": api_key,
            "service_code": "CITY-VEND",
            "lat": "30.5928",
            "long": "114.3055",
            "description": "小区门口人行道被摊贩占满",
            "first_name": "三",
            "last_name": "张",
            "phone": "13800138000",
            "attribute[foo]": "ignored",
        },
    )
    assert response.status_code == 201
    [created] = _requests(response, fmt)
    case = Case.objects.get(tracking_no=created["service_request_id"])
    assert created["token"] == case.tracking_no
    assert (case.channel, case.state, case.category.code, case.citizen_name) == (
        Channel.OPEN311,
        State.REGISTERED,
        "CITY-VEND",
        "张 三",
    )
    assert "30.592800" in case.location
    assert CaseEvent.objects.get(case=case).actor_label == "open311"


def test_post_takes_the_query_string_too(client, api_key) -> None:
    response = client.post(
        f"{BASE}requests.json?api_key={api_key}&service_code=CITY-VEND"
        "&address_string=幸福路&description=路灯坏了&email=a@example.com"
    )
    assert response.status_code == 201


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("params", "status", "text"),
    [
        ({}, 403, "api_key"),
        ({"api_key": "wrong"}, 403, "api_key"),
        ({"api_key": "K"}, 400, "service_code is required"),
        ({"api_key": "K", "service_code": "NOPE"}, 404, "service_code NOPE not found"),
        ({"api_key": "K", "service_code": "CITY-VEND", "description": "x", "phone": "13800138000"}, 400, "location"),
        ({"api_key": "K", "service_code": "CITY-VEND", "lat": "abc", "long": "1", "description": "x"}, 400, "decimal"),
        ({"api_key": "K", "service_code": "CITY-VEND", "lat": "95", "long": "1", "description": "x"}, 400, "range"),
        ({"api_key": "K", "service_code": "CITY-VEND", "address_string": "幸福路"}, 400, "description is required"),
        (
            {"api_key": "K", "service_code": "CITY-VEND", "address_string": "幸福路", "description": "x"},
            400,
            "citizen.phone",
        ),
        (
            {
                "api_key": "K",
                "service_code": "CITY-VEND",
                "address_string": "幸福路",
                "description": "x",
                "phone": "12",
            },
            400,
            "citizen.phone",
        ),
    ],
)
def test_post_errors_use_the_spec_error_array(client, api_key, fmt: str, params: dict, status: int, text: str) -> None:
    params = {k: (api_key if v == "K" else v) for k, v in params.items()}
    before = Case.objects.count()
    response = client.post(f"{BASE}requests.{fmt}", params)
    assert response.status_code == status
    errors = _errors(response, fmt)
    assert errors and all(code == status for code, _ in errors) and text in errors[0][1]
    assert Case.objects.count() == before


def test_inactive_key_is_refused(client, api_key) -> None:
    Open311ApiKey.objects.update(active=False)
    response = client.post(f"{BASE}requests.json", {"api_key": api_key, "service_code": "CITY-VEND"})
    assert response.status_code == 403


@pytest.fixture
def three_cases(users) -> Iterator[list[Case]]:
    # The default window is the last 90 days: read it from a fixed today, not the wall clock.
    with time_machine.travel(at(2026, 11, 20, 10), tick=False):
        yield _three_cases(users)


def _three_cases(users) -> list[Case]:
    open_case = shift_registered(make_case_in_state(State.IN_PROGRESS, users), at(2026, 11, 10))
    closed = shift_registered(make_case_in_state(State.CLOSED, users, content="张三说路灯坏了"), at(2026, 11, 12))
    closed = publication.publication_publish(
        case=closed, actor=users["dispatcher"], title="路灯", content="路灯坏了", answer="已修复路灯。"
    )
    old = shift_registered(make_case_in_state(State.REGISTERED, users, category="CITY-BUILD"), at(2026, 6, 1))
    return [open_case, closed, old]


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_requests_default_window_and_public_fields_only(client, three_cases, fmt: str) -> None:
    open_case, closed, old = three_cases
    response = client.get(f"{BASE}requests.{fmt}")
    assert response.status_code == 200
    found = {r["service_request_id"]: r for r in _requests(response, fmt)}
    assert set(found) == {open_case.tracking_no, closed.tracking_no}  # the June case is outside 90 days
    assert found[closed.tracking_no]["status"] == "closed"
    assert found[closed.tracking_no]["status_notes"] == "已修复路灯。"
    assert found[closed.tracking_no]["description"] == "路灯坏了"
    assert found[open_case.tracking_no]["status"] == "open"
    assert found[open_case.tracking_no]["description"] in ("", None)  # unpublished: nothing of the citizen's text
    assert found[open_case.tracking_no]["agency_responsible"] == "示范区城市管理和综合执法局"
    assert found[open_case.tracking_no]["requested_datetime"] == "2026-11-10T09:00:00+08:00"
    assert "张三" not in response.content.decode() and "1380013" not in response.content.decode()


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_requests_filters(client, three_cases, fmt: str) -> None:
    open_case, closed, old = three_cases

    def ids(**params: str) -> set[str]:
        response = client.get(f"{BASE}requests.{fmt}", params)
        assert response.status_code == 200
        return {r["service_request_id"] for r in _requests(response, fmt)}

    assert ids(status="open") == {open_case.tracking_no}
    assert ids(status="closed") == {closed.tracking_no}
    assert ids(status="open,closed") == {open_case.tracking_no, closed.tracking_no}
    assert ids(service_code="CITY-BUILD", start_date="2026-05-01T00:00:00+08:00") == {old.tracking_no}
    assert ids(start_date="2026-11-11T00:00:00+08:00", end_date="2026-11-13T00:00:00+08:00") == {closed.tracking_no}
    assert ids(service_request_id=f"{old.tracking_no},{closed.tracking_no},nope", status="open") == {
        old.tracking_no,
        closed.tracking_no,
    }


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("params", [{"start_date": "yesterday"}, {"end_date": "2026-13-45"}, {"status": "pending"}])
def test_get_requests_bad_filters_are_400(client, org, fmt: str, params: dict) -> None:
    response = client.get(f"{BASE}requests.{fmt}", params)
    assert response.status_code == 400
    assert _errors(response, fmt)[0][0] == 400


@pytest.mark.parametrize("fmt", FORMATS)
def test_single_request_and_token_lookup(client, three_cases, fmt: str) -> None:
    closed = three_cases[1]
    one = client.get(f"{BASE}requests/{closed.tracking_no}.{fmt}")
    assert one.status_code == 200
    assert [r["service_request_id"] for r in _requests(one, fmt)] == [closed.tracking_no]
    token = client.get(f"{BASE}tokens/{closed.tracking_no}.{fmt}")
    assert token.status_code == 200
    assert _requests(token, fmt)[0]["service_request_id"] == closed.tracking_no
    for path in (f"requests/2099010100001.{fmt}", f"tokens/nope.{fmt}"):
        missing = client.get(BASE + path)
        assert missing.status_code == 404 and _errors(missing, fmt)[0][0] == 404


def test_unknown_endpoint_or_format_is_a_404_error_array(client, org) -> None:
    for path, fmt in (("services.yaml", "json"), ("nothing.xml", "xml"), ("requests", "json")):
        response = client.get(BASE + path)
        assert response.status_code == 404
        assert _errors(response, fmt)[0][0] == 404
