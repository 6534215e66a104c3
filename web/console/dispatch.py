"""The dispatcher's queue and the console's parts of issue 12: filters, urgent first, the reasons
cases came back, bulk assign / reject, the levels of a forwarded case, disputes, supervision orders
issued from the case page and the board, and the calendar banner.

Thin like every edge: parse, check who is asking, call one service per case, answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Case as When_
from django.db.models import IntegerField, Q, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import rules, selectors, services
from cases.enums import Channel, Priority, State, Transition
from cases.exceptions import CaseConflict, CaseError, CaseNotFound, CasePermissionDenied
from cases.models import Case, CaseEvent, User
from cases.models_dispatch import CaseAssignment
from cases.validation import is_ascii_number
from sla import board
from sla import services as sla_services
from sla.enums import SupervisionLevel
from web.shell import client_address, error_page, safe_next, staff_page

from . import forms as f

# What the queue shows of a case's history: why it came back (退单/退回重办/重办/争议).
REASON_ACTIONS = (
    Transition.RETURN,
    Transition.RETURN_UP,
    Transition.SEND_BACK,
    Transition.SEND_DOWN,
    Transition.REOPEN,
    Transition.DISPUTE,
    Transition.ARBITRATE,
    Transition.RECLASSIFY,
)
COLOURS = [("running", _("正常")), ("warning", _("预警")), ("breached", _("超期")), ("paused", _("暂停"))]


class QueueFilterForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("搜索"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": gettext_lazy("流水号、电话或关键词")}),
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("渠道"), required=False, choices=[("", gettext_lazy("全部"))] + list(Channel.choices)
    )
    category = forms.ChoiceField(label=gettext_lazy("业务分类"), required=False, choices=())
    priority = forms.ChoiceField(
        label=gettext_lazy("紧急程度"), required=False, choices=[("", gettext_lazy("全部"))] + list(Priority.choices)
    )
    colour = forms.ChoiceField(
        label=gettext_lazy("计时"),
        required=False,
        choices=[
            ("", gettext_lazy("全部")),
            ("running", gettext_lazy("正常")),
            ("warning", gettext_lazy("预警")),
            ("breached", gettext_lazy("超期")),
            ("paused", gettext_lazy("暂停")),
        ],
    )

    def __init__(self, *args: Any, category_list: list | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups = category_list if category_list is not None else f.category_choices()
        self.fields["category"].choices = [("", _("全部"))] + groups[1:]


def urgent_first(qs: QuerySet[Case], *then: str) -> QuerySet[Case]:
    """Urgent cases on top, then ``then`` (the queue's oldest-first order)."""
    rank = When_(When(priority=Priority.URGENT, then=Value(0)), default=Value(1), output_field=IntegerField())
    return qs.annotate(urgency=rank).order_by("urgency", *then, "pk")


def filter_queue(
    qs: QuerySet[Case], data: dict[str, Any], *, user: User, stage: str, now: dt.datetime, request: HttpRequest
) -> QuerySet[Case]:
    if data.get("channel"):
        qs = qs.filter(channel=data["channel"])
    if data.get("category"):
        code = data["category"]
        qs = qs.filter(Q(category__code=code) | Q(category__parent__code=code))
    if data.get("priority"):
        qs = qs.filter(priority=data["priority"])
    if data.get("colour"):
        # The colour of the clock the row shows: the triage clock in triage, the review clock in review.
        timers = board.counted_timers(now=now, count=data["colour"], stage=stage)
        qs = qs.filter(pk__in=timers.values("case_id"))
    if data.get("q"):
        qs = services.case_search(qs, data["q"], actor=user, surface="console", client_ip=client_address(request))
    return qs


def attach_reasons(cases: Iterable[Case]) -> None:
    """Each case gets ``reasons``: the notes of the returns, send-backs, reopenings and disputes in its
    history, newest first (at most three), and ``merged``: the cases merged into it. Two queries."""
    cases = list(cases)
    ids = [c.pk for c in cases]
    by_case: dict[int, list[CaseEvent]] = {}
    for ev in CaseEvent.objects.filter(case_id__in=ids, transition__in=REASON_ACTIONS).order_by("-seq"):
        by_case.setdefault(ev.case_id, []).append(ev)
    merged: dict[int, list[dict[str, Any]]] = {}
    for row in (
        Case.objects.filter(duplicate_of_id__in=ids, state=State.MERGED)
        .order_by("closed_at")
        .values("duplicate_of_id", "tracking_no", "title")
    ):
        merged.setdefault(row["duplicate_of_id"], []).append(row)
    for case in cases:
        case.reasons = [
            {"label": ev.transition_label, "note": ev.note, "at": ev.at, "actor": ev.actor_label}
            for ev in by_case.get(case.pk, [])[:3]
        ]
        case.merged = merged.get(case.pk, [])


# --- bulk assign / reject ---------------------------------------------------------------------


BULK_ACTIONS = frozenset({"assign", "reject"})


def _bulk_one(action: str, case: Case, post: Any, *, actor: User, client_ip: str | None) -> None:
    version = post.get(f"version_{case.pk}")
    expected = int(version) if version and is_ascii_number(version) else None
    if action == "assign":
        services.case_assign(
            case=case,
            actor=actor,
            department=post.get("department", ""),
            assisting_departments=[],
            instructions=post.get("instructions", ""),
            expected_version=expected,
            client_ip=client_ip,
        )
    else:
        services.case_reject(
            case=case,
            actor=actor,
            reason=post.get("reason", ""),
            note=post.get("note", ""),
            expected_version=expected,
            client_ip=client_ip,
        )


@staff_page(rules.is_dispatch, denied=gettext_lazy("只有分拨员可以批量分拨。"))
def queue_bulk(request: HttpRequest) -> HttpResponse:
    """Assign or reject the selected cases, each one its own audited action with the version the
    queue showed: a case that changed meanwhile is reported as a conflict, the others go through."""
    back = safe_next(request, reverse("console:queue"))
    if request.method != "POST":
        return redirect(back)
    action = request.POST.get("bulk_action", "")
    if action not in BULK_ACTIONS:
        messages.error(request, _("请选择批量操作：转办或不予受理。"))
        return redirect(back)
    numbers = [n for n in request.POST.getlist("cases") if is_ascii_number(n)][:100]
    if not numbers:
        messages.error(request, _("请先勾选工单。"))
        return redirect(back)
    done, conflicts, refused = [], [], []
    for case in selectors.cases_visible_to(request.user).filter(tracking_no__in=numbers).order_by("pk"):
        try:
            _bulk_one(action, case, request.POST, actor=request.user, client_ip=client_address(request))
        except CaseConflict as exc:
            conflicts.append(f"{case.tracking_no}：{exc.message}")
        except CaseError as exc:
            refused.append(f"{case.tracking_no}：{exc.message}")
        else:
            done.append(case.tracking_no)
    label = _("转办") if action == "assign" else _("不予受理")
    if done:
        messages.success(
            request, _("已%(action)s %(n)d 件：%(list)s。") % {"action": label, "n": len(done), "list": "、".join(done)}
        )
    for line in conflicts:
        messages.warning(request, _("冲突（工单已被他人更新，未处理）：%(line)s") % {"line": line})
    for line in refused:
        messages.error(request, _("未处理：%(line)s") % {"line": line})
    return redirect(back)


# --- case page: levels, merged cases, disputes, supervision order -----------------------------


class SupervisionIssueForm(forms.Form):
    level = forms.TypedChoiceField(
        label=gettext_lazy("督办级别"), coerce=int, choices=SupervisionLevel.choices, initial=SupervisionLevel.ORDER
    )
    department = forms.ChoiceField(label=gettext_lazy("被督办单位"), choices=(), required=False)
    answer_by = forms.DateField(
        label=gettext_lazy("限期回复"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=gettext_lazy("督办意见"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        levels = CaseAssignment.objects.filter(case=case).select_related("department").order_by("level", "id")
        seen: dict[str, str] = {}
        for a in levels:
            seen.setdefault(a.department.code, a.department.name)
        holder = rules.acting_department(case)
        initial = holder.code if holder is not None else ""
        self.fields["department"].choices = [("", _("当前责任单位"))] + list(seen.items())
        self.fields["department"].initial = initial if initial in seen else ""


def case_dispatch_context(case: Case, user: User) -> dict[str, Any]:
    """What the case page shows of issue 12 (``console/_case_dispatch.html``)."""
    levels = list(CaseAssignment.objects.filter(case=case).select_related("department").order_by("id"))
    disputes = list(
        case.disputes.select_related("department", "raised_by", "decided_by", "decision_department").order_by("id")
    )
    merged = list(
        Case.objects.filter(duplicate_of=case, state=State.MERGED)
        .order_by("closed_at")
        .values("tracking_no", "title", "closed_at")
    )
    may_issue = rules.is_supervisor(user) and case.is_open
    return {
        "levels": levels if any(a.level for a in levels) else [],
        "disputes": disputes,
        "merged": merged,
        "supervision_form": SupervisionIssueForm(case=case, auto_id=f"id_sup_{case.pk}_%s") if may_issue else None,
    }


@staff_page(rules.is_supervisor, denied=gettext_lazy("只有督办员可以下达督办单。"))
def supervision_issue(request: HttpRequest, tracking_no: str) -> HttpResponse:
    """A supervisor's 督办单 from the case page or the board: level, note, answer-by date, department."""
    case = selectors.cases_visible_to(request.user).filter(tracking_no=tracking_no).first()
    if case is None:
        return error_page(request, _("工单不存在。"), title=_("工单不存在"), status=404)
    back = safe_next(request, reverse("console:case", args=[case.tracking_no]))
    if request.method != "POST":
        return redirect(back)
    form = SupervisionIssueForm(request.POST, case=case)
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]
        messages.error(request, _("督办单未下达：%(e)s") % {"e": first})
        return redirect(back)
    data = form.cleaned_data
    try:
        order = sla_services.supervision_issue(
            case=case,
            actor=request.user,
            level=data["level"],
            note=data["note"],
            department=data["department"] or None,
            answer_by=data["answer_by"].isoformat() if data["answer_by"] else None,
        )
    except CaseNotFound as exc:
        return error_page(request, exc.message, title=_("工单不存在"), status=404)
    except CasePermissionDenied as exc:
        return error_page(request, exc.message)
    except CaseError as exc:
        messages.error(request, _("督办单未下达：%(e)s") % {"e": exc.message})
    else:
        messages.success(
            request,
            _("已向%(dept)s下达%(level)s（工单 %(no)s）。")
            % {
                "dept": order.department.name if order.department_id else "—",
                "level": order.get_level_display(),
                "no": case.tracking_no,
            },
        )
    return redirect(back)
