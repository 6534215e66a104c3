"""In a real browser: the charts of the statistics page, the monthly report and its print version
draw (every canvas has painted pixels), with no console error and no CSP violation; screenshots
go to a temporary directory (their path is printed)."""

from __future__ import annotations

import pytest

from tests.stats.test_ranking import ranked  # noqa: F401  (the fixture: November 2026 cases)
from tests.web.console.test_console_browser import CHROMIUM_ARGS, sign_in
from tests.web.test_csp_browser import RECORD_VIOLATIONS

# Painted pixels of a canvas: how many of its pixels are not fully transparent.
PAINTED = """c => {
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) { n++; } }
  return n;
}"""
CHARTS = ("trend", "departments", "channels", "categories")


def _charts_drawn(page) -> dict[str, int]:
    page.wait_for_selector('canvas[data-chart="categories"][data-drawn="1"]', timeout=15000)
    page.wait_for_timeout(1200)  # the charts' entry animation
    return {name: page.locator(f'canvas[data-chart="{name}"]').evaluate(PAINTED) for name in CHARTS}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_charts_render_on_the_stats_page_the_report_and_its_print_version(live_server, ranked, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
            context.add_init_script(RECORD_VIOLATIONS)
            page = context.new_page()
            errors: list[str] = []
            failed: list[str] = []
            # A missing resource is checked by its URL below (the print page has no favicon link).
            page.on(
                "console",
                lambda msg: (
                    errors.append(msg.text)
                    if msg.type == "error" and not msg.text.startswith("Failed to load resource")
                    else None
                ),
            )
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)

            page.goto(f"{live_server.url}/stats/?month=2026-11")
            painted = _charts_drawn(page)
            assert all(n > 500 for n in painted.values()), painted
            page.screenshot(path=str(tmp_path / "stats.png"), full_page=True)

            sign_in(page, live_server.url, "supervisor", "/console/reports/")
            page.goto(f"{live_server.url}/console/reports/?month=2026-11")
            painted = _charts_drawn(page)
            assert all(n > 500 for n in painted.values()), painted
            assert page.locator("table.ranking tbody tr").first.inner_text().startswith("1")
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)

            page.goto(f"{live_server.url}/console/reports/?month=2026-11&print=1")
            painted = _charts_drawn(page)
            assert all(n > 500 for n in painted.values()), painted
            page.emulate_media(media="print")
            page.screenshot(path=str(tmp_path / "report_print.png"), full_page=True)

            assert page.evaluate("window.__cspViolations") == []
            assert errors == []
            assert [url for url in failed if not url.endswith("/favicon.ico")] == []
            print(f"screenshots in {tmp_path}")
        finally:
            browser.close()
