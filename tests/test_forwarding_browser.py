"""A case forwarded to a street office's community (二次派单), in a real browser: the dispatcher
assigns it to 东湖街道 (JD-E), clerk_jde signs for it and forwards it to 东湖社区 (JD-E-01) with
instructions, clerk_jde01 signs for it and replies, clerk_jde reviews and approves the reply up, the
dispatcher approves it and records the citizen's rating on the call-back: closed.

Like tests/test_e2e_lifecycle_browser.py: one browser context per person, the ORM only before and
after Playwright drives the pages.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from cases.enums import Rating, Role, State
from cases.models import Case, CaseAssignment, CaseEvent
from cases.selectors import verify_chain
from tests.factories import CaseFactory, UserFactory
from tests.test_e2e_lifecycle_browser import CHROMIUM_ARGS, private_cache, staff_page, submit_action  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_case_forwarded_to_a_community_is_replied_there_reviewed_by_the_street_office_and_closed(live_server, users):
    from playwright.sync_api import expect, sync_playwright

    UserFactory(username="clerk_jde", role=Role.CLERK, department_code="JD-E", last_name="吴", first_name="芳")
    UserFactory(username="clerk_jde01", role=Role.CLERK, department_code="JD-E-01", last_name="郑", first_name="丽华")
    title = "楼道堆放杂物堵塞消防通道"
    case = CaseFactory(actor=users["agent"], category="CIV-COMM", kind="help", title=title)
    no = case.tracking_no
    instructions = "请东湖社区上门核实并组织清理。"
    reply = "社区已组织志愿者清理楼道杂物，并张贴消防通道禁止堆放的提示。"

    base = live_server.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            # --- the dispatcher assigns it to the street office -----------------------------------
            dispatcher = staff_page(browser, base, "dispatcher", "/console/queue/")
            row = dispatcher.locator(f"#triage #case-{no}")
            form = row.locator("form.action-assign")
            form.locator("xpath=ancestor::details[1]/summary").click()
            form.locator("select[name=department]").select_option("JD-E")
            form.locator("[name=instructions]").fill("请街道核实处理。")
            with dispatcher.expect_navigation():
                form.locator("button[type=submit]").click()
            expect(dispatcher.locator(".messages")).to_contain_text(f"工单 {no}：已转办")

            # --- the street office signs for it and forwards it to its community ------------------
            jde = staff_page(browser, base, "clerk_jde", "/console/inbox/")
            submit_action(jde, jde.locator(f"#to_sign #case-{no}"), "sign_for")
            row = jde.locator(f"#in_progress #case-{no}")
            form = row.locator("form.action-forward")
            form.locator("xpath=ancestor::details[1]/summary").click()
            form.locator("select[name=department]").select_option("JD-E-01")
            form.locator("[name=instructions]").fill(instructions)
            with jde.expect_navigation():
                form.locator("button[type=submit]").click()
            expect(jde.locator(".messages")).to_contain_text(f"工单 {no}：已下派，当前状态：已转办。")
            expect(jde.locator(f"#forwarded #case-{no}")).to_contain_text("东湖社区居委会")

            # --- the community signs for it and replies -------------------------------------------
            community = staff_page(browser, base, "clerk_jde01", "/console/inbox/")
            row = community.locator(f"#to_sign #case-{no}")
            expect(row).to_contain_text(title)
            submit_action(community, row, "sign_for")
            # The sub-unit replies like any department: the result and its contact with the citizen.
            contacted = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
            submit_action(
                community,
                community.locator(f"#in_progress #case-{no}"),
                "reply",
                {"text": reply, "result": "solved", "contact_at": contacted, "contact_method": "phone"},
            )
            expect(community.locator(".messages")).to_contain_text(f"工单 {no}：已答复，当前状态：待上级单位审核。")
            community.goto(f"{base}/console/cases/{no}/")
            expect(community.locator("#dispatch-levels")).to_contain_text(instructions)

            # --- the street office reviews the community's reply and sends it up ------------------
            jde.goto(f"{base}/console/inbox/")
            row = jde.locator(f"#sub_review #case-{no}")
            expect(row).to_be_visible()
            submit_action(jde, row, "approve_up", {"note": "已核实，同意上报。"})
            expect(jde.locator(".messages")).to_contain_text(f"工单 {no}：已上级审核通过，当前状态：待审核。")

            # --- the dispatcher approves, then records the rating from the call-back --------------
            dispatcher.goto(f"{base}/console/queue/")
            row = dispatcher.locator(f"#review #case-{no}")
            expect(row.locator(".reply-text")).to_have_text(reply)
            submit_action(dispatcher, row, "approve", {"answer": reply})
            expect(dispatcher.locator(".messages")).to_contain_text(f"工单 {no}：已审核通过，当前状态：已答复。")
            dispatcher.goto(f"{base}/console/cases/{no}/")
            form = dispatcher.locator("form.action-feedback")
            form.locator("xpath=ancestor::details[1]/summary").click()
            form.locator("select[name=rating]").select_option("satisfied")
            with dispatcher.expect_navigation():
                form.locator("button[type=submit]").click()
            expect(dispatcher.locator("#case-state")).to_have_text("已办结")
            levels = dispatcher.locator("#dispatch-levels tbody tr").all_inner_texts()
        finally:
            browser.close()

    assert len(levels) == 2 and "东湖街道办事处" in levels[0] and "东湖社区居委会" in levels[1]
    case = Case.objects.get(tracking_no=no)
    assert (case.state, case.rating, case.department.code, case.handling_department_id) == (
        State.CLOSED,
        Rating.SATISFIED,
        "JD-E",
        None,
    )
    assert case.answer == reply
    events = list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("transition", "actor__username"))
    assert events == [
        ("register", "agent"),
        ("assign", "dispatcher"),
        ("sign_for", "clerk_jde"),
        ("forward", "clerk_jde"),
        ("sign_for", "clerk_jde01"),
        ("reply", "clerk_jde01"),
        ("approve_up", "clerk_jde"),
        ("approve", "dispatcher"),
        ("feedback", "dispatcher"),
    ]
    assert list(CaseAssignment.objects.filter(case=case).values_list("department__code", "state")) == [
        ("JD-E", "approved"),
        ("JD-E-01", "approved"),
    ]
    assert verify_chain(case.pk) == (True, None, "")
