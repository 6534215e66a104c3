"""Bad input on smart dispatch, hotspots and the ranking (issue 14): ``dispatch/suggest/``,
``hotspots/?since=``, ``hotspots/{id}/joint/`` and ``reports/ranking/``. Wrong JSON types, NUL,
lone surrogates, impossible or out-of-range dates, ids of the wrong type are a 400 naming the field
or a 404; nothing is written. (``since=0001-01-01`` and ``hotspots/²/joint/`` were 500s.)"""

from __future__ import annotations

import pytest

from insight.enums import HotspotStatus
from insight.hotspots import hotspots_detect
from insight.models import DispatchSuggestion, Hotspot, JointLink
from tests.insight.conftest import NOW, dispatch_model, small_classifier_blob  # noqa: F401
from tests.insight.test_hotspots import _water_cluster
from tests.web.api.api_helpers import NOT_TEXT, assert_error, assert_refused, send, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pinned(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def hotspot(users):
    _water_cluster(users)
    (found,), _ = hotspots_detect(now=NOW)
    return found


def test_a_valid_suggestion_request_passes(users, dispatch_model):
    response = send(staff_client(users["dispatcher"]), "/api/v1/dispatch/suggest/", {"title": "路灯不亮"})
    assert response.status_code == 200, response.content
    assert len(response.json()["departments"]) >= 1


@pytest.mark.parametrize("value", NOT_TEXT, ids=repr)
@pytest.mark.parametrize("field", ["title", "content"])
def test_a_suggestion_for_a_non_text_is_a_400_naming_the_field(users, dispatch_model, field, value):
    body = {"title": "路灯不亮", "content": "幸福路的路灯坏了三天。", field: value}
    assert_refused(send(staff_client(users["dispatcher"]), "/api/v1/dispatch/suggest/", body), field)
    assert not DispatchSuggestion.objects.exists()


@pytest.mark.parametrize("body", [[], "路灯", 7, None, [{"title": "路灯"}]], ids=repr)
def test_a_suggestion_body_that_is_not_an_object_is_a_400(users, dispatch_model, body):
    assert_error(send(staff_client(users["dispatcher"]), "/api/v1/dispatch/suggest/", body), 400, "invalid")


@pytest.mark.parametrize(
    "since",
    [
        "x",
        "2026-13-01",
        "2026-02-30",
        "2026-11-01T25:00",
        "0001-01-01",  # local midnight of year 1 is before the first moment UTC can hold
        "9999-12-31T23:59:59-14:00",
        "99999-01-01",
        "%00",
    ],
)
def test_hotspots_since_a_bad_or_out_of_range_date_is_a_400(users, since):
    assert_refused(staff_client(users["supervisor"]).get(f"/api/v1/hotspots/?since={since}"), "since")


def test_hotspots_since_a_date_lists_what_was_found_after_it(users, hotspot):
    client = staff_client(users["supervisor"])
    assert [h["id"] for h in client.get("/api/v1/hotspots/?since=2026-11-01").json()["results"]] == [hotspot.pk]
    assert client.get("/api/v1/hotspots/?since=2026-12-01").json()["results"] == []


@pytest.mark.parametrize("pk", ["²", "①", "１", "99999999999999999999", "0", "-1", "x"])
def test_a_joint_handling_on_an_unknown_or_malformed_hotspot_id_is_a_404(users, hotspot, pk):
    response = send(staff_client(users["supervisor"]), f"/api/v1/hotspots/{pk}/joint/", {"lead": "1"})
    assert_error(response, 404, "not_found")
    assert Hotspot.objects.get(pk=hotspot.pk).status == HotspotStatus.OPEN


@pytest.mark.parametrize("lead", [*NOT_TEXT, "", "99999999999999"], ids=repr)
def test_a_joint_handling_with_a_bad_lead_is_a_400_and_links_nothing(users, hotspot, lead):
    response = send(staff_client(users["supervisor"]), f"/api/v1/hotspots/{hotspot.pk}/joint/", {"lead": lead})
    assert_refused(response, "lead")
    assert Hotspot.objects.get(pk=hotspot.pk).status == HotspotStatus.OPEN
    assert not JointLink.objects.exists()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("month=2026-13", "month"),
        ("month=0000-01", "month"),
        ("month=99999-01", "month"),
        ("month=%00", "month"),
        ("level=county", "level"),
        ("level=%00", "level"),
    ],
)
def test_a_ranking_for_a_bad_month_or_level_is_a_400(users, query, field):
    assert_refused(staff_client(users["supervisor"]).get(f"/api/v1/reports/ranking/?{query}"), field)
