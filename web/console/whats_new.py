"""What is new since you last looked, for the agent's desk and the clerk's inbox: notifications,
cases that reached the page's owner, and (on the desk) knowledge-base articles changed since."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from cases import selectors as case_selectors
from cases.models import User
from kb import selectors as kb_selectors
from notifications import selectors as notification_selectors
from notifications.outbox import page_visit_record

SHOWN = 5
# Counted up to this many (one query per list: the rows themselves).
COUNTED = 50


def whats_new(user: User, page: str, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Record this visit and return what arrived after the previous one (``since`` None: the
    first visit, when every unread notification counts as new)."""
    now = now or timezone.now()
    since = page_visit_record(user=user, page=page, now=now)
    notes = notification_selectors.notifications_since(user, since)
    if since is None:
        notes = notes.filter(read_at__isnull=True)
    rows = list(notes.order_by("-created_at", "-id")[:COUNTED])
    new: dict[str, Any] = {"since": since, "notification_count": len(rows), "notifications": rows[:SHOWN]}
    if page == "inbox" and user.department_id:
        # A first visit has nothing "new" yet; it still runs the query, so every visit costs the same.
        assigned = case_selectors.cases_visible_to(user).filter(
            department=user.department, assigned_at__gt=since or now, assigned_at__lte=now
        )
        cases = list(assigned.order_by("-assigned_at", "-pk")[:COUNTED])
        new["case_count"], new["cases"] = len(cases), cases[:SHOWN]
    if page == "desk":
        changed = kb_selectors.usable_articles(timezone.localdate(now))
        changed = changed.filter(updated_at__gt=since or now, updated_at__lte=now)
        articles = list(changed.order_by("-updated_at", "-pk")[:COUNTED])
        new["article_count"], new["articles"] = len(articles), articles[:SHOWN]
    new["anything"] = any(new.get(k) for k in ("notification_count", "case_count", "article_count"))
    return new
