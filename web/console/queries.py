"""Reads only the console needs: duplicate suggestions, the timeline as shown, the clocks of listed cases."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.enums import Role, State
from cases.models import Case, CaseEvent
from sla.deadlines import prefetch_timers, row_clock

DUPLICATE_WINDOW_DAYS = 30
# Candidates scanned per queue page: bounds the work however busy the last month was.
DUPLICATE_SCAN_LIMIT = 2000


def _bigrams(text: str) -> set[str]:
    text = "".join(ch for ch in (text or "").lower() if not ch.isspace())
    return {text[i : i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


def titles_similar(a: str, b: str, *, threshold: float = 0.5) -> bool:
    """Character-bigram overlap: works for Chinese titles without a word segmenter."""
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return False
    return len(x & y) / min(len(x), len(y)) >= threshold


def possible_duplicates(cases: Iterable[Case], *, limit: int = 3) -> dict[int, list[dict[str, Any]]]:
    """For each case: recent cases with the same phone, or the same category and a similar title.

    One query for the whole list (the queue shows many cases at once).
    """
    cases = list(cases)
    if not cases:
        return {}
    phones = {c.citizen_phone for c in cases if c.citizen_phone}
    categories = {c.category_id for c in cases}
    since = timezone.now() - timedelta(days=DUPLICATE_WINDOW_DAYS)
    rows = list(
        Case.objects.filter(registered_at__gte=since)
        .exclude(state__in=[State.MERGED, State.REJECTED])
        .filter(Q(citizen_phone__in=phones) | Q(category_id__in=categories))
        .order_by("-registered_at")
        .values("pk", "tracking_no", "title", "citizen_phone", "category_id", "state", "registered_at")[
            :DUPLICATE_SCAN_LIMIT
        ]
    )
    out: dict[int, list[dict[str, Any]]] = {}
    for case in cases:
        found = []
        for row in rows:
            if row["pk"] == case.pk:
                continue
            same_phone = bool(case.citizen_phone) and row["citizen_phone"] == case.citizen_phone
            similar = row["category_id"] == case.category_id and titles_similar(row["title"], case.title)
            if same_phone or similar:
                found.append(
                    {
                        **row,
                        "state_label": State(row["state"]).label,
                        "why": _("同一来电号码") if same_phone else _("同类诉求、标题相近"),
                    }
                )
                if len(found) >= limit:
                    break
        out[case.pk] = found
    return out


def _state_label(value: str) -> str:
    return State(value).label if value in State.values else value


def _role_label(value: str) -> str:
    if value in Role.values:
        return Role(value).label
    return {"citizen": _("群众"), "system": _("系统")}.get(value, value)


def timeline(case: Case) -> list[dict[str, Any]]:
    """Every event of the case, in order, as the console shows it."""
    return [
        {
            "seq": ev.seq,
            "at": ev.at,
            "actor": ev.actor_label,
            "role": _role_label(ev.role),
            "label": ev.transition_label,
            "transition": ev.transition,
            "from": _state_label(ev.from_state),
            "to": _state_label(ev.to_state),
            "changed": ev.from_state != ev.to_state,
            "note": ev.note,
            "public": ev.public,
            "client_ip": ev.client_ip,
        }
        for ev in CaseEvent.objects.filter(case=case).order_by("seq")
    ]


def list_with_clocks(qs: QuerySet[Case], *, now: datetime) -> list[Case]:
    """The listed cases, each with ``case.clock``: the one clock its row shows (``sla.deadlines.row_clock``),
    from one prefetch of the timers for the whole list."""
    cases = list(prefetch_timers(qs))
    for case in cases:
        case.clock = row_clock(case, now=now)
    return cases
