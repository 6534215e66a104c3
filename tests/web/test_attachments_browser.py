"""In Chromium: a PDF that carries a script, opened by a dispatcher from the case page, is a
download — never a page of the console's origin that could read the case, the CSRF token or the
citizen's phone (the leak this replaced: served as text/html from /media/)."""

from __future__ import annotations

import pytest

from cases.attachments import attachment_add
from cases.enums import State
from tests.attachment_files import upload
from tests.factories import make_case_in_state
from tests.web.console.test_console_browser import CHROMIUM_ARGS, sign_in

POLYGLOT = b"%PDF-1.7\n<html><script>document.title='pwned';fetch('/console/cases/')</script></html>\n"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_dispatcher_opening_a_scripted_pdf_gets_a_download_and_no_script_runs(live_server, users, settings, tmp_path):
    from playwright.sync_api import sync_playwright

    settings.MEDIA_ROOT = str(tmp_path)
    case = make_case_in_state(State.IN_PROGRESS, users)
    (attachment,) = attachment_add(case=case, actor=users["clerk_cgj"], files=[upload("答复 材料.pdf", POLYGLOT)])
    case_path = f"/console/cases/{case.tracking_no}/"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="zh-CN", accept_downloads=True)
            page = context.new_page()
            sign_in(page, live_server.url, "dispatcher", case_path)
            link = page.locator(f'#attachments a[href="/attachments/{attachment.pk}/"]')
            with page.expect_download() as info:
                link.click(modifiers=[])
            download = info.value
            saved = tmp_path / "downloaded.pdf"
            download.save_as(saved)
            seen = (download.suggested_filename, page.url, page.title(), len(context.pages))
            # Typed into the address bar: still a download, not a page.
            other = context.new_page()
            with other.expect_download() as direct:
                try:
                    other.goto(f"{live_server.url}/attachments/{attachment.pk}/")
                except Exception as exc:  # noqa: BLE001 (Playwright reports "Download is starting")
                    assert "Download is starting" in str(exc)
            direct_name = direct.value.suggested_filename
        finally:
            browser.close()
    assert seen[0] == "答复 材料.pdf"
    assert seen[1] == f"{live_server.url}{case_path}" and seen[2] != "pwned" and seen[3] == 1
    assert saved.read_bytes() == POLYGLOT
    assert direct_name == "答复 材料.pdf"
