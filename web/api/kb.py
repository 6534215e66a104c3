"""The knowledge base — /api/v1/kb/ (API.md). Thin: parse, check who asks, one service or selector."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from cases.exceptions import CasePermissionDenied
from cases.models import User
from kb import rules, selectors, services
from kb.enums import ArticleStatus
from kb.exceptions import ArticleNotFound
from kb.models import Article
from kb.search import matching_any, search_articles

from .schema import ERRORS
from .serializers import TextField, WholeNumberField, iso
from .views import CasePagination, StaffAPIView, validated


class ArticleFilter(serializers.Serializer):
    q = TextField(max_length=200)
    # The caller's matter as typed (the desk's panel): best matches first, not all terms required.
    text = TextField(max_length=2000)
    category = TextField(max_length=32)
    department = TextField(max_length=32)
    # Default: what may answer a case today (published, valid). "all" lists drafts and expired too.
    status = serializers.ChoiceField(choices=["usable", *ArticleStatus.values, "all"], required=False, default="usable")


class ArticleInput(serializers.Serializer):
    title = TextField()
    body = TextField()
    category = TextField(max_length=32)
    department = TextField(max_length=32)
    keywords = TextField(max_length=1000)
    valid_from = TextField(max_length=32)
    valid_until = TextField(max_length=32)
    status = TextField(max_length=16, default=ArticleStatus.DRAFT)
    version = WholeNumberField(required=False)


class ArticleOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField()
    category = serializers.CharField()
    category_name = serializers.CharField()
    department = serializers.CharField()
    department_name = serializers.CharField()
    keywords = serializers.CharField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)
    status = serializers.CharField(help_text="draft | published | expired (a published article past its date)")
    usable = serializers.BooleanField(help_text="Published and valid today: may answer a case.")
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()
    can_edit = serializers.BooleanField()


class ArticleVersionOut(serializers.Serializer):
    version = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)
    edited_by = serializers.CharField()
    edited_at = serializers.DateTimeField()


class ArticleDetailOut(ArticleOut):
    versions = ArticleVersionOut(many=True)
    use_count = serializers.IntegerField()


class ArticlePageOut(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True, required=False)
    previous = serializers.CharField(allow_null=True, required=False)
    results = ArticleOut(many=True)


def article_data(article: Article, *, today: Any, user: User | None = None) -> dict[str, Any]:
    data = {
        "id": article.pk,
        "title": article.title,
        "body": article.body,
        "category": article.category.code,
        "category_name": article.category.path,
        "department": article.department.code,
        "department_name": article.department.name,
        "keywords": article.keywords,
        "valid_from": iso(article.valid_from),
        "valid_until": iso(article.valid_until),
        "status": selectors.effective_status(article, today=today),
        "usable": selectors.is_usable(article, today=today),
        "version": article.version,
        "updated_at": iso(article.updated_at),
    }
    if user is not None:
        data["can_edit"] = rules.may_edit(user, article)
    return data


def _input(data: dict[str, Any]) -> services.ArticleInput:
    return services.ArticleInput(
        title=data.get("title", ""),
        body=data.get("body", ""),
        category=data.get("category", ""),
        department=data.get("department", ""),
        keywords=data.get("keywords", ""),
        valid_from=data.get("valid_from") or None,
        valid_until=data.get("valid_until") or None,
        status=data.get("status") or ArticleStatus.DRAFT,
    )


class ArticleListView(StaffAPIView):
    """GET: articles matching ``q`` (all terms, as on the board) or ``text`` (best matches first),
    in a category family; POST: a new article (its department's staff, dispatchers, admins)."""

    @extend_schema(
        parameters=[ArticleFilter],
        responses={200: ArticlePageOut, **ERRORS},
        summary="Search the knowledge base",
        operation_id="kb_articles_list",
    )
    def get(self, request: Request) -> Response:
        f = validated(ArticleFilter, request.query_params)
        today = timezone.localdate()
        qs = selectors.articles()
        if f["status"] == "usable":
            qs = qs.filter(selectors.usable_q(today))
        elif f["status"] != "all":
            qs = selectors.with_status(qs, f["status"], today=today)
        if f["category"]:
            qs = selectors.in_category(qs, f["category"])
        if f["department"]:
            qs = qs.filter(department__code=f["department"])
        qs = search_articles(qs, f["q"])
        if f["text"]:
            rows = matching_any(qs, f["text"], limit=10)
            return Response(
                {"count": len(rows), "results": [article_data(a, today=today, user=request.user) for a in rows]}
            )
        paginator = CasePagination()
        page = paginator.paginate_queryset(qs.defer("document").order_by("-updated_at", "-pk"), request, view=self)
        return paginator.get_paginated_response([article_data(a, today=today, user=request.user) for a in page])

    @extend_schema(request=ArticleInput, responses={201: ArticleOut, **ERRORS}, summary="Create an article")
    def post(self, request: Request) -> Response:
        data = validated(ArticleInput, request.data)
        article = services.article_create(actor=request.user, data=_input(data))
        today = timezone.localdate()
        return Response(
            article_data(_fresh(article.pk), today=today, user=request.user), status=status.HTTP_201_CREATED
        )


def _fresh(pk: int) -> Article:
    article = selectors.articles().filter(pk=pk).first()
    if article is None:
        raise ArticleNotFound(_("文章不存在。"))
    return article


class ArticleDetailView(StaffAPIView):
    @extend_schema(responses={200: ArticleDetailOut, **ERRORS}, summary="One article, with its versions")
    def get(self, request: Request, pk: int) -> Response:
        article = _fresh(pk)
        data = article_data(article, today=timezone.localdate(), user=request.user)
        data["versions"] = [
            {
                "version": v.version,
                "title": v.title,
                "status": v.status,
                "valid_from": iso(v.valid_from),
                "valid_until": iso(v.valid_until),
                "edited_by": v.edited_by.display_name,
                "edited_at": iso(v.edited_at),
            }
            for v in article.versions.select_related("edited_by").order_by("-version")
        ]
        data["use_count"] = article.uses.count()
        return Response(data)

    @extend_schema(request=ArticleInput, responses={200: ArticleOut, **ERRORS}, summary="Edit an article (new version)")
    def put(self, request: Request, pk: int) -> Response:
        article = _fresh(pk)
        if not rules.may_edit(request.user, article):
            raise CasePermissionDenied(_("只有维护单位、分拨员和管理员可以修改这篇文章。"))
        data = validated(ArticleInput, request.data)
        # PUT replaces what the article says; what the body leaves out keeps its value, except the
        # title and body, which every version must have (a missing one is a 400).
        merged = {
            "category": article.category.code,
            "department": article.department.code,
            "keywords": article.keywords,
            "valid_from": article.valid_from.isoformat(),
            "valid_until": article.valid_until.isoformat() if article.valid_until else "",
            "status": article.status,
            **{k: v for k, v in data.items() if k in request.data},
        }
        services.article_update(
            article=article, actor=request.user, data=_input(merged), expected_version=data.get("version")
        )
        return Response(article_data(_fresh(pk), today=timezone.localdate(), user=request.user))
