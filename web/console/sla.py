"""Console pages of the sla app: the supervisors' overdue board and its two forms.

Thin like every edge: check who, call one service, answer (with a flash message and a
redirect back to the board, so a reload never re-submits).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cases import forwarding, rules
from cases.exceptions import CaseError, CaseNotFound, CasePermissionDenied
from cases.selectors import cases_visible_to
from sla import board, services
from web.shell import error_page, safe_next, staff_page


@staff_page(rules.is_supervisor, denied=gettext_lazy("只有督办员和管理员可以查看超期看板。"), ws_topic="board")
def board_page(request: HttpRequest) -> HttpResponse:
    """Per department and stage: on time, amber, red, escalated; orders; extension requests."""
    return render(
        request,
        "sla/board.html",
        {"board": board.overdue_board(timezone.now()), "disputes": forwarding.disputes_open()},
    )


@staff_page()
@require_POST
def extension_decide(request: HttpRequest, pk: int) -> HttpResponse:
    back = safe_next(request, reverse("sla_pages:board"))  # the board, or the case page it was decided on
    decision = request.POST.get("decision")
    if decision not in {"grant", "refuse"}:
        messages.error(request, _("请选择批准或不批准。"))
        return redirect(back)
    try:
        ext = services.extension_decide(
            extension=pk, actor=request.user, grant=decision == "grant", note=request.POST.get("note", "")
        )
    except CaseNotFound as exc:  # not for this user to know it exists
        return error_page(request, exc.message, title=_("工单不存在"), status=404)
    except CasePermissionDenied as exc:
        return error_page(request, exc.message)
    except CaseError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("已处理工单 %(no)s 的延期申请：%(s)s。") % {"no": ext.case.tracking_no, "s": ext.get_status_display()},
        )
    return redirect(back)


@staff_page()
@require_POST
def supervision_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """The department's answer to an order (the inbox links a form here); back to where it was sent."""
    target = safe_next(request, reverse("console:home"))
    try:
        order = services.supervision_answer(order=pk, actor=request.user, text=request.POST.get("text", ""))
    except CaseNotFound as exc:
        return error_page(request, exc.message, title=_("工单不存在"), status=404)
    except CasePermissionDenied as exc:
        return error_page(request, exc.message)
    except CaseError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已回复工单 %(no)s 的督办单。") % {"no": order.case.tracking_no})
    return redirect(target)


@staff_page()
@require_POST
def extension_request(request: HttpRequest, tracking_no: str) -> HttpResponse:
    """The case's department asks for a later reply deadline (the form is on the console case page)."""
    case = cases_visible_to(request.user).filter(tracking_no=tracking_no).first()
    if case is None:
        return error_page(request, _("工单不存在。"), title=_("工单不存在"), status=404)
    back = safe_next(request, reverse("console:case", args=[case.tracking_no]))
    try:
        services.extension_request(
            case=case, actor=request.user, until=request.POST.get("until", ""), reason=request.POST.get("reason", "")
        )
    except CasePermissionDenied as exc:
        return error_page(request, exc.message)
    except CaseError as exc:  # the services' messages name the field that was wrong
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已提交工单 %(no)s 的延期申请，等待督办员审批。") % {"no": case.tracking_no})
    return redirect(back)
