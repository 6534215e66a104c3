"""Staff API of extensions, supervision orders and the overdue board (API.md "Cases", "Boards").

Thin: parse, check who, call one service, answer. Service errors are the cases app's and
become the one error shape through ``web.api.errors.exception_handler``.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import rules, selectors
from cases.exceptions import CaseNotFound, CasePermissionDenied, CaseValidationError
from sla import board, services
from sla.serializers import extension_data, iso, order_data
from web.api.parsers import StrictJSONParser
from web.api.schema import ERRORS, ErrorOut, ExtensionOut, SupervisionOrderOut

# For the OpenAPI schema only: the services validate (with the specific messages API.md promises).
_EXTENSION_OUT = {200: ExtensionOut, 201: ExtensionOut, **ERRORS}
_ORDER_OUT = {200: SupervisionOrderOut, 201: SupervisionOrderOut, **ERRORS}
_EXTENSION_IN = inline_serializer(
    "ExtensionRequestInput",
    {
        "until": serializers.CharField(help_text="2026-12-31 (end of that day) or an ISO datetime"),
        "reason": serializers.CharField(),
    },
)
_DECISION_IN = inline_serializer(
    "ExtensionDecisionInput", {"grant": serializers.BooleanField(), "note": serializers.CharField(required=False)}
)
_ORDER_IN = inline_serializer(
    "SupervisionIssueInput",
    {
        "level": serializers.ChoiceField(choices=[1, 2, 3]),
        "note": serializers.CharField(),
        "department": serializers.CharField(required=False),
        "answer_by": serializers.CharField(required=False),
    },
)
_ANSWER_IN = inline_serializer("SupervisionAnswerInput", {"text": serializers.CharField()})


def _body(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise CaseValidationError(_("请求体须为 JSON 对象。"))
    return request.data


def _int_id(value: Any, label: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise CaseNotFound(_("%(label)s不存在。") % {"label": label}) from None


class ExtensionRequestView(APIView):
    """POST /api/v1/cases/{tracking_no}/extensions/ {"until", "reason"}"""

    permission_classes = [IsAuthenticated]
    parser_classes = [StrictJSONParser]

    @extend_schema(
        request=_EXTENSION_IN, responses=_EXTENSION_OUT, summary="A department asks for a later reply deadline"
    )
    def post(self, request: Request, tracking_no: str) -> Response:
        case = selectors.case_for_user(request.user, tracking_no)
        data = _body(request)
        ext = services.extension_request(
            case=case, actor=request.user, until=data.get("until"), reason=data.get("reason")
        )
        return Response(extension_data(ext), status=201)


class ExtensionDecisionView(APIView):
    """POST /api/v1/extensions/{id}/decision/ {"grant": true|false, "note"}"""

    permission_classes = [IsAuthenticated]
    parser_classes = [StrictJSONParser]

    @extend_schema(
        request=_DECISION_IN, responses=_EXTENSION_OUT, summary="A supervisor grants or refuses an extension"
    )
    def post(self, request: Request, pk: str) -> Response:
        data = _body(request)
        ext = services.extension_decide(
            extension=_int_id(pk, _("延期申请")),
            actor=request.user,
            grant=data.get("grant"),
            note=data.get("note"),
        )
        return Response(extension_data(ext))


class SupervisionIssueView(APIView):
    """POST /api/v1/cases/{tracking_no}/supervision/ {"level": 1|2|3, "note", "department", "answer_by"}"""

    permission_classes = [IsAuthenticated]
    parser_classes = [StrictJSONParser]

    @extend_schema(request=_ORDER_IN, responses=_ORDER_OUT, summary="A supervisor issues a supervision order")
    def post(self, request: Request, tracking_no: str) -> Response:
        case = selectors.case_for_user(request.user, tracking_no)
        data = _body(request)
        order = services.supervision_issue(
            case=case,
            actor=request.user,
            level=data.get("level"),
            note=data.get("note"),
            department=data.get("department"),
            answer_by=data.get("answer_by"),
        )
        return Response(order_data(order), status=201)


class SupervisionAnswerView(APIView):
    """POST /api/v1/supervision/{id}/answer/ {"text"}"""

    permission_classes = [IsAuthenticated]
    parser_classes = [StrictJSONParser]

    @extend_schema(request=_ANSWER_IN, responses=_ORDER_OUT, summary="The department answers a supervision order")
    def post(self, request: Request, pk: str) -> Response:
        data = _body(request)
        order = services.supervision_answer(order=_int_id(pk, _("督办单")), actor=request.user, text=data.get("text"))
        return Response(order_data(order))


def board_data(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "generated_at": iso(data["generated_at"]),
        "totals": data["totals"],
        "rows": data["rows"],
        "oldest_breached": [{**r, "due_at": iso(r["due_at"])} for r in data["oldest_breached"]],
        "supervision_orders": [order_data(o) for o in data["supervision_orders"]],
        "pending_extensions": [extension_data(e) for e in data["pending_extensions"]],
        "urges": {
            **data["urges"],
            "rows": [
                {
                    **r,
                    "department": {"code": r["department"].code, "name": r["department"].name}
                    if r["department"]
                    else None,
                }
                for r in data["urges"]["rows"]
            ],
        },
    }


class OverdueBoardView(APIView):
    """GET /api/v1/boards/overdue/ — supervisors and administrators."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: OpenApiTypes.OBJECT, 401: ErrorOut, 403: ErrorOut},
        summary="Overdue board: counts per department and stage, oldest breached cases",
    )
    def get(self, request: Request) -> Response:
        if not rules.is_supervisor(request.user):
            raise CasePermissionDenied(_("只有督办员和管理员可以查看超期看板。"))
        return Response(board_data(board.overdue_board(timezone.now())))
