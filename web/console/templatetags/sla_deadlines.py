"""``{{ case|live_deadline }}``: the clock a case's list row should show, for sla/_deadline_badge.html.

Reads ``case.timers.all()``, so a list prepared with ``sla.selectors.prefetch_live_timers(qs)``
pays one query for the whole page instead of one per row.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from sla.enums import Stage, TimerStatus

register = template.Library()

SHOWN_STAGES = frozenset({Stage.TRIAGE, Stage.SIGN_FOR, Stage.REPLY, Stage.REVIEW, Stage.FEEDBACK})
SEVERITY = {"breached": 0, "warning": 1, "running": 2, "paused": 3}


def _colour(timer: Any, now: Any) -> str:
    if timer.status == TimerStatus.BREACHED or (timer.status == TimerStatus.RUNNING and timer.due_at <= now):
        return "breached"
    if timer.status == TimerStatus.PAUSED:
        return "paused"
    if timer.warned_at is not None or timer.warn_at <= now:
        return "warning"
    return "running"


@register.filter
def live_deadline(case: Any) -> dict[str, Any] | None:
    """The worst of the case's live clocks (red before amber before green, then the soonest due)."""
    now = timezone.now()
    timers = [(_colour(t, now), t) for t in case.timers.all() if t.stopped_at is None and t.stage in SHOWN_STAGES]
    if not timers:
        return None
    css, timer = min(timers, key=lambda pair: (SEVERITY[pair[0]], pair[1].due_at))
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
