"""Every page carries a Content-Security-Policy that allows no inline script or style, and no page
needs one: no <script> without src (and without a nonce), no on*="..." handler, no style="...",
no <style> element. Checked by parsing the HTML of every kind of page."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from cases.enums import Channel, State
from tests.factories import make_case_in_state

pytestmark = pytest.mark.django_db

# Script types a browser runs; <script type="application/json"> (json_script) is data.
JS_TYPES = {"", "text/javascript", "module", "application/javascript"}


class InlineFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script":
            self.scripts += 1
            if (names.get("type") or "").lower() in JS_TYPES and not names.get("src") and not names.get("nonce"):
                self.found.append(f"<script> without src or nonce at line {self.getpos()[0]}")
        if tag == "style":
            self.found.append(f"<style> element at line {self.getpos()[0]}")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f'<{tag} {name}="{value}">')
            if name == "style":
                self.found.append(f'<{tag} style="{value}">')
            if name in {"href", "src", "action"} and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f'<{tag} {name}="{value}">')


def inline_code(html: str) -> InlineFinder:
    finder = InlineFinder()
    finder.feed(html)
    return finder


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parsed = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def assert_strict_policy(response) -> None:
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


def test_the_finder_finds_what_it_is_for():
    # The check below is only worth something if it notices inline code.
    html = (
        '<script>alert(1)</script><script type="application/json">{}</script><script src="/x.js"></script>'
        '<script nonce="abc">ok()</script><select onchange="go()"></select><span style="width:5%"></span>'
        '<style>p{}</style><a href="javascript:go()">x</a>'
    )
    assert len(inline_code(html).found) == 5


@pytest.fixture
def closed(users):
    return make_case_in_state(State.CLOSED, users, channel=Channel.WEB, publish_consent=True)


def _staff(client, users, name):
    client.force_login(users[name])
    return client


PUBLIC_PAGES = ["/", "/write/", "/mailbox/", "/track/", "/board/", "/stats/", "/console/login/"]
STAFF_PAGES = [
    ("agent", "/console/desk/"),
    ("dispatcher", "/console/queue/"),
    ("agent", "/console/cases/"),
    ("clerk_cgj", "/console/inbox/"),
    ("supervisor", "/console/sla/board/"),
    ("supervisor", "/console/publication/"),
    ("supervisor", "/console/reports/"),
    ("supervisor", "/console/reports/?month=2026-10&print=1"),
    ("agent", "/notifications/"),
    ("agent", "/notifications/preferences/"),
    ("agent", "/telephony/desk/stats/"),
    ("admin", "/admin/"),
    ("admin", "/admin/cases/case/"),
    ("admin", "/admin/cases/user/add/"),
    ("admin", "/api/v1/schema/docs/"),
]


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_pages_carry_the_policy_and_no_inline_code(client, org, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert_strict_policy(response)
    assert inline_code(response.content.decode()).found == []


@pytest.mark.parametrize(("who", "url"), STAFF_PAGES)
def test_staff_pages_carry_the_policy_and_no_inline_code(client, users, who, url):
    response = _staff(client, users, who).get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert_strict_policy(response)
    finder = inline_code(response.content.decode())
    assert finder.found == [], url


def test_case_and_publication_pages_have_no_inline_code(client, users, closed):
    staff = _staff(client, users, "supervisor")
    for url in (
        f"/console/cases/{closed.tracking_no}/",
        f"/console/publication/{closed.tracking_no}/",
    ):
        response = staff.get(url)
        assert response.status_code == 200, url
        assert_strict_policy(response)
        assert inline_code(response.content.decode()).found == [], url


def test_swagger_ui_loads_its_init_script_from_a_url(client, users):
    staff = _staff(client, users, "admin")
    page = staff.get("/api/v1/schema/docs/")
    html = page.content.decode()
    finder = inline_code(html)
    assert finder.found == [] and finder.scripts == 3  # bundle, standalone preset, init
    script = staff.get("/api/v1/schema/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert reverse("api-schema") in script.content.decode()


def test_json_and_error_responses_carry_the_policy_too(client, org):
    assert_strict_policy(client.get("/no-such-page/"))
    assert_strict_policy(client.get("/open311/v2/services.json"))
