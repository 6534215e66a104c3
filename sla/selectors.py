"""Reads of the sla app other apps reuse."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from cases.models import Case

from .models import Timer


def prefetch_live_timers(qs: QuerySet[Case]) -> QuerySet[Case]:
    """A case list whose ``case.timers.all()`` holds only the live clocks, fetched in one query for
    the whole page (what ``sla/_deadline_badge.html`` reads)."""
    return qs.prefetch_related(Prefetch("timers", queryset=Timer.objects.filter(stopped_at__isnull=True)))
