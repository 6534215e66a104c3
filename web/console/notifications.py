"""Staff pages: my notifications, mark read, my notification preferences. Thin edges."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases import selectors
from notifications.enums import STAFF_CHANNELS, STAFF_TEMPLATES, OutboxChannel, Template
from notifications.models import Notification, NotificationPreference
from notifications.outbox import SUPPORTED_LANGUAGES, notification_mark_read, preference_save
from web.shell import safe_next, staff_page


@staff_page()
def notification_list(request: HttpRequest) -> HttpResponse:
    qs = Notification.objects.filter(user=request.user).select_related("case")
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    unread = Notification.objects.filter(user=request.user, read_at__isnull=True).count()
    return render(request, "notifications/list.html", {"page": page, "unread": unread, "unread_only": unread_only})


@staff_page()
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification_mark_read(user=request.user, notification_id=pk)
    return redirect(safe_next(request, reverse("notifications:list")))


@staff_page()
@require_GET
def open_case(request: HttpRequest, pk: int) -> HttpResponse:
    """A notification's link: mark it read and go to its case (the list when it has none, or the
    case is no longer the user's to see). A GET, being a link; reading is all it records, and only
    the user's own notification."""
    note = Notification.objects.filter(user=request.user, pk=pk).select_related("case").first()
    if note is None:
        raise Http404(_("通知不存在。"))
    notification_mark_read(user=request.user, notification_id=pk)
    if note.case is not None and selectors.cases_visible_to(request.user).filter(pk=note.case_id).exists():
        return redirect("console:case", note.case.tracking_no)
    return redirect("notifications:list")


@staff_page()
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = notification_mark_read(user=request.user)
    messages.success(request, _("已将 %(n)d 条通知标为已读。") % {"n": count})
    return redirect(safe_next(request, reverse("notifications:list")))


@staff_page()
def preferences(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        preference_save(
            user=request.user, enabled=request.POST.getlist("on"), language=request.POST.get("language", "")
        )
        messages.success(request, _("通知偏好已保存。"))
        return redirect(safe_next(request, reverse("notifications:preferences")))
    pref = NotificationPreference.objects.filter(user=request.user).first() or NotificationPreference()
    rows = [
        {
            "template": t,
            "label": Template(t).label,
            "cells": [{"value": f"{t.value}:{c.value}", "on": pref.allows(t, c)} for c in STAFF_CHANNELS],
        }
        for t in STAFF_TEMPLATES
    ]
    return render(
        request,
        "notifications/preferences.html",
        {
            "rows": rows,
            "channels": [OutboxChannel(c).label for c in STAFF_CHANNELS],
            "language": pref.language,
            "languages": [(code, code) for code in SUPPORTED_LANGUAGES],
            "has_email": bool(request.user.email),
        },
    )
