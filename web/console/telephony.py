"""Staff-side telephony: answer a ringing call, link a call to a case, desk figures,
dissatisfied ratings for supervisors, and the satisfaction call-back button."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from cases import rules
from cases.exceptions import CaseNotFound
from cases.models import User
from cases.selectors import case_for_user
from telephony import selectors, services
from telephony.enums import AgentState, WrapUpCode
from web.console.actions import ACTIONS, ChoiceCache, make_form
from web.shell import may_see_calls_report, staff_page

log = logging.getLogger(__name__)


def _error(status: int, code: str, message: str, fields: dict | None = None) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "fields": fields or {}}}, status=status)


def _staff_json(request: HttpRequest, allowed: bool) -> JsonResponse | None:
    if not request.user.is_authenticated:
        return _error(401, "not_authenticated", _("请先登录。"))
    if not allowed:
        return _error(403, "forbidden", _("您无权执行此操作。"))
    return None


def _body(request: HttpRequest) -> dict:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    return request.POST.dict()


@require_POST
def call_answer(request: HttpRequest, call_sid: str) -> JsonResponse:
    if denied := _staff_json(request, rules.is_intake(request.user)):
        return denied
    try:
        call = services.call_answer(call_sid=call_sid, agent=request.user)
    except services.CallNotFound as exc:
        return _error(404, "not_found", exc.message)
    except services.CallConflict as exc:
        return _error(409, "conflict", exc.message)
    return JsonResponse(
        {
            "call_sid": call.call_sid,
            "agent": call.agent.username,
            "answered_at": timezone.localtime(call.answered_at).isoformat(),
            "queue_wait_seconds": call.queue_wait_seconds,
        }
    )


@require_POST
def call_link(request: HttpRequest, call_sid: str) -> JsonResponse:
    if denied := _staff_json(request, rules.is_intake(request.user)):
        return denied
    tracking_no = str(_body(request).get("tracking_no", "")).strip()[:16]
    if not tracking_no:
        return _error(400, "invalid", _("请填写流水号。"), {"tracking_no": [_("请填写流水号。")]})
    try:
        case = case_for_user(request.user, tracking_no)
        call = services.link_call_case(call_sid=call_sid, case=case)
    except (CaseNotFound, services.CallNotFound) as exc:
        return _error(404, "not_found", str(exc))
    return JsonResponse({"call_sid": call.call_sid, "cases": list(call.cases.values_list("tracking_no", flat=True))})


@require_POST
def survey_call(request: HttpRequest, tracking_no: str) -> JsonResponse:
    if denied := _staff_json(request, rules.is_intake(request.user)):
        return denied
    try:
        case = case_for_user(request.user, tracking_no)
        services.survey_call_request(case=case, actor=request.user)
    except CaseNotFound as exc:
        return _error(404, "not_found", str(exc))
    except services.CallConflict as exc:
        return _error(409, "conflict", exc.message)
    except services.CallError as exc:
        return _error(400, "invalid", exc.message)
    return JsonResponse({"tracking_no": case.tracking_no, "queued": True}, status=202)


@require_POST
def agent_status(request: HttpRequest) -> JsonResponse:
    """示闲 / 示忙 / 小休 from the desk: {"status"}."""
    if denied := _staff_json(request, rules.is_intake(request.user)):
        return denied
    status = str(_body(request).get("status", ""))[:16]
    try:
        row = services.agent_status_set(agent=request.user, status=status)
    except services.CallConflict as exc:
        return _error(409, "conflict", exc.message)
    except services.CallError as exc:
        return _error(400, "invalid", exc.message, {"status": [exc.message]})
    return JsonResponse({"status": row.status, "since": timezone.localtime(row.since).isoformat()})


@require_POST
def call_wrap_up(request: HttpRequest, call_sid: str) -> JsonResponse:
    """The wrap-up after hang-up: {"code", "note"}; the agent is idle again."""
    if denied := _staff_json(request, rules.is_intake(request.user)):
        return denied
    body = _body(request)
    try:
        call = services.call_wrap_up(
            call_sid=call_sid, agent=request.user, code=str(body.get("code", ""))[:16], note=str(body.get("note", ""))
        )
    except services.CallNotFound as exc:
        return _error(404, "not_found", exc.message)
    except services.CallConflict as exc:
        return _error(409, "conflict", exc.message)
    except services.CallError as exc:
        return _error(400, "invalid", exc.message, {"code": [exc.message]})
    return JsonResponse({"call_sid": call.call_sid, "wrap_up_code": call.wrap_up_code, "status": "idle"})


@require_GET
@staff_page()
def desk_stats(request: HttpRequest) -> HttpResponse:
    """A fragment the desk page includes or polls: calls waiting, answered in 15 s, abandoned."""
    return render(request, "telephony/_desk_stats.html", {"stats": selectors.desk_stats()})


@require_GET
@staff_page(rules.is_supervisor, denied=gettext_lazy("您无权查看此页面。"))
def dissatisfied(request: HttpRequest) -> HttpResponse:
    """不满意待研判: each dissatisfied case with the citizen's reason and the two decisions — reopen
    (to the same or another department) or close with an explanation — posted to the case's action
    URL (the services decide again under the row lock)."""
    choices = ChoiceCache()
    rows = [
        (case, make_form("reopen", case, choices=choices), make_form("close", case, choices=choices))
        for case in selectors.dissatisfied_cases()[:200]
    ]
    context = {"rows": rows, "reopen_spec": ACTIONS["reopen"], "close_spec": ACTIONS["close"]}
    return render(request, "telephony/dissatisfied.html", context)


@require_GET
@staff_page(may_see_calls_report, denied=gettext_lazy("您无权查看此页面。"))
def calls_report(request: HttpRequest) -> HttpResponse:
    end = timezone.localdate()
    rows = selectors.calls_per_day(end - timedelta(days=29), end)
    return render(request, "telephony/calls_report.html", {"rows": rows})


# --- the desk page's telephony parts ----------------------------------------------------------

# The desk's keyboard shortcuts (static/js/desk.js implements them; the page lists them).
SHORTCUTS = [
    ("Alt+1", gettext_lazy("示闲")),
    ("Alt+2", gettext_lazy("示忙")),
    ("Alt+3", gettext_lazy("小休")),
    ("Alt+T", gettext_lazy("光标到诉求标题")),
    ("Alt+K", gettext_lazy("光标到知识库搜索")),
    ("Alt+I", gettext_lazy("插入第一篇知识库答复")),
    ("Alt+R", gettext_lazy("打开“当场答复，直接办结”")),
    ("Alt+S", gettext_lazy("提交当前表单（登记或直接办结）")),
    ("Alt+W", gettext_lazy("光标到话后小结")),
]


def desk_context(user: User) -> dict:
    """The agent's status, the call they are on or must wrap up (the banner), the desk figures,
    the wrap-up codes and the shortcuts."""
    call = selectors.agent_open_call(user) if rules.is_intake(user) else None
    return {
        "agent_state": selectors.agent_state(user),
        "agent_states": AgentState.choices,
        "open_call": call,
        "open_call_answered_at": timezone.localtime(call.answered_at).isoformat() if call else "",
        "wrap_up_codes": WrapUpCode.choices,
        "stats": selectors.desk_stats(),
        "shortcuts": SHORTCUTS,
    }
