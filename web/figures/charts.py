"""The data of the charts on the statistics page and the monthly report (and its print version):
one JSON document per page, read by ``static/js/charts.js`` from a ``json_script`` tag (the CSP
allows no inline script). Labels are translated here, so the charts speak the page's language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from cases.enums import Channel

from .metrics import Figures


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def trend(series: list[Figures]) -> dict[str, Any]:
    """Twelve months: cases received (bars) and the three rates (lines, per cent)."""
    return {
        "labels": [f"{f.month:%Y-%m}" for f in series],
        "registered": {"label": _("受理量"), "data": [f.registered for f in series]},
        "rates": [
            {"label": _("办结率"), "data": [_pct(f.closure_rate) for f in series]},
            {"label": _("按时答复率"), "data": [_pct(f.on_time_rate) for f in series]},
            {"label": _("满意率"), "data": [_pct(f.satisfaction_rate) for f in series]},
        ],
    }


def department_rates(rows: list[Figures]) -> dict[str, Any]:
    """Per department: closure, on-time and satisfaction rates (per cent)."""
    named = [r for r in rows if r.department is not None]
    return {
        "labels": [r.department.name for r in named],
        "datasets": [
            {"label": _("办结率"), "data": [_pct(r.closure_rate) for r in named]},
            {"label": _("按时答复率"), "data": [_pct(r.on_time_rate) for r in named]},
            {"label": _("满意率"), "data": [_pct(r.satisfaction_rate) for r in named]},
        ],
    }


def channels(total: Figures) -> dict[str, Any]:
    present = [(code, label) for code, label in Channel.choices if total.by_channel.get(code)]
    return {"labels": [str(label) for _c, label in present], "data": [total.by_channel[c] for c, _l in present]}


def categories(top: list[dict[str, Any]]) -> dict[str, Any]:
    return {"labels": [t["category"].path for t in top], "data": [t["count"] for t in top], "label": _("受理量")}


def page_charts(
    *, series: list[Figures], rows: list[Figures], total: Figures, top: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "trend": trend(series),
        "departments": department_rates(rows),
        "channels": channels(total),
        "categories": categories(top),
        "percent": _("百分比 (%)"),
        "empty": _("暂无数据"),
    }
