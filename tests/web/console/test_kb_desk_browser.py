"""In a real browser: a call answered from the knowledge base. The agent types the caller's matter,
the matching article appears in the desk's panel, one click inserts its answer, the case is
registered and resolved directly, and the case records the article and its version."""

from __future__ import annotations

import pytest

from cases.enums import State
from cases.models import Case
from kb.models import ArticleUse
from kb.services import ArticleInput, article_create, article_update
from tests.web.console.test_console_browser import CHROMIUM_ARGS, sign_in


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_call_answered_from_the_knowledge_base(live_server, users):
    from playwright.sync_api import expect, sync_playwright

    article = article_create(
        actor=users["dispatcher"],
        data=ArticleInput(
            title="居住证办理需要哪些材料",
            body="办理居住证需携带身份证、居住地址证明和一寸照片，到居住地派出所办理。",
            category="SEC-HUKOU",
            department="GAJ",
            keywords="居住证 材料",
            valid_from="2020-01-01",
            status="published",
        ),
    )
    article = article_update(
        article=article,
        actor=users["dispatcher"],
        data=ArticleInput(
            title=article.title,
            body=article.body + "可在网上预约办理时段。",
            category="SEC-HUKOU",
            department="GAJ",
            keywords=article.keywords,
            valid_from="2020-01-01",
            status="published",
        ),
    )
    article_create(
        actor=users["dispatcher"],
        data=ArticleInput(
            title="社保卡补办",
            body="到社保中心补办。",
            category="LAB-INSUR",
            department="RSJ",
            valid_from="2020-01-01",
            status="published",
        ),
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="zh-CN")
            sign_in(page, live_server.url, "agent", "/console/desk/")
            page.fill("#intake-form [name=citizen_phone]", "13700001234")
            page.select_option("#intake-form [name=channel]", "hotline")
            page.select_option("#intake-form [name=kind]", "consultation")
            page.type("#intake-form [name=title]", "咨询办理居住证要带什么材料")
            results = page.locator("#kb-results .kb-result")
            expect(results.first).to_contain_text("居住证办理需要哪些材料", timeout=10000)
            expect(page.locator("#kb-results")).not_to_contain_text("社保卡补办")
            # Chosen before registration: kept, and filled in once the case exists.
            results.first.locator(".kb-insert").click()
            expect(page.locator("#kb-picked")).to_contain_text("登记后将填入")
            page.select_option("#intake-form [name=category]", "SEC-HUKOU")
            page.fill("#intake-form [name=content]", "来电人刚来本区工作，问办理居住证需要什么材料。")
            page.click("#intake-form button[type=submit]")
            page.wait_for_url("**/console/desk/?done=*")
            answer = page.locator("form.action-resolve_directly [name=answer]")
            expect(answer).to_have_value(article.body)
            expect(page.locator("form.action-resolve_directly [name=kb_article]")).to_have_value(str(article.pk))
            # The panel on the registered case offers the article again; inserting replaces any edit.
            answer.fill("")
            page.locator("#kb-results .kb-result").first.locator(".kb-insert").click()
            expect(answer).to_have_value(article.body)
            page.locator("form.action-resolve_directly button[type=submit]").click()
            page.wait_for_url("**/console/desk/**")
            expect(page.locator("ul.messages")).to_contain_text("已直接办结")
        finally:
            browser.close()
    case = Case.objects.get(title="咨询办理居住证要带什么材料")
    assert case.state == State.ANSWERED and case.answer == article.body
    use = ArticleUse.objects.get(case=case)
    assert (use.article_id, use.version) == (article.pk, 2)
    assert case.events.get(transition="resolve_directly").data == {"kb_article": {"id": article.pk, "version": 2}}
