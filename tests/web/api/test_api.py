"""The staff REST API and the citizens' tracking API, end to end (API.md)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import HttpRequest
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from cases import services
from cases.enums import State
from cases.models import Case, CaseEvent
from tests.factories import CaseFactory, make_case_in_state, reply_body
from tests.web.api.api_helpers import TRACKING_NO, act, assert_error, public_client, staff_client, unique_ip

pytestmark = pytest.mark.django_db

NEW_CASE = {
    "channel": "hotline",
    "kind": "complaint",
    "category": "CITY-VEND",
    "title": "幸福路夜市占道",
    "content": "幸福路12号门口每晚摊贩占满人行道，行人只能走机动车道。",
    "citizen": {"name": "李四", "phone": "138-0013-5678", "email": "lisi@example.com"},
    "location": "东湖街道幸福路12号",
    "publish_consent": True,
    "priority": "normal",
}


def token_client(username: str) -> APIClient:
    client = APIClient(REMOTE_ADDR=unique_ip())
    response = client.post("/api/v1/auth/token/", {"username": username, "password": "demo12345"}, format="json")
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"token"}
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def last_event(body: dict) -> dict:
    return body["events"][-1]


# --- the whole lifecycle -------------------------------------------------------------


def test_a_case_goes_from_registration_to_closed_through_the_api(users):
    agent, dispatcher, clerk = token_client("agent"), token_client("dispatcher"), token_client("clerk_cgj")

    response = agent.post("/api/v1/cases/", NEW_CASE, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    no = body["tracking_no"]
    assert TRACKING_NO.match(no)
    assert body["state"] == State.REGISTERED
    assert body["category"] == "CITY-VEND"
    assert body["department"] is None
    assert body["channel"] == "hotline" and body["kind"] == "complaint" and body["priority"] == "normal"
    assert body["citizen"] == {
        "name": "李四",
        "phone": "13800135678",
        "email": "lisi@example.com",
        "id_no": "",
        "masked": False,
    }
    assert body["access_code"] == Case.objects.get(tracking_no=no).access_code
    assert body["publication"] == "private"
    assert body["registered_at"].endswith("+08:00")
    assert isinstance(body["timers"], list) and body["extensions"] == [] and body["supervision"] == []
    assert body["events"] == [
        {
            "seq": 1,
            "at": body["events"][0]["at"],
            "actor": "agent",
            "role": "agent",
            "transition": "register",
            "from": "",
            "to": "registered",
            "note": "",
            "public": True,
        }
    ]

    steps = [
        (
            dispatcher,
            "assign",
            {"department": "CGJ", "assisting_departments": ["HBJ"], "instructions": "请核实处理"},
            State.REGISTERED,
            State.ASSIGNED,
            "dispatcher",
        ),
        (clerk, "sign_for", {}, State.ASSIGNED, State.IN_PROGRESS, "clerk_cgj"),
        (clerk, "reply", reply_body(text="已派执法队员劝离。"), State.IN_PROGRESS, State.REPLIED, "clerk_cgj"),
        (dispatcher, "send_back", {"note": "请说明长效措施。"}, State.REPLIED, State.IN_PROGRESS, "dispatcher"),
        (
            clerk,
            "reply",
            reply_body(text="已劝离，并将该路段列入夜间巡查重点。"),
            State.IN_PROGRESS,
            State.REPLIED,
            "clerk_cgj",
        ),
        (
            dispatcher,
            "approve",
            {"answer": "您反映的占道问题已处理，该路段已列入夜间巡查重点。"},
            State.REPLIED,
            State.ANSWERED,
            "dispatcher",
        ),
    ]
    for seq, (client, name, payload, before, after, actor) in enumerate(steps, start=2):
        response = act(client, no, name, **payload)
        assert response.status_code == 200, (name, response.content)
        body = response.json()
        assert body["tracking_no"] == no
        assert body["state"] == after
        event = last_event(body)
        assert (event["seq"], event["transition"], event["from"], event["to"], event["actor"]) == (
            seq,
            name,
            before,
            after,
            actor,
        )
    assert body["department"] == "CGJ"
    assert body["assisting_departments"] == ["HBJ"]
    assert body["reply_text"] == "已劝离，并将该路段列入夜间巡查重点。"
    assert body["answer"] == "您反映的占道问题已处理，该路段已列入夜间巡查重点。"

    citizen = public_client()
    code = Case.objects.get(tracking_no=no).access_code
    response = citizen.get("/api/v1/public/track/", {"tracking_no": no, "access_code": code.lower()})
    assert response.status_code == 200, response.content
    track = response.json()
    assert track["state"] == State.ANSWERED
    assert track["answer"] == "您反映的占道问题已处理，该路段已列入夜间巡查重点。"
    assert track["department"] == "示范区城市管理和综合执法局"
    assert track["can_give_feedback"] is True
    assert [row["transition"] for row in track["timeline"]] == [
        "register",
        "assign",
        "sign_for",
        "reply",
        "reply",
        "approve",
    ]  # send_back is internal
    text = response.content.decode()
    for private in (
        "李四",
        "13800135678",
        "5678",
        "lisi@example.com",
        "幸福路12号",
        "请核实处理",
        "已派执法队员劝离",
        "请说明长效措施",
        "clerk_cgj",
        "dispatcher",
    ):
        assert private not in text

    response = citizen.post(
        "/api/v1/public/feedback/",
        {"tracking_no": no, "access_code": code, "rating": "satisfied", "comment": "很及时"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == State.CLOSED
    assert response.json()["rating"] == "satisfied"
    event = CaseEvent.objects.filter(case__tracking_no=no).order_by("-seq").first()
    assert (event.transition, event.actor_id, event.actor_label, event.note) == ("feedback", None, "citizen", "很及时")

    body = agent.get(f"/api/v1/cases/{no}/").json()
    assert body["state"] == State.CLOSED
    assert body["rating"] == "satisfied" and body["feedback_comment"] == "很及时"
    assert [e["seq"] for e in body["events"]] == list(range(1, 9))


def test_token_with_bad_credentials_is_a_400_in_the_error_shape(users):
    client = APIClient()
    error = assert_error(
        client.post("/api/v1/auth/token/", {"username": "agent", "password": "wrong"}, format="json"),
        400,
        "invalid_credentials",
    )
    assert list(error["fields"]) == ["non_field_errors"]
    assert_error(
        client.post("/api/v1/auth/token/", {"username": "nobody", "password": "demo12345"}, format="json"),
        400,
        "invalid_credentials",
    )
    assert_error(client.post("/api/v1/auth/token/", [1, 2], format="json"), 400, "invalid")


def test_the_staff_session_works_too(users):
    client = APIClient()
    assert client.login(request=HttpRequest(), username="agent", password="demo12345")
    CaseFactory(actor=users["agent"])
    response = client.get("/api/v1/cases/")
    assert response.status_code == 200
    assert response.json()["count"] == 1


# --- the list --------------------------------------------------------------------------


def test_list_is_newest_first_and_paginated(users):
    made = [CaseFactory(actor=users["agent"]) for _ in range(3)]
    client = staff_client(users["dispatcher"])
    body = client.get("/api/v1/cases/", {"page_size": 2}).json()
    assert body["count"] == 3
    assert [row["tracking_no"] for row in body["results"]] == [made[2].tracking_no, made[1].tracking_no]
    assert body["next"] and body["previous"] is None
    page2 = client.get("/api/v1/cases/", {"page_size": 2, "page": 2}).json()
    assert [row["tracking_no"] for row in page2["results"]] == [made[0].tracking_no]
    assert set(body["results"][0]) >= {
        "tracking_no",
        "state",
        "channel",
        "kind",
        "category",
        "department",
        "title",
        "priority",
        "registered_at",
        "version",
    }


def test_list_filters_by_state_department_category_and_text(users):
    registered = CaseFactory(actor=users["agent"], title="路灯不亮", category="CITY-ROAD")
    assigned = make_case_in_state(State.ASSIGNED, users)
    hbj = make_case_in_state(State.IN_PROGRESS, users, department="HBJ", category="ENV-NOISE")
    client = staff_client(users["dispatcher"])

    def nos(**params: str) -> list[str]:
        response = client.get("/api/v1/cases/", params)
        assert response.status_code == 200, response.content
        return [row["tracking_no"] for row in response.json()["results"]]

    assert nos(state="registered") == [registered.tracking_no]
    assert nos(state="in_progress") == [hbj.tracking_no]
    assert nos(department="CGJ") == [assigned.tracking_no]
    assert nos(category="ENV-NOISE") == [hbj.tracking_no]
    assert nos(category="CITY") == [assigned.tracking_no, registered.tracking_no]  # a branch includes its leaves
    assert nos(q="路灯") == [registered.tracking_no]
    assert nos(q=registered.tracking_no) == [registered.tracking_no]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"state": "lost"}, "state"),
        ({"department": "NOPE"}, "department"),
        ({"category": "NOPE"}, "category"),
        ({"overdue": "maybe"}, "overdue"),
        ({"page": "abc"}, "page"),
        ({"page": "999"}, "page"),
        ({"q": "a\x00b"}, "q"),
        ({"q": "x" * 500}, "q"),
    ],
)
def test_invalid_list_filters_are_a_400_naming_the_field(users, params, field):
    CaseFactory(actor=users["agent"])
    error = assert_error(staff_client(users["dispatcher"]).get("/api/v1/cases/", params), 400, "invalid")
    assert list(error["fields"]) == [field]


def test_overdue_lists_only_cases_with_a_breached_timer(users):
    from sla.models import Timer  # the sla app keeps the timers; the API reads them by relation

    late = make_case_in_state(State.ASSIGNED, users)
    on_time = make_case_in_state(State.ASSIGNED, users)
    answered_late = make_case_in_state(State.REPLIED, users)  # its breached reply clock has stopped
    assert Timer.objects.filter(case=late).exists()
    Timer.objects.filter(case=late, stage="reply").update(status="breached")
    Timer.objects.filter(case=answered_late, stage="reply").update(status="breached")
    assert not Timer.objects.filter(case=answered_late, stage="reply", stopped_at__isnull=True).exists()
    client = staff_client(users["dispatcher"])
    overdue = client.get("/api/v1/cases/", {"overdue": "true"}).json()
    assert [row["tracking_no"] for row in overdue["results"]] == [late.tracking_no]
    not_overdue = client.get("/api/v1/cases/", {"overdue": "false"}).json()
    assert [row["tracking_no"] for row in not_overdue["results"]] == [answered_late.tracking_no, on_time.tracking_no]


def test_detail_shows_the_sla_timers_and_the_public_page_the_reply_deadline(users):
    case = make_case_in_state(State.ASSIGNED, users)
    body = staff_client(users["clerk_cgj"]).get(f"/api/v1/cases/{case.tracking_no}/").json()
    stages = {t["stage"]: t for t in body["timers"]}
    assert "reply" in stages
    reply = stages["reply"]
    assert set(reply) >= {"stage", "started_at", "due_at", "warn_at", "status", "calendar_incomplete"}
    assert reply["status"] == "running"
    assert reply["due_at"].endswith("+08:00")
    track = (
        public_client()
        .get("/api/v1/public/track/", {"tracking_no": case.tracking_no, "access_code": case.access_code})
        .json()
    )
    assert track["deadline"] == reply["due_at"]


def test_list_query_count_does_not_grow_with_the_number_of_cases(users):
    client = staff_client(users["clerk_cgj"])
    make_case_in_state(State.ASSIGNED, users)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/cases/").status_code == 200
    for _ in range(6):
        make_case_in_state(State.ASSIGNED, users)
    with CaptureQueriesContext(connection) as many:
        body = client.get("/api/v1/cases/").json()
    assert body["count"] == 7
    assert len(many) == len(few) <= 4


# --- department isolation and masking -----------------------------------------------------


@pytest.fixture
def two_departments(users):
    cgj = make_case_in_state(
        State.ASSIGNED, users, title="城管局的案子 路灯", citizen=services.Citizen(name="王五", phone="13900001111")
    )
    hbj = make_case_in_state(State.ASSIGNED, users, department="HBJ", title="环保局的案子 路灯")
    return cgj, hbj


def test_department_clerk_lists_only_their_departments_cases(users, two_departments):
    cgj, hbj = two_departments
    client = staff_client(users["clerk_hbj"])
    body = client.get("/api/v1/cases/").json()
    assert [row["tracking_no"] for row in body["results"]] == [hbj.tracking_no]
    assert client.get("/api/v1/cases/", {"q": "路灯"}).json()["count"] == 1
    assert client.get("/api/v1/cases/", {"department": "CGJ"}).json()["count"] == 0
    assert client.get("/api/v1/cases/", {"q": cgj.tracking_no}).json()["count"] == 0
    # and the dispatcher sees both, so there was something to leak
    assert staff_client(users["dispatcher"]).get("/api/v1/cases/").json()["count"] == 2


def test_another_departments_case_is_a_404_indistinguishable_from_a_missing_one(users, two_departments):
    cgj, _hbj = two_departments
    client = staff_client(users["clerk_hbj"])
    hidden = client.get(f"/api/v1/cases/{cgj.tracking_no}/")
    missing = client.get("/api/v1/cases/2099010199999/")
    assert_error(hidden, 404, "not_found")
    assert hidden.json() == missing.json()
    assert_error(act(client, cgj, "sign_for"), 404, "not_found")
    assert act(client, cgj, "sign_for").json() == act(client, "2099010199999", "sign_for").json()
    cgj.refresh_from_db()
    assert cgj.state == State.ASSIGNED


def test_assisting_department_sees_the_case_but_may_not_act_on_it(users):
    case = CaseFactory(actor=users["agent"])
    services.case_assign(case=case, actor=users["dispatcher"], department="CGJ", assisting_departments=["HBJ"])
    client = staff_client(users["clerk_hbj"])
    assert client.get(f"/api/v1/cases/{case.tracking_no}/").status_code == 200
    assert_error(act(client, case, "sign_for"), 403, "forbidden")


def test_phone_is_masked_for_department_staff_and_full_for_agents(users, two_departments):
    cgj, _hbj = two_departments
    clerk_view = staff_client(users["clerk_cgj"]).get(f"/api/v1/cases/{cgj.tracking_no}/").json()
    assert clerk_view["citizen"]["phone"] == "139****1111"
    assert clerk_view["citizen"]["masked"] is True
    assert clerk_view["access_code"] is None
    assert (
        "13900001111" not in staff_client(users["clerk_cgj"]).get(f"/api/v1/cases/{cgj.tracking_no}/").content.decode()
    )
    agent_view = staff_client(users["agent"]).get(f"/api/v1/cases/{cgj.tracking_no}/").json()
    assert agent_view["citizen"]["phone"] == "13900001111"
    assert agent_view["citizen"]["masked"] is False


def test_clerk_sees_the_documented_mask_for_a_mobile_number(users):
    case = make_case_in_state(State.ASSIGNED, users, citizen=services.Citizen(name="李四", phone="13800135678"))
    assert (
        staff_client(users["clerk_cgj"]).get(f"/api/v1/cases/{case.tracking_no}/").json()["citizen"]["phone"]
        == "138****5678"
    )
    assert (
        staff_client(users["agent"]).get(f"/api/v1/cases/{case.tracking_no}/").json()["citizen"]["phone"]
        == "13800135678"
    )


def test_detail_lists_extensions_and_supervision_orders(users):
    from sla import services as sla_services

    case = make_case_in_state(State.IN_PROGRESS, users)
    sla_services.supervision_issue(case=case, actor=users["supervisor"], level=1, note="请加快办理")
    body = staff_client(users["clerk_cgj"]).get(f"/api/v1/cases/{case.tracking_no}/").json()
    assert len(body["supervision"]) == 1
    order = body["supervision"][0]
    assert (order["level"], order["note"], order["department"], order["issued_by"]) == (
        1,
        "请加快办理",
        "CGJ",
        "supervisor",
    )
    assert order["issued_at"].endswith("+08:00")
    assert body["extensions"] == []


def test_a_clerk_registering_a_letter_gets_the_access_code_to_send_the_citizen(users):
    client = staff_client(users["clerk_cgj"])
    response = client.post("/api/v1/cases/", {**NEW_CASE, "channel": "letter"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["access_code"] == Case.objects.get(tracking_no=body["tracking_no"]).access_code
    assert body["citizen"]["phone"] == "138****5678"
    # afterwards the case is the dispatcher's to triage, and not visible to the clerk
    assert_error(client.get(f"/api/v1/cases/{body['tracking_no']}/"), 404, "not_found")


def test_the_openapi_schema_documents_the_case_and_public_endpoints(client, org):
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    paths = schema["paths"]
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/cases/",
        "/api/v1/cases/{tracking_no}/",
        "/api/v1/cases/{tracking_no}/transitions/{name}/",
        "/api/v1/public/track/",
        "/api/v1/public/feedback/",
    ):
        assert path in paths
    list_params = {p["name"] for p in paths["/api/v1/cases/"]["get"]["parameters"]}
    assert {"state", "department", "category", "overdue", "q", "page"} <= list_params
    assert set(paths["/api/v1/cases/{tracking_no}/"]["get"]["responses"]) >= {"200", "401", "403", "404"}
