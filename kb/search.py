"""Chinese search over articles: the public board's bigram search (cases.publication), reused.

An article's ``document`` is its lower-cased title, keywords and body; on PostgreSQL ``vector``
holds the document's character bigrams (GIN index), written with every save.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, FloatField, QuerySet
from django.db.models.expressions import RawSQL

from cases.publication import bigrams, match_terms, query_terms

from .models import Article


def document_of(article: Article) -> str:
    return "\n".join([article.title, article.keywords, article.body]).lower()


def index_article(article: Article) -> None:
    """Write the article's search text (call inside the saving transaction)."""
    document = document_of(article)
    Article.objects.filter(pk=article.pk).update(document=document)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE kb_article SET vector = array_to_tsvector(%s::text[]) WHERE id = %s",
                [bigrams(document) or [], article.pk],
            )


def search_articles(qs: QuerySet[Article], q: str | None) -> QuerySet[Article]:
    """Articles of ``qs`` matching every term of ``q``; all of ``qs`` when ``q`` has no term."""
    words = query_terms(q)
    return match_terms(qs, words) if words else qs


def matching_any(qs: QuerySet[Article], text: str, *, limit: int = 5) -> list[Article]:
    """Articles sharing the most bigrams with a free text (the caller's matter as the agent types
    it): every article with any of the text's bigrams, best overlap first. For the desk's panel,
    where the agent's words are a description, not a query that must match in full."""
    grams = set(bigrams(text))
    if not grams:
        return []
    if connection.vendor == "postgresql":
        # Any shared bigram through the GIN index, the most shared first (ts_rank counts them), so the
        # best candidates survive the cut however many articles share a common pair like 办理.
        tsquery = " | ".join(f"'{g}'" for g in sorted(grams))
        qs = qs.annotate(
            hit=RawSQL("kb_article.vector @@ %s::tsquery", [tsquery], output_field=BooleanField()),
            rank=RawSQL("ts_rank(kb_article.vector, %s::tsquery)", [tsquery], output_field=FloatField()),
        )
        candidates = list(qs.filter(hit=True).order_by("-rank", "-pk")[:200])
    else:
        candidates = list(qs[:500])
    # One shared pair of characters (请问, 什么) is chance; two make a match (unless that is all
    # the agent has typed so far).
    enough = min(2, len(grams))
    scored = []
    for article in candidates:
        overlap = len(grams & set(bigrams(article.document)))
        if overlap >= enough:
            scored.append((overlap, article))
    scored.sort(key=lambda pair: (-pair[0], -pair[1].pk))
    return [article for _overlap, article in scored[:limit]]
