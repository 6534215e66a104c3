"""The staff REST API and the citizens' tracking API (API.md). Thin edges: parse, check
who is asking, call one service or selector, answer. Errors take the one shape of
``web.api.errors``; the services' exceptions map to 400/403/404/409 there."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import selectors, services
from cases.enums import CITIZEN_DISSATISFIED_REASONS
from cases.exceptions import CaseNotFound, CaseValidationError
from cases.models import Case, User
from cases.supplements import case_supplement
from kb import services as kb_services
from sla.deadlines import overdue_condition
from sla.urges import case_urge
from web.shell import client_address
from web.signin import signin_succeeded

from .errors import InvalidCredentials
from .parsers import StrictJSONParser
from .permissions import IsStaffMember
from .schema import ERRORS, PUBLIC_ERRORS, CaseDetailOut, CasePageOut, ErrorOut, PublicCaseOut, TokenOut
from .serializers import (
    TRANSITION_INPUTS,
    CaseDetail,
    CaseListFilter,
    CaseListItem,
    CaseRegisterInput,
    PublicFeedbackInput,
    PublicLookupInput,
    PublicSupplementInput,
    TokenInput,
    public_case,
)
from .throttling import LookupFailureThrottle, PublicTrackThrottle

MAX_TRACKING_NO = 32

# The cases app's services by transition name; resolve_directly through the knowledge base, which
# records the article an answer came from (and is the cases service itself without one).
TRANSITIONS = {**services.TRANSITION_SERVICES, "resolve_directly": kb_services.case_resolve_directly}


def validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def case_detail_queryset() -> QuerySet[Case]:
    return Case.objects.select_related(
        "category",
        "category__parent",
        "department",
        "handling_department",
        "duplicate_of",
        "reject_reason",
        "contacted_by",
        "about_staff_of",
    ).prefetch_related("assisting_departments")


def render_case(case: Case, user: User | None, *, registrant: bool = False) -> dict[str, Any]:
    # Re-read with the joins the detail needs; the caller has just been allowed to act on it.
    fresh = case_detail_queryset().get(pk=case.pk)
    data = CaseDetail(fresh, context={"user": user}).data
    if registrant:  # whoever registers it hands tracking_no + access_code to the citizen
        data["access_code"] = fresh.access_code
    return data


class JSONAPIView(APIView):
    """JSON in, JSON out: no browsable HTML page that could show more than the data."""

    parser_classes = [StrictJSONParser]
    renderer_classes = [JSONRenderer]


class StaffAPIView(JSONAPIView):
    permission_classes = [IsStaffMember]


class CasePagination(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset: QuerySet, request: Request, view: Any = None) -> list | None:
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as exc:  # a bad page number is bad input, not a missing resource
            raise ValidationError({"page": [str(exc.detail)]}) from None


# --- auth ------------------------------------------------------------------------------


class TokenView(JSONAPIView):
    """POST {"username", "password"} → {"token"}. Repeated failures lock the account (and the
    address) out with a 429 ``too_many_attempts``: django-axes, see web/signin.py."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenInput,
        responses={200: TokenOut, 400: ErrorOut, 429: ErrorOut},
        summary="Exchange username and password for an API token",
    )
    def post(self, request: Request) -> Response:
        data = validated(TokenInput, request.data)
        user = None
        if data["username"] and data["password"]:
            user = authenticate(request._request, username=data["username"], password=data["password"])
        if user is None or not user.is_active:
            # authenticate() told axes (user_login_failed); a lockout replaces this answer with a 429.
            msg = _("用户名或密码不正确。")
            raise InvalidCredentials(msg, fields={"non_field_errors": [msg]})
        signin_succeeded(request._request, user)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


# --- cases -----------------------------------------------------------------------------


def filter_cases(qs: QuerySet[Case], filters: dict[str, Any], request: Request) -> QuerySet[Case]:
    if filters.get("state"):
        qs = qs.filter(state=filters["state"])
    if filters.get("department"):
        qs = qs.filter(department__code=filters["department"])
    if filters.get("category"):
        code = filters["category"]
        qs = qs.filter(Q(category__code=code) | Q(category__parent__code=code))
    overdue = filters.get("overdue")
    if overdue is not None:
        # Overdue now: a red clock still running (a late reply already given is history).
        late = overdue_condition(now=timezone.now())
        qs = qs.filter(late) if overdue else qs.exclude(late)
    if filters.get("q"):
        qs = services.case_search(
            qs, filters["q"], actor=request.user, surface="api", client_ip=client_address(request)
        )
    return qs


class CaseListCreateView(StaffAPIView):
    """GET: the cases the caller may see, newest first, paginated. POST: register a case."""

    @extend_schema(
        parameters=[
            CaseListFilter,
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        responses={200: CasePageOut, **ERRORS},
        summary="Cases the caller may see, newest first",
        operation_id="cases_list",
    )
    def get(self, request: Request) -> Response:
        filters = validated(CaseListFilter, request.query_params)
        qs = filter_cases(selectors.cases_visible_to(request.user), filters, request).order_by("-registered_at", "-pk")
        paginator = CasePagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(CaseListItem(page, many=True).data)

    @extend_schema(request=CaseRegisterInput, responses={201: CaseDetailOut, **ERRORS}, summary="Register a case")
    def post(self, request: Request) -> Response:
        data = validated(CaseRegisterInput, request.data)
        citizen = data.pop("citizen", None) or {}
        case = services.case_register(
            actor=request.user,
            citizen=services.Citizen(**citizen),
            client_ip=client_address(request),
            **data,
        )
        # From memory (the row, its event and files as just written): no read-back.
        data = CaseDetail(case, context={"user": request.user, "registered": True}).data
        data["access_code"] = case.access_code  # whoever registers it hands it to the citizen
        return Response(data, status=status.HTTP_201_CREATED)


def visible_case(user: User, tracking_no: str) -> Case:
    if not tracking_no or len(tracking_no) > MAX_TRACKING_NO or not tracking_no.isalnum():
        raise CaseNotFound(_("工单不存在。"))
    return selectors.case_for_user(user, tracking_no)


class CaseDetailView(StaffAPIView):
    @extend_schema(responses={200: CaseDetailOut, **ERRORS}, summary="One case, citizen masked per role")
    def get(self, request: Request, tracking_no: str) -> Response:
        case = visible_case(request.user, tracking_no)
        return Response(render_case(case, request.user))


class CaseTransitionView(StaffAPIView):
    """POST /cases/{tracking_no}/transitions/{name}/ — one service per name."""

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: CaseDetailOut, **ERRORS},
        summary='Run a transition (body per API.md; optional "version")',
    )
    def post(self, request: Request, tracking_no: str, name: str) -> Response:
        service = TRANSITIONS.get(name)
        input_class = TRANSITION_INPUTS.get(name)
        if service is None or input_class is None:
            raise CaseNotFound(_("未知的操作：%(name)s") % {"name": name[:40]})
        case = visible_case(request.user, tracking_no)
        data = validated(input_class, request.data)
        version = data.pop("version", None)
        updated = service(
            case=case, actor=request.user, client_ip=client_address(request), expected_version=version, **data
        )
        return Response(render_case(updated, request.user))


# --- citizens ----------------------------------------------------------------------------


class PublicAPIView(JSONAPIView):
    """No account: the tracking number and access code are the credentials."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LookupFailureThrottle, PublicTrackThrottle]
    throttle_scope = "public_track"

    def lookup(self, request: Request, data: dict[str, Any]) -> Case:
        missing = {f: [_("此项为必填项。")] for f in ("tracking_no", "access_code") if not data.get(f)}
        if missing:
            raise ValidationError(missing)
        code = data["access_code"]
        try:
            if not code.isascii():  # cannot be a valid code; compare_digest refuses non-ASCII
                raise CaseNotFound(_("流水号或查询码不正确。"))
            case = selectors.case_for_citizen(data["tracking_no"], code)
        except CaseNotFound:
            LookupFailureThrottle.record_failure(request)
            raise CaseNotFound(_("流水号或查询码不正确。")) from None
        return case


class PublicTrackView(PublicAPIView):
    @extend_schema(
        parameters=[PublicLookupInput],
        responses={200: PublicCaseOut, **PUBLIC_ERRORS},
        summary="A citizen tracks their case (no account)",
        auth=[],
    )
    def get(self, request: Request) -> Response:
        case = self.lookup(request, validated(PublicLookupInput, request.query_params))
        return Response(public_case(case, now=timezone.now()))


class PublicFeedbackView(PublicAPIView):
    @extend_schema(
        request=PublicFeedbackInput,
        responses={200: PublicCaseOut, **PUBLIC_ERRORS},
        summary="A citizen rates the answer (closes the case)",
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = validated(PublicFeedbackInput, request.data)
        case = self.lookup(request, data)
        services.case_feedback(
            case=case,
            actor=None,
            rating=data["rating"],
            comment=data["comment"],
            resolved=data["resolved"],
            reason=citizen_reason(data["reason"]),
            client_ip=client_address(request),
        )
        return Response(fresh_public_case(case))


def fresh_public_case(case: Case) -> dict[str, Any]:
    fresh = Case.objects.select_related("category", "department").get(pk=case.pk)
    return public_case(fresh, now=timezone.now())


def citizen_reason(reason: str) -> str:
    """A citizen chooses from the portal's list; ``unstated`` is for channels that cannot ask."""
    if reason and reason not in {r.value for r in CITIZEN_DISSATISFIED_REASONS}:
        msg = _("未知的不满意原因：%(v)s") % {"v": reason[:32]}
        raise CaseValidationError(msg, fields={"reason": [msg]})
    return reason


class PublicSupplementView(PublicAPIView):
    @extend_schema(
        request=PublicSupplementInput,
        responses={200: PublicCaseOut, **PUBLIC_ERRORS},
        summary="A citizen adds information to an open case (补充材料)",
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = validated(PublicSupplementInput, request.data)
        case = self.lookup(request, data)
        case_supplement(case=case, text=data["text"], via="api", client_ip=client_address(request))
        return Response(fresh_public_case(case))


class PublicUrgeView(PublicAPIView):
    @extend_schema(
        request=PublicLookupInput,
        responses={200: PublicCaseOut, **PUBLIC_ERRORS},
        summary="A citizen urges an overdue case (催办; 409 if not overdue, 429 more than once a day)",
        auth=[],
    )
    def post(self, request: Request) -> Response:
        case = self.lookup(request, validated(PublicLookupInput, request.data))
        case_urge(case=case, client_ip=client_address(request))
        return Response(fresh_public_case(case))
