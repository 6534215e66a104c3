"""The monthly report (月度简报): one structure for the page, the CSV, the print view and the API.

All figures come from web/figures/metrics.py; this module only arranges them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import translation
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from cases.enums import Channel, Kind
from cases.exceptions import CaseValidationError
from stats.ranking import Ranking

from . import charts, metrics


@dataclass
class MonthlyReport:
    month: date
    as_of: datetime
    rows: list[metrics.Figures]
    total: metrics.Figures
    top_categories: list[dict[str, Any]]
    most_overdue: list[dict[str, Any]]
    channels: list[tuple[str, str]]
    kinds: list[tuple[str, str]]
    max_registered: int
    ranking: Ranking
    series: list[metrics.Figures]
    charts: dict[str, Any]


TREND_MONTHS = 12


def monthly_report_data(month: date, *, now: datetime) -> MonthlyReport:
    found = metrics.month_figures(month, now=now, trend_months=TREND_MONTHS)
    snapshot, series, top = found.snapshot, found.series, found.categories
    return MonthlyReport(
        month=month,
        as_of=snapshot.as_of,
        rows=snapshot.rows,
        total=snapshot.total,
        top_categories=top,
        most_overdue=metrics.most_overdue(month, now=now),
        channels=list(Channel.choices),
        kinds=list(Kind.choices),
        max_registered=max([r.registered for r in snapshot.rows] + [1]),
        ranking=found.ranking,
        series=series,
        charts=charts.page_charts(series=series, rows=snapshot.rows, total=snapshot.total, top=top),
    )


# --- CSV: one writer for the console's export and the API's ?format=csv ----------------------

# Every column of the JSON row (Figures.as_row), in its order, with its Chinese heading. English
# headings are the JSON names themselves, so an integrator's CSV and JSON read alike.
CSV_LABELS: dict[str, Any] = {
    "month": gettext_lazy("月份"),
    "department": gettext_lazy("单位代码"),
    "department_name": gettext_lazy("单位"),
    "registered": gettext_lazy("受理"),
    "closed": gettext_lazy("办结"),
    "closure_rate": gettext_lazy("办结率"),
    "replied": gettext_lazy("答复"),
    "replied_on_time": gettext_lazy("按时答复"),
    "on_time_rate": gettext_lazy("按时答复率"),
    "rated": gettext_lazy("参评"),
    "satisfied": gettext_lazy("满意"),
    "satisfaction_rate": gettext_lazy("满意率"),
    "resolved_directly": gettext_lazy("一次办结"),
    "returned": gettext_lazy("退单"),
    "reopened": gettext_lazy("重办"),
    "avg_handling_hours": gettext_lazy("平均办理时长(小时)"),
    "hotline_registered": gettext_lazy("热线受理"),
    "first_contact_rate": gettext_lazy("一次办结率"),
    "rejected": gettext_lazy("不予受理"),
    "merged": gettext_lazy("合并"),
    "reply_rounds": gettext_lazy("答复次数"),
    "contacted_first": gettext_lazy("答复前已联系群众"),
    "contact_before_reply_rate": gettext_lazy("先联系后答复率"),
}
CSV_LANGUAGES = ("zh-hans", "en")


def csv_language(requested: str | None, *, default: str | None = None) -> str:
    """``?lang=`` (``zh``/``zh-hans``/``en``), else ``default``, else the request's language
    (Accept-Language, via LocaleMiddleware); anything else is a 400 naming ``lang``."""
    value = (requested or "").strip().lower()
    if not value:
        if default:
            return default
        return "en" if (get_language() or "").startswith("en") else "zh-hans"
    if value in {"zh", "zh-hans", "zh-cn"}:
        return "zh-hans"
    if value == "en":
        return "en"
    msg = _("lang 只能是 zh 或 en。")
    raise CaseValidationError(msg, fields={"lang": [msg]})


def report_csv_rows(report: MonthlyReport | metrics.Snapshot, *, lang: str = "zh-hans") -> list[list[Any]]:
    """Header + one line per department + the total row (department ``ALL``): every column of
    the API's JSON row, then the counts by channel and kind; headers all in ``lang``."""
    english = lang == "en"
    channels, kinds = list(Channel.choices), list(Kind.choices)
    with translation.override(lang):
        header = [name if english else str(label) for name, label in CSV_LABELS.items()]
        header += [f"channel_{c}" if english else f"{_('渠道')}:{label}" for c, label in channels]
        header += [f"kind_{k}" if english else f"{_('类型')}:{label}" for k, label in kinds]
        lines: list[list[Any]] = [header]
        month = f"{report.month:%Y-%m}"
        for figures in [*report.rows, report.total]:
            row = figures.as_row()
            if figures is report.total:
                row["department"], row["department_name"] = "ALL", _("合计")
            elif figures.department is None:
                row["department"], row["department_name"] = "", _("未分配")
            row["month"] = month
            lines.append(
                [
                    *[_csv_value(row.get(name)) for name in CSV_LABELS],
                    *[figures.by_channel.get(c, 0) for c, _label in channels],
                    *[figures.by_kind.get(k, 0) for k, _label in kinds],
                ]
            )
    return lines


def write_csv(report: MonthlyReport | metrics.Snapshot, out: Any, *, lang: str) -> None:
    """The CSV (UTF-8 with the BOM Excel needs) into ``out`` (a response or a text buffer)."""
    write_lines(report_csv_rows(report, lang=lang), out)


def _csv_value(value: Any) -> Any:
    return "" if value is None else value


# --- the 三率 ranking: one arrangement for the console, the public page, the API and the CSV --------

RANKING_LEVELS = {"department": gettext_lazy("部门"), "street": gettext_lazy("街道")}
RANKING_CSV_LABELS: dict[str, Any] = {
    "month": gettext_lazy("月份"),
    "level": gettext_lazy("层级"),
    "rank": gettext_lazy("排名"),
    "department": gettext_lazy("单位代码"),
    "department_name": gettext_lazy("单位"),
    "score": gettext_lazy("综合得分"),
    "response_rate": gettext_lazy("响应率"),
    "resolution_rate": gettext_lazy("解决率"),
    "satisfaction_rate": gettext_lazy("满意率"),
    "on_time_rate": gettext_lazy("按时办结率"),
    "first_contact_rate": gettext_lazy("一次办结率"),
    "rank_change": gettext_lazy("环比名次变化"),
    "rank_change_yoy": gettext_lazy("同比名次变化"),
    "previous_rank": gettext_lazy("上月排名"),
    "last_year_rank": gettext_lazy("去年同月排名"),
    "assigned": gettext_lazy("转办"),
    "responded": gettext_lazy("按时响应"),
    "resolution_answered": gettext_lazy("答复是否解决"),
    "resolved": gettext_lazy("已解决"),
    "rated": gettext_lazy("参评"),
    "satisfied": gettext_lazy("满意"),
    "replied": gettext_lazy("答复"),
    "replied_on_time": gettext_lazy("按时答复"),
    "hotline_registered": gettext_lazy("热线受理"),
    "resolved_directly": gettext_lazy("一次办结"),
}


def parse_level(value: str | None) -> str:
    """``?level=`` ``department`` (default) or ``street``; anything else is a 400 naming ``level``."""
    value = (value or "").strip() or "department"
    if value not in RANKING_LEVELS:
        msg = _("level 只能是 department 或 street。")
        raise CaseValidationError(msg, fields={"level": [msg]})
    return value


def ranking_data(month: date, level: str, *, now: datetime | None = None) -> Ranking:
    """The ranking every surface shows (through the figures' snapshot windows)."""
    return metrics.ranking_snapshot(month, level, now=now)


def ranking_json(ranking: Ranking) -> dict[str, Any]:
    """The API.md ranking body."""
    return {
        "month": f"{ranking.month:%Y-%m}",
        "level": ranking.level,
        "weights": ranking.weights,
        "response_working_days": ranking.settings.response_working_days,
        "rows": [row.as_row() for row in ranking.rows],
        "red": [row.department.code for row in ranking.red],
        "black": [row.department.code for row in ranking.black],
    }


def ranking_csv_rows(ranking: Ranking, *, lang: str = "zh-hans") -> list[list[Any]]:
    english = lang == "en"
    with translation.override(lang):
        header = [name if english else str(label) for name, label in RANKING_CSV_LABELS.items()]
        lines: list[list[Any]] = [header]
        for row in ranking.rows:
            values = {**row.as_row(), "month": f"{ranking.month:%Y-%m}", "level": ranking.level}
            values["department_name"] = row.department.name
            lines.append([_csv_value(values.get(name)) for name in RANKING_CSV_LABELS])
    return lines


def write_lines(lines: list[list[Any]], out: Any) -> None:
    """CSV lines (UTF-8 with the BOM Excel needs) into ``out``."""
    out.write("\ufeff")
    writer = csv.writer(out)
    for line in lines:
        writer.writerow(line)
