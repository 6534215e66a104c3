"""Staff console pages. Thin: parse the form, check who is asking, call one service, answer.

Errors from the services map to what a person at a screen needs: bad input → the form again
with the message next to the field (400); the case moved on → the case page with a message
naming its current state (409); not allowed → a 403 page; a case the user may not see → 404.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from cases import rules, selectors, services
from cases.attachments import attachment_add
from cases.audit import action_label
from cases.enums import State
from cases.exceptions import CaseConflict, CaseNotFound, CasePermissionDenied, CaseValidationError
from cases.models import AttachmentKind, Case, User
from cases.validation import normalize_phone
from notifications import selectors as notification_selectors
from sla import board
from sla import rules as sla_rules
from sla import selectors as sla_selectors
from sla.deadlines import case_clocks, prefetch_timers, row_clock
from telephony import selectors as telephony_selectors
from web import uploads
from web.attachments import download_url
from web.shell import client_address, error_page, has_inbox, safe_next, staff_page

from . import dispatch, queries
from . import forms as f
from . import kb as kb_pages
from .actions import ACTIONS, ChoiceCache, available_actions, call_service, make_form
from .answer import answer_context
from .telephony import desk_context
from .whats_new import whats_new

PAGE_SIZE = 25


# --- helpers --------------------------------------------------------------------------


def _visible_case(user: User, tracking_no: str) -> Case:
    """The case if this user may see it; 404 otherwise (never reveal that it exists)."""
    case = (
        selectors.cases_visible_to(user)
        .select_related("category__default_department", "department", "duplicate_of", "reject_reason", "registered_by")
        .filter(tracking_no=tracking_no)
        .first()
    )
    if case is None:
        raise Http404(_("工单不存在。"))
    return case


def _attach_forms(cases: list[Case], user: User, wanted: set[str], choices: ChoiceCache, next_url: str) -> None:
    """Give each listed case the action forms this user may use on it from the list."""
    for case in cases:
        case.action_forms = [
            (ACTIONS[name], make_form(name, case, choices=choices))
            for name in available_actions(case, user)
            if name in wanted
        ]
        case.next_url = next_url


# --- entry ---------------------------------------------------------------------------


@staff_page()
def home(request: HttpRequest) -> HttpResponse:
    return redirect(selectors.staff_role_home(request.user))


# --- agent desk --------------------------------------------------------------------------


def _history(phone: str) -> dict[str, Any]:
    cases, open_count = selectors.caller_history(phone)
    return {"phone": phone, "cases": cases, "open_count": open_count}


@staff_page(rules.may_register, denied=gettext_lazy("您的角色不能登记工单。"), ws_topic="desk")
def desk(request: HttpRequest) -> HttpResponse:
    """Quick intake for a call or a paper letter; after saving, the numbers to read out."""
    user = request.user
    shows_history = rules.is_intake(user)
    status = 200
    if request.method == "POST":
        form = f.IntakeForm(request.POST, request.FILES)
        cut_off = uploads.refusal(request)
        if cut_off:
            form.add_error("attachments", cut_off)  # nothing registered: the file never fully arrived
        if form.is_valid():
            data = form.cleaned_data
            try:
                case = services.case_register(
                    actor=user,
                    channel=data["channel"],
                    kind=data["kind"],
                    category=data["category"],
                    title=data["title"],
                    content=data["content"],
                    location=data["location"],
                    citizen=services.Citizen(
                        name=data["citizen_name"],
                        phone=data["citizen_phone"],
                        email=data["citizen_email"],
                        id_no=data["citizen_id_no"],
                    ),
                    publish_consent=data["publish_consent"],
                    priority=data["priority"],
                    reply_channel=data["reply_channel"],
                    attachments=data["attachments"],
                    attachment_kind=AttachmentKind.SCAN,
                    client_ip=client_address(request),
                    about_staff_of=data["about_staff_of"] or None,
                )
            except CaseValidationError as exc:
                f.add_service_errors(form, exc)
            except CasePermissionDenied as exc:
                return error_page(request, exc.message)
            else:
                messages.success(
                    request,
                    _("登记成功：流水号 %(no)s，查询码 %(code)s。请向来电人复述。")
                    % {"no": case.tracking_no, "code": case.access_code},
                )
                query = {"done": case.tracking_no}
                if data["call_sid"]:
                    query["call_sid"] = data["call_sid"]
                return redirect(f"{reverse('console:desk')}?{urlencode(query)}")
        status = 400
    else:
        initial = {k: request.GET[k] for k in ("citizen_phone", "call_sid") if request.GET.get(k)}
        if request.GET.get("phone"):
            initial["citizen_phone"] = request.GET["phone"]
        form = f.IntakeForm(initial=initial)

    ctx: dict[str, Any] = {"form": form, "call_sid": (form["call_sid"].value() or ""), "shows_history": shows_history}
    if request.method == "GET" and not request.GET.get("done"):
        ctx["new_since"] = whats_new(user, "desk")
    if shows_history:  # the hotline desk: status, call banner, wrap-up, figures, knowledge base
        ctx.update(desk_context(user))
        ctx["kb_api"] = reverse("kb-articles")
    raw_phone = form["citizen_phone"].value() or ""
    if shows_history and raw_phone:
        try:
            ctx["history"] = _history(normalize_phone(raw_phone))
        except CaseValidationError:
            pass
    done = request.GET.get("done")
    if done and request.method == "GET":
        # Whoever registered it reads the numbers out, even a clerk who cannot open unassigned cases.
        registered = Case.objects.filter(tracking_no=done, registered_by=user).first()
        if registered is not None:
            ctx["registered"] = registered
            ctx["registered_visible"] = rules.can_see_case(user, registered)
            if "resolve_directly" in available_actions(registered, user):
                ctx["resolve_form"] = make_form("resolve_directly", registered, choices=ChoiceCache())
                ctx["resolve_spec"] = ACTIONS["resolve_directly"]
    return render(request, "console/desk.html", ctx, status=status)


@staff_page()
@require_GET
def caller_history(request: HttpRequest) -> JsonResponse:
    """The caller's past cases for the desk's side panel (fetched as the number is typed)."""
    if not rules.is_intake(request.user):
        return JsonResponse(
            {"error": {"code": "forbidden", "message": _("您无权查看来电历史。"), "fields": {}}}, status=403
        )
    try:
        phone = normalize_phone(request.GET.get("phone", ""), required=True)
    except CaseValidationError as exc:
        return JsonResponse(
            {"error": {"code": exc.code, "message": exc.message, "fields": {"phone": [exc.message]}}}, status=400
        )
    history = _history(phone)
    return JsonResponse(
        {
            "phone": phone,
            "open_count": history["open_count"],
            "cases": [
                {
                    "tracking_no": c.tracking_no,
                    "title": c.title,
                    "state": c.state,
                    "state_label": str(State(c.state).label),
                    "category": c.category.name,
                    "department": c.department.name if c.department_id else "",
                    # Local time (+08:00), and as the desk shows it: the console prints no UTC.
                    "registered_at": timezone.localtime(c.registered_at).isoformat(),
                    "registered_at_display": timezone.localtime(c.registered_at).strftime("%Y-%m-%d %H:%M"),
                    "is_open": c.is_open,
                    "url": reverse("console:case", args=[c.tracking_no]),
                }
                for c in history["cases"]
            ],
        }
    )


# --- dispatcher queue --------------------------------------------------------------------


@staff_page(rules.is_dispatch, denied=gettext_lazy("只有分拨员可以查看分拨队列。"), ws_topic="queue")
def queue(request: HttpRequest) -> HttpResponse:
    """Urgent cases first, then oldest first; filters (channel, category, priority, clock colour,
    search); why each case came back; bulk assign / reject (web/console/dispatch.py)."""
    user = request.user
    lists = selectors.dispatcher_queue(user)
    related = ("category__default_department",)
    now = timezone.now()
    choices = ChoiceCache()  # one read of each choice list for the filters, bulk and row forms
    form = dispatch.QueueFilterForm(request.GET or None, **choices.kwargs_for(ACTIONS["reclassify"]))
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    triage_qs = dispatch.filter_queue(lists["triage"], data, user=user, stage="triage", now=now, request=request)
    review_qs = dispatch.filter_queue(lists["review"], data, user=user, stage="review", now=now, request=request)
    triage_qs = dispatch.urgent_first(triage_qs, "registered_at")
    review_qs = dispatch.urgent_first(review_qs, "replied_at")
    triage = queries.list_with_clocks(triage_qs.select_related(*related), now=now)
    review = queries.list_with_clocks(review_qs.select_related(*related), now=now)
    here = request.get_full_path()
    _attach_forms(
        triage, user, {"assign", "reject", "merge", "resolve_directly", "dispute", "reclassify"}, choices, here
    )
    _attach_forms(review, user, {"approve", "send_back", "reclassify"}, choices, here)
    dups = queries.possible_duplicates(triage)
    for case in triage:
        case.possible_duplicates = dups.get(case.pk, [])
    dispatch.attach_reasons([*triage, *review])
    disputed = list(
        selectors.cases_visible_to(user).filter(state=State.DISPUTED).select_related("returned_from").order_by("pk")
    )
    return render(
        request,
        "console/queue.html",
        {
            "triage": triage,
            "review": review,
            "disputed": disputed,
            "filter_form": form,
            "bulk_departments": choices.kwargs_for(ACTIONS["assign"])["dept_choices"],
            "bulk_reasons": choices.kwargs_for(ACTIONS["reject"])["reason_choices"],
        },
    )


# --- department inbox --------------------------------------------------------------------


@staff_page(has_inbox, denied=gettext_lazy("只有承办单位工作人员有待办箱。"), ws_topic="inbox")
def inbox(request: HttpRequest) -> HttpResponse:
    user = request.user
    now = timezone.now()
    lists = {name: queries.list_with_clocks(qs, now=now) for name, qs in selectors.department_inbox(user).items()}
    choices = ChoiceCache()
    here = request.get_full_path()
    wanted = {"sign_for", "return", "reply", "draft_reply", "hold", "resume", "forward", "approve_up", "send_down"}
    for rows in lists.values():
        _attach_forms(rows, user, wanted, choices, here)
    sections = [
        ("to_sign", _("待签收"), lists["to_sign"]),
        ("in_progress", _("办理中"), lists["in_progress"]),
        ("sub_review", _("下级单位答复待审核"), lists["sub_review"]),
        ("replied", _("已答复待审核"), lists["replied"]),
        ("forwarded", _("已下派下级单位"), lists["forwarded"]),
        ("assisting", _("协办"), lists["assisting"]),
    ]
    orders = sla_selectors.department_orders_to_answer(user.department)
    for order in orders:
        order.can_answer = sla_rules.may_answer_order(user, order)
    return render(
        request,
        "console/inbox.html",
        {
            "sections": sections,
            "department": user.department,
            "here": here,
            "deadline_work": {
                "orders": orders,
                "extensions": sla_selectors.department_extensions(user.department, now=now),
            },
            **kb_pages.inbox_context(user.department),
            "new_since": whats_new(user, "inbox", now=now),
        },
    )


# --- case list -------------------------------------------------------------------------


@staff_page()
def case_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = f.CaseFilterForm(request.GET or None)
    qs = selectors.cases_visible_to(user).order_by("-registered_at", "-pk")
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        qs = services.case_search(qs, data["q"], actor=user, surface="console", client_ip=client_address(request))
        if data["state"]:
            qs = qs.filter(state=data["state"])
        if data["stage"] or data["colour"]:
            # Exactly the cases the overdue board counts under these filters.
            timers = board.counted_timers(
                now=timezone.now(),
                count=data["colour"] or None,
                department=data["department"] or None,
                stage=data["stage"] or None,
            )
            qs = qs.filter(pk__in=timers.values("case_id"))
        elif data["department"]:
            qs = qs.filter(department__code=data["department"])
        if data["category"]:
            qs = qs.filter(category__code=data["category"])
    page = Paginator(prefetch_timers(qs), PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    for case in page.object_list:
        case.contact = selectors.contact_for(user, case)
        case.clock = row_clock(case, now=now)
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "console/cases.html", {"form": form, "page": page, "query": params.urlencode()})


# --- case page -------------------------------------------------------------------------


def _case_deadline_work(user: User, case: Case) -> dict[str, Any]:
    """The case's supervision orders and extension requests, each with the form this user gets
    (sla.rules decides, the same rules the services check)."""
    orders = sla_selectors.case_orders(case)
    for order in orders:
        order.can_answer = sla_rules.may_answer_order(user, order)
    extensions = sla_selectors.case_extensions(case)
    for ext in extensions:
        ext.can_decide = sla_rules.may_decide_extension(user, ext)
    return {
        "orders": orders,
        "extensions": extensions,
        "can_request_extension": sla_rules.may_request_extension(user, case),
    }


def _case_page(
    request: HttpRequest,
    case: Case,
    *,
    bound: dict[str, f.ActionForm] | None = None,
    contact: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    choices = ChoiceCache()
    bound = bound or {}
    names = available_actions(case, user)
    names += [n for n in bound if n not in names]
    action_forms = [
        (ACTIONS[n], bound.get(n) or make_form(n, case, choices=choices, detail=True)) for n in names if n != "note"
    ]
    note_form = bound.get("note") or make_form("note", case, choices=choices)
    shown_contact = contact or selectors.contact_for(user, case)
    ctx = {
        "case": case,
        "contact": shown_contact,
        "revealed": contact is not None,
        "sees_access_code": rules.may_see_full_contact(user),
        "events": queries.timeline(case),
        "attachments": [(a, download_url(a)) for a in case.attachments.all()],
        "assisting": list(case.assisting_departments.all()),
        "clocks": case_clocks(case, now=timezone.now()),
        "deadline_work": _case_deadline_work(user, case),
        "outbox_messages": notification_selectors.case_messages(case),
        "calls": telephony_selectors.case_calls(case),
        "action_forms": action_forms,
        "dispatch": dispatch.case_dispatch_context(case, user),
        **answer_context(case, names),
        "note_form": note_form,
        "note_spec": ACTIONS["note"],
        # A form posted from the queue or inbox that comes back here with an error keeps its way back.
        "next_url": safe_next(request, "") if request.method == "POST" else "",
        **kb_pages.case_context(user, case),
    }
    return render(request, "console/case.html", ctx, status=status)


@staff_page()
def case_detail(request: HttpRequest, tracking_no: str) -> HttpResponse:
    return _case_page(request, _visible_case(request.user, tracking_no))


@staff_page()
@require_POST
def case_action(request: HttpRequest, tracking_no: str, action: str) -> HttpResponse:
    """One action form posted: validate, call the service, and answer per the module docstring."""
    user = request.user
    case = _visible_case(user, tracking_no)
    if action not in ACTIONS:
        raise Http404(_("没有这个操作。"))
    form = make_form(action, case, choices=ChoiceCache(), data=request.POST, files=request.FILES, detail=True)
    cut_off = uploads.refusal(request)
    if cut_off and "attachments" in form.fields:
        form.add_error("attachments", cut_off)
    if not form.is_valid():
        return _case_page(request, case, bound={action: form}, status=400)
    try:
        with transaction.atomic():  # the reply and its files, or neither
            files = form.cleaned_data.get("attachments")
            if files:
                stored = attachment_add(
                    case=case,
                    actor=user,
                    files=files,
                    kind=AttachmentKind.REPLY,
                    field="attachments",
                    client_ip=client_address(request),
                )
                form.uploaded_ids = [a.pk for a in stored]  # the reply lists them (f.ReplyForm)
            call_service(action, case, form, actor=user, client_ip=client_address(request))
    except CaseValidationError as exc:
        f.add_service_errors(form, exc)
        return _case_page(request, case, bound={action: form}, status=400)
    except CaseConflict as exc:
        messages.error(request, exc.message)
        return _case_page(request, _visible_case(user, tracking_no), status=409)
    except CasePermissionDenied as exc:
        return error_page(request, exc.message)
    except CaseNotFound as exc:
        raise Http404(exc.message) from None
    fresh = Case.objects.filter(pk=case.pk).values_list("state", flat=True).first()
    messages.success(
        request,
        _("工单 %(no)s：已%(action)s，当前状态：%(state)s。")
        % {"no": case.tracking_no, "action": action_label(action), "state": State(fresh).label},
    )
    # After a return the department no longer sees the case: send them home, not to a 404.
    still_visible = selectors.cases_visible_to(user).filter(pk=case.pk).exists()
    default = (
        reverse("console:case", args=[case.tracking_no]) if still_visible else reverse(selectors.staff_role_home(user))
    )
    return redirect(safe_next(request, default))


@staff_page()
@require_POST
def case_reveal(request: HttpRequest, tracking_no: str) -> HttpResponse:
    """Show the full phone and ID number once, on this response only; the service audits it."""
    case = _visible_case(request.user, tracking_no)
    try:
        full = services.case_reveal_contact(case=case, actor=request.user, client_ip=client_address(request))
    except CaseNotFound as exc:
        raise Http404(exc.message) from None
    contact = {
        **selectors.contact_for(request.user, case),
        "phone": full["phone"],
        "id_no": full["id_no"],
        "masked": False,
    }
    return _case_page(request, case, contact=contact)
