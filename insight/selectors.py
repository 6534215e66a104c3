"""Read APIs of the insight app for the edges: hotspots, the acceptance of suggestions."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from cases.models import Case

from .models import DispatchModel, DispatchSuggestion, Hotspot


def hotspots() -> QuerySet[Hotspot]:
    return Hotspot.objects.select_related("category", "lead_case").prefetch_related(
        Prefetch("cases", queryset=Case.objects.order_by("registered_at", "pk").only("pk", "tracking_no"))
    )


def hotspots_since(since: dt.datetime | None, *, limit: int = 200) -> QuerySet[Hotspot]:
    qs = hotspots()
    if since is not None:
        qs = qs.filter(detected_at__gte=since)
    return qs.order_by("-detected_at", "-pk")[:limit]


def hotspot_row(h: Hotspot) -> dict[str, Any]:
    """The API's shape (API.md), plus ``dimension``, ``p_value`` and the joint lead."""
    return {
        "id": h.pk,
        "kind": h.kind,
        "dimension": h.dimension or None,
        "label": h.label,
        "category": h.category.code if h.category_id else None,
        "place": h.place or None,
        "phrase": h.phrase or None,
        "count": h.count,
        "baseline": h.baseline,
        "p_value": h.p_value,
        "cases": [c.tracking_no for c in h.cases.all()],
        "detected_at": timezone.localtime(h.detected_at).isoformat(),
        "status": h.status,
        "lead_case": h.lead_case.tracking_no if h.lead_case_id else None,
    }


def acceptance_by_month(start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Per month in [start, end), by the month of assignment: cases assigned after a suggestion was
    shown, how many went to the top suggested department, and the rate (None when none)."""
    tz = timezone.get_current_timezone()
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    hi = dt.datetime.combine(end, dt.time.min, tzinfo=tz)
    rows = (
        DispatchSuggestion.objects.filter(decided_at__gte=lo, decided_at__lt=hi)
        .annotate(month=TruncMonth("decided_at", tzinfo=tz))
        .values("month")
        .annotate(shown=Count("pk"), taken=Count("pk", filter=Q(taken=True)))
    )
    by_month: dict[str, dict[str, int]] = defaultdict(lambda: {"shown": 0, "taken": 0})
    for row in rows:
        key = f"{row['month']:%Y-%m}"
        by_month[key]["shown"] += row["shown"]
        by_month[key]["taken"] += row["taken"]
    out = []
    month = start.replace(day=1)
    while month < end:
        key = f"{month:%Y-%m}"
        shown, taken = by_month[key]["shown"], by_month[key]["taken"]
        out.append({"month": key, "shown": shown, "taken": taken, "rate": round(taken / shown, 4) if shown else None})
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return out


def current_model_info() -> DispatchModel | None:
    return DispatchModel.objects.defer("blob").order_by("-version").first()
