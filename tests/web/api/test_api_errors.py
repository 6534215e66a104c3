"""Error shapes of the API (400/401/403/404/409/429) and bad input that must never be a 500."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from cases import services
from cases.enums import State
from cases.models import Case
from tests.factories import CaseFactory, make_case_in_state
from tests.web.api.api_helpers import act, assert_error, public_client, staff_client

pytestmark = pytest.mark.django_db

VALID = {
    "channel": "web",
    "kind": "complaint",
    "category": "CITY-VEND",
    "title": "占道经营",
    "content": "小区门口人行道被摊贩占满。",
    "citizen": {"name": "张三", "phone": "13800138000"},
}


# --- 400 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"citizen": {"name": "张三", "phone": "12345"}}, "citizen.phone"),
        ({"citizen": {"name": "张三", "phone": "13800138000", "id_no": "110101199003071234"}}, "citizen.id_no"),
        ({"citizen": {"name": "张三", "phone": "13800138000", "email": "not-an-email"}}, "citizen.email"),
        ({"citizen": {"name": "张三"}}, "citizen.phone"),
        ({"citizen": "张三"}, "citizen.non_field_errors"),
        ({"channel": "pigeon"}, "channel"),
        ({"kind": "rant"}, "kind"),
        ({"category": "NOPE"}, "category"),
        ({"priority": "yesterday"}, "priority"),
        ({"title": ""}, "title"),
        ({"title": "标" * 201}, "title"),
        ({"content": "   "}, "content"),
        ({"content": "长" * 5001}, "content"),
        ({"publish_consent": "maybe"}, "publish_consent"),
        ({"title": {"nested": "object"}}, "title"),
        ({"title": ["a", "list"]}, "title"),
        ({"title": "a\x00b"}, "title"),
        ({"title": "x" * 1_000_000}, "title"),
    ],
)
def test_registration_errors_name_the_field(users, change, field):
    response = staff_client(users["agent"]).post("/api/v1/cases/", {**VALID, **change}, format="json")
    error = assert_error(response, 400, "invalid")
    assert field in error["fields"]
    assert error["fields"][field][0]
    assert not Case.objects.exists()


def test_registration_reports_every_bad_field_at_once(users):
    response = staff_client(users["agent"]).post(
        "/api/v1/cases/", {**VALID, "channel": "x", "kind": "y", "title": "", "citizen": {"phone": "1"}}, format="json"
    )
    error = assert_error(response, 400, "invalid")
    assert {"channel", "kind", "title", "citizen.phone"} <= set(error["fields"])


RAW_BODIES = [
    b"{not json",
    b"[1, 2, 3]",
    b'"a string"',
    b"12",
    b"null",
    b'{"title": NaN}',
    b"\xff\xfe\x00garbage",
    b'{"title": "\\ud800"}',
    b"[" * 100_000 + b"]" * 100_000,
]


@pytest.mark.parametrize("raw", RAW_BODIES)
def test_malformed_bodies_are_a_400_never_a_500(users, raw):
    client = staff_client(users["agent"])
    assert_error(client.generic("POST", "/api/v1/cases/", raw, content_type="application/json"), 400, "invalid")
    case = make_case_in_state(State.REGISTERED, users)
    dispatcher = staff_client(users["dispatcher"])
    response = dispatcher.generic(
        "POST", f"/api/v1/cases/{case.tracking_no}/transitions/assign/", raw, content_type="application/json"
    )
    assert_error(response, 400, "invalid")
    response = public_client().generic("POST", "/api/v1/public/feedback/", raw, content_type="application/json")
    assert_error(response, 400, "invalid")


@pytest.mark.parametrize(
    "path", ["/api/v1/cases/", "transition", "/api/v1/public/supplement/", "/api/v1/dispatch/suggest/"]
)
def test_a_body_over_the_upload_limit_is_a_400_in_the_api_shape_and_changes_nothing(users, settings, path):
    # Django refuses it before any view (RequestDataTooBig) with its own HTML page, unless told.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    case = make_case_in_state(State.REGISTERED, users)
    before = (Case.objects.count(), case.events.count())
    if path == "transition":
        path = f"/api/v1/cases/{case.tracking_no}/transitions/reject/"
    raw = json.dumps({"tracking_no": case.tracking_no, "text": "长" * 20_000, "reason": "out_of_remit"})
    response = staff_client(users["dispatcher"]).generic("POST", path, raw, content_type="application/json")
    error = assert_error(response, 400, "invalid")
    assert list(error["fields"]) == ["body"]
    assert (Case.objects.count(), case.events.count()) == before


def test_form_bodies_are_refused_with_415(users):
    response = staff_client(users["agent"]).post("/api/v1/cases/", {"title": "x"})  # multipart
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    ("name", "body", "field"),
    [
        ("assign", {"department": "NOPE"}, "department"),
        ("assign", {"department": "XFJ"}, "department"),  # the dispatch centre itself
        ("assign", {"department": "CGJ", "assisting_departments": "HBJ"}, "assisting_departments"),
        ("assign", {"department": "CGJ", "assisting_departments": ["NOPE"]}, "assisting_departments"),
        ("assign", {"department": "CGJ", "version": "seven"}, "version"),
        ("assign", {"department": "CGJ", "version": 10**40}, "version"),
        ("reject", {"reason": "bored"}, "reason"),
        ("merge", {"duplicate_of": "2099010100001"}, "duplicate_of"),
        ("resolve_directly", {"answer": ""}, "answer"),
        ("resolve_directly", {"answer": 12345}, "answer"),  # API.md: text fields take strings only
    ],
)
def test_transition_bodies_are_validated(users, name, body, field):
    case = make_case_in_state(State.REGISTERED, users)
    response = act(staff_client(users["dispatcher"]), case, name, **body)
    if field is None:
        assert response.status_code == 200, response.content
        return
    error = assert_error(response, 400, "invalid")
    assert field in error["fields"]
    case.refresh_from_db()
    assert case.state == State.REGISTERED


def test_merging_into_itself_is_refused(users):
    case = make_case_in_state(State.REGISTERED, users)
    error = assert_error(
        act(staff_client(users["dispatcher"]), case, "merge", duplicate_of=case.tracking_no), 400, "invalid"
    )
    assert list(error["fields"]) == ["duplicate_of"]


# --- 401 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/cases/"),
        ("post", "/api/v1/cases/"),
        ("get", "/api/v1/cases/2026112100001/"),
        ("post", "/api/v1/cases/2026112100001/transitions/assign/"),
    ],
)
def test_without_credentials_the_staff_api_is_a_401(users, method, path):
    CaseFactory(actor=users["agent"])
    response = getattr(APIClient(), method)(path, {}, format="json") if method == "post" else APIClient().get(path)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_a_bad_token_is_a_401(users):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef")
    assert_error(client.get("/api/v1/cases/"), 401, "not_authenticated")


def test_the_api_never_renders_the_browsable_html_page(users):
    CaseFactory(actor=users["agent"])
    client = staff_client(users["dispatcher"])
    response = client.get("/api/v1/cases/", HTTP_ACCEPT="text/html")
    assert response.status_code in (200, 406)
    assert not response["Content-Type"].startswith("text/html")
    anonymous = APIClient().get("/api/v1/cases/", HTTP_ACCEPT="text/html")
    assert not anonymous["Content-Type"].startswith("text/html")
    assert anonymous.status_code in (401, 406)


# --- 403 / 404 / 409 -----------------------------------------------------------------------


def test_supervisor_may_not_register_a_case(users):
    assert_error(staff_client(users["supervisor"]).post("/api/v1/cases/", VALID, format="json"), 403, "forbidden")


def test_role_not_allowed_is_a_403_and_changes_nothing(users):
    case = make_case_in_state(State.REGISTERED, users)
    error = assert_error(act(staff_client(users["agent"]), case, "assign", department="CGJ"), 403, "forbidden")
    assert error["fields"] == {}
    case.refresh_from_db()
    assert (case.state, case.version, case.events.count()) == (State.REGISTERED, 1, 1)


def test_unknown_case_and_unknown_transition_are_404(users):
    case = make_case_in_state(State.REGISTERED, users)
    client = staff_client(users["dispatcher"])
    assert_error(client.get("/api/v1/cases/2099010100001/"), 404, "not_found")
    assert list(assert_error(client.get("/api/v1/cases/%00%01/"), 400, "invalid")["fields"]) == ["path"]  # a NUL
    assert_error(client.get(f"/api/v1/cases/{'9' * 300}/"), 404, "not_found")
    assert_error(act(client, case, "teleport"), 404, "not_found")
    assert_error(act(client, case, "auto_close"), 404, "not_found")  # the SLA worker's, not the API's
    assert_error(act(client, "2099010100001", "assign", department="CGJ"), 404, "not_found")


def test_wrong_state_is_a_409_naming_the_current_state(users):
    case = make_case_in_state(State.ASSIGNED, users)
    error = assert_error(act(staff_client(users["dispatcher"]), case, "assign", department="HBJ"), 409, "conflict")
    assert error["state"] == State.ASSIGNED
    case.refresh_from_db()
    assert case.department.code == "CGJ"


def test_a_stale_version_is_a_409_and_the_current_version_succeeds(users):
    case = make_case_in_state(State.REGISTERED, users)
    client = staff_client(users["dispatcher"])
    services.case_hold(case=case, actor=users["dispatcher"], reason="等待群众补充材料")
    services.case_resume(case=case, actor=users["dispatcher"])  # version 1 → 3 without a state change
    error = assert_error(act(client, case, "assign", department="CGJ", version=1), 409, "conflict")
    assert error["state"] == State.REGISTERED
    response = act(client, case, "assign", department="CGJ", version=3)
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 4


def test_hold_twice_is_a_409(users):
    case = make_case_in_state(State.IN_PROGRESS, users)
    client = staff_client(users["clerk_cgj"])
    body = act(client, case, "hold", reason="等待群众补充材料").json()
    assert body["on_hold"] is True and body["hold_reason"] == "等待群众补充材料"
    assert_error(act(client, case, "hold", reason="again"), 409, "conflict")
    assert act(client, case, "resume").json()["on_hold"] is False


# --- the citizens' endpoints -----------------------------------------------------------------


def test_wrong_access_code_gets_the_same_404_as_an_unknown_number(users):
    case = make_case_in_state(State.ASSIGNED, users)
    client = public_client()
    wrong_code = client.get("/api/v1/public/track/", {"tracking_no": case.tracking_no, "access_code": "AAAAAA"})
    unknown = client.get("/api/v1/public/track/", {"tracking_no": "2099010100001", "access_code": case.access_code})
    non_ascii = client.get("/api/v1/public/track/", {"tracking_no": case.tracking_no, "access_code": "查询码错误"})
    assert_error(wrong_code, 404, "not_found")
    assert wrong_code.json() == unknown.json() == non_ascii.json()


def test_missing_lookup_fields_are_a_400(users):
    error = assert_error(public_client().get("/api/v1/public/track/", {"tracking_no": "2026112100001"}), 400, "invalid")
    assert list(error["fields"]) == ["access_code"]


def test_repeated_failed_lookups_are_rate_limited_per_ip(users):
    case = make_case_in_state(State.ASSIGNED, users)
    client = public_client()
    for _ in range(10):
        response = client.get("/api/v1/public/track/", {"tracking_no": case.tracking_no, "access_code": "AAAAAA"})
        assert response.status_code == 404
    # now even the right code is refused from this address...
    blocked = client.get("/api/v1/public/track/", {"tracking_no": case.tracking_no, "access_code": case.access_code})
    error = assert_error(blocked, 429, "throttled")
    assert int(blocked["Retry-After"]) > 0
    assert error["fields"] == {}
    feedback = client.post(
        "/api/v1/public/feedback/",
        {"tracking_no": case.tracking_no, "access_code": case.access_code, "rating": "satisfied"},
        format="json",
    )
    assert_error(feedback, 429, "throttled")
    # ...while another citizen is not affected
    other = public_client().get(
        "/api/v1/public/track/", {"tracking_no": case.tracking_no, "access_code": case.access_code}
    )
    assert other.status_code == 200


def test_successful_lookups_do_not_count_as_failures(users):
    case = make_case_in_state(State.ASSIGNED, users)
    client = public_client()
    for _ in range(15):
        response = client.get(
            "/api/v1/public/track/", {"tracking_no": case.tracking_no, "access_code": case.access_code}
        )
        assert response.status_code == 200


def test_public_feedback_before_the_answer_is_a_409(users):
    case = make_case_in_state(State.IN_PROGRESS, users)
    response = public_client().post(
        "/api/v1/public/feedback/",
        {"tracking_no": case.tracking_no, "access_code": case.access_code, "rating": "satisfied"},
        format="json",
    )
    assert assert_error(response, 409, "conflict")["state"] == State.IN_PROGRESS


def test_public_feedback_with_a_bad_rating_is_a_400(users):
    case = make_case_in_state(State.ANSWERED, users)
    response = public_client().post(
        "/api/v1/public/feedback/",
        {"tracking_no": case.tracking_no, "access_code": case.access_code, "rating": "great"},
        format="json",
    )
    assert list(assert_error(response, 400, "invalid")["fields"]) == ["rating"]


def test_public_track_before_an_answer_shows_no_answer_and_no_internal_text(users):
    case = make_case_in_state(State.REPLIED, users)  # the department's reply awaits review
    body = (
        public_client()
        .get("/api/v1/public/track/", {"tracking_no": case.tracking_no, "access_code": case.access_code})
        .json()
    )
    assert body["state"] == State.REPLIED
    assert body["answer"] == ""
    assert body["can_give_feedback"] is False
    assert "已安排执法队员" not in json.dumps(body, ensure_ascii=False)
    assert "请核实处理" not in json.dumps(body, ensure_ascii=False)


def test_repeated_failed_sign_ins_are_rate_limited(users, settings):
    # Was 30 failures against a DRF throttle; now the django-axes lockout (web/signin.py).
    client = public_client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/api/v1/auth/token/", {"username": "agent", "password": "guess"}, format="json")
        assert response.status_code == 400
    locking = client.post("/api/v1/auth/token/", {"username": "agent", "password": "guess"}, format="json")
    assert_error(locking, 429, "too_many_attempts")
    blocked = client.post("/api/v1/auth/token/", {"username": "agent", "password": "demo12345"}, format="json")
    assert_error(blocked, 429, "too_many_attempts")
    assert int(blocked["Retry-After"]) > 0
    assert (
        public_client()
        .post("/api/v1/auth/token/", {"username": "agent", "password": "demo12345"}, format="json")
        .status_code
        == 200
    )
