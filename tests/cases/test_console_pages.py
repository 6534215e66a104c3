"""Console pages render the right cases for each role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.enums import State
from tests.factories import PASSWORD, make_case_in_state

pytestmark = pytest.mark.django_db


def login(client, user):  # noqa: ANN001, ANN201
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_smoke_every_page_renders(client, users):
    make_case_in_state(State.REGISTERED, users)
    c2 = make_case_in_state(State.REPLIED, users)
    for name in ["agent", "dispatcher", "clerk_cgj", "head_cgj", "clerk_hbj", "supervisor", "admin"]:
        client.logout()
        login(client, users[name])
        for url in ["console:desk", "console:queue", "console:inbox", "console:cases"]:
            r = client.get(reverse(url))
            print(name, url, r.status_code)
            assert r.status_code in (200, 403)
        r = client.get(reverse("console:case", args=[c2.tracking_no]))
        print(name, "case", r.status_code)
