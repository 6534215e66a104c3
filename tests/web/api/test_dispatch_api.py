"""The API of issue 12: forward / approve_up / send_down / dispute / arbitrate / reclassify and the
supervision order with department and answer-by date. Errors in the one shape; nothing changed."""

from __future__ import annotations

import pytest

from cases import services
from cases.enums import State
from cases.models import Case
from sla.models import SupervisionOrder
from tests.cases.dispatch_fixtures import MONDAY, signed_at_street_office, tier_users  # noqa: F401
from tests.factories import CaseFactory, reply_body
from tests.web.api.api_helpers import act, assert_error, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _monday(time_machine):
    time_machine.move_to(MONDAY, tick=False)


def row(case: Case) -> tuple:
    r = Case.objects.filter(pk=case.pk).values("state", "version", "handling_department_id").get()
    return r, case.events.count()


def test_the_forward_walk_through_the_api(tier_users):
    u = tier_users
    case = signed_at_street_office(u)
    response = act(staff_client(u["clerk_jde"]), case, "forward", department="JD-E-01", instructions="请社区核实")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["department"], body["handling_department"]) == ("assigned", "JD-E", "JD-E-01")
    assert [(lv["level"], lv["department"], lv["state"]) for lv in body["levels"]] == [
        (0, "JD-E", "forwarded"),
        (1, "JD-E-01", "assigned"),
    ]
    community = staff_client(u["clerk_jde01"])
    assert community.get(f"/api/v1/cases/{case.tracking_no}/").status_code == 200
    assert act(community, case, "sign_for").status_code == 200
    assert act(community, case, "reply", text="已上门核实处理。", **reply_body()).json()["state"] == "sub_replied"
    assert act(staff_client(u["clerk_jde"]), case, "approve_up", note="同意").json()["state"] == "replied"
    assert act(staff_client(u["dispatcher"]), case, "approve").json()["state"] == "answered"


@pytest.mark.parametrize(
    ("target", "status", "code"),
    [("JD-W-01", 403, "forbidden"), ("JD-E", 400, "invalid"), ("", 400, "invalid")],
)
def test_a_bad_forward_is_a_clear_error_and_changes_nothing(tier_users, target, status, code):
    u = tier_users
    case = signed_at_street_office(u)
    before = row(case)
    response = act(staff_client(u["clerk_jde"]), case, "forward", department=target, instructions="请处理")
    body = assert_error(response, status, code)
    if status == 400:
        assert "department" in body["fields"]
    assert row(case) == before


def test_forward_on_a_case_not_signed_for_is_409(tier_users):
    u = tier_users
    case = CaseFactory(actor=u["agent"])
    case = services.case_assign(case=case, actor=u["dispatcher"], department="JD-E", instructions="")
    before = row(case)
    assert_error(
        act(staff_client(u["clerk_jde"]), case, "forward", department="JD-E-01", instructions="请处理"), 409, "conflict"
    )
    assert row(case) == before


def test_dispute_and_arbitrate_through_the_api(tier_users):
    u = tier_users
    case = CaseFactory(actor=u["agent"])
    dispatcher = staff_client(u["dispatcher"])
    assert_error(act(dispatcher, case, "dispute", note="不同意"), 409, "conflict")  # never returned
    services.case_assign(case=case, actor=u["dispatcher"], department="CGJ", instructions="")
    services.case_return(case=case, actor=u["clerk_cgj"], reason="不属本单位职责")
    assert act(dispatcher, case, "dispute", note="属城管职责").json()["state"] == "disputed"
    before = row(case)
    assert_error(act(dispatcher, case, "arbitrate", department="CGJ", reason="由城管办理"), 403, "forbidden")
    assert row(case) == before
    body = act(staff_client(u["supervisor"]), case, "arbitrate", department="CGJ", reason="由城管办理").json()
    assert (body["state"], body["department"], body["instructions"]) == ("assigned", "CGJ", "由城管办理")


def test_reclassify_through_the_api(tier_users):
    u = tier_users
    case = CaseFactory(actor=u["agent"])
    body = act(staff_client(u["dispatcher"]), case, "reclassify", kind="consultation", note="实为咨询").json()
    assert body["kind"] == "consultation"
    assert_error(act(staff_client(u["dispatcher"]), case, "reclassify", category="NOPE", note="更正"), 400, "invalid")


def test_a_supervision_order_names_a_department_the_case_passed_and_an_answer_by_date(tier_users):
    u = tier_users
    case = signed_at_street_office(u)
    client = staff_client(u["supervisor"])
    url = f"/api/v1/cases/{case.tracking_no}/supervision/"
    response = client.post(url, {"level": 2, "note": "请加快办理", "answer_by": "2026-11-25"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["department"], body["answer_by"]) == ("JD-E", "2026-11-25T23:59:59+08:00")
    for bad, field in (({"department": "JD-W"}, "department"), ({"answer_by": "2026-11-20"}, "answer_by")):
        r = client.post(url, {"level": 1, "note": "催办", **bad}, format="json")
        assert assert_error(r, 400, "invalid")["fields"].keys() == {field}
    assert SupervisionOrder.objects.filter(case=case).count() == 1
    assert_error(staff_client(u["dispatcher"]).post(url, {"level": 1, "note": "催办"}, format="json"), 403, "forbidden")
    assert case.state == State.IN_PROGRESS
