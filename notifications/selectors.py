"""Reads of the notifications app other apps and the edges show."""

from __future__ import annotations

from cases.models import Case

from .models import Outbox


def case_messages(case: Case) -> list[Outbox]:
    """Every message recorded about the case (to the citizen and to staff), newest first, with the
    staff recipient joined: one query however many (the staff case page's 通知记录)."""
    return list(Outbox.objects.filter(case=case).select_related("recipient").order_by("-created_at", "-id"))
