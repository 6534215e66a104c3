"""Fixtures for the hotline: a signed Twilio simulator, the opening hours, captured desk events."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import TestCase

from telephony import simulate

PUBLIC = "https://hotline.example.gov.cn"  # deliberately not the test client's host
TOKEN = "test-twilio-token-0123456789"
CALLER = "+8613800138000"
CALLER_PHONE = "13800138000"


@pytest.fixture(autouse=True)
def twilio_settings(settings):
    settings.PUBLIC_BASE_URL = PUBLIC
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TELEPHONY_BACKEND = "console"
    settings.TELEPHONY_GREETING = "您好，这里是95100政务服务热线。"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast demo users
    return settings


def committing(send: simulate.Send) -> simulate.Send:
    """Each request runs its on-commit callbacks, as it would outside the test's transaction."""

    def wrapped(path_qs: str, params: dict[str, str], headers: dict[str, str]) -> simulate.Reply:
        with TestCase.captureOnCommitCallbacks(execute=True):
            return send(path_qs, params, headers)

    return wrapped


@pytest.fixture
def tw(client):
    return simulate.Twilio(send=committing(simulate.client_sender(client)), public_base_url=PUBLIC, auth_token=TOKEN)


@pytest.fixture
def in_hours(monkeypatch):
    monkeypatch.setattr("telephony.hours.is_open", lambda now=None: True)


@pytest.fixture
def after_hours(monkeypatch):
    monkeypatch.setattr("telephony.hours.is_open", lambda now=None: False)


@pytest.fixture
def desk_events(monkeypatch):
    """Desk events as they leave after commit: [(type, data)]."""
    sent: list[tuple[str, dict]] = []

    def publish(topic: str, type_: str, data: dict) -> None:
        assert topic == "desk"
        transaction.on_commit(lambda: sent.append((type_, data)))

    monkeypatch.setattr("telephony.services.publish", publish)
    return sent
