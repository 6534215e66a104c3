"""Helpers shared by the API test modules."""

from __future__ import annotations

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
