"""The department's answer beyond the ``reply`` transition (issue 13): the clerk's draft for head
approval and the head's return of it, assisting departments' opinions, and the reply templates
offered for a case. Thin: parse, check who is asking (the services do), call one service."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from cases import answer, answer_services, services
from web.shell import client_address

from .schema import ERRORS, CaseDetailOut
from .serializers import NoteInput, ReplyInput, TextField, iso
from .views import StaffAPIView, render_case, validated, visible_case


class OpinionInput(serializers.Serializer):
    text = TextField()


def opinion_data(opinion: Any) -> dict[str, Any]:
    return {
        "id": opinion.pk,
        "department": opinion.department.code,
        "text": opinion.text,
        "by": opinion.author.display_name,
        "at": iso(opinion.at),
    }


class ReplyDraftView(StaffAPIView):
    """POST a clerk's reply draft for the head's approval (same body as ``reply``)."""

    @extend_schema(request=ReplyInput, responses={200: CaseDetailOut, **ERRORS}, summary="Save a reply draft")
    def post(self, request: Request, tracking_no: str) -> Response:
        case = visible_case(request.user, tracking_no)
        data = validated(ReplyInput, request.data)
        data.pop("version", None)  # a draft is not versioned (as in the console)
        updated = services.case_save_reply_draft(
            case=case, actor=request.user, client_ip=client_address(request), **data
        )
        return Response(render_case(updated, request.user))


class ReplyDraftReturnView(StaffAPIView):
    """POST ``{"note"}``: the head returns the waiting draft to the clerk."""

    @extend_schema(request=NoteInput, responses={200: CaseDetailOut, **ERRORS}, summary="Return a reply draft")
    def post(self, request: Request, tracking_no: str) -> Response:
        case = visible_case(request.user, tracking_no)
        data = validated(NoteInput, request.data)
        updated = answer_services.case_return_reply_draft(
            case=case,
            actor=request.user,
            note=data["note"],
            expected_version=data.get("version"),
            client_ip=client_address(request),
        )
        return Response(render_case(updated, request.user))


class AssistOpinionsView(StaffAPIView):
    """GET the case's assisting opinions; POST ``{"text"}`` as an assisting department."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT, **ERRORS}, summary="Assisting departments' opinions")
    def get(self, request: Request, tracking_no: str) -> Response:
        case = visible_case(request.user, tracking_no)
        rows = case.assist_opinions.select_related("department", "author")
        return Response({"results": [opinion_data(o) for o in rows]})

    @extend_schema(request=OpinionInput, responses={201: OpenApiTypes.OBJECT, **ERRORS}, summary="Give an opinion")
    def post(self, request: Request, tracking_no: str) -> Response:
        case = visible_case(request.user, tracking_no)
        data = validated(OpinionInput, request.data)
        opinion = answer_services.case_give_assist_opinion(
            case=case, actor=request.user, text=data["text"], client_ip=client_address(request)
        )
        return Response(opinion_data(opinion), status=status.HTTP_201_CREATED)


class ReplyTemplatesView(StaffAPIView):
    """GET the reply templates (常用答复) for the case, placeholders filled in."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT, **ERRORS}, summary="Reply templates for a case")
    def get(self, request: Request, tracking_no: str) -> Response:
        case = visible_case(request.user, tracking_no)
        return Response({"results": answer.rendered_templates(case)})
