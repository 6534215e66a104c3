"""In a real browser, under the real header: the console, the portal (with its captcha image),
the statistics page and Swagger UI load with no Content-Security-Policy violation."""

from __future__ import annotations

import pytest

from tests.web.console.test_console_browser import CHROMIUM_ARGS, sign_in

# Recorded before any page script runs (an init script is not subject to the page's CSP).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_console_portal_stats_and_swagger_load_without_csp_violations(live_server, users):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="zh-CN")
            context.add_init_script(RECORD_VIOLATIONS)
            page = context.new_page()
            console_errors: list[str] = []
            page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)

            def violations() -> list[str]:
                return page.evaluate("window.__cspViolations")

            page.goto(f"{live_server.url}/write/")
            assert page.locator("img.captcha-image").evaluate("img => img.complete && img.naturalWidth > 0")
            assert violations() == []
            page.goto(f"{live_server.url}/stats/")
            assert page.locator("select[name=department]").count() == 1
            assert violations() == []

            sign_in(page, live_server.url, "admin", "/console/desk/")
            expect(page.locator("#caller-history")).to_be_visible()
            assert violations() == []
            # The language switch submits from page.js (no onchange="..." any more).
            with page.expect_navigation():
                page.select_option("select[name=language]", "en")
            assert page.locator("html").get_attribute("lang") == "en"
            assert violations() == []

            page.goto(f"{live_server.url}/api/v1/schema/docs/")
            expect(page.locator(".swagger-ui .info .title")).to_contain_text("casecenter staff API", timeout=15000)
            expect(page.locator(".opblock").first).to_be_visible()
            assert violations() == []
            assert [e for e in console_errors if "Content Security Policy" in e] == []
        finally:
            browser.close()
