"""Smart dispatch and hotspots in the staff API (API.md "Dispatch suggestions, ranking, hotspots"):
``POST dispatch/suggest/``, ``GET hotspots/?since=``, and ``POST hotspots/{id}/joint/`` (opens a
joint handling; not yet in API.md)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from cases.exceptions import CaseNotFound, CasePermissionDenied, CaseValidationError
from cases.validation import is_ascii_number, parse_moment
from insight import rules, selectors, services
from insight.joint import joint_open
from insight.models import Hotspot

from .serializers import TextField
from .views import StaffAPIView, validated

_RANKED = inline_serializer(
    "Suggestion", {"code": serializers.CharField(), "confidence": serializers.FloatField()}, many=True
)


_HOTSPOT = {
    "id": serializers.IntegerField(),
    "kind": serializers.ChoiceField(choices=["surge", "cluster"]),
    "dimension": serializers.CharField(allow_null=True),
    "label": serializers.CharField(),
    "category": serializers.CharField(allow_null=True),
    "place": serializers.CharField(allow_null=True),
    "phrase": serializers.CharField(allow_null=True),
    "count": serializers.IntegerField(),
    "baseline": serializers.FloatField(),
    "p_value": serializers.FloatField(allow_null=True),
    "cases": serializers.ListField(child=serializers.CharField()),
    "detected_at": serializers.DateTimeField(),
    "status": serializers.ChoiceField(choices=["open", "joint", "dismissed"]),
    "lead_case": serializers.CharField(allow_null=True),
}


class SuggestInput(serializers.Serializer):
    title = TextField()
    content = TextField()


class JointInput(serializers.Serializer):
    lead = TextField(max_length=32)


class DispatchSuggestView(StaffAPIView):
    @extend_schema(
        summary="Suggest category and department for a message (top three, with confidence)",
        request=SuggestInput,
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
        data = validated(SuggestInput, request.data)
        return Response(services.dispatch_suggest(title=data["title"], content=data["content"]))


def parse_since(raw: str | None) -> dt.datetime | None:
    """``since`` as a date (local midnight) or an ISO datetime; anything else is a 400."""
    if raw in (None, ""):
        return None
    moment = parse_moment(raw, date_at=dt.time.min)
    if moment is None:
        msg = _("since 须为日期（2026-11-01）或带时区的时间。")
        raise CaseValidationError(msg, fields={"since": [msg]})
    return moment


class HotspotListView(StaffAPIView):
    @extend_schema(
        summary="Detected hotspots (surges and clusters), newest first",
        parameters=[OpenApiParameter("since", OpenApiTypes.STR, description="date or datetime")],
        responses={
            200: inline_serializer("HotspotList", {"results": inline_serializer("Hotspot", _HOTSPOT, many=True)})
        },
    )
    def get(self, request: Request) -> Response:
        if not rules.may_see_hotspots(request.user):
            raise CasePermissionDenied(_("只有督办员和区领导可以查看热点。"))
        since = parse_since(request.query_params.get("since"))
        return Response({"results": [selectors.hotspot_row(h) for h in selectors.hotspots_since(since)]})


class HotspotJointView(StaffAPIView):
    @extend_schema(
        summary="Open a joint handling on a hotspot: one lead case, the waiting others linked",
        request=JointInput,
        responses={200: inline_serializer("HotspotJoint", _HOTSPOT)},
    )
    def post(self, request: Request, pk: str) -> Response:
        if not rules.may_see_hotspots(request.user):
            raise CaseNotFound(_("没有这个热点。"))
        hotspot = Hotspot.objects.filter(pk=int(pk)).first() if is_ascii_number(pk) else None
        if hotspot is None:
            raise CaseNotFound(_("没有这个热点。"))
        lead = validated(JointInput, request.data)["lead"]
        hotspot = joint_open(hotspot=hotspot, lead=lead, actor=request.user, now=timezone.now())
        row = selectors.hotspot_row(selectors.hotspots().get(pk=hotspot.pk))
        return Response(row)
