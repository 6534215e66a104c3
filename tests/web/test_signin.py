"""Failed sign-ins lock out (web/signin.py, django-axes): per account and address, per address, on
the token endpoint, the console login page and the admin login page; keyed on the one client
address rule; lifted by the cool-off; audited for administrators."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog
from django.test import Client
from rest_framework.test import APIClient

from tests.web.api.api_helpers import assert_error

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_MORNING = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
LOCKED_TEXT = "登录失败次数过多"


@pytest.fixture(autouse=True)
def pinned_time():
    with time_machine.travel(MONDAY_MORNING, tick=False) as traveller:
        yield traveller


def token(client: APIClient, username: str, password: str, **extra: str):
    return client.post("/api/v1/auth/token/", {"username": username, "password": password}, format="json", **extra)


def fail_until_locked(client: APIClient, username: str, limit: int, **extra: str) -> list[int]:
    return [token(client, username, "wrong-password", **extra).status_code for _ in range(limit)]


def test_five_wrong_passwords_lock_the_account_at_the_token_endpoint_even_for_the_right_one(users, settings):
    client = APIClient(REMOTE_ADDR="198.51.100.10")
    assert settings.AXES_FAILURE_LIMIT == 5
    assert fail_until_locked(client, "agent", 5) == [400, 400, 400, 400, 429]
    blocked = token(client, "agent", "demo12345")
    error = assert_error(blocked, 429, "too_many_attempts")
    assert LOCKED_TEXT in error["message"] and "15分钟" in error["message"]
    assert error["fields"] == {}
    assert blocked["Retry-After"] == "900"
    assert "token" not in blocked.json()


def test_the_lock_lifts_after_the_cool_off_and_not_before(users, pinned_time):
    client = APIClient(REMOTE_ADDR="198.51.100.11")
    fail_until_locked(client, "agent", 5)
    pinned_time.shift(timedelta(minutes=14, seconds=59))
    assert token(client, "agent", "demo12345").status_code == 429  # refused tries do not extend it
    pinned_time.shift(timedelta(seconds=2))
    answer = token(client, "agent", "demo12345")
    assert answer.status_code == 200 and answer.json()["token"]


def test_a_success_forgets_the_accounts_earlier_failures(users):
    client = APIClient(REMOTE_ADDR="198.51.100.12")
    assert fail_until_locked(client, "agent", 4) == [400] * 4
    assert token(client, "agent", "demo12345").status_code == 200
    assert fail_until_locked(client, "agent", 4) == [400] * 4  # counting starts again
    assert token(client, "agent", "demo12345").status_code == 200


def test_the_lock_is_per_account_and_address(users):
    client = APIClient(REMOTE_ADDR="198.51.100.13")
    fail_until_locked(client, "agent", 5)
    # the same account from another address, and another account from this one, still sign in
    assert token(APIClient(REMOTE_ADDR="198.51.100.14"), "agent", "demo12345").status_code == 200
    assert token(client, "dispatcher", "demo12345").status_code == 200


def test_an_address_trying_many_accounts_is_locked_for_every_account(users, settings):
    client = APIClient(REMOTE_ADDR="198.51.100.15")
    limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    assert limit == 20
    # Password spraying: four tries each on five names, never five on one account.
    names = ["agent", "clerk_cgj", "head_cgj", "clerk_hbj", "nobody"]
    answers = [token(client, names[n % 5], "wrong-password").status_code for n in range(limit - 1)]
    assert answers == [400] * (limit - 1)
    assert token(client, "dispatcher", "demo12345").status_code == 200  # below the address's limit
    assert token(client, "supervisor", "wrong-password").status_code == 429  # the 20th failure
    assert_error(token(client, "supervisor", "demo12345"), 429, "too_many_attempts")
    # ...while the accounts themselves are not locked elsewhere
    assert token(APIClient(REMOTE_ADDR="198.51.100.16"), "supervisor", "demo12345").status_code == 200


def test_a_rotating_x_forwarded_for_from_an_untrusted_peer_does_not_escape_the_lock(users, settings):
    settings.TRUSTED_PROXIES = ("10.0.0.0/8",)
    client = APIClient(REMOTE_ADDR="198.51.100.17")
    answers = [
        token(client, "agent", "wrong-password", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(5)
    ]
    assert answers == [400, 400, 400, 400, 429]
    assert token(client, "agent", "demo12345", HTTP_X_FORWARDED_FOR="203.0.113.200").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.17"}


def test_behind_a_trusted_proxy_the_real_client_is_locked_not_the_proxy(users, settings):
    settings.TRUSTED_PROXIES = ("10.0.0.0/8",)
    proxy = APIClient(REMOTE_ADDR="10.0.0.2")
    guesser, colleague = "203.0.113.50", "203.0.113.51"
    assert fail_until_locked(proxy, "agent", 5, HTTP_X_FORWARDED_FOR=guesser) == [400, 400, 400, 400, 429]
    assert token(proxy, "agent", "demo12345", HTTP_X_FORWARDED_FOR=guesser).status_code == 429
    # The same account through the same proxy from another client is not locked.
    assert token(proxy, "agent", "demo12345", HTTP_X_FORWARDED_FOR=colleague).status_code == 200
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {guesser}


def post_login(client: Client, path: str, username: str, password: str, ip: str):
    return client.post(path, {"username": username, "password": password, "next": ""}, REMOTE_ADDR=ip)


@pytest.mark.parametrize("path", ["/console/login/", "/admin/login/"])
def test_the_login_pages_lock_out_with_a_clear_chinese_message(users, path):
    client = Client()
    ip = "198.51.100.20"
    statuses = [post_login(client, path, "admin", "wrong-password", ip).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]  # the form again, then the lockout page
    page = post_login(client, path, "admin", "demo12345", ip)
    assert page.status_code == 429
    text = page.content.decode()
    assert LOCKED_TEXT in text and "请15分钟后再试" in text
    assert "_auth_user_id" not in client.session  # the right password did not sign in
    assert "console/lockout.html" in [t.name for t in page.templates]


def test_a_locked_account_cannot_sign_in_on_the_console_either(users):
    # The lock is the account at that address, whichever door it knocked on.
    fail_until_locked(APIClient(REMOTE_ADDR="198.51.100.21"), "agent", 5)
    page = post_login(Client(), "/console/login/", "agent", "demo12345", "198.51.100.21")
    assert page.status_code == 429 and LOCKED_TEXT in page.content.decode()


def test_failures_are_audited_and_shown_to_administrators(users):
    fail_until_locked(APIClient(REMOTE_ADDR="198.51.100.22"), "agent", 5)
    log = list(
        AccessFailureLog.objects.order_by("attempt_time", "id").values_list("username", "ip_address", "locked_out")
    )
    assert log == [("agent", "198.51.100.22", False)] * 4 + [("agent", "198.51.100.22", True)]
    admin = Client()
    admin.force_login(users["admin"])
    page = admin.get("/admin/axes/accessfailurelog/")
    assert page.status_code == 200
    assert "198.51.100.22" in page.content.decode()
    clerk = Client()
    clerk.force_login(users["clerk_cgj"])
    assert clerk.get("/admin/axes/accessfailurelog/").status_code == 302  # to the admin login
