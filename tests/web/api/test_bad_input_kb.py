"""Bad input on the knowledge base (issue 12, ``/api/v1/kb/articles/``) and on ``resolve_directly``
with an article: wrong JSON types, NUL, lone surrogates, impossible dates, unknown codes and ids of
the wrong type are a 400 naming the field (an unknown article a 404) and write nothing."""

from __future__ import annotations

import pytest

from cases.enums import State
from kb.models import Article, ArticleUse
from tests.factories import make_case_in_state
from tests.kb.conftest import NOW, make_article
from tests.web.api.api_helpers import (
    NOT_INTEGER,
    NOT_TEXT,
    assert_error,
    assert_refused,
    case_row,
    send,
    staff_client,
    transition_path,
)

pytestmark = pytest.mark.django_db

VALID = {
    "title": "居住证办理需要哪些材料",
    "body": "需携带身份证和居住地址证明。",
    "category": "SEC-HUKOU",
    "department": "GAJ",
    "keywords": "居住证",
    "valid_from": "2026-01-01",
    "valid_until": "",
    "status": "published",
}
FIELDS = ["title", "body", "category", "department", "keywords", "valid_from", "valid_until", "status"]
WRONG_VALUES = {
    "category": ["NOPE", "x" * 33],
    "department": ["NOPE", "x" * 33],
    "status": ["gone", "x" * 17],
    "valid_from": ["2026-13-01", "2026-02-30", "yesterday", "x" * 33],
    "valid_until": ["2026-13-01", "2025-12-31"],  # the second before valid_from
}
WRONG = [(field, value) for field, values in WRONG_VALUES.items() for value in values]


@pytest.fixture(autouse=True)
def _pinned(time_machine):
    time_machine.move_to(NOW, tick=False)


def articles() -> list:
    return list(Article.objects.order_by("pk").values_list("pk", "version", "title", "status"))


def test_the_valid_article_is_created(users):
    response = send(staff_client(users["dispatcher"]), "/api/v1/kb/articles/", VALID)
    assert response.status_code == 201, response.content
    assert response.json()["title"] == VALID["title"]


@pytest.mark.parametrize("value", NOT_TEXT, ids=repr)
@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("method", ["post", "put"])
def test_a_non_text_value_is_a_400_naming_the_field_and_writes_nothing(users, method, field, value):
    article = make_article(users["dispatcher"])
    before = articles()
    path = "/api/v1/kb/articles/" + (f"{article.pk}/" if method == "put" else "")
    response = send(staff_client(users["dispatcher"]), path, {**VALID, field: value}, method=method)
    assert_refused(response, field)
    assert articles() == before


@pytest.mark.parametrize(("field", "value"), WRONG, ids=[f"{f}-{v[:12]}" for f, v in WRONG])
def test_an_unknown_code_or_impossible_date_is_a_400_naming_the_field(users, field, value):
    before = articles()
    response = send(staff_client(users["dispatcher"]), "/api/v1/kb/articles/", {**VALID, field: value})
    assert_refused(response, field)
    assert articles() == before


@pytest.mark.parametrize("value", NOT_INTEGER, ids=repr)
def test_an_edit_with_a_version_that_is_not_a_whole_number_is_a_400(users, value):
    article = make_article(users["dispatcher"])
    before = articles()
    response = send(
        staff_client(users["dispatcher"]), f"/api/v1/kb/articles/{article.pk}/", {**VALID, "version": value}, "put"
    )
    assert_refused(response, "version")
    assert articles() == before


@pytest.mark.parametrize("pk", ["999999", "99999999999999999999", "0"])
@pytest.mark.parametrize("method", ["get", "put"])
def test_an_unknown_article_is_a_404(users, method, pk):
    client, path = staff_client(users["dispatcher"]), f"/api/v1/kb/articles/{pk}/"
    response = client.get(path) if method == "get" else send(client, path, VALID, method=method)
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    "query",
    ["q=%00", "q=" + "路" * 201, "text=" + "x" * 2001, "category=" + "x" * 33, "status=gone", "page=0", "page=x"],
)
def test_a_bad_search_is_a_400(users, query):
    field = query.split("=")[0]
    assert_refused(staff_client(users["dispatcher"]).get(f"/api/v1/kb/articles/?{query}"), field)


@pytest.mark.parametrize("value", [*NOT_INTEGER, 0, 2**31, 999999], ids=repr)
def test_resolve_directly_with_a_wrong_article_id_is_a_400_and_changes_nothing(users, value):
    case = make_case_in_state(State.REGISTERED, users)
    before = case_row(case)
    response = send(
        staff_client(users["dispatcher"]),
        transition_path(case, "resolve_directly"),
        {"answer": "请携带身份证到派出所办理。", "kb_article": value},
    )
    assert_refused(response, "kb_article")
    assert case_row(case) == before
    assert not ArticleUse.objects.exists()
