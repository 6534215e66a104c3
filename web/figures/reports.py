"""The monthly report (月度简报): one structure for the page, the CSV, the print view and the API.

All figures come from web/figures/metrics.py; this module only arranges them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _

from cases.enums import Channel, Kind

from . import metrics


@dataclass
class MonthlyReport:
    month: date
    rows: list[metrics.Figures]
    total: metrics.Figures
    top_categories: list[dict[str, Any]]
    most_overdue: list[dict[str, Any]]
    channels: list[tuple[str, str]]
    kinds: list[tuple[str, str]]
    max_registered: int


def monthly_report_data(month: date, *, now: datetime) -> MonthlyReport:
    rows = metrics.department_figures(month)
    return MonthlyReport(
        month=month,
        rows=rows,
        total=metrics.total(rows, month),
        top_categories=metrics.top_categories(month),
        most_overdue=metrics.most_overdue(month, now=now),
        channels=list(Channel.choices),
        kinds=list(Kind.choices),
        max_registered=max([r.registered for r in rows] + [1]),
    )


def report_csv_rows(report: MonthlyReport) -> list[list[Any]]:
    """Header + one line per department + the total; channels and kinds as extra columns."""
    header = [
        _("单位代码"),
        _("单位"),
        *metrics.REPORT_FIELDS,
        "first_contact_rate",
        *[f"channel_{c}" for c, _label in report.channels],
        *[f"kind_{k}" for k, _label in report.kinds],
    ]
    lines: list[list[Any]] = [header]
    for figures, code, name in [
        (r, r.department.code if r.department else "", r.department.name if r.department else "") for r in report.rows
    ] + [(report.total, "ALL", _("合计"))]:
        lines.append(
            [
                code,
                name,
                *[_csv_value(getattr(figures, f)) for f in metrics.REPORT_FIELDS],
                _csv_value(figures.first_contact_rate),
                *[figures.by_channel.get(c, 0) for c, _label in report.channels],
                *[figures.by_kind.get(k, 0) for k, _label in report.kinds],
            ]
        )
    return lines


def _csv_value(value: Any) -> Any:
    return "" if value is None else value
