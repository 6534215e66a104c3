"""One case from start to finish, the way the people involved would do it, all in a real browser.

A citizen writes a web message (the captcha in its documented test mode: a browser test cannot read the image), the
dispatcher assigns it to the suggested department, the clerk signs for it and replies, the dispatcher
sends the reply back with a note, the clerk replies again, the dispatcher approves, the citizen reads
the answer with the numbers from the receipt and rates it; the supervisor sees the finished case.

Each person has their own browser context (their own cookies). The ORM is not used while Playwright
drives the page (its event loop would make Django refuse synchronous queries); the database is
checked once the browser is closed.
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from cases.enums import Rating, State
from cases.models import Case, CaseEvent
from cases.selectors import verify_chain

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
TIMEOUT_MS = 15_000

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def private_cache(settings, tmp_path):
    # The portal's per-address submission limit lives in the cache: a shared Redis must neither
    # carry earlier runs' hits into this test nor be cleared by it. The server thread reads the
    # same settings, so this holds for the pages the browser loads too.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "e2e-lifecycle"}
    }
    settings.MEDIA_ROOT = str(tmp_path)


def staff_page(browser, base_url: str, username: str, next_url: str):
    """A fresh context for one member of staff, signed in through the login form."""
    context = browser.new_context(locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{base_url}/console/login/?next={next_url}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"**{next_url}")
    return page


def submit_action(page, row, action: str, fields: dict[str, str] | None = None) -> None:
    """Open an inline action (if it has fields), fill it, press its button and wait for the reload."""
    form = row.locator(f"form.action-{action}")
    if fields:
        form.locator("xpath=ancestor::details[1]/summary").click()
        for name, value in fields.items():
            field = form.locator(f"[name={name}]")
            if field.evaluate("el => el.tagName") == "SELECT":
                field.select_option(value)
            else:
                field.fill(value)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_a_web_message_goes_from_citizen_to_closed_case_through_every_role(live_server, users):
    from playwright.sync_api import expect, sync_playwright

    base = live_server.url
    title = "小区门口垃圾堆积多日"
    first_reply = "已安排清运。"
    send_back_note = "请写明清运时间和今后的保洁安排。"
    final_reply = "已于今日上午清运完毕，环卫所每天早晚各巡查一次。"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            # --- the citizen writes in ---------------------------------------------------------
            citizen = browser.new_context(locale="zh-CN")
            citizen.set_default_timeout(TIMEOUT_MS)
            web = citizen.new_page()
            web.goto(f"{base}/write/")
            web.fill("#id_name", "王五")
            web.fill("#id_phone", "13800138000")
            web.select_option("#id_kind", "complaint")
            web.select_option("#id_category", "CITY-WASTE")
            web.fill("#id_title", title)
            web.fill("#id_content", "幸福小区东门垃圾桶满了三天没人清运，气味很大。")
            assert web.locator("img.captcha-image").evaluate("img => img.naturalWidth") > 0
            web.fill("#id_captcha_answer", "passed")  # CAPTCHA_TEST_MODE, on in tests
            with web.expect_navigation():
                web.click("form.portal-form button[type=submit]")
            expect(web.locator("h1")).to_have_text("提交成功")
            expect(web.locator(".portal-receipt")).to_contain_text(f"您的诉求“{title}”已登记")
            tracking_no = web.locator("#tracking-no").inner_text().strip()
            access_code = web.locator("#access-code").inner_text().strip()
            assert tracking_no and access_code

            # --- the dispatcher assigns it to the suggested department ---------------------------
            dispatcher = staff_page(browser, base, "dispatcher", "/console/queue/")
            row = dispatcher.locator(f"#triage #case-{tracking_no}")
            expect(row).to_contain_text(title)
            expect(row).to_contain_text("示范区城市管理和综合执法局")  # suggested department
            expect(row.locator("select[name=department]")).to_have_value("CGJ")  # preselected
            submit_action(dispatcher, row, "assign", {"instructions": "请尽快清运"})
            expect(dispatcher.locator(".messages")).to_contain_text(f"工单 {tracking_no}：已转办，当前状态：已转办。")
            expect(dispatcher.locator(f"#triage #case-{tracking_no}")).to_have_count(0)

            # --- the clerk signs for it and replies ---------------------------------------------
            clerk = staff_page(browser, base, "clerk_cgj", "/console/inbox/")
            row = clerk.locator(f"#to_sign #case-{tracking_no}")
            expect(row).to_contain_text(title)
            expect(row).to_contain_text("转办意见：请尽快清运")
            submit_action(clerk, row, "sign_for")
            expect(clerk.locator(".messages")).to_contain_text(f"工单 {tracking_no}：已签收，当前状态：办理中。")
            row = clerk.locator(f"#in_progress #case-{tracking_no}")
            expect(row).to_be_visible()
            # 12345 practice: the clerk phoned the citizen first, and says what became of the matter.
            contacted = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
            submit_action(
                clerk,
                row,
                "reply",
                {"text": first_reply, "result": "solved", "contact_at": contacted, "contact_method": "phone"},
            )
            expect(clerk.locator(".messages")).to_contain_text(f"工单 {tracking_no}：已答复，当前状态：待审核。")
            expect(clerk.locator(f"#replied #case-{tracking_no}")).to_be_visible()

            # --- the dispatcher sends the reply back with a note --------------------------------
            dispatcher.goto(f"{base}/console/queue/")
            row = dispatcher.locator(f"#review #case-{tracking_no}")
            expect(row.locator(".reply-text")).to_have_text(first_reply)
            submit_action(dispatcher, row, "send_back", {"note": send_back_note})
            expect(dispatcher.locator(".messages")).to_contain_text(
                f"工单 {tracking_no}：已退回重办，当前状态：办理中。"
            )
            expect(dispatcher.locator(f"#review #case-{tracking_no}")).to_have_count(0)

            # --- the clerk sees the note and replies again ---------------------------------------
            clerk.goto(f"{base}/console/cases/{tracking_no}/")
            expect(clerk.locator("#case-state")).to_have_text("办理中")
            expect(clerk.locator("#timeline .event-send_back")).to_contain_text(send_back_note)
            clerk.goto(f"{base}/console/inbox/")
            row = clerk.locator(f"#in_progress #case-{tracking_no}")
            submit_action(clerk, row, "reply", {"text": final_reply})
            expect(clerk.locator(f"#replied #case-{tracking_no}")).to_be_visible()

            # --- the dispatcher approves (the answer is prefilled with the reply) ---------------
            dispatcher.goto(f"{base}/console/queue/")
            row = dispatcher.locator(f"#review #case-{tracking_no}")
            expect(row.locator(".reply-text")).to_have_text(final_reply)
            row.locator("form.action-approve").locator("xpath=ancestor::details[1]/summary").click()
            expect(row.locator("form.action-approve [name=answer]")).to_have_value(final_reply)
            submit_action(dispatcher, row, "approve")
            expect(dispatcher.locator(".messages")).to_contain_text(
                f"工单 {tracking_no}：已审核通过，当前状态：已答复。"
            )

            # --- the citizen reads the answer and rates it ---------------------------------------
            web.goto(f"{base}/track/")
            web.fill("[name=tracking_no]", tracking_no)
            web.fill("[name=access_code]", access_code)
            with web.expect_navigation():
                web.click("form.portal-form button[type=submit]")
            expect(web.locator("#case-state")).to_have_text("已答复")
            expect(web.locator(".portal-answer")).to_contain_text(final_reply)
            web.locator(".portal-rating label", has_text=re.compile(r"^\s*满意\s*$")).click()
            with web.expect_navigation():
                web.click("form.portal-form button[type=submit]")
            expect(web.locator("body")).to_contain_text("感谢您的评价！")
            expect(web.locator("#case-state")).to_have_text("已办结")
            expect(web.locator(".portal-answer")).to_contain_text("您的评价：满意")
            # the citizen never sees the internal back-and-forth
            expect(web.locator("body")).not_to_contain_text(send_back_note)

            # --- the supervisor sees the finished case and its whole history --------------------
            supervisor = staff_page(browser, base, "supervisor", f"/console/cases/{tracking_no}/")
            expect(supervisor.locator("#case-state")).to_have_text("已办结")
            expect(supervisor.locator(".answer")).to_contain_text(final_reply)
            labels = [s.strip() for s in supervisor.locator("#timeline .timeline > li > strong").all_inner_texts()]
        finally:
            browser.close()

    assert labels == ["登记", "转办", "签收", "答复", "退回重办", "答复", "审核通过", "评价"]
    case = Case.objects.get(tracking_no=tracking_no)
    assert (case.state, case.rating, case.department.code) == (State.CLOSED, Rating.SATISFIED, "CGJ")
    assert case.answer == final_reply
    events = list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("transition", "actor__username"))
    assert events == [
        ("register", None),
        ("assign", "dispatcher"),
        ("sign_for", "clerk_cgj"),
        ("reply", "clerk_cgj"),
        ("send_back", "dispatcher"),
        ("reply", "clerk_cgj"),
        ("approve", "dispatcher"),
        ("feedback", None),
    ]
    assert verify_chain(case.pk) == (True, None, "")


def test_an_agent_registers_a_call_and_resolves_it_on_the_spot(live_server, users):
    from playwright.sync_api import expect, sync_playwright

    answer = "社保卡补办可携带身份证到任一社保服务大厅办理，当场出卡。"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = staff_page(browser, live_server.url, "agent", "/console/desk/")
            page.fill("#intake-form [name=citizen_phone]", "13700137000")
            page.fill("#intake-form [name=citizen_name]", "赵六")
            page.select_option("#intake-form [name=kind]", "consultation")
            page.select_option("#intake-form [name=category]", "CITY-PROP")
            page.fill("#intake-form [name=title]", "物业费标准咨询")
            page.fill("#intake-form [name=content]", "想了解小区物业费的收费标准。")
            with page.expect_navigation():
                page.click("#intake-form button[type=submit]")
            panel = page.locator(".registered-panel")
            expect(panel).to_contain_text("已登记，请向来电人复述：")
            expect(panel.locator(".badge")).to_have_text("已登记")
            tracking_no = panel.locator(".tracking-no").inner_text().strip()

            panel.locator("summary", has_text="当场答复，直接办结").click()
            panel.locator("form.action-resolve_directly [name=answer]").fill(answer)
            with page.expect_navigation():
                panel.locator("form.action-resolve_directly button[type=submit]").click()
            expect(page.locator(".messages")).to_contain_text(f"工单 {tracking_no}：已直接办结")
            page.goto(f"{live_server.url}/console/cases/{tracking_no}/")
            expect(page.locator("#case-state")).to_have_text("已答复")
            expect(page.locator(".answer")).to_contain_text(answer)
            state_on_page = page.locator("#case-state").inner_text()
        finally:
            browser.close()

    case = Case.objects.get(tracking_no=tracking_no)
    assert (case.registered_by, case.answer, case.first_contact_resolution) == (users["agent"], answer, True)
    assert state_on_page == State(case.state).label
    assert list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("transition", flat=True)) == [
        "register",
        "resolve_directly",
    ]
    assert verify_chain(case.pk)[0] is True
