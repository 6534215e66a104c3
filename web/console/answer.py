"""Console pages of the department's answer (issue 13): what the case page shows of it (result,
contact, head approval, assisting opinions, reply templates), the printable assignment sheet
(交办单), and the leadership's list of 通报 cases."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import answer, rules, selectors
from cases.models import Case
from sla import selectors as sla_selectors
from sla.deadlines import case_clocks
from web.shell import staff_page


def answer_context(case: Case, action_names: list[str]) -> dict[str, Any]:
    """The case page's answer block. Templates are rendered only when a reply form is offered."""
    offers_reply = bool({"reply", "draft_reply"} & set(action_names))
    return {
        "assist_opinions": list(case.assist_opinions.select_related("department", "author")),
        "reply_templates": answer.rendered_templates(case) if offers_reply else [],
    }


@staff_page()
def assignment_sheet(request: HttpRequest, tracking_no: str) -> HttpResponse:
    """交办单: what a department files for a case — the matter, the assignment, the deadlines and
    the answer so far — on one printable page (no console menu, no forms)."""
    case = (
        selectors.cases_visible_to(request.user)
        .select_related("department", "registered_by", "contacted_by")
        .filter(tracking_no=tracking_no[:32])
        .first()
    )
    if case is None:
        raise Http404(_("工单不存在。"))
    now = timezone.now()
    ctx = {
        "case": case,
        "contact": selectors.contact_for(request.user, case),
        "assisting": list(case.assisting_departments.order_by("code")),
        "clocks": case_clocks(case, now=now),
        "orders": sla_selectors.case_orders(case),
        "assist_opinions": list(case.assist_opinions.select_related("department", "author")),
        "printed_at": now,
        "printed_by": request.user.display_name,
    }
    return render(request, "console/assignment_sheet.html", ctx)


@staff_page(rules.is_leadership, denied=gettext_lazy("只有区领导可以查看通报工单。"))
def leader_reports(request: HttpRequest) -> HttpResponse:
    """The leadership's short list: cases under a level-3 order (通报), newest first."""
    orders = sla_selectors.report_level_orders(user=request.user)
    return render(request, "console/leader_reports.html", {"orders": orders})
