"""The public board of published Q&A and the public statistics. No login; nothing personal."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from cases.enums import Kind, Publication
from cases.exceptions import CaseValidationError
from cases.models import Case, Category, Department, PublicSearch
from cases.publication import normalise_query, search_rows
from web.figures import charts, metrics, reports

PAGE_SIZE = 20
STATS_MONTHS = 12
# Counting every match of a common word over a million published items costs more than the
# page itself; beyond this many the board says "1000+" and asks for a narrower search.
COUNT_CAP = 1000


class CappedPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: COUNT_CAP + 1].count()


def published_cases() -> QuerySet[Case]:
    return Case.objects.filter(publication=Publication.PUBLISHED).select_related(
        "department", "category", "category__parent"
    )


def _month_or_none(value: str | None) -> tuple[Any, str]:
    if not value:
        return None, ""
    try:
        return metrics.parse_month(value), ""
    except CaseValidationError as exc:
        return None, exc.message


def board(request: HttpRequest) -> HttpResponse:
    """Published Q&A, newest first; filters department, category, kind, month; Chinese search.

    The listing runs on the search table alone (it carries copies of the filter and sort
    fields), so even a common word sorts and cuts a narrow index before any case is read;
    then only the page's cases are fetched.
    """
    rows = PublicSearch.objects.all()
    params = {k: (request.GET.get(k) or "").strip()[:40] for k in ("department", "category", "kind", "month")}
    q = normalise_query(request.GET.get("q"))
    if params["department"]:
        dept = Department.objects.filter(code=params["department"]).values_list("pk", flat=True).first()
        rows = rows.filter(department_id_copy=dept) if dept else rows.none()
    if params["category"]:
        cat = Category.objects.filter(code=params["category"]).values_list("pk", flat=True).first()
        rows = rows.filter(Q(category_id_copy=cat) | Q(category_parent_id_copy=cat)) if cat else rows.none()
    if params["kind"] in Kind.values:
        rows = rows.filter(kind=params["kind"])
    month, month_error = _month_or_none(params["month"])
    if month is not None:
        start, end = metrics.month_bounds(month)
        rows = rows.filter(registered_at__gte=start, registered_at__lt=end)
    rows = search_rows(rows, q).order_by("-published_at", "-case_id").values_list("case_id", flat=True)
    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    found = published_cases().in_bulk(list(page.object_list))
    page.object_list = [found[pk] for pk in page.object_list if pk in found]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "public/board.html",
        {
            "page": page,
            "q": q,
            "params": params,
            "month_error": month_error,
            "querystring": query.urlencode(),
            "capped": page.paginator.count > COUNT_CAP,
            "count_cap": COUNT_CAP,
            "departments": Department.objects.filter(active=True, is_dispatch=False, parent__isnull=False),
            "categories": Category.objects.filter(active=True, parent__isnull=True),
            "kinds": Kind.choices,
        },
    )


def board_item(request: HttpRequest, tracking_no: str) -> HttpResponse:
    item = published_cases().filter(tracking_no=tracking_no[:20]).first()
    if item is None:
        raise Http404(_("没有找到这条公开信息。"))
    return render(request, "public/item.html", {"item": item})


def _bars(rows: list[metrics.Figures], attr: str) -> int:
    return max([getattr(r, attr) for r in rows] + [1])


def stats(request: HttpRequest) -> HttpResponse:
    """Per department for a month, plus a twelve-month trend: received, closure, on time, satisfied."""
    month, month_error = _month_or_none(request.GET.get("month"))
    month = month or metrics.current_month()
    department = None
    code = (request.GET.get("department") or "").strip()[:32]
    if code:
        department = Department.objects.filter(code=code, active=True).first()
    try:
        level = reports.parse_level(request.GET.get("level"))
        level_error = ""
    except CaseValidationError as exc:
        level, level_error = "department", exc.message
    # Anyone may load this page and a year of aggregates is heavy: the figures come from the
    # shared snapshot (computed once per few minutes, from one read of the rollups), the same one
    # the report and the API read.
    now = timezone.now()
    found = metrics.month_figures(month, now=now, trend_months=STATS_MONTHS, level=level, department=department)
    snapshot, series = found.snapshot, found.series
    rows = snapshot.rows
    return render(
        request,
        "public/stats.html",
        {
            "month": month,
            "month_error": month_error,
            "rows": rows,
            "total": snapshot.total,
            "as_of": snapshot.as_of,
            "series": series,
            "series_max": _bars(series, "registered"),
            "rows_max": _bars(rows, "registered"),
            "department": department,
            "departments": Department.objects.filter(active=True, parent__isnull=False),
            "prev_month": metrics.add_months(month, -1),
            "next_month": metrics.add_months(month, 1),
            "is_current": month >= metrics.current_month(),
            "ranking": found.ranking,
            "charts": charts.page_charts(series=series, rows=rows, total=snapshot.total, top=found.categories),
            "level": level,
            "level_error": level_error,
            "levels": reports.RANKING_LEVELS.items(),
        },
    )
