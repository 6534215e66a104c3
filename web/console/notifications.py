"""Staff pages: my notifications, mark read, my notification preferences. Thin edges."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from web.console.nav import console_nav, role_label

from notifications.enums import STAFF_CHANNELS, STAFF_TEMPLATES, OutboxChannel, Template
from notifications.models import Notification, NotificationPreference
from notifications.outbox import SUPPORTED_LANGUAGES, notification_mark_read, preference_save


def _render(request: HttpRequest, template: str, ctx: dict) -> HttpResponse:
    """Inside the staff console's shell (its menu needs these two)."""
    ctx.setdefault("nav", console_nav(request.user))
    ctx.setdefault("role_label", role_label(request.user))
    return render(request, template, ctx)


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    qs = Notification.objects.filter(user=request.user).select_related("case")
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    unread = Notification.objects.filter(user=request.user, read_at__isnull=True).count()
    return _render(request, "notifications/list.html",
                  {"page": page, "unread": unread, "unread_only": unread_only})


def _back(request: HttpRequest) -> HttpResponse:
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return redirect(nxt)
    return redirect("notifications:list")


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification_mark_read(user=request.user, notification_id=pk)
    return _back(request)


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = notification_mark_read(user=request.user)
    messages.success(request, _("已将 %(n)d 条通知标为已读。") % {"n": count})
    return _back(request)


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        preference_save(user=request.user, enabled=request.POST.getlist("on"),
                        language=request.POST.get("language", ""))
        messages.success(request, _("通知偏好已保存。"))
        return redirect("notifications:preferences")
    pref = NotificationPreference.objects.filter(user=request.user).first() or NotificationPreference()
    rows = [
        {"template": t, "label": Template(t).label,
         "cells": [{"value": f"{t.value}:{c.value}", "on": pref.allows(t, c)} for c in STAFF_CHANNELS]}
        for t in STAFF_TEMPLATES
    ]
    return _render(request, "notifications/preferences.html", {
        "rows": rows, "channels": [OutboxChannel(c).label for c in STAFF_CHANNELS],
        "language": pref.language, "languages": [(code, code) for code in SUPPORTED_LANGUAGES],
        "has_email": bool(request.user.email),
    })
