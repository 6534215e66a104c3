"""Monthly report: page, CSV, print view, API (JSON and CSV), permissions, query guards; the schema."""

from __future__ import annotations

import csv
import io

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tests.web.public.test_metrics import october  # noqa: F401  (the fixed October data)

pytestmark = pytest.mark.django_db


def _api(client, user, **params):
    token, _ = Token.objects.get_or_create(user=user)
    return client.get(reverse("api-reports-monthly"), params, HTTP_AUTHORIZATION=f"Token {token.key}")


def test_report_page_shows_each_department_for_leadership(
    october, users, client, django_assert_max_num_queries
) -> None:
    client.force_login(users["supervisor"])
    # Session, user; the figures: one read of the rollups (the month by department, channel,
    # kind and category, the trend's and the ranking's months by department; the contact-before-
    # reply counts among them), the ranking's weights, the late and overdue facts and their timers
    # (departments and categories from the process's copy) — 5; dispatch's levels and disputes
    # (2), the citizen's urges, follow-up ratings and decisions, the ratings still waiting (3),
    # insight's suggestion acceptance (1), the menu's unread count (1), the calendar banner (1),
    # its departments (1). 22 before the report read its rollups once.
    with django_assert_max_num_queries(16):
        response = client.get(reverse("reports:monthly"), {"month": "2026-10"})
    assert response.status_code == 200
    rows = {r.department.code: r for r in response.context["data"].rows}
    assert rows["CGJ"].closure_rate == 0.6667
    page = response.content.decode()
    assert "66.7%" in page and "月度简报" in page and "占道经营" in page


def test_report_query_count_does_not_grow_with_cases(october, users, client, django_assert_max_num_queries) -> None:
    from tests.factories import make_case_in_state

    for _ in range(5):
        make_case_in_state("closed", users, department="HBJ")
    client.force_login(users["dispatcher"])
    # The same page for a dispatcher, without the leadership-only parts (counted above): a
    # constant that five more closed cases don't move.
    with django_assert_max_num_queries(14):
        assert client.get(reverse("reports:monthly"), {"month": "2026-11"}).status_code == 200


def test_report_csv_has_a_row_per_department_and_a_total(october, users, client) -> None:
    client.force_login(users["admin"])
    response = client.get(reverse("reports:monthly"), {"month": "2026-10", "format": "csv", "lang": "en"})
    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, body = lines[0], lines[1:]
    assert header[:6] == ["month", "department", "department_name", "registered", "closed", "closure_rate"]
    by_code = {row[1]: dict(zip(header, row, strict=True)) for row in body}
    assert set(by_code) == {"CGJ", "HBJ", "XFJ", "ALL"}
    assert by_code["CGJ"]["closure_rate"] == "0.6667" and by_code["ALL"]["registered"] == "10"
    assert by_code["XFJ"]["channel_hotline"] == "2" and by_code["XFJ"]["on_time_rate"] == ""


def test_print_view_is_a4(october, users, client) -> None:
    client.force_login(users["supervisor"])
    page = client.get(reverse("reports:monthly"), {"month": "2026-10", "print": "1"}).content.decode()
    assert "2026年10月" in page
    # The print rules live in a static stylesheet (no inline <style> under the CSP).
    assert '<link rel="stylesheet" href="/static/css/report_print.css">' in page
    assert "size: A4" in (settings.BASE_DIR / "static" / "css" / "report_print.css").read_text()


def test_department_clerk_may_not_see_the_report_and_bad_month_is_400(users, client) -> None:
    client.force_login(users["clerk_cgj"])
    assert client.get(reverse("reports:monthly")).status_code == 403
    client.force_login(users["supervisor"])
    assert client.get(reverse("reports:monthly"), {"month": "2026-13"}).status_code == 400


def test_api_monthly_report_has_the_api_md_fields(october, users, client) -> None:
    response = _api(client, users["supervisor"], month="2026-10")
    assert response.status_code == 200
    body = response.json()
    assert body["month"] == "2026-10"
    rows = {r["department"]: r for r in body["rows"]}
    expected = {
        "registered",
        "closed",
        "closure_rate",
        "replied",
        "replied_on_time",
        "on_time_rate",
        "rated",
        "satisfied",
        "satisfaction_rate",
        "resolved_directly",
        "returned",
        "reopened",
        "avg_handling_hours",
    }
    assert expected <= set(rows["CGJ"])
    assert {k: rows["CGJ"][k] for k in ("registered", "closed", "closure_rate", "on_time_rate", "returned")} == {
        "registered": 3,
        "closed": 2,
        "closure_rate": 0.6667,
        "on_time_rate": 0.5,
        "returned": 1,
    }
    assert rows["XFJ"]["on_time_rate"] is None
    assert body["total"]["registered"] == 10


def test_api_monthly_report_as_csv(october, users, client) -> None:
    response = _api(client, users["dispatcher"], month="2026-10", format="csv", lang="en")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {r["department"]: r["registered"] for r in rows} == {"CGJ": "3", "HBJ": "2", "XFJ": "5", "ALL": "10"}


def test_api_errors_use_the_error_shape(users, client) -> None:
    bad = _api(client, users["supervisor"], month="2026/10")
    assert bad.status_code == 400 and bad.json()["error"]["fields"]["month"]
    assert _api(client, users["clerk_cgj"]).status_code == 403
    assert client.get(reverse("api-reports-monthly")).status_code == 401


# --- OpenAPI -----------------------------------------------------------------------------


def test_schema_is_valid_openapi_with_the_report_and_cases_paths(client, org) -> None:
    from drf_spectacular.validation import validate_schema

    response = client.get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)  # raises on an invalid document
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/reports/monthly/" in schema["paths"]
    assert any(p.startswith("/api/v1/cases/") for p in schema["paths"])


def test_schema_docs_page_uses_local_swagger_files(client, org) -> None:
    page = client.get(reverse("api-schema-docs")).content.decode()
    assert "swagger-ui" in page and "cdn" not in page.lower() and "/static/drf_spectacular_sidecar/" in page


def test_api_monthly_report_carries_contact_before_reply_and_the_followup(users, client) -> None:
    import time_machine

    from cases import services
    from cases.enums import State
    from sla.urges import case_urge
    from tests.factories import make_case_in_state
    from tests.sla.fixtures import at

    with time_machine.travel(at(2026, 11, 23, 9, 30), tick=False) as clock:
        make_case_in_state(State.CLOSED, users)  # replied after contacting the citizen
        overdue = make_case_in_state(State.IN_PROGRESS, users)
        upheld = make_case_in_state(State.PENDING_DECISION, users)
        make_case_in_state(State.PENDING_DECISION, users)  # still waiting
        services.case_close(case=upheld, actor=users["supervisor"], reason="维持原答复。")
        clock.move_to(at(2026, 12, 11, 9, 0))
        case_urge(case=overdue)  # in December
        november = _api(client, users["supervisor"], month="2026-11").json()
        december = _api(client, users["supervisor"], month="2026-12").json()
    [cgj] = [r for r in november["rows"] if r["department"] == "CGJ"]
    # Three of the four November cases were replied to once, each after a contact (the factories').
    assert (cgj["reply_rounds"], cgj["contacted_first"], cgj["contact_before_reply_rate"]) == (3, 3, 1.0)
    assert november["total"]["reply_rounds"] == 3
    assert november["followup"]["rows"] == [
        {
            "department": "CGJ",
            "department_name": cgj["department_name"],
            "urges": 0,
            "urged_cases": 0,
            "dissatisfied": 2,
            "reopened": 0,
            "upheld": 1,
            "pending": 1,
        }
    ]
    assert december["followup"]["total"] == {
        "urges": 1, "urged_cases": 1, "dissatisfied": 0, "reopened": 0, "upheld": 0, "pending": 0
    }  # fmt: skip
    assert december["rows"] == []  # no case registered in December: the figures count the month's cases
