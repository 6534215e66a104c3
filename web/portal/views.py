"""The citizen portal: no account, just a form, a receipt and a tracking page.

Pages that show a case are reached through a signed, expiring token of its id (never the bare
id), issued after registration (the receipt) or after the citizen proved the access code (the
tracking page). That keeps access codes out of URLs after the first look-up and makes
POST/redirect/GET possible without storing anything.
"""

from __future__ import annotations

from django.contrib import messages
from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases import selectors, services
from cases.attachments import for_citizen
from cases.enums import ANSWER_SHOWN_STATES, OPEN_STATES, Channel, State
from cases.exceptions import CaseConflict, CaseError, CaseNotFound, CaseRateLimited, CaseValidationError
from cases.models import AttachmentKind, Case
from cases.supplements import case_supplement
from sla.deadlines import citizen_deadline, expected_reply
from sla.enums import CitizenDeadlineStatus
from sla.urges import case_urge
from web import uploads
from web.attachments import download_url
from web.shell import client_address

from . import captcha, limits
from .forms import FeedbackForm, SubmissionForm, SupplementForm, TrackForm

RECEIPT_SALT = "casecenter.portal.receipt"
RECEIPT_MAX_AGE = 60 * 60  # long enough to write the numbers down; the SMS/e-mail carries them too
TRACK_SALT = "casecenter.portal.track"
TRACK_MAX_AGE = 30 * 60

# Where the service's field names differ from the form's.
_SERVICE_FIELDS = {"citizen.name": "name", "citizen.phone": "phone", "citizen.email": "email"}


def _token(salt: str, case: Case) -> str:
    return signing.TimestampSigner(salt=salt).sign(str(case.pk))


def _case_from_token(salt: str, token: str, max_age: int) -> Case | None:
    try:
        pk = signing.TimestampSigner(salt=salt).unsign(token, max_age=max_age)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    return Case.objects.select_related("department", "category", "category__parent").filter(pk=pk).first()


def case_for_track_token(token: str) -> Case | None:
    """The case whose tracking number and access code the holder of this tracking-page token proved
    (signed, expires with the page); None for a forged or expired one. The download view asks it."""
    return _case_from_token(TRACK_SALT, token, TRACK_MAX_AGE)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


def _render_submit(
    request: HttpRequest, form: SubmissionForm, channel: str, *, refusal: str = "", status: int = 200
) -> HttpResponse:
    # Every render gets a fresh challenge: the previous token is burnt once it has been tried.
    context = {
        "form": form,
        "channel": channel,
        "challenge": captcha.new_challenge(),
        "refusal": refusal,
        "channel_title": _("网上留言") if channel == Channel.WEB else _("区长信箱"),
    }
    return render(request, "portal/submit.html", context, status=status)


def _kept(request: HttpRequest) -> dict[str, str]:
    return {k: v for k, v in request.POST.items() if not k.startswith("captcha_") and k != "csrfmiddlewaretoken"}


@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest, channel: str) -> HttpResponse:
    ip = client_address(request)
    if request.method == "GET":
        return _render_submit(request, SubmissionForm(), channel)
    if limits.SUBMIT.exceeded(ip):
        # An unbound form keeps what was typed without validating (validating would burn the captcha).
        kept = _kept(request)
        refusal_text = _(
            "提交过于频繁：同一网络%(minutes)d分钟内最多提交%(count)d件，请稍后再试；紧急事项请拨打12345。"
        ) % {
            "minutes": limits.SUBMIT.minutes,
            "count": limits.SUBMIT.count,
        }
        return _render_submit(request, SubmissionForm(initial=kept), channel, refusal=refusal_text, status=429)
    cut_off = uploads.refusal(request)
    if cut_off:
        # The upload handler stopped reading at the size limit: what came after the file never
        # arrived, so keep what did and say why (nothing validated, the captcha is not spent).
        return _render_submit(request, SubmissionForm(initial=_kept(request)), channel, refusal=cut_off, status=400)
    form = SubmissionForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_submit(request, form, channel, status=400)
    data = form.cleaned_data
    try:
        with transaction.atomic():  # the case and its files, or neither
            case = services.case_register(
                actor=None,
                channel=channel,
                kind=data["kind"],
                category=data["category"],
                title=data["title"],
                content=data["content"],
                location=data["location"],
                publish_consent=not data["private"],
                reply_channel=data["reply_channel"],
                client_ip=ip,
                citizen=services.Citizen(name=data["name"], phone=data["phone"], email=data["email"]),
                attachments=data["attachments"],
                attachment_kind=AttachmentKind.CITIZEN,
                about_staff_of=data.get("about_staff_of") or None,
            )
    except CaseValidationError as exc:
        for key, msgs in (exc.fields or {"__all__": [exc.message]}).items():
            field = _SERVICE_FIELDS.get(key, key)
            for msg in msgs:
                form.add_error(field if field in form.fields else None, msg)
        return _render_submit(request, form, channel, status=400)
    limits.SUBMIT.hit(ip)
    return redirect("portal:receipt", token=_token(RECEIPT_SALT, case))


@require_GET
def receipt(request: HttpRequest, token: str) -> HttpResponse:
    case = _case_from_token(RECEIPT_SALT, token, RECEIPT_MAX_AGE)
    if case is None:
        messages.error(request, _("回执链接已失效。请使用流水号和查询码查询办理进度。"))
        return redirect("portal:track")
    context = {"case": case, "expected_reply": expected_reply(case, now=timezone.now())}
    response = render(request, "portal/receipt.html", context)
    # The page shows the access code: keep it out of shared caches and the back-forward cache.
    response["Cache-Control"] = "no-store"
    return response


def _too_many_failures() -> str:
    return _("查询失败次数过多，请%(minutes)d分钟后再试。如忘记查询码，请拨打12345热线。") % {
        "minutes": limits.TRACK_FAILURES.minutes
    }


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    """Look a case up by tracking_no + access_code (form POST, or GET with both in the query)."""
    source = request.POST if request.method == "POST" else request.GET
    if not (source.get("tracking_no") or source.get("access_code")):
        return render(request, "portal/track.html", {"form": TrackForm()})
    form = TrackForm(source)
    ip = client_address(request)
    if limits.TRACK_FAILURES.exceeded(ip):
        # Refused even for a correct pair: otherwise the limit would not stop guessing.
        return render(request, "portal/track.html", {"form": form, "refusal": _too_many_failures()}, status=429)
    if not form.is_valid():
        return render(request, "portal/track.html", {"form": form}, status=400)
    try:
        case = selectors.case_for_citizen(form.cleaned_data["tracking_no"], form.cleaned_data["access_code"])
    except CaseNotFound:
        limits.TRACK_FAILURES.hit(ip)
        # One message for an unknown number and a wrong code, so neither reveals the other.
        form.add_error(None, _("流水号或查询码不正确。"))
        return render(request, "portal/track.html", {"form": form}, status=404)
    return redirect("portal:case", token=_token(TRACK_SALT, case))


def _expired_lookup(request: HttpRequest) -> HttpResponseRedirect:
    messages.error(request, _("查询已超时，请重新输入流水号和查询码。"))
    return redirect("portal:track")


@require_GET
def case_detail(request: HttpRequest, token: str) -> HttpResponse:
    case = _case_from_token(TRACK_SALT, token, TRACK_MAX_AGE)
    if case is None:
        return _expired_lookup(request)
    return _render_case(request, case, token, FeedbackForm())


def _render_case(
    request: HttpRequest,
    case: Case,
    token: str,
    feedback_form: FeedbackForm,
    status: int = 200,
    supplement_form: SupplementForm | None = None,
) -> HttpResponse:
    now = timezone.now()
    deadline = citizen_deadline(case, now=now)
    context = {
        "case": case,
        "token": token,
        "state_label": State(case.state).label,
        "timeline": selectors.public_timeline(case),
        "deadline": deadline,
        "expected_reply": expected_reply(case, now=now),
        "show_answer": case.state in ANSWER_SHOWN_STATES and bool(case.answer),
        "feedback_form": feedback_form if case.state == State.ANSWERED else None,
        "attachments": [(a, download_url(a, token=token)) for a in for_citizen(case)],
        "supplement_form": (supplement_form or SupplementForm()) if case.state in OPEN_STATES else None,
        # The button shows when an urge would be taken; the service decides (once a day: 429).
        "may_urge": deadline is not None and deadline.status == CitizenDeadlineStatus.OVERDUE,
        "merged_into": selectors.merged_into(case),
    }
    response = render(request, "portal/case.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def feedback(request: HttpRequest, token: str) -> HttpResponse:
    case = _case_from_token(TRACK_SALT, token, TRACK_MAX_AGE)
    if case is None:
        return _expired_lookup(request)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        return _render_case(request, case, token, form, status=400)
    try:
        updated = services.case_feedback(
            case=case,
            actor=None,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
            resolved=form.cleaned_data["resolved"],
            reason=form.cleaned_data["reason"],
            client_ip=client_address(request),
        )
    except CaseConflict:
        messages.error(request, _("该工单当前不能评价（可能已评价或已办结）。"))
    except CaseValidationError as exc:
        # A dissatisfied rating without its reason: ask again beside the fields, keep what was chosen.
        for key, msgs in exc.fields.items():
            for msg in msgs:
                form.add_error(key if key in form.fields else None, msg)
        return _render_case(request, case, token, form, status=400)
    except CaseError as exc:
        messages.error(request, exc.message)
    else:
        if updated.state == State.PENDING_DECISION:
            messages.success(request, _("已收到您的评价。您的意见已转督办员研判，研判结果将告知您。"))
        else:
            messages.success(request, _("感谢您的评价！"))
    return HttpResponseRedirect(reverse("portal:case", kwargs={"token": token}))


@require_POST
def supplement(request: HttpRequest, token: str) -> HttpResponse:
    """补充材料 from the tracking page: text and/or files, to an open case."""
    case = _case_from_token(TRACK_SALT, token, TRACK_MAX_AGE)
    if case is None:
        return _expired_lookup(request)
    cut_off = uploads.refusal(request)
    form = SupplementForm(request.POST, request.FILES)
    if cut_off:
        form = SupplementForm(initial={"text": request.POST.get("text", "")})
        messages.error(request, cut_off)
        return _render_case(request, case, token, FeedbackForm(), status=400, supplement_form=form)
    if not form.is_valid():
        return _render_case(request, case, token, FeedbackForm(), status=400, supplement_form=form)
    try:
        case_supplement(
            case=case,
            text=form.cleaned_data["text"],
            files=form.cleaned_data["attachments"],
            via="portal",
            client_ip=client_address(request),
        )
    except CaseConflict as exc:
        messages.error(request, exc.message)
    except CaseValidationError as exc:
        for key, msgs in exc.fields.items():
            for msg in msgs:
                form.add_error(key if key in form.fields else None, msg)
        return _render_case(request, case, token, FeedbackForm(), status=400, supplement_form=form)
    else:
        messages.success(request, _("补充材料已提交，承办单位会收到通知。"))
    return HttpResponseRedirect(reverse("portal:case", kwargs={"token": token}))


@require_POST
def urge(request: HttpRequest, token: str) -> HttpResponse:
    """催办 from the tracking page."""
    case = _case_from_token(TRACK_SALT, token, TRACK_MAX_AGE)
    if case is None:
        return _expired_lookup(request)
    try:
        case_urge(case=case, client_ip=client_address(request))
    except (CaseConflict, CaseRateLimited) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已为您催办，承办单位和督办员会收到通知。"))
    return HttpResponseRedirect(reverse("portal:case", kwargs={"token": token}))
