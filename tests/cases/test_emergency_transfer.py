"""Emergency handover (应急移交): a matter for 110/119/120/122 is recorded as transferred."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from cases.enums import State
from sla.models import Timer
from tests.factories import CaseFactory
from tests.web.api.api_helpers import act, assert_error, public_client, staff_client

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@time_machine.travel(NOW, tick=False)
def test_transfer_records_number_and_time_with_a_public_note_and_stops_the_clock(users) -> None:
    case = CaseFactory(actor=users["agent"], channel="hotline", title="小区着火", content="楼道冒烟")
    response = act(staff_client(users["agent"]), case, "transfer", number="119", at="2026-12-01T09:58:00+08:00")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == State.TRANSFERRED
    assert body["transferred_to"] == "119"
    assert body["transferred_at"] == "2026-12-01T09:58:00+08:00"
    event = case.events.get(transition="transfer")
    assert event.public and "119" in event.note and "2026-12-01 09:58" in event.note
    assert event.data == {"number": "119", "at": "2026-12-01T09:58:00+08:00"}
    assert not Timer.objects.filter(case=case, status="running").exists()
    track = (
        public_client()
        .get("/api/v1/public/track/", {"tracking_no": case.tracking_no, "access_code": case.access_code})
        .json()
    )
    assert any("119" in line["note"] for line in track["timeline"])


@time_machine.travel(NOW, tick=False)
def test_transfer_bad_number_future_time_wrong_role_or_state_changes_nothing(users) -> None:
    case = CaseFactory(actor=users["agent"], channel="hotline")
    agent = staff_client(users["agent"])
    assert "number" in assert_error(act(agent, case, "transfer", number="114"), 400, "invalid")["fields"]
    future = act(agent, case, "transfer", number="110", at="2026-12-01T12:00:00+08:00")
    assert "at" in assert_error(future, 400, "invalid")["fields"]
    assert_error(act(staff_client(users["supervisor"]), case, "transfer", number="110"), 403, "forbidden")
    case.refresh_from_db()
    assert case.state == State.REGISTERED and case.transferred_to == ""
    assert act(agent, case, "transfer", number="110").status_code == 200
    assert_error(act(agent, case, "transfer", number="120"), 409, "conflict")
