"""Console pages: hotspots (list, detail, joint handling), the wallboard, the case's suggestions."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from cases import services
from cases.enums import Role, State
from insight.enums import HotspotStatus
from insight.hotspots import hotspots_detect
from insight.models import DispatchSuggestion, Hotspot
from tests.factories import UserFactory, make_case_in_state

from .conftest import NOW
from .test_hotspots import _water_cluster


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def leader(org):
    return UserFactory(username="leader", role=Role.LEADER, department_code="GOV")


@pytest.fixture
def hotspot(users):
    cases = _water_cluster(users)
    (found,), _ = hotspots_detect(now=NOW)
    return found, sorted(cases, key=lambda c: c.registered_at)


def test_hotspot_pages_for_supervisors_and_leaders_only(users, leader, hotspot):
    h, cases = hotspot
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        for user in (users["supervisor"], leader):
            page = client_for(user).get("/console/insight/hotspots/")
            assert page.status_code == 200
            assert h.label in page.content.decode()
            assert 'data-ws-topic="wallboard"' in page.content.decode()
            detail = client_for(user).get(f"/console/insight/hotspots/{h.pk}/").content.decode()
            assert all(c.tracking_no in detail for c in cases)
        assert (
            "开启联合办理" in client_for(users["supervisor"]).get(f"/console/insight/hotspots/{h.pk}/").content.decode()
        )
        assert "开启联合办理" not in client_for(leader).get(f"/console/insight/hotspots/{h.pk}/").content.decode()
        for role in ("dispatcher", "clerk_cgj", "agent"):
            assert client_for(users[role]).get("/console/insight/hotspots/").status_code == 403


def test_supervisor_opens_joint_handling_from_the_page(users, leader, hotspot):
    h, cases = hotspot
    c = client_for(users["supervisor"])
    bad = c.post(f"/console/insight/hotspots/{h.pk}/joint/", {"lead": "nope"}, follow=True)
    assert "牵头工单必须是该热点中的工单" in bad.content.decode()
    assert Hotspot.objects.get(pk=h.pk).status == HotspotStatus.OPEN
    assert (
        client_for(leader).post(f"/console/insight/hotspots/{h.pk}/joint/", {"lead": cases[0].tracking_no}).status_code
        == 403
    )
    c.post(f"/console/insight/hotspots/{h.pk}/joint/", {"lead": cases[0].tracking_no})
    h.refresh_from_db()
    assert h.status == HotspotStatus.JOINT and h.lead_case == cases[0]


def test_supervisor_dismisses_a_hotspot(users, hotspot):
    h, _ = hotspot
    client_for(users["supervisor"]).post(f"/console/insight/hotspots/{h.pk}/dismiss/")
    assert Hotspot.objects.get(pk=h.pk).status == HotspotStatus.DISMISSED


def test_menu_links_hotspots_and_wallboard_by_role(users, leader):
    sup = client_for(users["supervisor"]).get("/console/cases/").content.decode()
    assert "/console/insight/hotspots/" in sup and "/console/insight/wallboard/" in sup
    lead = client_for(leader).get("/console/insight/wallboard/").content.decode()
    assert "/console/insight/hotspots/" in lead
    clerk = client_for(users["clerk_cgj"]).get("/console/cases/").content.decode()
    assert "/console/insight/" not in clerk


def test_wallboard_shows_todays_intake_by_channel_and_open_overdue_by_department(users, leader):
    today = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with time_machine.travel(today, tick=False):
        make_case_in_state(State.REGISTERED, users, channel="hotline")
        make_case_in_state(State.ASSIGNED, users, channel="web")
        make_case_in_state(State.ASSIGNED, users, channel="web", department="HBJ")
    yesterday = today - dt.timedelta(days=1)
    with time_machine.travel(yesterday, tick=False):
        make_case_in_state(State.REGISTERED, users, channel="web")
    with time_machine.travel(today + dt.timedelta(hours=1), tick=False):
        page = client_for(leader).get("/console/insight/wallboard/")
    assert page.status_code == 200
    from web.console.wallboard_data import wallboard

    data = wallboard(now=today + dt.timedelta(hours=1))
    assert data["intake"]["total"] == 3
    series = {s["channel"]: s["counts"] for s in data["intake"]["series"]}
    assert series["hotline"][9] == 1 and series["web"][9] == 2 and sum(series["web"]) == 2
    assert {d["code"]: (d["open"], d["overdue"]) for d in data["departments"]} == {"CGJ": (1, 0), "HBJ": (1, 0)}
    assert data["open_total"] == 4 and data["waiting"]["waiting"] == 2
    html = page.content.decode()
    assert 'id="wallboard-data"' in html and "chart.umd.js" in html and 'data-ws-topic="wallboard"' in html


def test_wallboard_is_not_for_department_staff(users):
    assert client_for(users["clerk_cgj"]).get("/console/insight/wallboard/").status_code == 403


def test_case_suggestions_for_a_case_awaiting_triage(users, dispatch_model):
    case = make_case_in_state(
        State.REGISTERED, users, category="LAB-WAGE", title="拖欠工资", content="老板拖欠工资三个月"
    )
    response = client_for(users["dispatcher"]).get(f"/console/insight/suggest/{case.tracking_no}/")
    assert response.status_code == 200
    body = response.json()
    assert body["departments"][0] == {
        "code": "RSJ",
        "confidence": body["departments"][0]["confidence"],
        "name": "示范区人力资源和社会保障局",
    }
    assert DispatchSuggestion.objects.filter(case=case, taken__isnull=True).count() == 1
    assert client_for(users["clerk_cgj"]).get(f"/console/insight/suggest/{case.tracking_no}/").status_code == 403
    assert client_for(users["dispatcher"]).get("/console/insight/suggest/2020010100001/").status_code == 404
    services.case_assign(case=case, actor=users["dispatcher"], department="RSJ")
    assert client_for(users["dispatcher"]).get(f"/console/insight/suggest/{case.tracking_no}/").status_code == 409
    assert DispatchSuggestion.objects.get(case=case).taken is True


def test_case_page_loads_the_suggestion_script(users):
    case = make_case_in_state(State.REGISTERED, users)
    html = client_for(users["dispatcher"]).get(f"/console/cases/{case.tracking_no}/").content.decode()
    assert "js/dispatch_suggest.js" in html and "action-assign" in html


def test_monthly_report_shows_the_acceptance_rate_per_month(users, dispatch_model):
    case = make_case_in_state(State.REGISTERED, users)
    for decided, taken in (("2026-11-03T10:00:00+08:00", True), ("2026-11-04T10:00:00+08:00", False),
                           ("2026-11-05T10:00:00+08:00", True), ("2026-10-05T10:00:00+08:00", True)):  # fmt: skip
        DispatchSuggestion.objects.create(
            case=case, model_version=1, suggested_department="CGJ", shown_at=NOW,
            chosen_department="CGJ" if taken else "HBJ", taken=taken, decided_at=decided,
        )  # fmt: skip
    html = client_for(users["supervisor"]).get("/console/reports/", {"month": "2026-11"}).content.decode()
    section = html[html.index('id="dispatch-acceptance"') :]
    assert "智能派单采纳率" in section
    assert "<td>2026-11</td><td>3</td><td>2</td><td>66.7%</td>" in section.replace("\n", "")
    assert "<td>2026-10</td><td>1</td><td>1</td><td>100.0%</td>" in section.replace("\n", "")
    assert "<td>2026-06</td><td>0</td><td>0</td>" in section.replace("\n", "")


def test_the_worker_nudges_the_wallboard_only_when_cases_changed(users, monkeypatch):
    from insight import live
    from insight.worker import InsightWorker

    sent = []
    real = live.events.publish

    def publish(topic, type_, data):
        if topic == "wallboard":
            sent.append((topic, type_))
        else:
            real(topic, type_, data)

    monkeypatch.setattr(live.events, "publish", publish)
    worker = InsightWorker(worker_id="t")
    monkeypatch.setattr(worker, "retrain_due", lambda now: False)  # training is tested elsewhere
    worker.step(now=NOW)  # the first tick only takes the stamp
    worker.step(now=NOW + dt.timedelta(seconds=16))
    assert sent == []
    make_case_in_state(State.REGISTERED, users)
    worker.step(now=NOW + dt.timedelta(seconds=20))  # changed, but the next tick is not due yet
    assert sent == []
    worker.step(now=NOW + dt.timedelta(seconds=32))
    assert sent == [("wallboard", "wallboard.tick")]
    worker.step(now=NOW + dt.timedelta(seconds=48))
    assert sent == [("wallboard", "wallboard.tick")]
