"""Issue 13's walk, in a real browser: the citizen adds information to their case → the department
replies with a photo → the citizen is not satisfied and says why → the supervisor reopens it to
another department → that department replies → the citizen is satisfied → the dispatcher publishes
it and it is on the public board.

The case starts in progress at CGJ (registered and signed for through the services before the
browser opens); everything after that is done on the pages by the person concerned, each in their
own browser context. The ORM is not used while Playwright drives the pages.

The department's reply steps (answer, issue 13) choose the result type (办理结果: 已解决 …) and
record the contact with the citizen; marked ``# answer-form`` below.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from cases import services
from cases.enums import Publication, Rating, Role, State
from cases.models import Attachment, Case, CaseEvent
from cases.selectors import verify_chain
from notifications.enums import Template
from notifications.models import Outbox
from tests.attachment_files import PNG
from tests.factories import CaseFactory, UserFactory
from tests.test_e2e_lifecycle_browser import CHROMIUM_ARGS, TIMEOUT_MS, staff_page, submit_action

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "小区东门人行道被摊贩占用"
ADDED = "补充：摊位每晚七点后出现，集中在东门北侧，附现场照片。"
FIRST_REPLY = "已安排执法队员现场劝离，并张贴告示。"
REASON_TEXT = "劝离后第二天摊位又回来了。"
REOPEN_REASON = "群众反映问题反复，转街道办牵头综合整治。"
SECOND_REPLY = "街道办已联合城管设置便民摊点区，东门人行道已恢复通行，每日巡查。"


@pytest.fixture(autouse=True)
def private_cache(settings, tmp_path):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "e2e-13"}}
    settings.MEDIA_ROOT = str(tmp_path)


def citizen_tracks(page, base: str, tracking_no: str, access_code: str) -> None:
    page.goto(f"{base}/track/")
    page.fill("[name=tracking_no]", tracking_no)
    page.fill("[name=access_code]", access_code)
    with page.expect_navigation():
        page.click("form.portal-form button[type=submit]")


def department_replies(page, base: str, tracking_no: str, text: str, photo: str | None = None) -> None:
    """Sign for the case if needed, then reply on the case page (with a photo when given)."""
    page.goto(f"{base}/console/cases/{tracking_no}/")
    main = page.locator("main")
    if page.locator("form.action-sign_for").count():
        main.locator("form.action-sign_for").locator("xpath=ancestor::details[1]/summary").click()
        submit_action(page, main, "sign_for")
    form = main.locator("form.action-reply")
    form.locator("xpath=ancestor::details[1]/summary").click()
    form.locator("[name=text]").fill(text)
    if photo:
        form.locator("[name=attachments]").set_input_files({"name": photo, "mimeType": "image/png", "buffer": PNG})
    # answer-form: the result type and the contact with the citizen (this minute, by phone).
    form.locator("select[name=result]").select_option("solved")
    form.locator("input[name=contact_at]").fill(timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    form.locator("select[name=contact_method]").select_option("phone")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def dispatcher_approves(page, base: str, tracking_no: str) -> None:
    page.goto(f"{base}/console/queue/")
    row = page.locator(f"#review #case-{tracking_no}")
    row.locator("form.action-approve").locator("xpath=ancestor::details[1]/summary").click()
    submit_action(page, row, "approve")


def test_added_information_a_dissatisfied_citizen_a_reopen_and_a_published_answer(live_server, users):
    from playwright.sync_api import expect, sync_playwright

    UserFactory(username="clerk_jde", role=Role.CLERK, department_code="JD-E")  # 东湖街道
    case = CaseFactory(actor=None, title=TITLE)
    case = services.case_assign(case=case, actor=users["dispatcher"], department="CGJ", instructions="请核实处理")
    case = services.case_sign_for(case=case, actor=users["clerk_cgj"])
    no, code, base = case.tracking_no, case.access_code, live_server.url

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            # --- the citizen adds information, with a photo --------------------------------------
            citizen = browser.new_context(locale="zh-CN")
            citizen.set_default_timeout(TIMEOUT_MS)
            web = citizen.new_page()
            citizen_tracks(web, base, no, code)
            expect(web.locator("#expected-reply")).to_be_visible()
            web.fill("#supplement-form [name=text]", ADDED)
            web.locator("#supplement-form [name=attachments]").set_input_files(
                {"name": "东门现场.png", "mimeType": "image/png", "buffer": PNG}
            )
            with web.expect_navigation():
                web.click("#supplement-form button[type=submit]")
            expect(web.locator(".messages")).to_contain_text("补充材料已提交")
            expect(web.locator(".timeline")).to_contain_text(ADDED)

            # --- the department sees it, and replies with a photo ---------------------------------
            clerk = staff_page(browser, base, "clerk_cgj", "/console/inbox/")
            department_replies(clerk, base, no, FIRST_REPLY, photo="劝离现场.png")
            expect(clerk.locator("#case-state")).to_have_text("待审核")
            expect(clerk.locator("#timeline")).to_contain_text(ADDED)

            dispatcher = staff_page(browser, base, "dispatcher", "/console/queue/")
            dispatcher_approves(dispatcher, base, no)

            # --- the citizen is not satisfied and says why -----------------------------------------
            citizen_tracks(web, base, no, code)
            expect(web.locator(".portal-answer")).to_contain_text(FIRST_REPLY)
            expect(web.locator("#attachments")).to_contain_text("劝离现场.png")
            web.locator(".portal-rating label", has_text="不满意").click()
            web.locator(".portal-rating label", has_text="未解决").click()
            web.select_option("[name=reason]", "not_solved")
            web.fill("[name=comment]", REASON_TEXT)
            with web.expect_navigation():
                web.click("form.portal-form:has([name=rating]) button[type=submit]")
            expect(web.locator(".messages")).to_contain_text("您的意见已转督办员研判")
            expect(web.locator("#case-state")).to_have_text("不满意待研判")

            # --- the supervisor reopens it to another department ------------------------------------
            supervisor = staff_page(browser, base, "supervisor", "/telephony/desk/dissatisfied/")
            row = supervisor.locator(f'tr[data-tracking-no="{no}"]')
            expect(row).to_contain_text("问题没有解决")
            expect(row).to_contain_text(REASON_TEXT)
            form = row.locator("form.action-reopen")
            form.locator("xpath=ancestor::details[1]/summary").click()
            form.locator("[name=department]").select_option("JD-E")
            form.locator("[name=reason]").fill(REOPEN_REASON)
            with supervisor.expect_navigation():
                form.locator("button[type=submit]").click()
            expect(supervisor.locator(".messages")).to_contain_text(f"工单 {no}：已重办")
            expect(supervisor.locator(f'tr[data-tracking-no="{no}"]')).to_have_count(0)

            # --- the other department replies; the dispatcher approves -------------------------------
            street = staff_page(browser, base, "clerk_jde", "/console/inbox/")
            expect(street.locator(f"#to_sign #case-{no}")).to_contain_text(TITLE)
            department_replies(street, base, no, SECOND_REPLY)
            dispatcher_approves(dispatcher, base, no)

            # --- the citizen is satisfied -------------------------------------------------------------
            citizen_tracks(web, base, no, code)
            expect(web.locator(".portal-answer")).to_contain_text(SECOND_REPLY)
            web.locator(".portal-rating label", has_text="基本满意").click()
            web.locator(".portal-rating label", has_text="已解决").click()
            with web.expect_navigation():
                web.click("form.portal-form:has([name=rating]) button[type=submit]")
            expect(web.locator("body")).to_contain_text("感谢您的评价！")
            expect(web.locator("#case-state")).to_have_text("已办结")

            # --- the dispatcher publishes it; it is on the public board --------------------------------
            dispatcher.goto(f"{base}/console/publication/{no}/")
            with dispatcher.expect_navigation():
                dispatcher.click("form.card button[type=submit]")
            expect(dispatcher.locator(".messages")).to_contain_text(f"工单 {no} 已公开。")
            web.goto(f"{base}/board/")
            expect(web.locator("main")).to_contain_text(TITLE)
            expect(web.locator("main")).to_contain_text(SECOND_REPLY)
        finally:
            browser.close()

    case = Case.objects.get(pk=case.pk)
    assert (case.state, case.rating, case.feedback_resolved, case.department.code) == (
        State.CLOSED,
        Rating.BASICALLY_SATISFIED,
        True,
        "JD-E",
    )
    assert (case.reopen_count, case.publication, case.answer) == (1, Publication.PUBLISHED, SECOND_REPLY)
    kinds = sorted(Attachment.objects.filter(case=case).values_list("kind", "original_name"))
    assert kinds == [("citizen", "东门现场.png"), ("reply", "劝离现场.png")]
    steps = list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("transition", "to_state"))
    assert steps == [
        ("register", "registered"),
        ("assign", "assigned"),
        ("sign_for", "in_progress"),
        ("supplement", "in_progress"),
        # answer's reply form stores the photo first (a reply file), then the reply names it
        ("attach", "in_progress"),
        ("reply", "replied"),
        ("approve", "answered"),
        ("feedback", "pending_decision"),
        ("reopen", "assigned"),
        ("sign_for", "in_progress"),
        ("reply", "replied"),
        ("approve", "answered"),
        ("feedback", "closed"),
        ("publish", "closed"),
    ]
    assert verify_chain(case.pk) == (True, None, "")
    # The department was told of the supplement (delivered in-app by the delivery worker).
    assert Outbox.objects.filter(
        case=case, template=Template.SUPPLEMENT_ADDED, recipient__username="clerk_cgj"
    ).exists()
