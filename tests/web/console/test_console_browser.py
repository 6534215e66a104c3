"""In a real browser: typing a caller's number on the desk shows their past cases, and an
intake registered from the form shows the numbers to read out."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cases.enums import Channel
from cases.models import Case
from cases.services import Citizen, case_register

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def sign_in(page, base_url: str, username: str, next_url: str) -> None:
    page.goto(f"{base_url}/console/login/?next={next_url}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"**{next_url}")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_typing_a_number_on_the_desk_shows_the_callers_history_and_intake_works(live_server, users):
    from playwright.sync_api import expect, sync_playwright

    phone = "13912345678"
    past = case_register(
        actor=users["agent"],
        channel=Channel.HOTLINE,
        kind="help",
        category="CITY-ROAD",
        title="路灯不亮",
        content="幸福路路灯坏了。",
        citizen=Citizen(name="李四", phone=phone),
    )
    # Shown in Shanghai time, as the server formats it (console.js adds no zone of its own).
    past_local = timezone.localtime(past.registered_at).strftime("%Y-%m-%d %H:%M")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="zh-CN")
            sign_in(page, live_server.url, "agent", "/console/desk/")
            history = page.locator("#caller-history .history-body")
            expect(history).to_contain_text("输入来电号码后显示来电人的以往工单。")

            page.type("#intake-form [name=citizen_phone]", "139 1234 5678")
            expect(history.locator(".history-summary")).to_have_text(
                f"{phone}：以往工单 1 件，其中未办结 1 件", timeout=10000
            )
            expect(history.locator("a")).to_have_text(past.tracking_no)
            expect(history.locator(".history-list .muted")).to_have_text(past_local)

            page.fill("#intake-form [name=citizen_name]", "李四")
            page.select_option("#intake-form [name=category]", "CITY-ROAD")
            page.select_option("#intake-form [name=kind]", "help")
            page.fill("#intake-form [name=title]", "路灯仍未修好")
            page.fill("#intake-form [name=content]", "上周反映的路灯仍然不亮。")
            page.click("#intake-form button[type=submit]")
            page.wait_for_url("**/console/desk/?done=*")
            # The ORM may not run inside Playwright's event loop: read the page, check the DB after.
            shown = (
                page.locator(".registered-panel .tracking-no").inner_text(),
                page.locator(".registered-panel .access-code").inner_text(),
            )
        finally:
            browser.close()
    case = Case.objects.exclude(pk=past.pk).get()
    assert shown == (case.tracking_no, case.access_code)
    assert (case.citizen_phone, case.category.code, case.registered_by) == (phone, "CITY-ROAD", users["agent"])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_queue_live_refresh_pauses_while_a_form_holds_unsaved_input(live_server, users):
    from playwright.sync_api import expect, sync_playwright

    case = case_register(
        actor=users["agent"],
        channel=Channel.HOTLINE,
        kind="help",
        category="CITY-ROAD",
        title="路灯不亮",
        content="幸福路路灯坏了。",
        citizen=Citizen(name="李四", phone="13912345678"),
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="zh-CN")
            sign_in(page, live_server.url, "dispatcher", "/console/queue/")
            row = page.locator(f"#case-{case.tracking_no}")
            row.locator("summary", has_text="转办").click()
            instructions = page.locator(f"#id_{case.pk}_assign_instructions")
            instructions.fill("请尽快修复")
            # live.js looks the region up by id: renamed, it is left alone.
            expect(page.locator("#live-region-paused")).to_have_count(1)
            expect(page.locator("#live-region")).to_have_count(0)
            instructions.fill("")
            instructions.blur()
            expect(page.locator("#live-region")).to_have_count(1)
        finally:
            browser.close()
