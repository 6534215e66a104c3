"""Open311 GeoReport v2: every endpoint in JSON and XML, including the error bodies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from xml.etree import ElementTree as ET

import pytest
import time_machine

from cases import publication, services
from cases.enums import Channel, Kind, Publication, State
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
def three_cases(users, api_key) -> Iterator[list[Case]]:
    # The default window is the last 90 days: read it from a fixed today, not the wall clock.
    with time_machine.travel(at(2026, 11, 20, 10), tick=False):
        yield _three_cases(users, Open311ApiKey.objects.get(key=api_key))


def _three_cases(users, key: Open311ApiKey) -> list[Case]:
    # The client's own request, still open (so unpublished): only that client sees it.
    open_case = shift_registered(make_case_in_state(State.IN_PROGRESS, users), at(2026, 11, 10))
    Case.objects.filter(pk=open_case.pk).update(open311_key=key)
    closed = shift_registered(make_case_in_state(State.CLOSED, users, content="张三说路灯坏了"), at(2026, 11, 12))
    closed = publication.publication_publish(
        case=closed, actor=users["dispatcher"], title="路灯", content="路灯坏了", answer="已修复路灯。"
    )
    old = make_case_in_state(State.CLOSED, users, category="CITY-BUILD", content="工地夜间施工")
    old = publication.publication_publish(
        case=old, actor=users["dispatcher"], title="施工", content="工地夜间施工", answer="已责令停工。"
    )
    old = shift_registered(old, at(2026, 6, 1))
    return [open_case, closed, old]


@pytest.fixture
def leakers(users, three_cases) -> list[Case]:
    """Cases no Open311 caller may see, each in the 90-day window with text that must not go out."""
    with time_machine.travel(at(2026, 11, 20, 10), tick=False):
        private = make_case_in_state(
            State.CLOSED,
            users,
            content="李四私事 13900001111",
            citizen=services.Citizen(name="李四", phone="13900001111"),
            publish_consent=False,
        )
        pending = make_case_in_state(State.CLOSED, users, content="王五待公开的诉求")
        report = make_case_in_state(State.IN_PROGRESS, users, kind=Kind.REPORT, content="举报某科长收受礼金")
        other = Open311ApiKey.objects.create(key="other-client-key", name="other")
        theirs = make_case_in_state(State.REGISTERED, users, content="别家客户端提交的诉求")
        Case.objects.filter(pk=theirs.pk).update(open311_key=other)
        found = [shift_registered(c, at(2026, 11, 15)) for c in (private, pending, report, theirs)]
    assert found[1].publication == Publication.PENDING and found[0].publication == Publication.PRIVATE
    return found


LEAKED_TEXT = ("李四", "13900001111", "王五", "科长", "别家")


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_requests_default_window_and_public_fields_only(client, three_cases, leakers, api_key, fmt: str) -> None:
    open_case, closed, old = three_cases
    response = client.get(f"{BASE}requests.{fmt}")
    assert response.status_code == 200
    found = {r["service_request_id"]: r for r in _requests(response, fmt)}
    # Anyone: the published case only (the June one is outside the 90 days; the open one is not published).
    assert set(found) == {closed.tracking_no}
    assert found[closed.tracking_no]["status"] == "closed"
    assert found[closed.tracking_no]["status_notes"] == "已修复路灯。"
    assert found[closed.tracking_no]["description"] == "路灯坏了"
    body = response.content.decode()
    assert "张三" not in body and "1380013" not in body
    assert not any(text in body for text in LEAKED_TEXT)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_client_sees_its_own_requests_and_no_one_elses(client, three_cases, leakers, api_key, fmt: str) -> None:
    open_case, closed, old = three_cases
    with time_machine.travel(at(2026, 11, 20, 10), tick=False):
        response = client.get(f"{BASE}requests.{fmt}", {"api_key": api_key})
    assert response.status_code == 200
    found = {r["service_request_id"]: r for r in _requests(response, fmt)}
    assert set(found) == {open_case.tracking_no, closed.tracking_no}
    mine = found[open_case.tracking_no]
    assert mine["status"] == "open"
    assert mine["description"] == open_case.content  # its own text, as it sent it
    assert mine["status_notes"] in ("", None)
    assert mine["agency_responsible"] == "示范区城市管理和综合执法局"
    assert mine["requested_datetime"] == "2026-11-10T09:00:00+08:00"
    body = response.content.decode()
    assert not any(text in body for text in LEAKED_TEXT)
    # The other client sees its own request, not ours.
    with time_machine.travel(at(2026, 11, 20, 10), tick=False):
        theirs = client.get(f"{BASE}requests.{fmt}", {"api_key": "other-client-key"})
    assert {r["service_request_id"] for r in _requests(theirs, fmt)} == {leakers[3].tracking_no, closed.tracking_no}


@pytest.mark.parametrize("fmt", FORMATS)
def test_cases_not_for_the_caller_are_404_by_id_and_absent_from_id_lists(
    client, three_cases, leakers, api_key, fmt: str
) -> None:
    open_case, closed, old = three_cases
    for case in leakers:
        for path in (f"requests/{case.tracking_no}.{fmt}", f"tokens/{case.tracking_no}.{fmt}"):
            response = client.get(BASE + path, {"api_key": api_key})
            assert response.status_code == 404, (case.content, path)
            assert _errors(response, fmt)[0][0] == 404
    # Someone else's open request is a 404 without our key too.
    assert client.get(f"{BASE}requests/{open_case.tracking_no}.{fmt}").status_code == 404
    ids = ",".join(c.tracking_no for c in [*leakers, open_case, closed])
    listed = client.get(f"{BASE}requests.{fmt}", {"service_request_id": ids})
    assert {r["service_request_id"] for r in _requests(listed, fmt)} == {closed.tracking_no}


def test_a_request_posted_with_a_key_is_recorded_and_readable_by_that_key_only(client, api_key) -> None:
    response = client.post(
        f"{BASE}requests.json",
        {
            "api_key": api_key,
            "service_code": "CITY-VEND",
            "address_string": "幸福路",
            "description": "路灯坏了",
            "phone": "13800138000",
        },
    )
    assert response.status_code == 201
    tracking_no = json.loads(response.content)[0]["service_request_id"]
    case = Case.objects.get(tracking_no=tracking_no)
    assert case.open311_key.key == api_key
    assert CaseEvent.objects.get(case=case).data["open311_key"] == case.open311_key_id
    mine = client.get(f"{BASE}requests/{tracking_no}.json", {"api_key": api_key})
    assert mine.status_code == 200 and json.loads(mine.content)[0]["description"] == "路灯坏了"
    assert client.get(f"{BASE}tokens/{tracking_no}.json", {"api_key": api_key}).status_code == 200
    Open311ApiKey.objects.create(key="other-client-key", name="other")
    for params in ({}, {"api_key": "other-client-key"}, {"api_key": "wrong"}):
        assert client.get(f"{BASE}requests/{tracking_no}.json", params).status_code == 404
        assert client.get(f"{BASE}tokens/{tracking_no}.json", params).status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_requests_filters(client, three_cases, api_key, fmt: str) -> None:
    open_case, closed, old = three_cases

    def ids(**params: str) -> set[str]:
        with time_machine.travel(at(2026, 11, 20, 10), tick=False):
            response = client.get(f"{BASE}requests.{fmt}", {"api_key": api_key, **params})
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
