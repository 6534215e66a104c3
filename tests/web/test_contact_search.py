"""Case search on a citizen's phone or ID number: masked roles cannot rebuild a number from prefixes.

A clerk (or supervisor) sees ``138****5678``; a search that matched any part of the number would
give the rest back a digit at a time. Such roles find a case by the complete value only, and each
such search is on the record (``ContactSearch``) without the value in clear.
"""

from __future__ import annotations

import re

import pytest
import time_machine
from django.urls import reverse

from cases.enums import State
from cases.models import Case, ContactSearch
from cases.services import Citizen, contact_digest
from cases.validation import _ID_CHECK, _ID_WEIGHTS
from tests.cases.publication.helpers import at
from tests.factories import make_case_in_state
from tests.web.api.api_helpers import staff_client

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


def valid_id_number(first17: str = "42010619900101123") -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return first17 + _ID_CHECK[total % 11]


ID_NO = valid_id_number()


@pytest.fixture
def target(users) -> Case:
    """A CGJ case (so clerk_cgj may open it) whose text does not contain the number."""
    case = make_case_in_state(
        State.IN_PROGRESS, users, citizen=Citizen(name="赵六", phone=PHONE, id_no=ID_NO), content="路灯不亮"
    )
    assert case.citizen_phone == PHONE and case.citizen_id_no == ID_NO
    return case


def console_rows(client, user, q: str) -> list[str]:
    client.force_login(user)
    response = client.get(reverse("console:cases"), {"q": q})
    assert response.status_code == 200
    return re.findall(r'<tr id="case-(\d+)"', response.content.decode())


def api_rows(user, q: str) -> list[str]:
    response = staff_client(user).get("/api/v1/cases/", {"q": q})
    assert response.status_code == 200
    return [row["tracking_no"] for row in response.json()["results"]]


PREFIXES = [PHONE[:3], PHONE[:7], PHONE[:10], PHONE[3:], ID_NO[:6], ID_NO[:17]]


@pytest.mark.parametrize("q", PREFIXES)
def test_a_clerks_prefix_search_finds_nothing_by_phone_or_id_number(client, users, target, q):
    assert console_rows(client, users["clerk_cgj"], q) == []
    assert api_rows(users["clerk_cgj"], q) == []
    assert api_rows(users["supervisor"], q) == []  # supervisors see numbers masked too
    # Nothing was searched by a full value, so nothing is on the record.
    assert not ContactSearch.objects.exists()


@pytest.mark.parametrize("q", PREFIXES[:3] + [PHONE[3:]])
def test_a_dispatcher_with_the_full_view_searches_by_any_part_of_the_phone(client, users, target, q):
    assert console_rows(client, users["dispatcher"], q) == [target.tracking_no]
    assert api_rows(users["agent"], q) == [target.tracking_no]
    assert not ContactSearch.objects.exists()


def test_a_dispatcher_searches_by_the_start_of_an_id_number(users, target):
    assert api_rows(users["dispatcher"], ID_NO[:10]) == [target.tracking_no]


def test_a_clerks_exact_search_finds_the_case_and_is_recorded_without_the_value(client, users, target):
    clerk = users["clerk_cgj"]
    with time_machine.travel(at(2026, 11, 20, 10), tick=False):
        assert console_rows(client, clerk, "139-1234-5678") == [target.tracking_no]
        assert api_rows(clerk, ID_NO.lower()) == [target.tracking_no]
        assert api_rows(clerk, "13900000000") == []  # a full number that matches nothing: recorded too
    console, api, miss = ContactSearch.objects.order_by("pk")
    assert (console.actor, console.role, console.surface, console.kind) == (clerk, "clerk", "console", "phone")
    assert (console.value_masked, console.matches, console.at) == ("139****5678", 1, at(2026, 11, 20, 10))
    assert console.value_digest == contact_digest(PHONE) and PHONE not in console.value_digest
    assert (api.surface, api.kind, api.value_masked, api.matches) == ("api", "id_no", f"420106********{ID_NO[-4:]}", 1)
    assert (miss.kind, miss.matches) == ("phone", 0)
    for row in (console, api, miss):
        stored = " ".join(str(getattr(row, f.attname)) for f in ContactSearch._meta.fields)
        assert PHONE not in stored and ID_NO not in stored and "13900000000" not in stored
    # The record cannot be edited or removed.
    with pytest.raises(PermissionError):
        ContactSearch.objects.filter(pk=console.pk).delete()
    with pytest.raises(PermissionError):
        console.save()


def test_a_clerks_exact_search_does_not_reach_another_departments_case(users, target):
    assert api_rows(users["clerk_hbj"], PHONE) == []
    assert ContactSearch.objects.get().matches == 0


def test_full_view_roles_exact_searches_are_not_recorded(users, target):
    assert api_rows(users["dispatcher"], PHONE) == [target.tracking_no]
    assert not ContactSearch.objects.exists()
