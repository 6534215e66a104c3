"""Reads of the knowledge base that the edges share."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet

from cases.enums import Kind, State
from cases.models import Case, Category, Department

from . import rules
from .enums import ArticleStatus
from .models import Article, ArticleUse


def is_usable(article: Article, *, today: dt.date) -> bool:
    """Published and valid on ``today``: what the desk may answer with and the portal shows."""
    return (
        article.status == ArticleStatus.PUBLISHED
        and article.valid_from <= today
        and (article.valid_until is None or article.valid_until >= today)
    )


def effective_status(article: Article, *, today: dt.date) -> str:
    """The status as a reader should see it: a published article past its date is expired."""
    if article.status == ArticleStatus.PUBLISHED and article.valid_until is not None and article.valid_until < today:
        return ArticleStatus.EXPIRED
    return article.status


def usable_q(today: dt.date) -> Q:
    return Q(status=ArticleStatus.PUBLISHED, valid_from__lte=today) & (
        Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    )


def articles() -> QuerySet[Article]:
    # The bigram vector is for the database's search only: never loaded into Python.
    return Article.objects.select_related("category", "category__parent", "department").defer("vector")


def usable_articles(today: dt.date) -> QuerySet[Article]:
    return articles().filter(usable_q(today))


def in_category(qs: QuerySet[Article], code: str) -> QuerySet[Article]:
    """Articles of a category and of its sub-categories (a family such as 城建城管)."""
    return qs.filter(Q(category__code=code) | Q(category__parent__code=code))


def with_status(qs: QuerySet[Article], status: str, *, today: dt.date) -> QuerySet[Article]:
    """Filter by the status a reader sees (``effective_status``)."""
    expired = Q(status=ArticleStatus.PUBLISHED, valid_until__lt=today)
    if status == ArticleStatus.EXPIRED:
        return qs.filter(Q(status=ArticleStatus.EXPIRED) | expired)
    if status == ArticleStatus.PUBLISHED:
        return qs.filter(status=ArticleStatus.PUBLISHED).exclude(expired)
    return qs.filter(status=status)


def with_use_counts(qs: QuerySet[Article]) -> QuerySet[Article]:
    return qs.annotate(use_count=Count("uses", distinct=True))


def month_bounds(today: dt.date) -> tuple[dt.date, dt.date]:
    first = today.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def expiring_this_month(today: dt.date, *, department: Department | None = None) -> QuerySet[Article]:
    """Published articles whose last valid day falls between today and the end of this month."""
    _first, last = month_bounds(today)
    qs = articles().filter(status=ArticleStatus.PUBLISHED, valid_until__gte=today, valid_until__lte=last)
    if department is not None:
        qs = qs.filter(department=department)
    return qs.order_by("valid_until", "pk")


def department_figures(today: dt.date) -> list[dict[str, Any]]:
    """Per department that keeps articles: how many, how many usable, expiring this month, and how
    many cases its articles answered (usage). Three grouped queries however many departments."""
    _first, last = month_bounds(today)
    rows = (
        Article.objects.values("department_id")
        .annotate(
            total=Count("pk"),
            usable=Count("pk", filter=usable_q(today)),
            expiring=Count(
                "pk", filter=Q(status=ArticleStatus.PUBLISHED, valid_until__gte=today, valid_until__lte=last)
            ),
        )
        .order_by()
    )
    uses = dict(
        ArticleUse.objects.values("article__department_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("article__department_id", "n")
    )
    by_id = {row["department_id"]: row for row in rows}
    names = Department.objects.filter(pk__in=by_id).order_by("code")
    return [{"department": d, **by_id[d.pk], "uses": uses.get(d.pk, 0)} for d in names]


def case_article(case: Case) -> dict[str, int] | None:
    """``{"id", "version"}`` of the article that answered the case, or None (the API's kb_article)."""
    use = ArticleUse.objects.filter(case_id=case.pk).values("article_id", "version").first()
    return {"id": use["article_id"], "version": use["version"]} if use else None


def consultations_to_capture(department: Department, *, limit: int = 10) -> QuerySet[Case]:
    """The department's consultation cases it answered (answered or closed) that no article came
    from yet and no article answered: the "add or update an article" prompt on its inbox."""
    return (
        Case.objects.filter(
            department=department,
            kind=Kind.CONSULTATION,
            state__in=[State.ANSWERED, State.CLOSED],
            kb_use__isnull=True,
        )
        .exclude(pk__in=Article.objects.filter(source_case__isnull=False).values("source_case_id"))
        .select_related("category")
        .order_by("-answered_at", "-pk")[:limit]
    )


def consultation_prompt(case: Case, user: Any) -> bool:
    """Whether the case page asks this user to add or update an article for this case."""
    return (
        case.kind == Kind.CONSULTATION
        and case.state in {State.ANSWERED, State.CLOSED}
        and case.department_id is not None
        and rules.may_write_for(user, case.department)
        and rules.is_department_staff(user)
        and not ArticleUse.objects.filter(case_id=case.pk).exists()
        and not Article.objects.filter(source_case_id=case.pk).exists()
    )


def category_families() -> list[Category]:
    """Top-level categories with their active children, for the filters."""
    return list(Category.objects.filter(parent__isnull=True, active=True).order_by("code"))
