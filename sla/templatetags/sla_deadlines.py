"""``{{ case|live_deadline }}``: the clock a case's list row should show, for sla/_deadline_badge.html.

Reads ``case.timers.all()``, so a list that prefetches them (``sla.selectors``-style:
``prefetch_related(Prefetch("timers", queryset=Timer.objects.filter(stopped_at__isnull=True)))``)
pays one query for the whole page instead of one per row.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from ..enums import Stage, TimerStatus

register = template.Library()

# Which clock matters most when several run at once.
PRIORITY = {Stage.REPLY: 0, Stage.SIGN_FOR: 1, Stage.REVIEW: 2, Stage.TRIAGE: 3, Stage.FEEDBACK: 4}


@register.filter
def live_deadline(case: Any) -> dict[str, Any] | None:
    timers = [t for t in case.timers.all() if t.stopped_at is None and t.stage in PRIORITY]
    if not timers:
        return None
    timer = min(timers, key=lambda t: (PRIORITY[t.stage], t.due_at))
    now = timezone.now()
    if timer.status == TimerStatus.BREACHED or (timer.status == TimerStatus.RUNNING and timer.due_at <= now):
        css = "breached"
    elif timer.status == TimerStatus.PAUSED:
        css = "paused"
    elif timer.warned_at is not None or timer.warn_at <= now:
        css = "warning"
    else:
        css = "running"
    return {
        "timer": timer, "css": css, "stage_label": timer.get_stage_display(), "due_at": timer.due_at,
        "overdue": css == "breached", "delta": abs(timer.due_at - now),
        "escalation_level": timer.escalation_level,
    }


@register.filter
def sla_duration(value: Any) -> str:
    """A timedelta or a number of seconds, short: 2天3小时, 5小时12分钟, 40分钟."""
    seconds = int(value.total_seconds() if hasattr(value, "total_seconds") else value or 0)
    days, rest = divmod(max(0, seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(d)d天%(h)d小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d小时%(m)d分钟") % {"h": hours, "m": minutes}
    return _("%(m)d分钟") % {"m": minutes}
