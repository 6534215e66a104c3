"""Staff pages of the public face: the publication queue (dispatch) and the monthly report (leadership)."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cases import publication
from cases.enums import Publication, Role
from cases.exceptions import (
    CaseConflict,
    CaseNotFound,
    CasePermissionDenied,
    CaseValidationError,
    PersonalDataRemains,
)
from cases.models import Case
from insight import selectors as insight_selectors
from web.figures import answer as answer_figures
from web.figures import dispatch as figures_dispatch
from web.figures import metrics
from web.figures.followup import followup_figures
from web.figures.reports import csv_language, monthly_report_data, write_csv
from web.shell import OVERSIGHT_ROLES, client_address, error_page, safe_next, staff_page

PAGE_SIZE = 25
# The roles the menu links these pages for (one set, so a menu entry never leads to a 403).
PUBLICATION_ROLES = OVERSIGHT_ROLES
REPORT_ROLES = OVERSIGHT_ROLES | {Role.LEADER}


# --- publication ------------------------------------------------------------------------


@staff_page(PUBLICATION_ROLES)
def queue(request: HttpRequest) -> HttpResponse:
    """Pending items oldest-closed first; published and withdrawn ones on their own tabs."""
    status = request.GET.get("status") or Publication.PENDING
    if status not in {Publication.PENDING, Publication.PUBLISHED, Publication.WITHDRAWN}:
        status = Publication.PENDING
    qs = Case.objects.filter(publication=status).select_related("department", "category")
    qs = qs.order_by("closed_at", "pk") if status == Publication.PENDING else qs.order_by("-published_at", "-pk")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = dict(
        Case.objects.filter(publication__in=[Publication.PENDING, Publication.PUBLISHED, Publication.WITHDRAWN])
        .order_by()
        .values_list("publication")
        .annotate(n=Count("pk"))
    )
    tabs = [
        (value, Publication(value).label, counts.get(value, 0))
        for value in (Publication.PENDING, Publication.PUBLISHED, Publication.WITHDRAWN)
    ]
    return render(
        request,
        "console/publication_queue.html",
        {
            "page": page,
            "status": status,
            "tabs": tabs,
        },
    )


def _case(tracking_no: str) -> Case:
    case = Case.objects.select_related("department", "category").filter(tracking_no=tracking_no[:20]).first()
    if case is None or case.publication == Publication.PRIVATE:
        raise Http404(_("没有找到待公开的工单。"))
    return case


@staff_page(PUBLICATION_ROLES)
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, tracking_no: str) -> HttpResponse:
    """The redacted draft beside the original; the dispatcher edits and publishes."""
    case = _case(tracking_no)
    prepared = publication.publication_prepare(case=case)
    form = dict(prepared["draft"])
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in ("title", "content", "answer")}
        try:
            publication.publication_publish(
                case=case,
                actor=request.user,
                title=form["title"],
                content=form["content"],
                answer=form["answer"],
                client_ip=client_address(request),
            )
        except CaseValidationError as exc:
            errors = {k.replace("public_", ""): v for k, v in exc.fields.items()} or {"general": [exc.message]}
            status = 400
        except PersonalDataRemains as exc:
            # The form keeps the dispatcher's text; the message names each span still to mask.
            errors = {w["field"]: [exc.message] for w in exc.warnings}
            status = 400
        except CasePermissionDenied as exc:
            messages.error(request, exc.message)
            status = 403
        except (CaseConflict, CaseNotFound) as exc:
            messages.error(request, exc.message)
            return redirect(safe_next(request, reverse("publication:queue")))
        else:
            messages.success(request, _("工单 %(no)s 已公开。") % {"no": case.tracking_no})
            return redirect(safe_next(request, f"{reverse('publication:queue')}?status={Publication.PENDING}"))
    return render(
        request,
        "console/publication_edit.html",
        {
            "case": case,
            "form": form,
            "errors": errors,
            "remaining": prepared["remaining"],
        },
        status=status,
    )


@staff_page(PUBLICATION_ROLES)
@require_POST
def withdraw(request: HttpRequest, tracking_no: str) -> HttpResponse:
    case = _case(tracking_no)
    try:
        publication.publication_withdraw(
            case=case, actor=request.user, reason=request.POST.get("reason", ""), client_ip=client_address(request)
        )
    except (CaseValidationError, CaseConflict, CasePermissionDenied, CaseNotFound) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("工单 %(no)s 已撤回公开。") % {"no": case.tracking_no})
    return redirect(safe_next(request, f"{reverse('publication:queue')}?status={Publication.PUBLISHED}"))


# --- monthly report -----------------------------------------------------------------------


@staff_page(REPORT_ROLES)
def monthly_report(request: HttpRequest) -> HttpResponse:
    """月度简报: page with charts; ``?format=csv`` for the spreadsheet; ``?print=1`` for A4."""
    try:
        month = metrics.parse_month(request.GET.get("month"))
    except CaseValidationError as exc:
        return error_page(request, exc.message, title=_("月份无效"), status=400)
    if request.GET.get("format") == "csv":
        try:
            lang = csv_language(request.GET.get("lang"))
        except CaseValidationError as exc:
            return error_page(request, exc.message, title=_("语言无效"), status=400)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="monthly-report-{month:%Y-%m}.csv"'
        write_csv(metrics.month_snapshot(month, now=timezone.now()), response, lang=lang)
        return response
    data = monthly_report_data(month, now=timezone.now())
    template = "console/report_print.html" if request.GET.get("print") else "console/report.html"
    dispatch_rows = figures_dispatch.dispatch_rows(month)  # issue 12: levels and disputes per department
    contact = answer_figures.contact_figures(data.total)  # 先联系后答复率 (issue 13), from the rollups
    context = {"data": data, "month": month, "dispatch_rows": dispatch_rows, "contact": contact}
    context["followup"] = followup_figures(month)
    context["dispatch_acceptance"] = dispatch_acceptance(month)  # 智能派单采纳率 (issue 14)
    return render(request, template, context)


def dispatch_acceptance(month: date, months: int = 6) -> list[dict]:
    """智能派单采纳率 for the report: the ``months`` months up to and including ``month``."""
    first = metrics.add_months(month, 1 - months)
    return insight_selectors.acceptance_by_month(first, metrics.add_months(month, 1))
