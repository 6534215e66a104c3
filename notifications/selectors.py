"""Reads of the notifications app other apps and the edges show."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from cases.models import Case, User

from .models import Notification, Outbox, PageVisit


def case_messages(case: Case) -> list[Outbox]:
    """Every message recorded about the case (to the citizen and to staff), newest first, with the
    staff recipient joined: one query however many (the staff case page's 通知记录)."""
    return list(Outbox.objects.filter(case=case).select_related("recipient").order_by("-created_at", "-id"))


def unread_count(user: User) -> int:
    """The user's unread in-app notifications (the menu's badge)."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def last_visit(user: User, page: str) -> dt.datetime | None:
    return PageVisit.objects.filter(user=user, page=page).values_list("seen_at", flat=True).first()


def notifications_since(user: User, since: dt.datetime | None) -> QuerySet[Notification]:
    """The user's notifications created after ``since`` (all of them when never looked)."""
    qs = Notification.objects.filter(user=user).select_related("case")
    return qs.filter(created_at__gt=since) if since is not None else qs
