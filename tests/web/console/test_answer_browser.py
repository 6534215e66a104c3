"""In a real browser, under the real CSP: a reply template fills the reply text, and the reply goes
out with a photo, its result and the contact with the citizen (issue 13)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cases.enums import State
from cases.models import ReplyTemplate
from tests.attachment_files import PNG
from tests.factories import make_case_in_state
from tests.web.console.test_console_browser import CHROMIUM_ARGS, sign_in
from tests.web.test_csp_browser import RECORD_VIOLATIONS


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_template_fills_the_reply_and_the_reply_goes_with_a_photo_result_and_contact(live_server, users, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    case = make_case_in_state(State.IN_PROGRESS, users)
    ReplyTemplate.objects.create(title="占道·已整治", body="{citizen_name}您好：工单{tracking_no}已整治。")
    photo = tmp_path / "现场照片.png"
    photo.write_bytes(PNG)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="zh-CN")
            context.add_init_script(RECORD_VIOLATIONS)
            page = context.new_page()
            sign_in(page, live_server.url, "clerk_cgj", f"/console/cases/{case.tracking_no}/")
            page.click("details.case-action:has(form.action-reply) > summary")
            form = page.locator("form.action-reply")
            form.locator("select[name=template]").select_option(label="占道·已整治")
            expect(form.locator("textarea[name=text]")).to_have_value(f"张三您好：工单{case.tracking_no}已整治。")
            form.locator("select[name=result]").select_option("solved")
            form.locator("input[name=contact_at]").fill(
                timezone.localtime(case.registered_at).strftime("%Y-%m-%dT%H:%M")
            )
            form.locator("select[name=contact_method]").select_option("phone")
            form.locator("input[name=attachments]").set_input_files(str(photo))
            with page.expect_navigation():
                form.locator("button[type=submit]").click()
            expect(page.locator("#case-state")).to_have_text("待审核")
            expect(page.locator("dd.reply-result")).to_have_text("已解决")
            assert page.evaluate("window.__cspViolations") == []
        finally:
            browser.close()
    case.refresh_from_db()
    assert (case.reply_text, case.reply_result) == (f"张三您好：工单{case.tracking_no}已整治。", "solved")
    assert [(a.original_name, a.in_reply) for a in case.attachments.all()] == [("现场照片.png", True)]
