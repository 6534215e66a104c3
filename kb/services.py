"""Every write to the knowledge base, and the resolve-directly that records its article.

Each service takes its ``actor`` and one ``now``; bad input raises ``CaseValidationError`` (400),
a writer who may not write ``CasePermissionDenied`` (403), a stale edit ``CaseConflict`` (409),
and nothing is written in any of those cases.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import services as case_services
from cases.exceptions import CaseConflict, CasePermissionDenied, CaseValidationError
from cases.models import Case, Category, Department, User
from cases.validation import MAX_CONTENT, MAX_TITLE, clean_text

from . import rules
from .enums import ArticleStatus
from .exceptions import ArticleNotFound
from .models import Article, ArticleUse, ArticleVersion
from .search import index_article
from .selectors import is_usable

# The fields a version row copies: what the article says and to whom it applies.
VERSIONED = ("title", "body", "category_id", "department_id", "keywords", "valid_from", "valid_until", "status")


@dataclass(frozen=True)
class ArticleInput:
    """What a writer sends. ``category`` and ``department`` are codes (or the objects)."""

    title: Any = ""
    body: Any = ""
    category: Any = ""
    department: Any = ""
    keywords: Any = ""
    valid_from: Any = None
    valid_until: Any = None
    status: Any = ArticleStatus.DRAFT


def _date(value: Any, *, field: str, label: str, required: bool) -> dt.date | None:
    if value in (None, ""):
        if required:
            msg = _("请填写%(label)s。") % {"label": label}
            raise CaseValidationError(msg, fields={field: [msg]})
        return None
    if isinstance(value, dt.datetime):
        return timezone.localdate(value)
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        msg = _("%(label)s格式不正确，应为 YYYY-MM-DD。") % {"label": label}
        raise CaseValidationError(msg, fields={field: [msg]}) from None


def _clean(data: ArticleInput, *, actor: User, now: dt.datetime) -> dict[str, Any]:
    """The article's fields from the input, or ``CaseValidationError`` listing every bad field."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}

    def check(name: str, fn: Any) -> None:
        try:
            out[name] = fn()
        except CaseValidationError as exc:
            for key, msgs in exc.fields.items():
                errors.setdefault(key, []).extend(msgs)

    check("title", lambda: clean_text(data.title, field="title", label=_("标题"), max_length=MAX_TITLE))
    check("body", lambda: clean_text(data.body, field="body", label=_("答复内容"), max_length=MAX_CONTENT))
    check(
        "keywords",
        lambda: clean_text(data.keywords, field="keywords", label=_("关键词"), max_length=300, required=False),
    )
    check(
        "valid_from",
        lambda: (
            _date(data.valid_from, field="valid_from", label=_("生效日期"), required=False) or timezone.localdate(now)
        ),
    )
    check("valid_until", lambda: _date(data.valid_until, field="valid_until", label=_("失效日期"), required=False))
    category = (
        data.category
        if isinstance(data.category, Category)
        else Category.objects.filter(code=str(data.category or ""), active=True).first()
    )
    if category is None:
        errors["category"] = [_("未知的业务分类：%(v)s") % {"v": data.category or "—"}]
    department = data.department if isinstance(data.department, Department) else None
    if department is None and data.department:
        department = Department.objects.filter(code=str(data.department), active=True).first()
        if department is None:
            errors["department"] = [_("未知的承办单位：%(code)s") % {"code": data.department}]
    elif department is None:
        # A department's staff write for their own; the dispatch desk for the category's usual one.
        if rules.is_department_staff(actor):
            department = actor.department
        elif category is not None and category.default_department_id:
            department = category.default_department
        else:
            errors["department"] = [_("请选择维护单位。")]
    if data.status not in ArticleStatus.values:
        errors["status"] = [_("未知的文章状态：%(v)s") % {"v": data.status or "—"}]
    if not errors and out["valid_until"] is not None and out["valid_until"] < out["valid_from"]:
        errors["valid_until"] = [_("失效日期不能早于生效日期。")]
    if errors:
        raise CaseValidationError(next(iter(errors.values()))[0], fields=errors)
    return {**out, "category": category, "department": department, "status": data.status}


def _snapshot(article: Article, *, actor: User, now: dt.datetime) -> ArticleVersion:
    return ArticleVersion.objects.create(
        article=article,
        version=article.version,
        edited_by=actor,
        edited_at=now,
        **{name: getattr(article, name) for name in VERSIONED},
    )


def article_create(
    *, actor: User, data: ArticleInput, source_case: Case | None = None, now: dt.datetime | None = None
) -> Article:
    """A new article (version 1). Side effects: its first version row; its search text."""
    now = now or timezone.now()
    if not rules.may_create(actor):
        raise CasePermissionDenied(_("您无权编写知识库文章。"))
    fields = _clean(data, actor=actor, now=now)
    if not rules.may_write_for(actor, fields["department"]):
        raise CasePermissionDenied(_("只能为本单位编写知识库文章。"))
    with transaction.atomic():
        article = Article.objects.create(
            **fields, source_case=source_case, created_by=actor, created_at=now, updated_by=actor, updated_at=now
        )
        _snapshot(article, actor=actor, now=now)
        index_article(article)
    return article


def article_update(
    *,
    article: Article | int,
    actor: User,
    data: ArticleInput,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Article:
    """Edit an article under its row lock. An edit that changes something bumps ``version`` and
    adds the version row; one that changes nothing writes nothing. A stale ``expected_version``
    is a 409; moving an article to a department the writer does not maintain is a 403."""
    now = now or timezone.now()
    pk = article.pk if isinstance(article, Article) else article
    with transaction.atomic():
        locked = Article.objects.select_for_update().filter(pk=pk).first()
        if locked is None:
            raise ArticleNotFound(_("文章不存在。"))
        if not rules.may_edit(actor, locked):
            raise CasePermissionDenied(_("只有维护单位、分拨员和管理员可以修改这篇文章。"))
        if expected_version is not None and expected_version != locked.version:
            raise CaseConflict(_("文章已被他人修改（当前版本 %(v)d），请刷新后重试。") % {"v": locked.version})
        fields = _clean(data, actor=actor, now=now)
        if not rules.may_write_for(actor, fields["department"]):
            raise CasePermissionDenied(_("只能为本单位维护知识库文章。"))
        before = {name: getattr(locked, name) for name in VERSIONED}
        for name, value in fields.items():
            setattr(locked, name, value)
        if {name: getattr(locked, name) for name in VERSIONED} == before:
            return locked
        locked.version = F("version") + 1
        locked.updated_by, locked.updated_at = actor, now
        locked.save(update_fields=[*fields, "version", "updated_by", "updated_at"])
        locked.refresh_from_db(fields=["version"])
        _snapshot(locked, actor=actor, now=now)
        index_article(locked)
    return locked


def case_resolve_directly(
    *,
    case: Case | int,
    actor: User,
    answer: str,
    kb_article: int | None = None,
    expected_version: int | None = None,
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """``cases.services.case_resolve_directly``, answering from a knowledge-base article when
    ``kb_article`` is given: the article must be published and valid today (else 409; unknown,
    400). Side effects besides the case's own: the ``resolve_directly`` event carries
    ``{"kb_article": {"id", "version"}}`` and an ``ArticleUse`` records the article's version."""
    if kb_article in (None, ""):
        return case_services.case_resolve_directly(
            case=case, actor=actor, answer=answer, expected_version=expected_version, client_ip=client_ip, now=now
        )
    now = now or timezone.now()
    try:
        article_id = int(kb_article)
    except (TypeError, ValueError):
        article_id = 0
    with transaction.atomic():
        # Locked: an edit waits, so the version recorded is the one whose answer was given.
        article = Article.objects.select_for_update().filter(pk=article_id).first() if article_id > 0 else None
        if article is None:
            msg = _("知识库文章不存在：%(id)s") % {"id": kb_article}
            raise CaseValidationError(msg, fields={"kb_article": [msg]})
        if not is_usable(article, today=timezone.localdate(now)):
            raise CaseConflict(_("文章“%(title)s”未发布或已失效，不能用于答复。") % {"title": article.title})
        ref = {"id": article.pk, "version": article.version}
        updated = case_services.case_resolve_directly(
            case=case,
            actor=actor,
            answer=answer,
            expected_version=expected_version,
            client_ip=client_ip,
            now=now,
            data={"kb_article": ref},
        )
        ArticleUse.objects.create(case=updated, article=article, version=article.version, used_by=actor, used_at=now)
    return updated
