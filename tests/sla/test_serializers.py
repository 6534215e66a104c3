"""sla.serializers: one fixed shape per extension and per supervision order, the same in the case
detail, the endpoints' answers, the overdue board and the real-time events."""

from __future__ import annotations

import pytest

from cases.enums import State
from sla import sweeper
from sla.models import SupervisionOrder
from sla.serializers import EXTENSION_FIELDS, ORDER_FIELDS, order_data
from tests.factories import make_case_in_state
from tests.sla.fixtures import at, clock, published  # noqa: F401
from tests.web.api.api_helpers import staff_client

pytestmark = pytest.mark.django_db


def detail(user, case) -> dict:
    return staff_client(user).get(f"/api/v1/cases/{case.tracking_no}/").json()


def test_an_extension_has_exactly_the_documented_fields_with_their_values(users, clock, published):
    users["clerk_cgj"].first_name, users["clerk_cgj"].last_name = "明", "王"
    users["clerk_cgj"].save()
    case = make_case_in_state(State.IN_PROGRESS, users)
    clock.set(at(2026, 12, 1, 10, 0))
    asked = staff_client(users["clerk_cgj"]).post(
        f"/api/v1/cases/{case.tracking_no}/extensions/",
        {"until": "2026-12-20", "reason": "需现场测量。"},
        format="json",
    )
    assert asked.status_code == 201, asked.content
    clock.set(at(2026, 12, 2, 9, 0))
    decided = (
        staff_client(users["supervisor"])
        .post(
            f"/api/v1/extensions/{asked.json()['id']}/decision/", {"grant": False, "note": "理由不足。"}, format="json"
        )
        .json()
    )
    assert tuple(decided) == EXTENSION_FIELDS
    assert decided == {
        "id": asked.json()["id"],
        "tracking_no": case.tracking_no,
        "timer": case.timers.get(stage="reply").pk,
        "department": "CGJ",
        "status": "refused",
        "requested_by": "clerk_cgj",
        "requested_by_name": "王明",  # family name first
        "requested_at": "2026-12-01T10:00:00+08:00",
        "previous_due_at": "2026-12-10T17:30:00+08:00",
        "until": "2026-12-20T23:59:59+08:00",
        "reason": "需现场测量。",
        "decided_by": "supervisor",
        "decided_by_name": "supervisor",
        "decided_at": "2026-12-02T09:00:00+08:00",
        "decision_note": "理由不足。",
    }
    # the case detail says the same, and the request event said the same before the decision
    assert detail(users["clerk_cgj"], case)["extensions"] == [decided]
    requested = next(d for _t, ty, d in published if ty == "extension.requested")
    assert requested == {
        **decided,
        "status": "pending",
        "decided_by": None,
        "decided_by_name": None,
        "decided_at": None,
        "decision_note": "",
    }


def test_an_order_has_exactly_the_documented_fields_in_the_detail_the_endpoints_the_board_and_events(
    users, clock, published
):
    case = make_case_in_state(State.IN_PROGRESS, users)
    issued = (
        staff_client(users["supervisor"])
        .post(f"/api/v1/cases/{case.tracking_no}/supervision/", {"level": 2, "note": "请三日内办结。"}, format="json")
        .json()
    )
    assert tuple(issued) == ORDER_FIELDS
    assert issued == {
        "id": issued["id"],
        "tracking_no": case.tracking_no,
        "timer": None,
        "level": 2,
        "level_label": "督办",
        "department": "CGJ",
        "escalation": False,
        "issued_by": "supervisor",
        "issued_by_name": "supervisor",
        "issued_at": "2026-11-23T09:30:00+08:00",
        "note": "请三日内办结。",
        "answered_by": None,
        "answered_by_name": None,
        "answered_at": None,
        "answer": "",
        "answer_by": None,
    }
    assert detail(users["clerk_cgj"], case)["supervision"] == [issued]
    assert staff_client(users["supervisor"]).get("/api/v1/boards/overdue/").json()["supervision_orders"] == [issued]
    assert [d for _t, ty, d in published if ty == "supervision.issued"] == [issued, issued]  # board and inbox

    clock.advance(hours=1)
    answered = (
        staff_client(users["clerk_cgj"])
        .post(f"/api/v1/supervision/{issued['id']}/answer/", {"text": "已办结。"}, format="json")
        .json()
    )
    assert answered == {
        **issued,
        "answered_by": "clerk_cgj",
        "answered_by_name": "clerk_cgj",
        "answered_at": "2026-11-23T10:30:00+08:00",
        "answer": "已办结。",
    }
    assert detail(users["clerk_cgj"], case)["supervision"] == [answered]


def test_an_escalation_order_names_its_timer_and_no_issuer(users, clock, published):
    case = make_case_in_state(State.ASSIGNED, users)
    sweeper.Sweeper().step(now=at(2026, 11, 24, 17, 31))  # the sign-for deadline passed
    order = SupervisionOrder.objects.select_related("case", "department").get(case=case)
    data = order_data(order)
    assert (data["timer"], data["escalation"], data["issued_by"], data["issued_by_name"], data["level"]) == (
        order.timer_id,
        True,
        None,
        None,
        1,
    )
    assert detail(users["clerk_cgj"], case)["supervision"] == [data]


def test_the_openapi_schema_documents_the_same_fields_as_the_serializers(org):
    from drf_spectacular.generators import SchemaGenerator

    from web.api.schema import ExtensionOut, SupervisionOrderOut

    assert tuple(ExtensionOut().fields) == EXTENSION_FIELDS
    assert tuple(SupervisionOrderOut().fields) == ORDER_FIELDS
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    answer = paths["/api/v1/supervision/{id}/answer/"]["post"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/SupervisionOrderOut")
