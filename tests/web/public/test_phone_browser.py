"""Phone first (issue 13): on a 390 × 844 phone every public page reads well — nothing wider than
the screen, and the header a band at the top, not a column of single characters.

Each page is loaded in Debian's chromium at the phone's size; a screenshot of each is written to
``$PHONE_SCREENSHOTS`` (or the test's temporary directory) for a person to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cases import services
from cases.enums import State
from tests.factories import make_case_in_state
from tests.test_e2e_lifecycle_browser import CHROMIUM_ARGS, TIMEOUT_MS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# The header holds the site's name, the links and the language switch: on a phone two or three
# short lines of it, never the ~300 px column it used to be.
MAX_HEADER_PX = 150


@pytest.fixture(autouse=True)
def private_cache(settings, tmp_path):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "phone"}}
    settings.MEDIA_ROOT = str(tmp_path)


def measure(page) -> dict:
    return page.evaluate(
        """() => {
            const header = document.querySelector('.site-header').getBoundingClientRect();
            const wide = [...document.querySelectorAll('body *')]
                .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
                .filter(el => !el.closest('.table-wrap'))
                .map(el => el.tagName + (el.id ? '#' + el.id : '') + '.' + el.className).slice(0, 5);
            return {
                scrollWidth: document.scrollingElement.scrollWidth,
                innerWidth: window.innerWidth,
                header: header.height,
                wide: wide,
            };
        }"""
    )


def test_every_public_page_fits_a_phone(live_server, users, tmp_path):
    from playwright.sync_api import sync_playwright

    case = make_case_in_state(State.IN_PROGRESS, users)
    answered = make_case_in_state(State.ANSWERED, users)
    services.case_feedback(case=answered, actor=None, rating="satisfied")
    shots = Path(os.environ.get("PHONE_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    pages = {
        "portal": "/",
        "write": "/write/",
        "track-form": "/track/",
        "board": "/board/",
        "stats": "/stats/",
    }
    found: dict[str, dict] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
            )
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            for name, path in pages.items():
                page.goto(live_server.url + path)
                page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
                found[name] = measure(page)
            # The tracking page of a case in progress: its facts, the supplement form, the timeline.
            page.goto(live_server.url + "/track/")
            page.fill("[name=tracking_no]", case.tracking_no)
            page.fill("[name=access_code]", case.access_code)
            with page.expect_navigation():
                page.click("form.portal-form button[type=submit]")
            page.locator("#supplement-form").wait_for()
            page.screenshot(path=str(shots / "tracking.png"), full_page=True)
            found["tracking"] = measure(page)
        finally:
            browser.close()

    for name, m in found.items():
        assert m["scrollWidth"] <= m["innerWidth"] == PHONE["width"], (name, m)
        assert m["header"] <= MAX_HEADER_PX, (name, m)
        assert not m["wide"], (name, m)
    assert sorted(p.name for p in shots.glob("*.png")) == sorted(f"{n}.png" for n in found)
