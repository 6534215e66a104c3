"""The knowledge base through /api/v1/kb/ (API.md), and resolve_directly with kb_article."""

from __future__ import annotations

import pytest

from cases.enums import Role, State
from kb.models import Article, ArticleUse, ArticleVersion
from tests.factories import CaseFactory, UserFactory
from tests.kb.conftest import make_article
from tests.web.api.api_helpers import act, assert_error, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk_gaj(org):
    return UserFactory(username="clerk_gaj", role=Role.CLERK, department_code="GAJ")


def test_search_finds_a_published_article_by_a_two_character_word_and_not_a_draft(users, pinned) -> None:
    published = make_article(users["dispatcher"])
    make_article(users["dispatcher"], title="居住证草稿", status="draft")
    make_article(
        users["dispatcher"],
        title="噪声投诉怎么处理",
        body="夜间施工噪声请向生态环境分局反映。",
        category="ENV-NOISE",
        department="HBJ",
        keywords="噪声",
    )
    body = staff_client(users["agent"]).get("/api/v1/kb/articles/", {"q": "材料"}).json()
    assert body["count"] == 1
    (row,) = body["results"]
    assert row["id"] == published.pk
    assert row["title"] == "居住证办理需要哪些材料"
    assert row["category"] == "SEC-HUKOU" and row["department"] == "GAJ"
    assert row["version"] == 1 and row["valid_until"] is None
    assert row["can_edit"] is False  # agents read, they do not write


def test_category_filter_takes_a_family_and_all_lists_drafts(users, pinned) -> None:
    make_article(users["dispatcher"])
    draft = make_article(users["dispatcher"], title="居住证续签", status="draft")
    client = staff_client(users["agent"])
    assert client.get("/api/v1/kb/articles/", {"category": "SEC"}).json()["count"] == 1
    assert client.get("/api/v1/kb/articles/", {"category": "ENV"}).json()["count"] == 0
    drafts = client.get("/api/v1/kb/articles/", {"status": "draft"}).json()
    assert [r["id"] for r in drafts["results"]] == [draft.pk]
    assert client.get("/api/v1/kb/articles/", {"status": "all"}).json()["count"] == 2


def test_expired_article_is_not_offered_but_listed_as_expired(users, pinned) -> None:
    old = make_article(users["dispatcher"], valid_from="2025-01-01", valid_until="2026-11-30")
    client = staff_client(users["agent"])
    assert client.get("/api/v1/kb/articles/").json()["count"] == 0
    expired = client.get("/api/v1/kb/articles/", {"status": "expired"}).json()
    assert [(r["id"], r["status"], r["usable"]) for r in expired["results"]] == [(old.pk, "expired", False)]


def test_free_text_ranks_the_best_match_first(users, pinned) -> None:
    hukou = make_article(users["dispatcher"])
    make_article(
        users["dispatcher"],
        title="社保卡补办",
        body="社保卡丢失可到社保中心补办，需携带身份证。",
        category="LAB-INSUR",
        department="RSJ",
        keywords="社保卡",
    )
    body = staff_client(users["agent"]).get("/api/v1/kb/articles/", {"text": "来电人问办理居住证要带什么材料"}).json()
    assert body["results"][0]["id"] == hukou.pk


def test_department_clerk_creates_for_own_department_and_gets_403_for_another(clerk_gaj, pinned) -> None:
    client = staff_client(clerk_gaj)
    ok = client.post(
        "/api/v1/kb/articles/",
        {"title": "户口迁移流程", "body": "携带户口簿和身份证到派出所申请。", "category": "SEC-HUKOU"},
        format="json",
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["department"] == "GAJ" and ok.json()["status"] == "draft" and ok.json()["version"] == 1
    before = Article.objects.count()
    denied = client.post(
        "/api/v1/kb/articles/",
        {"title": "噪声", "body": "找环保", "category": "ENV-NOISE", "department": "HBJ"},
        format="json",
    )
    assert_error(denied, 403, "forbidden")
    assert Article.objects.count() == before


def test_missing_title_or_body_is_400_naming_the_field_and_writes_nothing(users, pinned) -> None:
    client = staff_client(users["dispatcher"])
    response = client.post("/api/v1/kb/articles/", {"title": "", "body": "", "category": "SEC-HUKOU"}, format="json")
    body = assert_error(response, 400, "invalid")
    assert set(body["fields"]) >= {"title", "body"}
    assert not Article.objects.exists()
    bad_dates = client.post(
        "/api/v1/kb/articles/",
        {"title": "a", "body": "b", "category": "SEC-HUKOU", "valid_from": "2026-12-10", "valid_until": "2026-12-01"},
        format="json",
    )
    assert "valid_until" in assert_error(bad_dates, 400, "invalid")["fields"]
    assert not Article.objects.exists()


def test_put_adds_a_version_keeps_history_and_refuses_others(users, clerk_gaj, pinned) -> None:
    article = make_article(users["dispatcher"])
    url = f"/api/v1/kb/articles/{article.pk}/"
    client = staff_client(clerk_gaj)
    edited = client.put(url, {"title": article.title, "body": "新的答复内容。", "version": 1}, format="json")
    assert edited.status_code == 200, edited.content
    assert edited.json()["version"] == 2 and edited.json()["body"] == "新的答复内容。"
    detail = client.get(url).json()
    assert [v["version"] for v in detail["versions"]] == [2, 1]
    assert ArticleVersion.objects.get(article=article, version=1).body.startswith("办理居住证")
    # A stale version: 409, nothing changed.
    stale = client.put(url, {"title": "x", "body": "y", "version": 1}, format="json")
    assert_error(stale, 409, "conflict")
    # Another department's clerk: 403; a missing body: 400.
    assert_error(
        staff_client(users["clerk_hbj"]).put(url, {"title": "x", "body": "y"}, format="json"), 403, "forbidden"
    )
    assert_error(client.put(url, {"title": "只有标题"}, format="json"), 400, "invalid")
    article.refresh_from_db()
    assert (article.version, article.title) == (2, "居住证办理需要哪些材料")
    assert_error(client.get("/api/v1/kb/articles/999999/"), 404, "not_found")


def test_resolve_directly_with_kb_article_records_id_and_version(users, pinned) -> None:
    article = make_article(users["dispatcher"])
    case = CaseFactory(
        actor=users["agent"], kind="consultation", category="SEC-HUKOU", title="居住证", content="要什么材料"
    )
    client = staff_client(users["agent"])
    assert client.get(f"/api/v1/cases/{case.tracking_no}/").json()["kb_article"] is None
    response = act(client, case, "resolve_directly", answer=article.body, kb_article=article.pk)
    assert response.status_code == 200, response.content
    assert response.json()["state"] == State.ANSWERED
    assert response.json()["kb_article"] == {"id": article.pk, "version": 1}
    assert ArticleUse.objects.get(case=case).version == 1
    event = case.events.get(transition="resolve_directly")
    assert event.data == {"kb_article": {"id": article.pk, "version": 1}}


def test_resolve_directly_with_a_draft_or_unknown_article_changes_nothing(users, pinned) -> None:
    draft = make_article(users["dispatcher"], status="draft")
    case = CaseFactory(actor=users["agent"], kind="consultation", category="SEC-HUKOU")
    client = staff_client(users["agent"])
    assert_error(act(client, case, "resolve_directly", answer="x", kb_article=draft.pk), 409, "conflict")
    body = assert_error(act(client, case, "resolve_directly", answer="x", kb_article=999999), 400, "invalid")
    assert "kb_article" in body["fields"]
    case.refresh_from_db()
    assert case.state == State.REGISTERED and not ArticleUse.objects.exists()


def test_anonymous_gets_401(client, pinned) -> None:
    assert client.get("/api/v1/kb/articles/").status_code in {401, 403}


@pytest.mark.postgres
def test_on_postgres_the_best_match_survives_many_articles_sharing_a_common_pair(users, pinned) -> None:
    best = make_article(users["dispatcher"])  # the oldest: a cut by newest would lose it
    for n in range(210):
        make_article(users["dispatcher"], title=f"办理事项 {n}", body="请到窗口办理。", keywords="")
    body = staff_client(users["agent"]).get("/api/v1/kb/articles/", {"text": "办理居住证要带什么材料"}).json()
    assert body["results"][0]["id"] == best.pk
