"""One policy for failed tracking look-ups: the portal's track page and the tracking API count
against the same limit per address (web/portal/limits.py TRACK_FAILURES)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from rest_framework.test import APIClient

from cases.enums import State
from tests.factories import make_case_in_state
from tests.web.api.api_helpers import assert_error, unique_ip
from web.portal import limits

# 09:04:00 local: four minutes into a ten-minute window.
PINNED = datetime(2026, 11, 23, 9, 4, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def pinned_time():
    with time_machine.travel(PINNED, tick=False):
        yield


def test_failed_lookups_on_the_page_and_the_api_share_one_count(users):
    case = make_case_in_state(State.ASSIGNED, users)
    ip = unique_ip()
    page, api = Client(REMOTE_ADDR=ip), APIClient(REMOTE_ADDR=ip)
    wrong = {"tracking_no": case.tracking_no, "access_code": "AAAAAA"}
    right = {"tracking_no": case.tracking_no, "access_code": case.access_code}
    half = limits.TRACK_FAILURES.count // 2
    assert [page.post("/track/", wrong).status_code for _ in range(half)] == [404] * half
    rest = limits.TRACK_FAILURES.count - half
    assert [api.get("/api/v1/public/track/", wrong).status_code for _ in range(rest)] == [404] * rest
    # Both doors are now shut for this address, even with the right code...
    blocked = api.get("/api/v1/public/track/", right)
    assert_error(blocked, 429, "throttled")
    assert blocked["Retry-After"] == "360"  # the rest of the ten-minute window
    assert page.post("/track/", right).status_code == 429
    # ...and open for another address.
    assert APIClient(REMOTE_ADDR=unique_ip()).get("/api/v1/public/track/", right).status_code == 200
