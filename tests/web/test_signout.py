"""API tokens do not outlive a sign-out or a password change (web/signout.py)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.http import HttpRequest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.models import User

NEW_PASSWORD = "Bright-Harbour-2026"


def api_token(username: str, password: str = "demo12345") -> str:
    response = APIClient(REMOTE_ADDR="198.51.100.40").post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def cases_with(token: str) -> int:
    return APIClient(REMOTE_ADDR="198.51.100.41").get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Token {token}").status_code


def signed_in(user: User) -> Client:
    client = Client()
    assert client.login(request=HttpRequest(), username=user.username, password="demo12345")
    return client


def test_a_token_that_worked_before_a_console_logout_gets_401_after(users):
    token = api_token("agent")
    assert cases_with(token) == 200
    browser = signed_in(users["agent"])
    assert browser.post("/console/logout/").status_code == 302
    assert cases_with(token) == 401
    assert not Token.objects.filter(user=users["agent"]).exists()


def test_an_admin_logout_revokes_the_admins_token_and_no_one_elses(users):
    admin_token, agent_token = api_token("admin"), api_token("agent")
    signed_in(users["admin"]).post("/admin/logout/")
    assert cases_with(admin_token) == 401
    assert cases_with(agent_token) == 200


def test_a_password_set_by_an_administrator_revokes_the_users_token(users):
    token = api_token("agent")
    admin = Client()
    admin.force_login(users["admin"])
    agent = users["agent"]
    response = admin.post(
        f"/admin/cases/user/{agent.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content
    assert cases_with(token) == 401
    agent.refresh_from_db()
    assert agent.check_password(NEW_PASSWORD)


def test_switching_off_password_sign_in_revokes_the_users_token(users):
    token = api_token("agent")
    admin = Client()
    admin.force_login(users["admin"])
    agent = users["agent"]
    response = admin.post(
        f"/admin/cases/user/{agent.pk}/password/", {"usable_password": "false", "unset-password": "1"}
    )
    assert response.status_code == 302, response.content
    agent.refresh_from_db()
    assert not agent.has_usable_password()
    assert cases_with(token) == 401


def test_changing_ones_own_password_revokes_ones_token(users):
    token = api_token("admin")
    browser = signed_in(users["admin"])
    response = browser.post(
        "/admin/password_change/",
        {"old_password": "demo12345", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302, response.content
    assert cases_with(token) == 401
    assert cases_with(api_token("admin", NEW_PASSWORD)) == 200  # a new token works


def test_manage_py_changepassword_revokes_the_token(users, monkeypatch):
    token = api_token("agent")
    monkeypatch.setattr("getpass.getpass", lambda prompt="": NEW_PASSWORD)
    call_command("changepassword", "agent", stdout=io.StringIO())
    assert cases_with(token) == 401


@pytest.mark.parametrize("field", ["first_name", "email"])
def test_saving_other_account_fields_keeps_the_token(users, field):
    # Something that could leak the other way: only a password change revokes.
    token = api_token("agent")
    agent = users["agent"]
    setattr(agent, field, "changed@example.org" if field == "email" else "王")
    agent.save()
    assert cases_with(token) == 200


def test_a_rehash_at_sign_in_is_not_a_password_change_and_keeps_the_token(users, settings):
    token = api_token("agent")
    # A stronger hasher first: the next sign-in re-hashes the stored MD5 password (and saves it).
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    signed_in(users["agent"])
    assert User.objects.get(username="agent").password.startswith("pbkdf2_sha256$")
    assert cases_with(token) == 200
