"""The 三率 ranking page for supervisors, admins and leadership (``?format=csv`` for the spreadsheet)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from cases.exceptions import CaseValidationError
from web.figures import metrics, reports
from web.shell import error_page, staff_page

from .publication import REPORT_ROLES


@staff_page(REPORT_ROLES)
def ranking_page(request: HttpRequest) -> HttpResponse:
    try:
        month = metrics.parse_month(request.GET.get("month"))
        level = reports.parse_level(request.GET.get("level"))
    except CaseValidationError as exc:
        return error_page(request, exc.message, title=_("参数无效"), status=400)
    ranking = reports.ranking_data(month, level)
    if request.GET.get("format") == "csv":
        try:
            lang = reports.csv_language(request.GET.get("lang"))
        except CaseValidationError as exc:
            return error_page(request, exc.message, title=_("语言无效"), status=400)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="ranking-{level}-{month:%Y-%m}.csv"'
        reports.write_lines(reports.ranking_csv_rows(ranking, lang=lang), response)
        return response
    return render(
        request,
        "console/ranking.html",
        {"ranking": ranking, "month": month, "level": level, "levels": reports.RANKING_LEVELS.items()},
    )
