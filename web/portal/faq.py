"""常见问题: the knowledge base's published, valid articles for citizens, searchable as the board."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases.publication import normalise_query
from kb import selectors
from kb.search import search_articles

PAGE_SIZE = 20


@require_GET
def faq(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    q = normalise_query(request.GET.get("q"))
    families = selectors.category_families()
    category = request.GET.get("category", "")
    if category not in {c.code for c in families}:
        category = ""
    qs = selectors.usable_articles(today)
    if category:
        qs = selectors.in_category(qs, category)
    qs = (
        search_articles(qs, q)
        .defer("document")
        .order_by("category__parent__code", "category__code", "-updated_at", "-pk")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/faq.html",
        {"page": page, "q": q, "category": category, "families": families},
    )
