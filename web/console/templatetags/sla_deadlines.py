"""Formatting of clocks for the console's templates (sla/_clock.html, sla/board.html). Which clock a
row shows and its colour are sla's rule (``sla.deadlines.row_clock``, ``clock_colour``), not a filter's."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

register = template.Library()


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
