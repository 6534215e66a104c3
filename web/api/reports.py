"""GET /api/v1/reports/monthly/?month=2026-11 — one row per department (API.md); ``?format=csv``."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import rules
from web.console.publication import REPORT_ROLES
from web.figures import metrics, reports
from web.figures.followup import FOLLOWUP_FIELDS, followup_figures, followup_json


class CSVRenderer(BaseRenderer):
    """Renders the report as CSV (selected by ``?format=csv``): the view hands it the CSV lines
    of ``web.figures.reports`` (the console's export writes the same)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: dict | None = None) -> bytes:
        lines = data.get("csv") if isinstance(data, dict) else None
        out = io.StringIO()
        if lines is None:  # an error body: keep it readable
            out.write(str(data))
            return out.getvalue().encode()
        out.write("\ufeff")
        writer = csv.writer(out)
        for line in lines:
            writer.writerow(line)
        return out.getvalue().encode("utf-8")


class MayReadReports(BasePermission):
    message = "您的岗位不能查看报表。"

    def has_permission(self, request: Request, view: Any) -> bool:
        return rules.role_of(request.user) in REPORT_ROLES


_ROW_FIELDS = {
    "department": serializers.CharField(),
    "department_name": serializers.CharField(),
    **{
        name: serializers.IntegerField()
        for name in (
            "registered",
            "closed",
            "replied",
            "replied_on_time",
            "rated",
            "satisfied",
            "resolved_directly",
            "returned",
            "reopened",
            "reply_rounds",
            "contacted_first",
        )
    },
    **{
        name: serializers.FloatField(allow_null=True)
        for name in (
            "closure_rate",
            "on_time_rate",
            "satisfaction_rate",
            "avg_handling_hours",
            "contact_before_reply_rate",
        )
    },
}


_FOLLOWUP_COUNTS = {name: serializers.IntegerField() for name in FOLLOWUP_FIELDS}


class ReportView(APIView):
    """A report in JSON or, with ``?format=csv``, as a spreadsheet; for those who may read reports."""

    permission_classes = [IsAuthenticated, MayReadReports]
    renderer_classes = [JSONRenderer, CSVRenderer]

    def handle_exception(self, exc: Exception) -> Response:
        # Errors keep the API's JSON error shape even when the CSV was asked for.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

    def csv_language(self, request: Request) -> str | None:
        """The CSV's language, or None when the CSV was not asked for. A program that states no
        language keeps the column names it always had (the JSON names, English); Accept-Language
        or ?lang= choose the headings' language."""
        if getattr(request.accepted_renderer, "format", "") != "csv":
            return None
        default = None if request.headers.get("Accept-Language") else "en"
        return reports.csv_language(request.query_params.get("lang"), default=default)


class MonthlyReportView(ReportView):
    @extend_schema(
        summary="Monthly report per department",
        parameters=[
            OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM; default the current month"),
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"]),
            OpenApiParameter("lang", OpenApiTypes.STR, enum=["zh", "en"], description="CSV headings' language"),
        ],
        responses={
            200: inline_serializer(
                "MonthlyReport",
                {
                    "month": serializers.CharField(),
                    "as_of": serializers.DateTimeField(),
                    "rows": inline_serializer("MonthlyReportRow", _ROW_FIELDS, many=True),
                    "total": inline_serializer("MonthlyReportTotal", _ROW_FIELDS),
                    "followup": inline_serializer(
                        "MonthlyReportFollowUp",
                        {
                            "rows": inline_serializer(
                                "MonthlyReportFollowUpRow",
                                {
                                    "department": serializers.CharField(allow_null=True),
                                    "department_name": serializers.CharField(allow_null=True),
                                    **_FOLLOWUP_COUNTS,
                                },
                                many=True,
                            ),
                            "total": inline_serializer("MonthlyReportFollowUpTotal", _FOLLOWUP_COUNTS),
                        },
                    ),
                },
            )
        },
    )
    def get(self, request: Request) -> Response:
        month = metrics.parse_month(request.query_params.get("month"))
        snapshot = metrics.month_snapshot(month, now=timezone.now())
        if lang := self.csv_language(request):
            return Response({"csv": reports.report_csv_rows(snapshot, lang=lang)})
        return Response(
            {
                "month": f"{month:%Y-%m}",
                "as_of": timezone.localtime(snapshot.as_of).isoformat(),
                "rows": [f.as_row() for f in snapshot.rows],
                "total": snapshot.total.as_row(),
                # Issue 13's urges and dissatisfied decisions, by the month they happened in (the
                # console report's follow-up table); the rows above count the month's cases.
                "followup": followup_json(followup_figures(month)),
            }
        )


_RATE = serializers.FloatField(allow_null=True)


class RankingView(ReportView):
    """GET /api/v1/reports/ranking/?month=2026-11&level=department|street — the 三率 ranking
    (API.md), ``?format=csv`` for the spreadsheet (the console's export writes the same)."""

    @extend_schema(
        summary="The 三率 ranking of departments or street offices for a month",
        parameters=[
            OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM; default the current month"),
            OpenApiParameter("level", OpenApiTypes.STR, enum=["department", "street"]),
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"]),
            OpenApiParameter("lang", OpenApiTypes.STR, enum=["zh", "en"], description="CSV headings' language"),
        ],
        responses={
            200: inline_serializer(
                "Ranking",
                {
                    "month": serializers.CharField(),
                    "level": serializers.CharField(),
                    "weights": serializers.DictField(child=serializers.FloatField()),
                    "response_working_days": serializers.IntegerField(),
                    "rows": inline_serializer(
                        "RankingRow",
                        {
                            "department": serializers.CharField(),
                            "department_name": serializers.CharField(),
                            "response_rate": _RATE,
                            "resolution_rate": _RATE,
                            "satisfaction_rate": _RATE,
                            "on_time_rate": _RATE,
                            "first_contact_rate": _RATE,
                            "score": _RATE,
                            "rank": serializers.IntegerField(allow_null=True),
                            "rank_change": serializers.IntegerField(allow_null=True),
                            "previous_rank": serializers.IntegerField(allow_null=True),
                            "last_year_rank": serializers.IntegerField(allow_null=True),
                            "rank_change_yoy": serializers.IntegerField(allow_null=True),
                        },
                        many=True,
                    ),
                    "red": serializers.ListField(child=serializers.CharField()),
                    "black": serializers.ListField(child=serializers.CharField()),
                },
            )
        },
    )
    def get(self, request: Request) -> Response:
        month = metrics.parse_month(request.query_params.get("month"))
        level = reports.parse_level(request.query_params.get("level"))
        ranking = reports.ranking_data(month, level)
        if lang := self.csv_language(request):
            return Response({"csv": reports.ranking_csv_rows(ranking, lang=lang)})
        return Response(reports.ranking_json(ranking))
