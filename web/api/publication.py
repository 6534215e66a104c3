"""Publication through the API (API.md): the redacted public copy of a closed case, its edits,
publishing and withdrawing. The same roles as the console's publication pages
(web/console/publication.py's PUBLICATION_ROLES, i.e. web.shell.OVERSIGHT_ROLES: dispatchers,
supervisors, admins; the services then decide who may publish or withdraw); to anyone else a case here is the same 404 as an unknown one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from cases import publication
from cases.enums import Publication
from cases.exceptions import CaseNotFound, CaseValidationError
from cases.models import Case, User
from web.shell import OVERSIGHT_ROLES, client_address

from .schema import ERRORS
from .serializers import TextField
from .views import MAX_TRACKING_NO, StaffAPIView, validated


class PublicCopyInput(serializers.Serializer):
    title = TextField(required=True, default=serializers.empty, allow_blank=False)
    content = TextField(required=True, default=serializers.empty, allow_blank=False)
    answer = TextField(required=True, default=serializers.empty, allow_blank=True)


class WithdrawInput(serializers.Serializer):
    reason = TextField(required=True, default=serializers.empty, allow_blank=False, max_length=2000)


class WarningOut(serializers.Serializer):
    field = serializers.ChoiceField(choices=list(publication.PUBLIC_FIELDS))
    start = serializers.IntegerField(help_text="Offset of the span in the field's text (characters).")
    end = serializers.IntegerField()
    text = serializers.CharField()
    kind = serializers.CharField(help_text="phone, id_no, bank_card, number, email, passport, account")


class PublicationOut(serializers.Serializer):
    # A plain string in the schema: a ChoiceField named "state" would clash with the case's StateEnum.
    state = serializers.CharField(help_text="The publication state: " + ", ".join(Publication.values))
    title = serializers.CharField()
    content = serializers.CharField()
    answer = serializers.CharField()
    warnings = WarningOut(many=True, help_text="Personal data still in the public copy; publishing refuses it.")


class PersonalDataErrorBody(serializers.Serializer):
    code = serializers.CharField(help_text='"personal_data"')
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    state = serializers.CharField(required=False)
    warnings = WarningOut(many=True)


class PersonalDataErrorOut(serializers.Serializer):
    error = PersonalDataErrorBody()


PUBLISH_ERRORS = {**ERRORS, 409: PersonalDataErrorOut}


def publication_case(user: User, tracking_no: str) -> Case:
    """A case that has a public copy, for a user of the publication roles; else 404."""
    case = Case.objects.filter(tracking_no=tracking_no[:MAX_TRACKING_NO]).first()
    if case is None or case.publication == Publication.PRIVATE or getattr(user, "role", None) not in OVERSIGHT_ROLES:
        raise CaseNotFound(_("没有找到待公开的工单。"))
    return case


@contextmanager
def api_field_names() -> Iterator[None]:
    """The services name the model's fields (public_title); the API's bodies say title."""
    try:
        yield
    except CaseValidationError as exc:
        exc.fields = {key.removeprefix("public_"): value for key, value in exc.fields.items()}
        raise


def render_publication(case: Case) -> dict[str, Any]:
    prepared = publication.publication_prepare(case=case)
    return {"state": case.publication, **prepared["draft"], "warnings": prepared["warnings"]}


class PublicationView(StaffAPIView):
    """GET /cases/{tracking_no}/publication/ — the public copy; PUT edits it."""

    @extend_schema(responses={200: PublicationOut, **ERRORS}, summary="The redacted public copy of a case")
    def get(self, request: Request, tracking_no: str) -> Response:
        return Response(render_publication(publication_case(request.user, tracking_no)))

    @extend_schema(
        request=PublicCopyInput,
        responses={200: PublicationOut, **PUBLISH_ERRORS},
        summary="Edit the public copy (a published one stays checked for personal data)",
    )
    def put(self, request: Request, tracking_no: str) -> Response:
        case = publication_case(request.user, tracking_no)
        data = validated(PublicCopyInput, request.data)
        with api_field_names():
            saved = publication.publication_save(
                case=case, actor=request.user, client_ip=client_address(request), **data
            )
        return Response(render_publication(saved))


class PublicationPublishView(StaffAPIView):
    """POST /cases/{tracking_no}/publication/publish/ — publish the saved (or given) public copy."""

    @extend_schema(
        request=PublicCopyInput,
        responses={200: PublicationOut, **PUBLISH_ERRORS},
        summary="Publish; 409 with the offending spans in warnings while personal data remains",
    )
    def post(self, request: Request, tracking_no: str) -> Response:
        case = publication_case(request.user, tracking_no)
        # An empty body publishes the copy as GET shows it; fields given replace it.
        if not isinstance(request.data, dict):
            raise serializers.ValidationError({"non_field_errors": [_("请求体应为 JSON 对象。")]})
        data = validated(PublicCopyInput, {**publication.publication_draft(case), **request.data})
        with api_field_names():
            published = publication.publication_publish(
                case=case, actor=request.user, client_ip=client_address(request), **data
            )
        return Response(render_publication(published))


class PublicationWithdrawView(StaffAPIView):
    """POST /cases/{tracking_no}/publication/withdraw/ {"reason"} — take it off the board."""

    @extend_schema(
        request=WithdrawInput, responses={200: PublicationOut, **ERRORS}, summary="Withdraw from the public board"
    )
    def post(self, request: Request, tracking_no: str) -> Response:
        case = publication_case(request.user, tracking_no)
        data = validated(WithdrawInput, request.data)
        withdrawn = publication.publication_withdraw(
            case=case, actor=request.user, reason=data["reason"], client_ip=client_address(request)
        )
        return Response(render_publication(withdrawn))
