"""Helpers shared by the API test modules."""

from __future__ import annotations

import json
import random
import re

from rest_framework.test import APIClient

from cases.models import Case, User

TRACKING_NO = re.compile(r"^\d{8}\d{5}$")
ERROR_KEYS = {"code", "message", "fields"}


def unique_ip() -> str:
    # The public throttles count per IP in the shared cache (Redis in CI, kept between runs),
    # so each test speaks from its own address instead of clearing anyone's cache.
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def staff_client(user: User) -> APIClient:
    client = APIClient(REMOTE_ADDR=unique_ip())
    client.force_authenticate(user)
    return client


def public_client() -> APIClient:
    return APIClient(REMOTE_ADDR=unique_ip())


def act(client: APIClient, case: Case | str, name: str, **body: object):
    no = case if isinstance(case, str) else case.tracking_no
    return client.post(f"/api/v1/cases/{no}/transitions/{name}/", body, format="json")


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert ERROR_KEYS <= set(body["error"])
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


# --- bad input (API.md "Conventions": text fields take strings only; never a 500) ----------------

# Where a text belongs: a number, a boolean, a list, an object, a NUL character, a lone surrogate
# (valid JSON, "\ud800", but no UTF-8 can carry it, so PostgreSQL cannot store it).
NOT_TEXT = [7, 1.5, 2**70, True, ["x"], {"text": "x"}, "a\x00b", "\ud800"]
# Where a whole number (an id, a version) belongs: a string of digits, a digit Python's int() refuses
# although str.isdigit() says yes, a fraction, a boolean, a list, an object.
NOT_INTEGER = ["1", "²", 1.5, True, [1], {"id": 1}]


def send(client: APIClient, path: str, body: object, method: str = "post"):
    """``body`` as JSON with every non-ASCII character escaped, the way a client library that
    cannot know better sends it (so a lone surrogate reaches the server as ``\\ud800``)."""
    return getattr(client, method)(path, json.dumps(body), content_type="application/json")


def transition_path(case: Case, name: str) -> str:
    return f"/api/v1/cases/{case.tracking_no}/transitions/{name}/"


def assert_refused(response, field: str) -> dict:
    """A 400 in the API's shape that names ``field`` (or one of its parts: ``contact.at``)."""
    error = assert_error(response, 400, "invalid")
    assert any(name == field or name.startswith(f"{field}.") for name in error["fields"]), error
    return error


def case_row(case: Case) -> tuple:
    """Everything stored about a case that a refused request must leave alone: its row, its
    events, its timers, its levels and its supplements."""
    fresh = Case.objects.filter(pk=case.pk)
    return (
        fresh.values().get(),
        list(case.events.values_list("seq", "transition")),
        list(case.timers.order_by("pk").values_list("pk", "status", "due_at")),
        list(case.assignments.order_by("pk").values_list("pk", "state")),
    )
