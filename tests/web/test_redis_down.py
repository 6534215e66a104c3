"""Redis (cache + channel layer) down or stalled: a citizen's message is still accepted, the public
pages and the token login still answer, the cache falls back to process memory (logged once) and
goes back to Redis when it returns.

Runs its own redis-server (tests/own_redis.py) and kills it; never touches the shared one."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from cases.models import Case
from notifications import events
from tests.own_redis import OwnRedis
from tests.web.portal.test_portal import form_data

pytestmark = pytest.mark.django_db(transaction=True)  # events go out on commit

FALLBACK = "falling back to this process's memory cache"
BACK = "answers again"
RETRY_SECONDS = 0.2  # how long the cache leaves a failed Redis alone before trying it again
WAIT_SECONDS = 10.0


def point_at(settings, url: str) -> None:
    """Cache, channel layer and event log on ``url``, as settings.py builds them for REDIS_URL."""
    settings.REDIS_URL = url
    settings.REDIS_TIMEOUT = 0.3
    settings.CACHES = {
        "default": {
            "BACKEND": "casecenter.cache.FallbackRedisCache",
            "LOCATION": url,
            "OPTIONS": {
                "socket_connect_timeout": 0.3,
                "socket_timeout": 0.3,
                "FALLBACK_RETRY_SECONDS": RETRY_SECONDS,
            },
        }
    }  # the setting_changed signal drops the cache connections
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": url, "socket_connect_timeout": 0.3}]},
        }
    }
    events.set_event_log(events.RedisLog(url))


@pytest.fixture
def own_redis(settings) -> Iterator[OwnRedis]:
    server = OwnRedis()
    server.start()
    point_at(settings, server.url)
    try:
        yield server
    finally:
        server.stop()
        events.set_event_log(None)


def submit(ip: str = "10.9.0.1"):
    """A web message through the portal; returns (response, case)."""
    before = set(Case.objects.values_list("pk", flat=True))
    response = Client().post("/write/", form_data(title="雨水井盖缺失"), REMOTE_ADDR=ip)
    created = Case.objects.exclude(pk__in=before)
    return response, created.get() if created.count() == 1 else None


def everything_a_citizen_and_an_agent_do(users) -> dict[str, float]:
    """Portal submission, receipt, tracking API, token login, statistics page; each must answer
    as when Redis is up. Returns how long each took (seconds, monotonic)."""
    took: dict[str, float] = {}

    def timed(name, fn):
        start = time.monotonic()
        result = fn()
        took[name] = time.monotonic() - start
        return result

    response, case = timed("portal submit", submit)
    assert response.status_code == 302, response.content
    assert case is not None and case.tracking_no and case.title == "雨水井盖缺失"
    receipt = Client().get(response["Location"])
    assert receipt.status_code == 200
    assert case.tracking_no in receipt.content.decode()

    track = timed(
        "tracking API",
        lambda: APIClient(REMOTE_ADDR="10.9.0.2").get(
            "/api/v1/public/track/", {"tracking_no": case.tracking_no, "access_code": case.access_code}
        ),
    )
    assert track.status_code == 200, track.content
    assert track.json()["tracking_no"] == case.tracking_no

    login = timed(
        "token login",
        lambda: APIClient(REMOTE_ADDR="10.9.0.3").post(
            "/api/v1/auth/token/", {"username": "agent", "password": "demo12345"}, format="json"
        ),
    )
    assert login.status_code == 200, login.content
    assert login.json()["token"]

    stats = timed("stats page", lambda: Client().get("/stats/"))
    assert stats.status_code == 200
    return took


def fallback_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "casecenter.cache" and FALLBACK in r.getMessage()]


def test_with_redis_killed_a_message_is_accepted_and_every_public_page_answers(users, own_redis, caplog):
    caplog.set_level(logging.WARNING)
    own_redis.stop()

    took = everything_a_citizen_and_an_agent_do(users)
    took_again = everything_a_citizen_and_an_agent_do(users)  # and again, well into the outage

    # One warning for the whole outage, however many cache calls failed.
    assert len(fallback_lines(caplog)) == 1
    assert own_redis.url.split("//")[1] in fallback_lines(caplog)[0]
    # The live events of those submissions were dropped, with a warning, not an error page.
    assert any("real-time event" in r.getMessage() and "dropped" in r.getMessage() for r in caplog.records)
    # A refused connection costs milliseconds: nothing near one socket timeout per cache call.
    assert max(took.values()) < 3.0 and max(took_again.values()) < 3.0, (took, took_again)
    # The limits still count, in this process: the portal's five messages per ten minutes.
    for _ in range(3):
        assert submit(ip="10.9.0.1")[0].status_code == 302
    refused, case = submit(ip="10.9.0.1")
    assert refused.status_code == 429 and case is None


def test_the_cache_is_redis_again_once_it_is_back(users, own_redis, caplog):
    caplog.set_level(logging.WARNING)
    client = own_redis.client()
    assert Client().get("/stats/").status_code == 200
    assert list(client.scan_iter("*public-stats*")), "the statistics were not cached in Redis"

    own_redis.stop()
    assert Client().get("/stats/").status_code == 200
    cache.set("probe", "while down")
    assert cache.get("probe") == "while down"  # the fallback holds it meanwhile
    assert len(fallback_lines(caplog)) == 1

    own_redis.start()  # same port, an empty Redis
    client = own_redis.client()
    deadline = time.monotonic() + WAIT_SECONDS
    for _ in range(int(WAIT_SECONDS / 0.05)):
        cache.set("probe", "back")
        if client.get(cache.make_key("probe")) is not None or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert client.get(cache.make_key("probe")) is not None, "the cache never went back to Redis"
    assert any(r.name == "casecenter.cache" and BACK in r.getMessage() for r in caplog.records)

    assert Client().get("/stats/").status_code == 200
    assert list(client.scan_iter("*public-stats*")), "the statistics page does not use Redis again"
    response, case = submit(ip="10.9.0.7")
    assert response.status_code == 302 and case is not None
    assert list(client.scan_iter("*10.9.0.7*")), "the portal limit is not counted in Redis again"


@pytest.fixture
def silent_redis(settings) -> Iterator[str]:
    """A 'Redis' that accepts connections and never answers (a stalled server, a full kernel)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    url = f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    point_at(settings, url)
    try:
        yield url
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        server.close()
        events.set_event_log(None)


def test_a_stalled_redis_costs_a_request_a_socket_timeout_at_most(users, silent_redis, caplog, settings):
    caplog.set_level(logging.WARNING)
    settings.CACHES["default"]["OPTIONS"]["FALLBACK_RETRY_SECONDS"] = 60  # no second try in this test
    took = everything_a_citizen_and_an_agent_do(users)
    assert len(fallback_lines(caplog)) == 1
    # Without short timeouts each cache call would wait redis-py's default (seconds) and every
    # request would pay it again; here the first one pays one timeout, later ones nothing.
    assert took["portal submit"] < 3.0, took
    assert max(took["tracking API"], took["token login"], took["stats page"]) < 1.5, took
