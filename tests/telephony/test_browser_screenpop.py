"""In a real browser: a ringing call pops up on the agent desk, and answering fills the intake.

Uses the session ``asgi_server`` (daphne in a thread, tests/conftest.py), posts the signed incoming-call
webhook over HTTP as Twilio would, and watches the desk page in Debian's chromium.
"""

from __future__ import annotations

import pytest

from cases.enums import Channel
from cases.services import Citizen, case_register
from telephony import simulate
from telephony.models import Call

from .conftest import CALLER, CALLER_PHONE, TOKEN

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_ringing_call_pops_up_on_the_agent_desk_and_answering_fills_the_intake(
    asgi_server, users, settings, in_hours
):
    from playwright.sync_api import expect, sync_playwright

    settings.PUBLIC_BASE_URL = asgi_server
    settings.ALLOWED_HOSTS = ["*"]
    past = case_register(
        actor=users["agent"],
        channel=Channel.HOTLINE,
        kind="help",
        category="CIV-COMM",
        title="楼道灯不亮",
        content="三楼楼道灯坏了。",
        citizen=Citizen(phone=CALLER_PHONE),
    )
    tw = simulate.Twilio(send=simulate.urllib_sender(asgi_server), public_base_url=asgi_server, auth_token=TOKEN)
    sid = "CA" + "d" * 32

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="zh-CN")
            page.goto(asgi_server + "/console/login/?next=/console/desk/")
            page.fill("input[name=username]", "agent")
            page.fill("input[name=password]", "demo12345")
            page.click("button[type=submit]")
            page.wait_for_url("**/console/desk/**")
            expect(page.locator("script[src*='screenpop.js']")).to_have_count(1)  # the desk loads the pop-up
            # Polled from here: wait_for_function compiles its predicate in the page (eval), which the
            # page's Content-Security-Policy rightly refuses.
            for _ in range(100):
                if page.evaluate("() => Boolean(window.ccScreenpop && window.ccScreenpop.listening === true)"):
                    break
                page.wait_for_timeout(100)
            else:
                raise AssertionError("the screen-pop never started listening")
            # The holder a desk page adds for the call figures (see screenpop.js).
            page.evaluate(
                "document.body.appendChild(Object.assign(document.createElement('div'),"
                " {id: 'stats-holder'})).setAttribute('data-telephony-stats', '')"
            )

            reply = tw.post("voice/incoming/", simulate.call_params(sid, CALLER, CallStatus="ringing"))
            assert reply.status == 200 and reply.verbs() == ["Say", "Enqueue"]

            pop = page.locator(f"#screenpop [data-call-sid='{sid}']")
            expect(pop).to_be_visible(timeout=10000)
            expect(pop.locator("h2")).to_have_text(f"来电 {CALLER_PHONE}")
            expect(pop.locator(".sp-summary")).to_have_text("以往工单 1 件，未办结 1 件")
            expect(pop.locator(".sp-cases a")).to_have_text(past.tracking_no)
            # The desk was idle, so the ringing call already filled the intake form.
            expect(page.locator("#intake-form [name=citizen_phone]")).to_have_value(CALLER_PHONE)
            expect(page.locator("#intake-form [name=call_sid]")).to_have_value(sid)

            expect(page.locator("#stats-holder [data-stat=waiting]")).to_have_text("1")

            pop.locator(".sp-answer").click()
            expect(pop.locator(".sp-status")).to_have_text("通话中：请登记诉求")
            expect(page.locator("#stats-holder [data-stat=waiting]")).to_have_text("0")
        finally:
            browser.close()

    call = Call.objects.get(call_sid=sid)
    assert call.agent == users["agent"] and call.answered_at is not None
