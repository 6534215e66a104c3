"""Smart dispatch and hotspots in the staff API (API.md "Dispatch suggestions, ranking, hotspots"):
``POST dispatch/suggest/``, ``GET hotspots/?since=``, and ``POST hotspots/{id}/joint/`` (opens a
joint handling; not yet in API.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from cases.exceptions import CaseNotFound, CasePermissionDenied, CaseValidationError
from insight import rules, selectors, services
from insight.joint import joint_open
from insight.models import Hotspot

from .views import StaffAPIView

_RANKED = inline_serializer(
    "Suggestion", {"code": serializers.CharField(), "confidence": serializers.FloatField()}, many=True
)


class DispatchSuggestView(StaffAPIView):
    @extend_schema(
        summary="Suggest category and department for a message (top three, with confidence)",
        request=inline_serializer(
            "SuggestInput", {"title": serializers.CharField(), "content": serializers.CharField()}
        ),
        responses={
            200: inline_serializer(
                "SuggestOut",
                {"model_version": serializers.IntegerField(), "categories": _RANKED, "departments": _RANKED},
            )
        },
    )
    def post(self, request: Request) -> Response:
        if not rules.may_suggest(request.user):
            raise CasePermissionDenied(_("只有话务员和分拨员可以使用智能派单建议。"))
        data = request.data if isinstance(request.data, dict) else {}
        if not isinstance(request.data, dict):
            raise CaseValidationError(_("请求体必须是 JSON 对象。"))
        return Response(services.dispatch_suggest(title=data.get("title", ""), content=data.get("content", "")))


def parse_since(raw: str | None) -> dt.datetime | None:
    """``since`` as a date (local midnight) or an ISO datetime; anything else is a 400."""
    if raw in (None, ""):
        return None
    moment = None
    try:
        moment = parse_datetime(raw)
        if moment is None and (day := parse_date(raw)) is not None:
            moment = dt.datetime.combine(day, dt.time.min)
    except ValueError:
        moment = None
    if moment is None:
        msg = _("since 须为日期（2026-11-01）或带时区的时间。")
        raise CaseValidationError(msg, fields={"since": [msg]})
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class HotspotListView(StaffAPIView):
    @extend_schema(
        summary="Detected hotspots (surges and clusters), newest first",
        parameters=[OpenApiParameter("since", OpenApiTypes.STR, description="date or datetime")],
        responses={200: OpenApiTypes.OBJECT},  # {"results": [hotspot rows]} (API.md)
    )
    def get(self, request: Request) -> Response:
        if not rules.may_see_hotspots(request.user):
            raise CasePermissionDenied(_("只有督办员和区领导可以查看热点。"))
        since = parse_since(request.query_params.get("since"))
        return Response({"results": [selectors.hotspot_row(h) for h in selectors.hotspots_since(since)]})


class HotspotJointView(StaffAPIView):
    @extend_schema(
        summary="Open a joint handling on a hotspot: one lead case, the waiting others linked",
        request=inline_serializer("JointInput", {"lead": serializers.CharField()}),
        responses={200: OpenApiTypes.OBJECT},  # the hotspot row (API.md)
    )
    def post(self, request: Request, pk: str) -> Response:
        if not rules.may_see_hotspots(request.user):
            raise CaseNotFound(_("没有这个热点。"))
        hotspot = Hotspot.objects.filter(pk=int(pk)).first() if pk.isdigit() else None
        if hotspot is None:
            raise CaseNotFound(_("没有这个热点。"))
        data: Any = request.data
        lead = data.get("lead") if isinstance(data, dict) else None
        hotspot = joint_open(hotspot=hotspot, lead=lead, actor=request.user, now=timezone.now())
        row = selectors.hotspot_row(selectors.hotspots().get(pk=hotspot.pk))
        return Response(row)
