"""Two editors saving one article at once (PostgreSQL, real row locks): one wins, the other gets a
clear conflict and nothing of theirs is written."""

from __future__ import annotations

import pytest
from django.db import transaction

from cases.exceptions import CaseConflict
from kb.models import Article, ArticleVersion
from kb.services import ArticleInput, article_update
from tests.cases.test_concurrency import in_thread, until_waiting
from tests.kb.conftest import make_article

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _edit(article, actor, body):
    return article_update(
        article=article.pk,
        actor=actor,
        data=ArticleInput(
            title=article.title,
            body=body,
            category="SEC-HUKOU",
            department="GAJ",
            valid_from="2026-01-01",
            status="published",
        ),
        expected_version=1,
    )


def test_two_editors_at_once_one_wins_one_gets_a_conflict(org, users):
    article = make_article(users["dispatcher"])
    results: dict = {}
    with transaction.atomic():
        Article.objects.select_for_update().get(pk=article.pk)  # hold the row while both queue up
        first = in_thread(results, "first", lambda: _edit(article, users["dispatcher"], "甲的答复"))
        second = in_thread(results, "second", lambda: _edit(article, users["admin"], "乙的答复"))
        until_waiting(2)
    first.join(30)
    second.join(30)
    outcomes = sorted(type(r).__name__ for r in results.values())
    assert outcomes == ["Article", "CaseConflict"]
    loser = next(r for r in results.values() if isinstance(r, CaseConflict))
    assert "版本" in loser.message
    article.refresh_from_db()
    assert article.version == 2 and article.body in {"甲的答复", "乙的答复"}
    assert list(
        ArticleVersion.objects.filter(article=article).values_list("version", flat=True).order_by("version")
    ) == [1, 2]
