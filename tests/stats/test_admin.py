"""The ranking's weights are edited in the admin and rank the month they are valid from."""

from __future__ import annotations

from datetime import date

import pytest

from stats.models import RankingSettings
from stats.ranking import month_ranking

pytestmark = pytest.mark.django_db


def test_admin_adds_a_weights_version_that_ranks_its_month(users, client) -> None:
    client.force_login(users["admin"])
    response = client.post(
        "/admin/stats/rankingsettings/add/",
        {
            "valid_from": "2026-11-15",
            "response_weight": "40",
            "resolution_weight": "20",
            "satisfaction_weight": "20",
            "on_time_weight": "20",
            "first_contact_weight": "0",
            "response_working_days": "2",
            "board_size": "5",
        },
        follow=True,
    )
    assert response.status_code == 200
    version = RankingSettings.objects.get()
    assert version.valid_from == date(2026, 11, 1)  # a version starts with its month
    assert "rebuild_rollups" in response.content.decode()
    assert month_ranking(date(2026, 11, 1)).weights["response_rate"] == 40.0
    assert month_ranking(date(2026, 10, 1)).weights["response_rate"] == 25.0
    assert RankingSettings.for_month(date(2027, 1, 1)).response_working_days == 2


def test_admin_refuses_a_negative_weight(users, client) -> None:
    client.force_login(users["admin"])
    response = client.post(
        "/admin/stats/rankingsettings/add/",
        {
            "valid_from": "2026-11-01",
            "response_weight": "-1",
            "resolution_weight": "20",
            "satisfaction_weight": "20",
            "on_time_weight": "20",
            "first_contact_weight": "0",
            "response_working_days": "1",
            "board_size": "3",
        },
    )
    assert response.status_code == 200 and not RankingSettings.objects.exists()
