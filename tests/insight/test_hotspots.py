"""Hotspot early warning: the surge rule against hand-computed counts, clusters, alerts, the API."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from cases import services
from cases.enums import Role
from insight.enums import HotspotKind, HotspotStatus, SurgeDimension
from insight.hotspots import find_clusters, find_surges, hotspots_detect, place_of, poisson_tail
from insight.models import Hotspot
from notifications.enums import Template
from notifications.models import Outbox
from tests.factories import CaseFactory, UserFactory
from tests.web.api.api_helpers import assert_error, staff_client

from .conftest import NOW

WEEK = dt.timedelta(days=7)


def register(users, *, at, n=1, **fields):
    out = []
    for i in range(n):
        CaseFactory.counter += 1
        fields.setdefault("citizen", services.Citizen(name="李四", phone=f"1390000{CaseFactory.counter:04d}"))
        out.append(CaseFactory(actor=users["agent"], now=at + dt.timedelta(minutes=i), **fields))
        fields.pop("citizen", None) if "fixed_phone" not in fields else None
    return out


def test_poisson_tail_matches_hand_computed_values():
    # P(X ≥ 6 | λ=1) = 1 − e^−1 (1 + 1 + 1/2 + 1/6 + 1/24 + 1/120)
    assert poisson_tail(6, 1.0) == pytest.approx(1 - math.exp(-1) * (1 + 1 + 1 / 2 + 1 / 6 + 1 / 24 + 1 / 120))
    assert poisson_tail(6, 1.0) == pytest.approx(0.000594, abs=1e-6)
    # P(X ≥ 5 | λ=2) = 1 − e^−2 (1 + 2 + 2 + 4/3 + 2/3) ≈ 0.0527: not below 0.01
    assert poisson_tail(5, 2.0) == pytest.approx(1 - math.exp(-2) * 7, abs=1e-9)
    # A baseline under the floor counts as 1 per week.
    assert poisson_tail(5, 0.0) == poisson_tail(5, 1.0)


def _baseline_one_a_week(users, category="EDU-FEES"):
    for week in range(1, 9):
        register(users, at=NOW - week * WEEK - dt.timedelta(hours=1), category=category, title=f"收费问题{week}")


def test_six_cases_over_a_baseline_of_one_a_week_is_a_category_surge(users):
    _baseline_one_a_week(users)
    window = register(users, at=NOW - dt.timedelta(days=2), n=6, category="EDU-FEES", title="学校乱收费")
    surges = [f for f in find_surges(now=NOW) if f.dimension == SurgeDimension.CATEGORY]
    assert len(surges) == 1
    surge = surges[0]
    assert (surge.count, surge.baseline) == (6, 1.0)
    assert surge.p_value == pytest.approx(0.000594, abs=1e-6)
    assert surge.case_ids == sorted(c.pk for c in window)
    assert surge.label == "违规收费诉求激增"
    # The phrase surge (学校, 乱收费) covers the same cases: not reported twice.
    assert not [f for f in find_surges(now=NOW) if f.dimension == SurgeDimension.PHRASE]


def test_four_cases_are_below_the_minimum_count_whatever_the_baseline(users):
    register(users, at=NOW - dt.timedelta(days=1), n=4, category="EDU-FEES", title="学校乱收费")
    assert find_surges(now=NOW) == []


def test_five_cases_over_a_baseline_of_two_a_week_is_not_a_surge(users):
    for week in range(1, 9):
        register(users, at=NOW - week * WEEK - dt.timedelta(hours=2), n=2, category="EDU-FEES", title=f"收费{week}")
    register(users, at=NOW - dt.timedelta(days=3), n=5, category="EDU-FEES", title="收费")
    assert [f for f in find_surges(now=NOW) if f.dimension == SurgeDimension.CATEGORY] == []
    register(users, at=NOW - dt.timedelta(days=3), n=2, category="EDU-FEES", title="收费")  # 7: P ≈ 0.0045
    assert [f.count for f in find_surges(now=NOW) if f.dimension == SurgeDimension.CATEGORY] == [7]


def test_cases_older_than_nine_weeks_and_merged_ones_do_not_count(users):
    register(users, at=NOW - 9 * WEEK - dt.timedelta(days=1), n=3, category="EDU-FEES", title="收费")
    window = register(users, at=NOW - dt.timedelta(days=1), n=6, category="EDU-FEES", title="收费")
    services.case_merge(case=window[0], actor=users["dispatcher"], duplicate_of=window[1].tracking_no)
    found = [f for f in find_surges(now=NOW) if f.dimension == SurgeDimension.CATEGORY]
    assert [(f.count, f.baseline) for f in found] == [(5, 0.0)]


def test_place_is_the_community_named_else_the_road():
    assert place_of("江景花园3栋", "") == ("JD-N-02", "江景社区")
    assert place_of("", "我们枫林苑停水了") == ("JD-W-02", "枫林社区")
    assert place_of("人民路12号", "") == ("road:人民路", "人民路")
    assert place_of("某地", "无") is None


def test_a_place_surge_across_categories(users):
    for i, category in enumerate(["CITY-WATER", "CITY-ROAD", "CITY-WASTE", "ENV-NOISE", "CITY-PROP"]):
        register(
            users, at=NOW - dt.timedelta(days=1, hours=i), category=category, title=f"反映{i}", location="江景花园"
        )
    places = [f for f in find_surges(now=NOW) if f.dimension == SurgeDimension.PLACE]
    assert [(f.place, f.count, f.baseline) for f in places] == [("江景社区", 5, 0.0)]


WATER = "江景花园小区停水三天了，物业和水务都不给说法，几百户居民没水用，请尽快恢复供水"


def test_near_identical_messages_from_three_callers_within_days_are_a_cluster(users):
    a = register(users, at=NOW - dt.timedelta(days=2), title="停水三天", content=WATER, category="CITY-WATER")
    b = register(users, at=NOW - dt.timedelta(days=1), title="停水三天", content=WATER + "！", category="CITY-WATER")
    c = register(
        users,
        at=NOW - dt.timedelta(hours=3),
        title="小区停水",
        content="您好，" + WATER,
        channel="hotline",
        category="CITY-WATER",
    )
    register(
        users, at=NOW - dt.timedelta(hours=2), title="路灯不亮", content="人民路路灯坏了一个月", category="CITY-ROAD"
    )
    clusters = find_clusters(now=NOW)
    assert len(clusters) == 1
    assert clusters[0].case_ids == [a[0].pk, b[0].pk, c[0].pk]
    assert clusters[0].extra == {"callers": 3}
    assert clusters[0].place == "江景社区"


def test_the_same_caller_three_times_is_not_a_cluster(users):
    same = services.Citizen(name="王五", phone="13900001111")
    for hours in (50, 30, 5):
        CaseFactory(
            actor=users["agent"], now=NOW - dt.timedelta(hours=hours), title="停水", content=WATER, citizen=same
        )
    assert find_clusters(now=NOW) == []


def test_messages_older_than_the_cluster_window_do_not_join(users):
    register(users, at=NOW - dt.timedelta(days=4), title="停水", content=WATER)
    register(users, at=NOW - dt.timedelta(days=1), n=2, title="停水", content=WATER)
    assert find_clusters(now=NOW) == []


@pytest.fixture
def leader(org):
    return UserFactory(username="leader", role=Role.LEADER, department_code="GOV")


def _water_cluster(users, n=3):
    return [
        register(
            users, at=NOW - dt.timedelta(hours=10 * (i + 1)), title="停水三天", content=WATER, category="CITY-WATER"
        )[0]
        for i in range(n)
    ]


def test_detection_stores_a_hotspot_and_alerts_supervisors_and_leaders_once(users, leader):
    cases = _water_cluster(users)
    new, updated = hotspots_detect(now=NOW)
    assert (len(new), updated) == (1, [])
    hotspot = new[0]
    assert hotspot.kind == HotspotKind.CLUSTER and hotspot.status == HotspotStatus.OPEN
    assert set(hotspot.cases.all()) == set(cases)
    alerts = Outbox.objects.filter(template=Template.HOTSPOT_ALERT)
    assert sorted(alerts.values_list("recipient__username", flat=True)) == ["leader", "supervisor"]
    assert sorted(alerts.first().context["cases"]) == sorted(c.tracking_no for c in cases)

    assert hotspots_detect(now=NOW + dt.timedelta(minutes=10)) == ([], [])
    fourth = register(users, at=NOW + dt.timedelta(minutes=20), title="停水", content=WATER, category="CITY-WATER")[0]
    new, updated = hotspots_detect(now=NOW + dt.timedelta(minutes=30))
    assert new == [] and [h.pk for h in updated] == [hotspot.pk]
    hotspot.refresh_from_db()
    assert hotspot.count == 4 and fourth in hotspot.cases.all()
    assert alerts.count() == 2  # grown, not alerted again


# --- the API ---------------------------------------------------------------------------------


def test_api_lists_hotspots_in_the_contract_shape(users, leader):
    cases = _water_cluster(users)
    hotspots_detect(now=NOW)
    for user in (users["supervisor"], leader):
        response = staff_client(user).get("/api/v1/hotspots/", {"since": "2026-11-20"})
        assert response.status_code == 200, response.content
        (row,) = response.json()["results"]
        assert {
            "id",
            "kind",
            "label",
            "category",
            "place",
            "count",
            "baseline",
            "cases",
            "detected_at",
            "status",
        } <= set(row)
        assert row["kind"] == "cluster" and row["count"] == 3 and row["category"] == "CITY-WATER"
        assert row["cases"] == [c.tracking_no for c in sorted(cases, key=lambda c: c.registered_at)]
        assert row["detected_at"] == "2026-11-25T10:00:00+08:00"
    later = staff_client(users["supervisor"]).get("/api/v1/hotspots/", {"since": "2026-11-25T10:00:01+08:00"})
    assert later.json() == {"results": []}


def test_api_refuses_other_roles_and_bad_since(users):
    assert_error(staff_client(users["dispatcher"]).get("/api/v1/hotspots/"), 403, "forbidden")
    assert_error(staff_client(users["clerk_cgj"]).get("/api/v1/hotspots/"), 403, "forbidden")
    error = assert_error(
        staff_client(users["supervisor"]).get("/api/v1/hotspots/", {"since": "last week"}), 400, "invalid"
    )
    assert "since" in error["fields"]
    assert_error(staff_client(users["supervisor"]).get("/api/v1/hotspots/", {"since": "2026-13-45"}), 400, "invalid")


def test_a_cluster_whose_first_case_left_the_window_grows_the_same_hotspot(users, leader):
    _water_cluster(users, n=3)  # 10, 20 and 30 hours before NOW
    (hotspot,), _ = hotspots_detect(now=NOW)
    later = NOW + dt.timedelta(days=2, hours=12)  # the 30-hour-old case is now 3.75 days old
    for hours in (2, 1):
        register(users, at=later - dt.timedelta(hours=hours), title="停水三天", content=WATER, category="CITY-WATER")
    new, updated = hotspots_detect(now=later)
    # Five water cases in a week are a category and a place surge too (new); the cluster grew.
    assert sorted(h.dimension for h in new) == [SurgeDimension.CATEGORY, SurgeDimension.PLACE]
    assert [h.pk for h in updated] == [hotspot.pk]
    hotspot.refresh_from_db()
    earliest = hotspot.cases.order_by("registered_at").first()
    assert hotspot.count == 5 and hotspot.key == f"cluster:{earliest.pk}"  # kept, though it left the window
    cluster_alerts = [
        o for o in Outbox.objects.filter(template=Template.HOTSPOT_ALERT) if o.context["kind_code"] == "cluster"
    ]
    assert len(cluster_alerts) == 2  # the first alert only, to the supervisor and the leader


def test_a_dismissed_hotspot_grows_silently(users, leader):
    from insight.hotspots import hotspot_dismiss

    _water_cluster(users)
    (hotspot,), _ = hotspots_detect(now=NOW)
    hotspot_dismiss(hotspot=hotspot, actor=users["supervisor"])
    register(users, at=NOW + dt.timedelta(minutes=5), title="停水", content=WATER, category="CITY-WATER")
    hotspots_detect(now=NOW + dt.timedelta(minutes=10))
    hotspot.refresh_from_db()
    assert hotspot.status == HotspotStatus.DISMISSED and hotspot.count == 4
    assert Outbox.objects.filter(template=Template.HOTSPOT_ALERT).count() == 2


def test_the_worker_detects_on_schedule_and_retrains_when_the_model_is_a_day_old(users, monkeypatch):
    import functools

    from insight import worker as worker_module
    from insight.models import DispatchModel
    from insight.services import dispatch_model_train

    # The real training, on a small slice of the corpus to keep the test quick.
    monkeypatch.setattr(
        worker_module,
        "dispatch_model_train",
        functools.partial(dispatch_model_train, corpus_per_category=3, measure=False),
    )
    _water_cluster(users)
    w = worker_module.InsightWorker(worker_id="t")
    assert w.step(now=NOW) is True
    assert Hotspot.objects.count() == 1 and DispatchModel.objects.count() == 1
    assert w.step(now=NOW + dt.timedelta(minutes=5)) is False  # nothing due
    assert w.step(now=NOW + dt.timedelta(minutes=11)) is True  # detection due, no new model
    assert DispatchModel.objects.count() == 1
    w.step(now=NOW + dt.timedelta(days=1, minutes=1))
    assert list(DispatchModel.objects.values_list("version", flat=True)) == [2, 1]
    assert dict(w.acted) == {"hotspots_new": 1, "hotspots_updated": 0, "models_trained": 2}
