"""Knowledge-base pages of the console: list and search, an article with its versions, create and
edit; and what the case page shows of the knowledge base. Thin: the rules live in kb."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import selectors as case_selectors
from cases.exceptions import CaseConflict, CaseNotFound, CasePermissionDenied, CaseValidationError
from cases.models import Case, Department, User
from kb import rules, selectors, services
from kb.enums import ArticleStatus
from kb.models import Article, ArticleUse
from kb.search import search_articles
from web.shell import error_page, staff_page

from . import forms as f

PAGE_SIZE = 25


class ArticleFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("搜索"), required=False, max_length=100)
    category = forms.ChoiceField(label=gettext_lazy("业务分类"), required=False, choices=())
    department = forms.ChoiceField(label=gettext_lazy("维护单位"), required=False, choices=())
    status = forms.ChoiceField(
        label=gettext_lazy("状态"), required=False, choices=[("", gettext_lazy("全部")), *ArticleStatus.choices]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("全部"))] + [(c.code, c.name) for c in selectors.category_families()]
        self.fields["department"].choices = f.department_choices()


class ArticleForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("标题"), required=False, max_length=200)
    body = forms.CharField(label=gettext_lazy("答复内容"), required=False, widget=forms.Textarea(attrs={"rows": 8}))
    category = forms.ChoiceField(label=gettext_lazy("业务分类"), required=False, choices=())
    department = forms.ChoiceField(label=gettext_lazy("维护单位"), required=False, choices=())
    keywords = forms.CharField(label=gettext_lazy("关键词（空格分隔）"), required=False, max_length=300)
    valid_from = forms.DateField(
        label=gettext_lazy("生效日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=gettext_lazy("失效日期（可选）"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    status = forms.ChoiceField(label=gettext_lazy("状态"), choices=ArticleStatus.choices)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    source_case = forms.CharField(required=False, max_length=16, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = f.category_choices()
        if rules.is_department_staff(user):
            # A department writes for itself only: no choice to make.
            self.fields["department"].choices = [(user.department.code, user.department.name)]
        else:
            self.fields["department"].choices = f.department_choices()

    def article_input(self) -> services.ArticleInput:
        data = self.cleaned_data
        return services.ArticleInput(
            title=data["title"],
            body=data["body"],
            category=data["category"],
            department=data["department"],
            keywords=data["keywords"],
            valid_from=data["valid_from"],
            valid_until=data["valid_until"],
            status=data["status"],
        )


# --- pages -------------------------------------------------------------------------------------


@staff_page(rules.may_read)
def article_list(request: HttpRequest) -> HttpResponse:
    """Search the knowledge base; per department: articles, usable, expiring this month, uses."""
    user = request.user
    today = timezone.localdate()
    form = ArticleFilterForm(request.GET or None)
    qs = selectors.with_use_counts(selectors.articles())
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        qs = search_articles(qs, data["q"])
        if data["category"]:
            qs = selectors.in_category(qs, data["category"])
        if data["department"]:
            qs = qs.filter(department__code=data["department"])
        if data["status"]:
            qs = selectors.with_status(qs, data["status"], today=today)
    page = Paginator(qs.defer("document").order_by("-updated_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    for article in page.object_list:
        article.shown_status = selectors.effective_status(article, today=today)
        article.can_edit = rules.may_edit(user, article)
    own = user.department if rules.is_department_staff(user) else None
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "kb/list.html",
        {
            "form": form,
            "page": page,
            "query": params.urlencode(),
            "may_create": rules.may_create(user),
            "figures": selectors.department_figures(today),
            "expiring": list(selectors.expiring_this_month(today, department=own)[:50]),
            "own_department": own,
            "statuses": dict(ArticleStatus.choices),
        },
    )


def _article(pk: int) -> Article:
    article = selectors.with_use_counts(selectors.articles()).filter(pk=pk).first()
    if article is None:
        raise Http404(_("文章不存在。"))
    return article


@staff_page(rules.may_read)
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article(pk)
    today = timezone.localdate()
    uses = ArticleUse.objects.filter(article=article).select_related("case", "used_by").order_by("-used_at")[:20]
    return render(
        request,
        "kb/detail.html",
        {
            "article": article,
            "shown_status": ArticleStatus(selectors.effective_status(article, today=today)).label,
            "usable": selectors.is_usable(article, today=today),
            "versions": article.versions.select_related("edited_by", "category", "department").order_by("-version"),
            "uses": uses,
            "can_edit": rules.may_edit(request.user, article),
        },
    )


def _source_case(user: User, tracking_no: str) -> Case | None:
    if not tracking_no:
        return None
    return case_selectors.cases_visible_to(user).filter(tracking_no=tracking_no).first()


@staff_page(rules.may_create, denied=gettext_lazy("只有承办单位、分拨员和管理员可以编写知识库文章。"))
def article_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    status = 200
    if request.method == "POST":
        form = ArticleForm(request.POST, user=user)
        if form.is_valid():
            try:
                article = services.article_create(
                    actor=user,
                    data=form.article_input(),
                    source_case=_source_case(user, form.cleaned_data["source_case"]),
                )
            except CaseValidationError as exc:
                f.add_service_errors(form, exc)
            except CasePermissionDenied as exc:
                return error_page(request, exc.message)
            else:
                messages.success(request, _("已保存知识库文章“%(title)s”（第 1 版）。") % {"title": article.title})
                return redirect("kb_pages:detail", pk=article.pk)
        status = 400
    else:
        initial: dict[str, Any] = {"status": ArticleStatus.DRAFT, "valid_from": timezone.localdate()}
        if rules.is_department_staff(user):
            initial["department"] = user.department.code
        case = _source_case(user, request.GET.get("from_case", ""))
        if case is not None:
            # The "add an article" prompt after a consultation: start from the case and its answer.
            initial.update(
                {
                    "title": case.title,
                    "body": case.answer,
                    "category": case.category.code,
                    "source_case": case.tracking_no,
                }
            )
        form = ArticleForm(initial=initial, user=user)
    return render(request, "kb/edit.html", {"form": form, "article": None}, status=status)


@staff_page(rules.may_read)
def article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    article = _article(pk)
    if not rules.may_edit(user, article):
        return error_page(request, _("只有维护单位、分拨员和管理员可以修改这篇文章。"))
    status = 200
    if request.method == "POST":
        form = ArticleForm(request.POST, user=user)
        if form.is_valid():
            try:
                saved = services.article_update(
                    article=article,
                    actor=user,
                    data=form.article_input(),
                    expected_version=form.cleaned_data["version"],
                )
            except CaseValidationError as exc:
                f.add_service_errors(form, exc)
            except CaseConflict as exc:
                messages.error(request, exc.message)
                status = 409
                form = _edit_form(_article(pk), user)
                return render(request, "kb/edit.html", {"form": form, "article": article}, status=status)
            except CasePermissionDenied as exc:
                return error_page(request, exc.message)
            except CaseNotFound as exc:
                raise Http404(exc.message) from None
            else:
                messages.success(request, _("已保存，当前为第 %(v)d 版。") % {"v": saved.version})
                return redirect("kb_pages:detail", pk=pk)
        status = 400
    else:
        form = _edit_form(article, user)
    return render(request, "kb/edit.html", {"form": form, "article": article}, status=status)


def _edit_form(article: Article, user: User) -> ArticleForm:
    return ArticleForm(
        initial={
            "title": article.title,
            "body": article.body,
            "category": article.category.code,
            "department": article.department.code,
            "keywords": article.keywords,
            "valid_from": article.valid_from,
            "valid_until": article.valid_until,
            "status": article.status,
            "version": article.version,
        },
        user=user,
    )


# --- what the case page and the inbox show ------------------------------------------------------


def case_context(user: User, case: Case) -> dict[str, Any]:
    """The article that answered the case (if any), and whether to prompt its department to add
    or update an article (a consultation it answered)."""
    use = ArticleUse.objects.filter(case_id=case.pk).select_related("article").first()
    return {"kb_use": use, "kb_prompt": selectors.consultation_prompt(case, user)}


def inbox_context(department: Department | None) -> dict[str, Any]:
    if department is None:
        return {"kb_capture": []}
    return {"kb_capture": list(selectors.consultations_to_capture(department))}
