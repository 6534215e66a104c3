"""The extension and supervision endpoints read JSON without a serializer: a number, a list or an
object where a text belongs is a 400 naming that field, and nothing is written (it was an
AttributeError 500: ``[1].strip()``)."""

from __future__ import annotations

import pytest

from cases.enums import State
from cases.models import CaseEvent
from sla.models import Extension, SupervisionOrder
from tests.factories import make_case_in_state
from tests.sla.fixtures import at, clock  # noqa: F401
from tests.web.api.api_helpers import assert_error, staff_client

pytestmark = pytest.mark.django_db

WRONG = [7, 1.5, True, [1], ["需协调"], {"text": "需协调"}, {}]


@pytest.fixture
def case(users, clock):
    c = make_case_in_state(State.IN_PROGRESS, users)
    clock.set(at(2026, 12, 1, 10, 0))
    return c


def refused(response, field: str) -> None:
    body = assert_error(response, 400, "invalid")
    assert list(body["fields"]) == [field], body


def nothing_written(case, events_before: int) -> None:
    assert CaseEvent.objects.filter(case=case).count() == events_before


@pytest.mark.parametrize("value", WRONG, ids=repr)
@pytest.mark.parametrize("field", ["reason", "until"])
def test_an_extension_request_with_a_non_text_field_is_a_400_naming_it(users, case, field, value):
    body = {"until": "2026-12-20", "reason": "需协调住建局联合执法。", field: value}
    events = CaseEvent.objects.filter(case=case).count()
    refused(
        staff_client(users["clerk_cgj"]).post(f"/api/v1/cases/{case.tracking_no}/extensions/", body, format="json"),
        field,
    )
    assert not Extension.objects.filter(case=case).exists()
    nothing_written(case, events)


@pytest.mark.parametrize("value", WRONG, ids=repr)
def test_an_extension_decision_with_a_non_text_note_is_a_400_naming_it(users, case, value):
    ext = staff_client(users["clerk_cgj"]).post(
        f"/api/v1/cases/{case.tracking_no}/extensions/", {"until": "2026-12-20", "reason": "需协调"}, format="json"
    )
    assert ext.status_code == 201, ext.content
    events = CaseEvent.objects.filter(case=case).count()
    r = staff_client(users["supervisor"]).post(
        f"/api/v1/extensions/{ext.json()['id']}/decision/", {"grant": False, "note": value}, format="json"
    )
    refused(r, "note")
    assert Extension.objects.get(pk=ext.json()["id"]).status == "pending"
    nothing_written(case, events)


@pytest.mark.parametrize("value", WRONG, ids=repr)
def test_a_supervision_order_with_a_non_text_note_is_a_400_naming_it(users, case, value):
    events = CaseEvent.objects.filter(case=case).count()
    r = staff_client(users["supervisor"]).post(
        f"/api/v1/cases/{case.tracking_no}/supervision/", {"level": 1, "note": value}, format="json"
    )
    refused(r, "note")
    assert not SupervisionOrder.objects.filter(case=case).exists()
    nothing_written(case, events)


@pytest.mark.parametrize("value", WRONG, ids=repr)
def test_a_supervision_answer_with_a_non_text_text_is_a_400_naming_it(users, case, value):
    order = staff_client(users["supervisor"]).post(
        f"/api/v1/cases/{case.tracking_no}/supervision/", {"level": 1, "note": "请加快办理。"}, format="json"
    )
    assert order.status_code == 201, order.content
    events = CaseEvent.objects.filter(case=case).count()
    r = staff_client(users["clerk_cgj"]).post(
        f"/api/v1/supervision/{order.json()['id']}/answer/", {"text": value}, format="json"
    )
    refused(r, "text")
    assert SupervisionOrder.objects.get(pk=order.json()["id"]).answered_at is None
    nothing_written(case, events)


def test_a_nul_in_a_service_text_is_refused_even_without_the_middleware(users, case):
    # The services' own check (cases.validation.require_text), for callers that are not HTTP.
    from cases.exceptions import CaseValidationError
    from sla import services

    with pytest.raises(CaseValidationError) as exc:
        services.supervision_issue(case=case, actor=users["supervisor"], level=1, note="请\x00加快")
    assert list(exc.value.fields) == ["note"]
