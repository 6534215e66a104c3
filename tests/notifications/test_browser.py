"""A supervisor's board updates without a reload when a case changes (real browser, real ASGI
server with WebSocket (the session ``asgi_server`` fixture in tests/conftest.py), the change
made through the staff API by another user)."""

from __future__ import annotations

import json
import urllib.request

import pytest
from django.http import HttpRequest
from django.test import Client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def api(base: str, path: str, body: dict, token: str | None = None) -> dict:
    req = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **({"Authorization": f"Token {token}"} if token else {})},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def test_the_supervisor_board_updates_without_reload_when_a_case_is_assigned(users, asgi_server):
    from playwright.sync_api import expect, sync_playwright

    from tests.factories import CaseFactory

    case = CaseFactory(actor=users["agent"])
    client = Client()
    assert client.login(request=HttpRequest(), username="supervisor", password="demo12345")
    session = client.cookies["sessionid"].value

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="zh-CN")
            context.add_cookies([{"name": "sessionid", "value": session, "url": asgi_server}])
            page = context.new_page()
            page.goto(asgi_server + "/console/sla/board/")
            region = page.locator("#live-region")
            expect(region).to_be_visible()
            expect(page.locator("body")).to_have_attribute("data-ws-live", "board", timeout=10_000)
            expect(page.locator("#live-indicator")).to_have_class("live-indicator on")
            assert "department=CGJ" not in region.inner_html()
            page.evaluate("window.__notReloaded = true")

            token = api(asgi_server, "/api/v1/auth/token/", {"username": "dispatcher", "password": "demo12345"})[
                "token"
            ]
            api(
                asgi_server,
                f"/api/v1/cases/{case.tracking_no}/transitions/assign/",
                {"department": "CGJ", "instructions": "请核实处理"},
                token,
            )

            # the CGJ sign-for clock appears on the board, and the page was not reloaded
            expect(region.locator('a[href$="department=CGJ"]').first).to_be_visible(timeout=10_000)
            assert page.evaluate("window.__notReloaded") is True
        finally:
            browser.close()


@pytest.mark.redis  # the sweeper runs in another thread than the server: the fan-out crosses them through Redis
def test_the_board_turns_a_case_red_the_moment_its_timer_breaches(users, asgi_server):
    import datetime as dt
    import threading
    import time

    from django.db import connection
    from django.utils import timezone
    from playwright.sync_api import expect, sync_playwright

    from cases.enums import State
    from sla.models import Timer
    from sla.sweeper import Sweeper
    from tests.factories import make_case_in_state

    case = make_case_in_state(State.ASSIGNED, users)
    # The sign-for clock runs out a few seconds after the page has loaded (a clock past its deadline is
    # red on the board at once, by sla.deadlines.clock_colour, whether or not the sweeper has run).
    due = timezone.now() + dt.timedelta(seconds=10)
    Timer.objects.filter(case=case, stage="sign_for").update(
        due_at=due, warn_at=due - dt.timedelta(hours=1), next_action_at=due - dt.timedelta(hours=1)
    )
    client = Client()
    assert client.login(request=HttpRequest(), username="supervisor", password="demo12345")
    session = client.cookies["sessionid"].value
    acted: dict[str, int] = {}

    def sweep() -> None:
        try:
            worker = Sweeper()
            worker.step()
            acted.update(worker.acted)
        finally:
            connection.close()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="zh-CN")
            context.add_cookies([{"name": "sessionid", "value": session, "url": asgi_server}])
            page = context.new_page()
            page.goto(asgi_server + "/console/sla/board/")
            expect(page.locator("body")).to_have_attribute("data-ws-live", "board", timeout=10_000)
            breached_list = page.locator("#oldest-breached")
            expect(breached_list).not_to_contain_text(case.tracking_no)
            page.evaluate("window.__notReloaded = true")
            time.sleep(max(0.0, (due - timezone.now()).total_seconds()) + 0.5)  # the deadline passes

            worker = threading.Thread(target=sweep)  # the SLA worker, as its own process would
            worker.start()
            worker.join(timeout=30)

            row = breached_list.locator("tr.row-breached", has_text=case.tracking_no)
            expect(row).to_be_visible(timeout=10_000)
            expect(row.locator("td.sla-breached")).to_be_visible()
            assert page.evaluate("window.__notReloaded") is True
        finally:
            browser.close()
    assert acted.get("breached") == 1
