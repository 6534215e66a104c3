"""What the wallboard (数据大屏) shows, computed in one place for the page and its live refetch:
today's intake by channel and hour, open and overdue cases by department, this month's department
figures, and the hotspots of the last 7 days. Times are Asia/Shanghai.

The ranking is this month's 三率 ranking (``stats.ranking`` through ``metrics.ranking_snapshot``, the
same code as the report, /stats/ and the API): departments with cases this month, by score."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import ExtractHour
from django.utils import timezone

from cases.enums import OPEN_STATES, Channel, State
from cases.models import Case
from insight import selectors as insight_selectors
from sla.deadlines import overdue_condition
from web.figures import metrics

HOTSPOT_DAYS = 7
RANKING_ROWS = 6  # what the panel shows at 1920×1080 in both languages
DEPARTMENT_ROWS = 12


def _today_bounds(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    local = timezone.localtime(now)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + dt.timedelta(days=1)


def intake_today(now: dt.datetime) -> dict[str, Any]:
    start, end = _today_bounds(now)
    rows = (
        Case.objects.filter(registered_at__gte=start, registered_at__lt=end)
        .annotate(hour=ExtractHour("registered_at", tzinfo=timezone.get_current_timezone()))
        .values("channel", "hour")
        .annotate(n=Count("pk"))
    )
    hours = list(range(24))
    by_channel = {c.value: [0] * 24 for c in Channel}
    total = 0
    for row in rows:
        by_channel.setdefault(row["channel"], [0] * 24)[row["hour"]] += row["n"]
        total += row["n"]
    return {
        "hours": [f"{h:02d}" for h in hours],
        "series": [
            {
                "channel": code,
                "label": str(Channel(code).label) if code in Channel.values else code,
                "counts": counts,
                "total": sum(counts),
            }
            for code, counts in by_channel.items()
        ],
        "total": total,
    }


def open_by_department(now: dt.datetime) -> list[dict[str, Any]]:
    rows = (
        Case.objects.filter(state__in=OPEN_STATES, department__isnull=False)
        .values("department__code", "department__name_zh")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=overdue_condition(now=now)))
        .order_by("-overdue", "-open", "department__code")
    )
    return [
        {"code": r["department__code"], "name": r["department__name_zh"], "open": r["open"], "overdue": r["overdue"]}
        for r in rows[:DEPARTMENT_ROWS]
    ]


def waiting_triage(now: dt.datetime) -> dict[str, int]:
    qs = Case.objects.filter(state=State.REGISTERED)
    return qs.aggregate(waiting=Count("pk"), overdue=Count("pk", filter=overdue_condition(now=now)))


def ranking(now: dt.datetime) -> list[dict[str, Any]]:
    """The month's 三率 ranking, the ranked departments only (a unit without cases has no score)."""
    month = timezone.localtime(now).date().replace(day=1)
    rows = [r for r in metrics.ranking_snapshot(month, "department", now=now).rows if r.rank is not None]
    return [
        {
            "rank": r.rank,
            "name": r.department.name,
            "score": r.score,
            "rank_change": r.rank_change,
        }
        for r in sorted(rows, key=lambda r: (r.rank, r.department.code))[:RANKING_ROWS]
    ]


def wallboard(*, now: dt.datetime) -> dict[str, Any]:
    intake = intake_today(now)
    departments = open_by_department(now)
    open_total = Case.objects.filter(state__in=OPEN_STATES).count()
    overdue_total = Case.objects.filter(Q(state__in=OPEN_STATES) & overdue_condition(now=now)).count()
    hotspots = [
        insight_selectors.hotspot_row(h)
        for h in insight_selectors.hotspots_since(now - dt.timedelta(days=HOTSPOT_DAYS), limit=8)
        if h.status != "dismissed"
    ]
    return {
        "as_of": timezone.localtime(now),
        "intake": intake,
        "departments": departments,
        "waiting": waiting_triage(now),
        "open_total": open_total,
        "overdue_total": overdue_total,
        "ranking": ranking(now),
        "hotspots": hotspots,
        "charts": {
            "as_of": timezone.localtime(now).isoformat(),
            "hours": intake["hours"],
            "intake": intake["series"],
            "departments": departments,
        },
    }
