"""The live indicator tells the truth (real browser, real ASGI server): "● 实时" while the server's
heartbeats arrive, "● 已断开/未更新" in grey once they stop for two intervals, live again after."""

from __future__ import annotations

import pytest
from django.http import HttpRequest
from django.test import Client

from notifications import events
from tests.notifications.test_browser import CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_board_turns_grey_when_heartbeats_stop_and_live_when_they_return(users, asgi_server, settings, monkeypatch):
    from playwright.sync_api import expect, sync_playwright

    settings.LIVE_HEARTBEAT_SECONDS = 1
    client = Client()
    assert client.login(request=HttpRequest(), username="supervisor", password="demo12345")
    session = client.cookies["sessionid"].value
    healthy = {"now": True}
    monkeypatch.setattr(events, "live_path_healthy", lambda: healthy["now"])

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="zh-CN")
            context.add_cookies([{"name": "sessionid", "value": session, "url": asgi_server}])
            page = context.new_page()
            page.goto(asgi_server + "/console/sla/board/")
            indicator = page.locator("#live-indicator")
            expect(page.locator("body")).to_have_attribute("data-ws-heartbeat", "1")
            expect(indicator).to_have_attribute("data-state", "live", timeout=10_000)
            expect(indicator).to_have_text("● 实时")
            page.wait_for_timeout(3500)  # heartbeats keep it live past 2 intervals
            expect(indicator).to_have_attribute("data-state", "live")

            healthy["now"] = False  # the socket stays open, but events could not arrive
            expect(indicator).to_have_attribute("data-state", "stale", timeout=6_000)
            expect(indicator).to_have_text("● 已断开/未更新")
            expect(indicator).to_have_class("live-indicator off")

            healthy["now"] = True
            expect(indicator).to_have_attribute("data-state", "live", timeout=6_000)
        finally:
            browser.close()
