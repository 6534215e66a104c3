"""GET /api/v1/calendars/ and GET /api/v1/calendars/{code}/deadline/ (API.md "Deadlines")."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(users) -> APIClient:
    api = APIClient()
    api.force_authenticate(users["clerk_cgj"])
    return api


def deadline(client: APIClient, code: str = "CN", **params: object):
    return client.get(f"/api/v1/calendars/{code}/deadline/?{urlencode(params)}")


def assert_field_error(response, field: str) -> str:
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == "invalid"
    assert field in body["error"]["fields"], body
    return body["error"]["fields"][field][0]


def test_the_calendars_are_listed_with_their_zone_hours_and_years(client):
    body = client.get("/api/v1/calendars/").json()
    assert body["count"] == 2
    cn = next(c for c in body["results"] if c["code"] == "CN")
    assert cn["name"] == "中国大陆工作日"
    assert cn["timezone"] == "Asia/Shanghai"
    assert cn["years_with_data"] == list(range(2004, 2027))
    assert cn["working_hours"]["mon"] == [["09:00", "12:00"], ["13:30", "17:30"]]
    assert cn["working_hours"]["sat"] == []
    always = next(c for c in body["results"] if c["code"] == "24x7")
    assert always["working_hours"]["sun"] == [["00:00", "24:00"]]
    assert always["years_with_data"] is None


def test_the_deadline_across_spring_festival(client):
    response = deadline(client, start="2026-02-13T16:00:00+08:00", working_days=3)
    assert response.status_code == 200
    assert response.json() == {
        "calendar": "CN",
        "start": "2026-02-13T16:00:00+08:00",
        "deadline": "2026-02-25T17:30:00+08:00",
        "calendar_incomplete": False,
    }


def test_working_hours_and_calendar_days_and_a_start_in_another_zone(client):
    assert deadline(client, start="2026-11-23T11:59:00+08:00", working_hours=2).json()["deadline"] == (
        "2026-11-23T15:29:00+08:00"
    )
    body = deadline(client, start="2026-02-13T20:00:00Z", calendar_days=1).json()
    assert body["start"] == "2026-02-14T04:00:00+08:00"
    assert body["deadline"] == "2026-02-15T23:59:59+08:00"


def test_a_deadline_in_a_year_without_data_is_flagged(client):
    body = deadline(client, start="2026-12-31T10:00:00+08:00", working_days=1).json()
    assert body == {
        "calendar": "CN",
        "start": "2026-12-31T10:00:00+08:00",
        "deadline": "2027-01-01T17:30:00+08:00",
        "calendar_incomplete": True,
    }


def test_a_naive_start_is_local_time_on_the_calendar_and_an_unencoded_plus_is_understood(client):
    assert deadline(client, start="2026-11-23T09:00:00", working_hours=3).json()["deadline"] == (
        "2026-11-23T12:00:00+08:00"
    )
    raw = client.get("/api/v1/calendars/CN/deadline/?start=2026-11-23T09:00:00+08:00&working_hours=3")
    assert raw.json()["deadline"] == "2026-11-23T12:00:00+08:00"


def test_24x7(client):
    assert deadline(client, "24x7", start="2026-10-03T22:00:00+08:00", working_hours=5).json()["deadline"] == (
        "2026-10-04T03:00:00+08:00"
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-02-30T10:00:00+08:00", "working_days": 1}, "start"),
        ({"start": "yesterday", "working_days": 1}, "start"),
        ({"start": "9999-12-31T12:00:00+08:00", "working_days": 5}, "start"),
        ({"start": "x" * 500, "working_days": 1}, "start"),
        ({"working_days": -1}, "working_days"),
        ({"working_days": "three"}, "working_days"),
        ({"working_days": "1.5"}, "working_days"),
        ({"working_days": 3651}, "working_days"),
        ({"working_days": "9" * 40}, "working_days"),
        ({"working_hours": 10001}, "working_hours"),
        ({"working_hours": "nan"}, "working_hours"),
        ({"working_hours": "inf"}, "working_hours"),
        ({"calendar_days": -5}, "calendar_days"),
        ({}, "term"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client, params, field):
    assert_field_error(deadline(client, **params), field)


def test_several_terms_are_refused_naming_each(client):
    response = deadline(client, working_days=1, working_hours=2)
    assert_field_error(response, "working_days")
    assert_field_error(response, "working_hours")


def test_an_unknown_calendar_is_a_400_naming_the_calendar(client):
    assert "XX" in assert_field_error(deadline(client, "XX", working_days=1), "calendar")


def test_the_deadline_api_needs_a_signed_in_user(db):
    response = APIClient().get("/api/v1/calendars/CN/deadline/?working_days=1")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert APIClient().get("/api/v1/calendars/").status_code == 401


def test_a_token_works(users):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=users["dispatcher"])
    api = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert deadline(api, start="2026-09-30T09:00:00+08:00", working_days=1).json()["deadline"] == (
        "2026-10-08T17:30:00+08:00"
    )
