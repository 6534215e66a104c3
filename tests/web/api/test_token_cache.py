"""API tokens remembered per process (web.api.authentication): one lookup serves a few seconds of
requests, and every way a token stops being good ends it at once here, within a second in other
processes (the shared stamp) and within TOKEN_CACHE_SECONDS whatever happens."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.enums import Role
from cases.models import Department, User
from web.api import authentication
from web.api.authentication import STAMP_KEY, STAMP_RECHECK_SECONDS, TOKEN_CACHE_SECONDS, CachedTokenAuthentication

from .api_helpers import unique_ip

NOW = dt.datetime(2026, 11, 23, 1, 30, tzinfo=dt.UTC)
LIST = "/api/v1/cases/"


def token_client(key: str) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Token {key}", REMOTE_ADDR=unique_ip())


def token_lookups(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if 'FROM "authtoken_token"' in q["sql"]]


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def agent_token(users):
    return Token.objects.create(user=users["agent"])


def elsewhere_delete(token: Token) -> None:
    """What another process's revocation looks like from here: the row is gone, no signal ran here."""
    with connection.cursor() as cur:
        cur.execute("DELETE FROM authtoken_token WHERE key = %s", [token.key])


def test_a_valid_token_is_looked_up_once_then_remembered(agent_token, clock):
    client = token_client(agent_token.key)
    with CaptureQueriesContext(connection) as first:
        assert client.get(LIST).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert client.get(LIST).status_code == 200
    assert len(token_lookups(first)) == 1
    assert token_lookups(second) == []


def test_a_wrong_token_is_looked_up_every_time_and_refused(db, clock):
    client = token_client("0" * 40)
    for _ in range(2):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(LIST)
        assert response.status_code == 401
        assert len(token_lookups(ctx)) == 1


def test_each_request_gets_its_own_user_instance(agent_token, clock):
    auth = CachedTokenAuthentication()
    first, _ = auth.authenticate_credentials(agent_token.key)
    first.role = Role.ADMIN  # what a view sets on request.user stays with that request
    second, token = auth.authenticate_credentials(agent_token.key)
    assert second is not first
    assert second.role == Role.AGENT
    assert token.user is second and token.key == agent_token.key


def test_a_deleted_token_stops_working_at_once_in_this_process(agent_token, clock):
    client = token_client(agent_token.key)
    assert client.get(LIST).status_code == 200
    agent_token.delete()
    assert client.get(LIST).status_code == 401


def test_a_rotated_token_stops_working_and_the_new_one_works(agent_token, users, clock):
    old = token_client(agent_token.key)
    assert old.get(LIST).status_code == 200
    agent_token.delete()
    new = Token.objects.create(user=users["agent"])
    assert old.get(LIST).status_code == 401
    assert token_client(new.key).get(LIST).status_code == 200


def test_a_deactivated_user_is_refused_at_once(agent_token, users, clock):
    client = token_client(agent_token.key)
    assert client.get(LIST).status_code == 200
    users["agent"].is_active = False
    users["agent"].save(update_fields=["is_active"])
    response = client.get(LIST)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == gettext("User inactive or deleted.")  # DRF's own answer


def test_a_changed_role_and_department_apply_to_the_next_request(agent_token, users, clock):
    auth = CachedTokenAuthentication()
    auth.authenticate_credentials(agent_token.key)
    agent = users["agent"]
    agent.role = Role.DISPATCHER
    agent.department = Department.objects.get(code="CGJ")
    agent.save()
    user, _ = auth.authenticate_credentials(agent_token.key)
    assert user.role == Role.DISPATCHER
    assert user.department_id == agent.department_id


def test_a_changed_password_revokes_the_token_at_once(agent_token, users, clock):
    client = token_client(agent_token.key)
    assert client.get(LIST).status_code == 200
    users["agent"].set_password("a new long passphrase 2026")
    users["agent"].save()
    assert client.get(LIST).status_code == 401


def test_a_revocation_elsewhere_ends_the_token_here_within_the_stamp_recheck(agent_token, clock):
    client = token_client(agent_token.key)
    assert client.get(LIST).status_code == 200
    elsewhere_delete(agent_token)
    cache.set(STAMP_KEY, "bumped by the other process", timeout=None)
    assert client.get(LIST).status_code == 200  # this thread read the stamp less than a second ago
    clock.shift(STAMP_RECHECK_SECONDS)
    assert client.get(LIST).status_code == 401


def test_without_the_stamp_a_revocation_elsewhere_ends_within_the_ttl(agent_token, clock):
    # A change no signal saw (QuerySet.update, a raw DELETE) or a bump lost while Redis was down.
    client = token_client(agent_token.key)
    assert client.get(LIST).status_code == 200
    elsewhere_delete(agent_token)
    clock.shift(TOKEN_CACHE_SECONDS - 0.5)
    assert client.get(LIST).status_code == 200
    clock.shift(0.5)
    assert client.get(LIST).status_code == 401


def test_a_deactivation_without_signals_ends_within_the_ttl(agent_token, users, clock):
    client = token_client(agent_token.key)
    assert client.get(LIST).status_code == 200
    User.objects.filter(pk=users["agent"].pk).update(is_active=False)
    clock.shift(TOKEN_CACHE_SECONDS)
    assert client.get(LIST).status_code == 401


def test_a_clock_set_back_forgets_what_was_remembered(agent_token, clock):
    client = token_client(agent_token.key)
    assert client.get(LIST).status_code == 200
    elsewhere_delete(agent_token)
    clock.shift(-60)
    assert client.get(LIST).status_code == 401


def test_a_change_bumps_the_stamp_again_on_commit(agent_token, users, clock, django_capture_on_commit_callbacks):
    cache.set(STAMP_KEY, "before", timeout=None)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        users["agent"].is_active = False
        users["agent"].save()
    at_change = cache.get(STAMP_KEY)
    assert at_change != "before"
    for callback in callbacks:
        callback()
    assert cache.get(STAMP_KEY) not in ("before", at_change)


def test_a_lookup_overtaken_by_a_change_is_not_remembered(agent_token, clock, monkeypatch):
    # The token is read, then (before it is remembered) a sign-out elsewhere in this process.
    read = CachedTokenAuthentication.__mro__[1].authenticate_credentials

    def read_then_revoke(self, key):
        found = read(self, key)
        authentication.changed()
        return found

    monkeypatch.setattr(CachedTokenAuthentication.__mro__[1], "authenticate_credentials", read_then_revoke)
    CachedTokenAuthentication().authenticate_credentials(agent_token.key)
    monkeypatch.undo()
    elsewhere_delete(agent_token)
    assert token_client(agent_token.key).get(LIST).status_code == 401
