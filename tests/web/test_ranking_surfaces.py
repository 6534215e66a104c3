"""The one ranking on every surface: the API (JSON and CSV), the console page and its CSV, the
monthly report and the public statistics page show the same hand-computed numbers."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from cases.enums import Role
from tests.factories import UserFactory
from tests.stats.test_ranking import ranked  # noqa: F401  (the fixture)

# The surfaces read the ranking through the figures' cache, keyed by month and time window only:
# another test's November computed in the same window (always so when the clock is pinned) was
# served here. Each test starts with an empty cache, as the public statistics' tests do.
from tests.web.public.conftest import _fresh_cache  # noqa: F401  (autouse)

pytestmark = pytest.mark.django_db


def _api(client, user, **params):
    token, _ = Token.objects.get_or_create(user=user)
    return client.get(reverse("api-reports-ranking"), params, HTTP_AUTHORIZATION=f"Token {token.key}")


@pytest.fixture
def leader(org):
    return UserFactory(username="leader_x", role=Role.LEADER, department_code="GOV")


def test_api_ranking_has_the_contract_shape_and_the_numbers(ranked, leader, client) -> None:
    response = _api(client, leader, month="2026-11", level="department")
    assert response.status_code == 200
    body = response.json()
    assert (body["month"], body["level"], body["response_working_days"]) == ("2026-11", "department", 1)
    assert body["weights"] == {
        "response_rate": 25.0,
        "resolution_rate": 25.0,
        "satisfaction_rate": 30.0,
        "on_time_rate": 20.0,
        "first_contact_rate": 0.0,
    }
    rows = {r["department"]: r for r in body["rows"]}
    assert {k: rows["CGJ"][k] for k in ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate")} == {
        "response_rate": 0.3333,
        "resolution_rate": 0.5,
        "satisfaction_rate": 0.5,
        "on_time_rate": 1.0,
    }
    assert (rows["CGJ"]["score"], rows["CGJ"]["rank"], rows["CGJ"]["rank_change"]) == (55.83, 2, -1)
    assert (rows["HBJ"]["score"], rows["HBJ"]["rank"], rows["HBJ"]["rank_change"]) == (100.0, 1, 1)
    assert rows["CGJ"]["first_contact_rate"] is None and rows["CGJ"]["rank_change_yoy"] is None
    assert (body["red"], body["black"]) == (["HBJ"], ["CGJ"])
    assert "XFJ" not in rows


def test_api_ranking_bad_input_is_a_clear_error(users, leader, client) -> None:
    bad_level = _api(client, leader, level="county")
    assert bad_level.status_code == 400 and bad_level.json()["error"]["fields"]["level"]
    bad_month = _api(client, leader, month="2026-13")
    assert bad_month.status_code == 400 and bad_month.json()["error"]["fields"]["month"]
    assert _api(client, users["clerk_cgj"]).status_code == 403
    assert client.get(reverse("api-reports-ranking")).status_code == 401


def test_api_csv_and_console_csv_carry_the_same_rows(ranked, users, client) -> None:
    api = _api(client, users["supervisor"], month="2026-11", format="csv", lang="en")
    assert api.status_code == 200 and api["Content-Type"].startswith("text/csv")
    api_rows = list(csv.DictReader(io.StringIO(api.content.decode("utf-8-sig"))))
    client.force_login(users["supervisor"])
    page = client.get(reverse("reports:ranking"), {"month": "2026-11", "format": "csv", "lang": "en"})
    assert page.status_code == 200
    assert list(csv.DictReader(io.StringIO(page.content.decode("utf-8-sig")))) == api_rows
    cgj = next(r for r in api_rows if r["department"] == "CGJ")
    assert (cgj["rank"], cgj["score"], cgj["response_rate"], cgj["rank_change"]) == ("2", "55.83", "0.3333", "-1")
    zh = client.get(reverse("reports:ranking"), {"month": "2026-11", "format": "csv", "lang": "zh"})
    assert zh.content.decode("utf-8-sig").splitlines()[0].startswith("月份,层级,排名,单位代码,单位,综合得分,响应率")


def test_console_ranking_page_for_leadership_only(ranked, users, leader, client) -> None:
    client.force_login(leader)
    page = client.get(reverse("reports:ranking"), {"month": "2026-11"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "55.83" in html and "33.3%" in html and "红榜" in html and "黑榜" in html
    street = client.get(reverse("reports:ranking"), {"month": "2026-11", "level": "street"}).content.decode()
    assert "东湖街道办事处" in street and "区城市管理" not in street
    assert client.get(reverse("reports:ranking"), {"level": "x"}).status_code == 400
    client.force_login(users["clerk_cgj"])
    assert client.get(reverse("reports:ranking")).status_code == 403


def test_monthly_report_and_public_stats_show_the_ranking(ranked, users, client) -> None:
    client.force_login(users["supervisor"])
    report = client.get(reverse("reports:monthly"), {"month": "2026-11"}).content.decode()
    assert "三率排名" in report and "55.83" in report
    client.logout()
    public = client.get("/stats/", {"month": "2026-11"})
    assert public.status_code == 200
    html = public.content.decode()
    assert "三率排名" in html and "55.83" in html and "100.0" in html
    bad = client.get("/stats/", {"month": "2026-11", "level": "county"})
    assert bad.status_code == 200 and "level 只能是" in bad.content.decode()


def test_the_wallboard_shows_the_same_ranking(ranked, leader, client, time_machine) -> None:
    # The wallboard ranks "this month": pinned to November 2026, the hand-computed month above.
    time_machine.move_to("2026-11-30T10:00:00+08:00", tick=False)
    client.force_login(leader)
    page = client.get(reverse("insight:wallboard"))
    assert page.status_code == 200
    rows = [(r["rank"], r["name"], r["score"], r["rank_change"]) for r in page.context["board"]["ranking"]]
    assert rows == [(1, "示范区生态环境分局", 100.0, 1), (2, "示范区城市管理和综合执法局", 55.83, -1)]
    html = page.content.decode()
    assert "本月三率排名" in html and "55.8" in html and "↓1" in html and "↑1" in html
