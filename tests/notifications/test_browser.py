"""A supervisor's board updates without a reload when a case changes (real browser, real ASGI
server with WebSocket, the change made through the staff API by another user)."""

from __future__ import annotations

import json
import socket
import threading
import urllib.request
from collections.abc import Iterator

import pytest
from django.test import Client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def asgi_server() -> Iterator[str]:
    """Daphne (HTTP + WebSocket + static files) in a thread of this process, so it shares the
    test database and the in-memory channel layer. Twisted's reactor runs once per process."""
    from channels.routing import ProtocolTypeRouter
    from daphne.endpoints import build_endpoint_description_strings
    from daphne.server import Server
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
    from django.core.asgi import get_asgi_application
    from twisted.internet import reactor

    from casecenter.asgi import application

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = ProtocolTypeRouter({
        "http": ASGIStaticFilesHandler(get_asgi_application()),
        "websocket": application.application_mapping["websocket"],
    })
    server = Server(application=app, endpoints=build_endpoint_description_strings(host="127.0.0.1", port=port),
                    signal_handlers=False, verbosity=0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):  # wait until it accepts connections
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                break
        except OSError:
            threading.Event().wait(0.05)
    yield base
    reactor.callFromThread(reactor.stop)
    thread.join(timeout=10)


def api(base: str, path: str, body: dict, token: str | None = None) -> dict:
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json",
                                          **({"Authorization": f"Token {token}"} if token else {})})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def test_the_supervisor_board_updates_without_reload_when_a_case_is_assigned(users, asgi_server):
    from playwright.sync_api import expect, sync_playwright

    from tests.factories import CaseFactory

    case = CaseFactory(actor=users["agent"])
    client = Client()
    assert client.login(username="supervisor", password="demo12345")
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

            token = api(asgi_server, "/api/v1/auth/token/", {"username": "dispatcher", "password": "demo12345"})["token"]
            api(asgi_server, f"/api/v1/cases/{case.tracking_no}/transitions/assign/",
                {"department": "CGJ", "instructions": "请核实处理"}, token)

            # the CGJ sign-for clock appears on the board, and the page was not reloaded
            expect(region.locator('a[href$="department=CGJ"]').first).to_be_visible(timeout=10_000)
            assert page.evaluate("window.__notReloaded") is True
        finally:
            browser.close()
