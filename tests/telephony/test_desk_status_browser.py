"""In a real browser: the agent's status decides whether a ringing call pops up; answering shows the
call banner with its timer; after hang-up the wrap-up code makes the agent idle again."""

from __future__ import annotations

import pytest

from telephony import simulate
from telephony.enums import AgentState
from telephony.models import AgentStatus, Call

from .conftest import CALLER, TOKEN
from .test_browser_screenpop import CHROMIUM_ARGS


def _listening(page) -> None:
    # Polled from here: the CSP refuses wait_for_function's in-page eval.
    for _ in range(100):
        if page.evaluate("() => Boolean(window.ccScreenpop && window.ccScreenpop.listening === true)"):
            return
        page.wait_for_timeout(100)
    raise AssertionError("the screen-pop never started listening")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_break_holds_the_pop_up_idle_offers_it_answer_shows_the_banner_wrap_up_frees_the_agent(
    asgi_server, users, settings, in_hours
):
    from playwright.sync_api import expect, sync_playwright

    settings.PUBLIC_BASE_URL = asgi_server
    settings.ALLOWED_HOSTS = ["*"]
    tw = simulate.Twilio(send=simulate.urllib_sender(asgi_server), public_base_url=asgi_server, auth_token=TOKEN)
    sid = "CA" + "e" * 32
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="zh-CN")
            page.goto(asgi_server + "/console/login/?next=/console/desk/")
            page.fill("input[name=username]", "agent")
            page.fill("input[name=password]", "demo12345")
            page.click("button[type=submit]")
            page.wait_for_url("**/console/desk/**")
            _listening(page)
            page.keyboard.press("Alt+3")  # 小休, by the shortcut listed on the page
            expect(page.locator("#desk-bar")).to_have_attribute("data-agent-status", "break")
            tw.post("voice/incoming/", simulate.call_params(sid, CALLER, CallStatus="ringing"))
            expect(page.locator("#telephony-desk-stats [data-stat=waiting]").first).to_have_text("1", timeout=10000)
            pop = page.locator(f"#screenpop [data-call-sid='{sid}']")
            expect(pop).to_have_count(0)  # on break: not offered
            page.locator("#desk-bar .status-btn[data-status=idle]").click()
            expect(pop).to_be_visible(timeout=10000)  # idle again: the waiting call pops up
            pop.locator(".sp-answer").click()
            banner = page.locator("#call-banner")
            expect(banner).to_be_visible(timeout=10000)
            expect(banner.locator(".call-state")).to_have_text("通话中")
            expect(banner.locator("#call-timer")).not_to_have_text("00:00", timeout=5000)  # it counts
            tw.post("voice/status/", simulate.call_params(sid, CALLER, CallStatus="completed", CallDuration="20"))
            expect(banner.locator(".call-state")).to_have_text("通话已结束，请填写话后小结", timeout=10000)
            page.select_option("#wrap-up-code", "registered")
            banner.locator("button[type=submit]").click()
            expect(banner).to_be_hidden(timeout=10000)
            expect(page.locator("#desk-bar")).to_have_attribute("data-agent-status", "idle")
        finally:
            browser.close()
    call = Call.objects.get(call_sid=sid)
    assert (call.agent, call.wrap_up_code) == (users["agent"], "registered")
    assert AgentStatus.objects.get(agent=users["agent"]).status == AgentState.IDLE
