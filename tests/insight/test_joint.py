"""Joint handling: one lead case, the waiting others linked, the lead's approved answer answers all."""

from __future__ import annotations

import datetime as dt

import pytest

from cases import services
from cases.enums import State, Transition
from cases.exceptions import CaseConflict, CasePermissionDenied, CaseValidationError
from insight.enums import JOINT_LINKED, JOINT_OPENED, HotspotStatus
from insight.hotspots import hotspots_detect
from insight.joint import joint_open
from insight.models import JointLink
from tests.factories import reply_kwargs
from tests.web.api.api_helpers import assert_error, staff_client

from .conftest import NOW
from .test_hotspots import _water_cluster


@pytest.fixture
def cluster(users):
    cases = _water_cluster(users)
    (hotspot,), _ = hotspots_detect(now=NOW)
    return hotspot, sorted(cases, key=lambda c: c.registered_at)


def test_the_lead_answer_answers_the_linked_cases(users, cluster):
    hotspot, (first, second, third) = cluster
    services.case_assign(case=third, actor=users["dispatcher"], department="SWJ")  # already in hand
    hotspot = joint_open(hotspot=hotspot, lead=first.tracking_no, actor=users["supervisor"], now=NOW)
    assert hotspot.status == HotspotStatus.JOINT and hotspot.lead_case == first
    assert list(JointLink.objects.values_list("case__tracking_no", flat=True)) == [second.tracking_no]
    assert first.events.order_by("-seq").first().transition == JOINT_OPENED
    assert first.events.order_by("-seq").first().data["linked"] == [second.tracking_no]
    assert second.events.order_by("-seq").first().transition == JOINT_LINKED

    lead = services.case_assign(case=first, actor=users["dispatcher"], department="CGJ")
    lead = services.case_sign_for(case=lead, actor=users["clerk_cgj"])
    lead = services.case_reply(case=lead, actor=users["clerk_cgj"], text="已协调水务恢复供水。", **reply_kwargs())
    services.case_approve(case=lead, actor=users["dispatcher"], answer="经协调，江景花园已于今日恢复供水。")

    second.refresh_from_db()
    assert second.state == State.ANSWERED
    assert second.answer == "经协调，江景花园已于今日恢复供水。"
    assert second.first_contact_resolution is False
    event = second.events.order_by("-seq").first()
    assert (event.transition, event.data["joint_lead"]) == (Transition.RESOLVE_DIRECTLY, first.tracking_no)
    assert JointLink.objects.get(case=second).answered_at is not None
    third.refresh_from_db()
    assert third.state == State.ASSIGNED  # it keeps its own course


def test_a_linked_case_triaged_meanwhile_is_left_alone(users, cluster):
    hotspot, (first, second, _third) = cluster
    joint_open(hotspot=hotspot, lead=first.tracking_no, actor=users["supervisor"], now=NOW)
    services.case_reject(case=second, actor=users["dispatcher"], reason="repeat_closed", note="")
    services.case_resolve_directly(case=first, actor=users["dispatcher"], answer="已恢复供水。")
    second.refresh_from_db()
    assert second.state == State.REJECTED


def test_only_supervisors_open_it_with_a_lead_from_the_hotspot_and_only_once(users, cluster):
    hotspot, (first, *_rest) = cluster
    with pytest.raises(CasePermissionDenied):
        joint_open(hotspot=hotspot, lead=first.tracking_no, actor=users["dispatcher"], now=NOW)
    with pytest.raises(CaseValidationError):
        joint_open(hotspot=hotspot, lead="2026010100001", actor=users["supervisor"], now=NOW)
    joint_open(hotspot=hotspot, lead=first.tracking_no, actor=users["supervisor"], now=NOW)
    with pytest.raises(CaseConflict):
        joint_open(hotspot=hotspot, lead=first.tracking_no, actor=users["supervisor"], now=NOW + dt.timedelta(1))
    assert JointLink.objects.count() == 2


def test_api_opens_a_joint_handling(users, cluster):
    hotspot, cases = cluster
    client = staff_client(users["supervisor"])
    assert_error(client.post(f"/api/v1/hotspots/{hotspot.pk}/joint/", {}, format="json"), 400, "invalid")
    assert_error(client.post("/api/v1/hotspots/999999/joint/", {"lead": "x"}, format="json"), 404, "not_found")
    response = client.post(f"/api/v1/hotspots/{hotspot.pk}/joint/", {"lead": cases[0].tracking_no}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "joint" and response.json()["lead_case"] == cases[0].tracking_no
    again = client.post(f"/api/v1/hotspots/{hotspot.pk}/joint/", {"lead": cases[0].tracking_no}, format="json")
    assert_error(again, 409, "conflict")
    assert_error(
        staff_client(users["dispatcher"]).post(f"/api/v1/hotspots/{hotspot.pk}/joint/", {"lead": "x"}, format="json"),
        404,
        "not_found",
    )
