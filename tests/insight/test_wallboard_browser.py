"""The wallboard in a real browser at 1920×1080 (real ASGI server): charts drawn, "live" while the
socket is up, greyed out with a note the moment it drops. Screenshots go to var/screenshots/."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.http import HttpRequest
from django.test import Client

from cases.enums import Role, State
from insight.hotspots import hotspots_detect
from notifications import events
from tests.factories import UserFactory, make_case_in_state
from tests.notifications.test_browser import CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_wallboard_at_1920_by_1080_goes_grey_when_the_socket_drops(users, asgi_server, settings):
    from django.utils import timezone
    from playwright.sync_api import expect, sync_playwright

    settings.LIVE_HEARTBEAT_SECONDS = 2
    leader = UserFactory(username="leader", role=Role.LEADER, department_code="GOV")
    for channel in ("hotline", "hotline", "web", "sms"):
        make_case_in_state(State.REGISTERED, users, channel=channel)
    make_case_in_state(State.ASSIGNED, users, department="HBJ")
    for _ in range(3):
        make_case_in_state(
            State.REGISTERED,
            users,
            title="江景花园停水",
            content="江景花园小区停水三天了，几百户居民没水用，请尽快恢复供水",
        )
    hotspots_detect(now=timezone.now())
    client = Client()
    assert client.login(request=HttpRequest(), username="leader", password="demo12345")
    session = client.cookies["sessionid"].value
    SHOTS.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
            context.add_cookies([{"name": "sessionid", "value": session, "url": asgi_server}])
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(asgi_server + "/console/insight/wallboard/")
            board = page.locator("#wallboard")
            indicator = page.locator("#live-indicator")
            expect(indicator).to_have_attribute("data-state", "live", timeout=10_000)
            expect(board).to_have_attribute("data-live", "on")
            expect(board).not_to_have_class("wallboard wb-stale")
            expect(page.locator("#kpi-today")).to_have_text("8")
            expect(page.locator(".wb-hotspots li").first).to_contain_text("江景花园停水")
            # Chart.js drew both charts (it sizes the canvas to its box).
            assert page.locator("#chart-intake").bounding_box()["width"] > 300
            assert page.locator("#chart-departments").bounding_box()["height"] > 200
            assert page.evaluate("document.documentElement.scrollHeight") <= 1080 + 80  # one screen (footer hidden)
            assert page.evaluate("document.documentElement.scrollWidth") <= 1920  # no sideways scroll
            page.screenshot(path=str(SHOTS / "wallboard-1920x1080.png"))

            # From another thread: Playwright's sync API runs an event loop in this one.
            dropper = threading.Thread(
                target=events.close_connections, args=(events.user_topic(leader.pk),), kwargs={"reason": "test"}
            )
            dropper.start()
            dropper.join()
            expect(indicator).to_have_attribute("data-state", "stale", timeout=5_000)
            expect(board).to_have_attribute("data-live", "off")
            expect(board).to_have_class("wallboard wb-stale")
            expect(page.locator("#wb-stale-note")).to_be_visible()
            page.screenshot(path=str(SHOTS / "wallboard-stale.png"))
            assert not [e for e in errors if "Content Security Policy" in e], errors
        finally:
            browser.close()
