"""Console pages of issue 14's insight part: hotspots (list, detail, joint handling, dismiss), the
wallboard (数据大屏), and the dispatch suggestions the case page and the triage forms ask for."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from cases import selectors as case_selectors
from cases.enums import State
from cases.exceptions import CaseConflict, CaseError, CasePermissionDenied, CaseValidationError
from cases.models import Case, Category, Department
from insight import rules, selectors
from insight.hotspots import hotspot_dismiss
from insight.joint import joint_open
from insight.models import Hotspot, JointLink
from insight.services import dispatch_suggestion_shown
from web.shell import error_page, staff_page

from . import wallboard_data

HOTSPOT_DENIED = gettext_lazy("只有督办员和区领导可以查看热点预警。")
HOTSPOT_DAYS = 30


@staff_page(rules.may_see_hotspots, denied=HOTSPOT_DENIED, ws_topic="wallboard")
@require_GET
def hotspots_page(request: HttpRequest) -> HttpResponse:
    since = timezone.now() - dt.timedelta(days=HOTSPOT_DAYS)
    rows = list(selectors.hotspots_since(since))
    return render(request, "console/insight_hotspots.html", {"hotspots": rows, "days": HOTSPOT_DAYS})


def _hotspot(pk: int) -> Hotspot:
    hotspot = selectors.hotspots().filter(pk=pk).first()
    if hotspot is None:
        raise Http404(_("没有这个热点。"))
    return hotspot


@staff_page(rules.may_see_hotspots, denied=HOTSPOT_DENIED, ws_topic="wallboard")
@require_GET
def hotspot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    hotspot = _hotspot(pk)
    cases = list(Case.objects.filter(hotspots=hotspot).select_related("department").order_by("registered_at", "pk"))
    linked = set(JointLink.objects.filter(hotspot=hotspot).values_list("case_id", flat=True))
    for case in cases:
        case.joint_linked_here = case.pk in linked
    return render(
        request,
        "console/insight_hotspot.html",
        {
            "hotspot": hotspot,
            "cases": cases,
            "may_act": rules.may_open_joint(request.user) and hotspot.status == "open",
            "open_cases": [c for c in cases if c.is_open],
            "waiting": sum(1 for c in cases if c.state == State.REGISTERED),
        },
    )


@staff_page(rules.may_open_joint, denied=gettext_lazy("只有督办员可以开启联合办理。"))
@require_POST
def hotspot_joint(request: HttpRequest, pk: int) -> HttpResponse:
    hotspot = _hotspot(pk)
    try:
        joint_open(hotspot=hotspot, lead=request.POST.get("lead", ""), actor=request.user, now=timezone.now())
    except (CaseValidationError, CaseConflict) as exc:
        messages.error(request, exc.message)
        return redirect("insight:hotspot", pk=hotspot.pk)
    except CasePermissionDenied as exc:
        return error_page(request, exc.message)
    messages.success(request, _("已开启联合办理：牵头工单答复经审核后，将同时答复并入的工单。"))
    return redirect("insight:hotspot", pk=hotspot.pk)


@staff_page(rules.may_open_joint, denied=gettext_lazy("只有督办员可以处置热点。"))
@require_POST
def hotspot_dismiss_view(request: HttpRequest, pk: int) -> HttpResponse:
    hotspot = _hotspot(pk)
    hotspot_dismiss(hotspot=hotspot, actor=request.user)
    messages.success(request, _("已忽略该热点。"))
    return redirect("insight:hotspots")


@staff_page(rules.may_see_wallboard, denied=gettext_lazy("您的岗位不能查看数据大屏。"), ws_topic="wallboard")
@require_GET
def wallboard(request: HttpRequest) -> HttpResponse:
    data = wallboard_data.wallboard(now=timezone.now())
    return render(request, "console/wallboard.html", {"board": data, "chart_data": data["charts"]})


@staff_page(rules.may_suggest, denied=gettext_lazy("只有话务员和分拨员可以使用智能派单建议。"))
@require_GET
def case_suggestions(request: HttpRequest, tracking_no: str) -> JsonResponse:
    """JSON for static/js/dispatch_suggest.js: the top three categories and departments (with
    names) for a case awaiting triage; remembers what was shown (see insight.services)."""
    try:
        case = case_selectors.case_for_user(request.user, tracking_no)
    except CaseError:
        raise Http404(_("工单不存在。")) from None
    if case.state != State.REGISTERED:
        return JsonResponse({"error": {"code": "conflict", "message": _("该工单已分拨。")}}, status=409)
    try:
        out = dispatch_suggestion_shown(case=case, actor=request.user, now=timezone.now())
    except CaseConflict as exc:  # no model yet
        return JsonResponse({"error": {"code": exc.code, "message": exc.message}}, status=409)
    names = dict(
        Department.objects.filter(code__in=[d["code"] for d in out["departments"]]).values_list("code", "name_zh")
    )
    cat_names = dict(
        Category.objects.filter(code__in=[c["code"] for c in out["categories"]]).values_list("code", "name_zh")
    )
    for d in out["departments"]:
        d["name"] = names.get(d["code"], d["code"])
    for c in out["categories"]:
        c["name"] = cat_names.get(c["code"], c["code"])
    return JsonResponse(out)
