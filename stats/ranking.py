"""The 三率 ranking (接诉即办考核): per month, every department or every street office with its
response, resolution and satisfaction rates (plus on-time and first-contact rates, DESIGN.md §7),
a weighted score, its rank, the change of rank against last month (环比) and last year (同比),
and the red and black lists (红黑榜). One computation for the console report, the public
statistics page, the API and the CSV; read from the monthly rollups (one query for the three
months, one for the departments, one per month for its settings).

Units: ``level="street"`` ranks the street offices (街道/乡/镇), each counting the cases of its
communities too; ``level="department"`` ranks the other units directly under the district
government (and the government office itself), each counting its sub-units (e.g. the squads of
the city-management bureau). The dispatch desk is never ranked.

Score = Σ weightᵢ × rateᵢ ÷ Σ weightᵢ over the rates that have a denominator, × 100, rounded to
2 places; a unit with no rate has no score and no rank. Equal scores share a rank (1, 1, 3).
``rank_change`` = last month's rank − this month's (positive: moved up); None when unranked then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cases import refcache
from cases.models import Department

from . import rollups
from .figures import Figures, add_months
from .models import RankingSettings

LEVELS = ("department", "street")
RATES = ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate", "first_contact_rate")
STREET_SUFFIXES = ("街道办事处", "街道", "乡人民政府", "镇人民政府", "乡", "镇")


def is_street_office(department: Department) -> bool:
    """A street office (街道办事处) or township: by its Chinese name, as the administrative
    divisions are named."""
    return department.name_zh.endswith(STREET_SUFFIXES)


def ranked_units(level: str) -> tuple[list[Department], dict[int, Department]]:
    """The units ranked at ``level`` (by code) and every department id that counts for one (from
    the process's copy of the departments: no query)."""
    by_id: dict[int, Department] = refcache.departments.get()["by_id"]
    departments = list(by_id.values())

    def depth_one(dept: Department) -> Department | None:
        chain = [dept]
        while chain[-1].parent_id is not None and chain[-1].parent_id in by_id:
            chain.append(by_id[chain[-1].parent_id])
        if len(chain) == 1:
            return dept  # a root: the government office itself
        return chain[-2]  # the ancestor directly under the root

    counts_for: dict[int, Department] = {}
    for dept in departments:
        unit = depth_one(dept)
        if unit is None or unit.is_dispatch or dept.is_dispatch:
            continue
        street = is_street_office(unit)
        if (level == "street") == street:
            counts_for[dept.pk] = unit
    units = sorted({u.pk: u for u in counts_for.values() if u.active}.values(), key=lambda u: u.code)
    return units, counts_for


@dataclass
class RankingRow:
    department: Department
    figures: Figures
    score: float | None = None
    rank: int | None = None
    previous_rank: int | None = None
    last_year_rank: int | None = None

    @property
    def rates(self) -> dict[str, float | None]:
        return {name: getattr(self.figures, name) for name in RATES}

    @property
    def rank_change(self) -> int | None:
        return _change(self.previous_rank, self.rank)

    @property
    def rank_change_yoy(self) -> int | None:
        return _change(self.last_year_rank, self.rank)

    def as_row(self) -> dict[str, Any]:
        """The API.md ranking row (plus the unit's name, the counts behind the rates and 同比)."""
        f = self.figures
        return {
            "department": self.department.code,
            "department_name": self.department.name,
            **self.rates,
            "score": self.score,
            "rank": self.rank,
            "rank_change": self.rank_change,
            "previous_rank": self.previous_rank,
            "last_year_rank": self.last_year_rank,
            "rank_change_yoy": self.rank_change_yoy,
            "assigned": f.assigned,
            "responded": f.responded,
            "resolution_answered": f.resolution_answered,
            "resolved": f.resolved,
            "rated": f.rated,
            "satisfied": f.satisfied,
            "replied": f.replied,
            "replied_on_time": f.replied_on_time,
            "hotline_registered": f.hotline,
            "resolved_directly": f.resolved_directly,
        }


def _change(before: int | None, now: int | None) -> int | None:
    return before - now if before is not None and now is not None else None


@dataclass
class Ranking:
    month: date
    level: str
    settings: RankingSettings
    rows: list[RankingRow]
    red: list[RankingRow] = field(default_factory=list)
    black: list[RankingRow] = field(default_factory=list)

    @property
    def weights(self) -> dict[str, float]:
        return self.settings.weights()


def score(figures: Figures, weights: dict[str, float]) -> float | None:
    present = [(weights[name], getattr(figures, name)) for name in RATES if getattr(figures, name) is not None]
    weight = sum(w for w, _rate in present)
    if not present or weight <= 0:
        return None
    return round(sum(w * rate for w, rate in present) / weight * 100, 2)


def _ranked(rows: list[RankingRow]) -> None:
    """Competition ranking (1, 1, 3) by score, highest first; rows without a score have no rank."""
    scored = sorted((r for r in rows if r.score is not None), key=lambda r: -r.score)
    for i, row in enumerate(scored):
        row.rank = scored[i - 1].rank if i and scored[i - 1].score == row.score else i + 1


def _month_rows(
    month: date,
    per_key: dict[int, Figures],
    units: list[Department],
    counts_for: dict[int, Department],
    settings: RankingSettings,
) -> list[RankingRow]:
    rows = {u.pk: RankingRow(department=u, figures=Figures(month=month, department=u)) for u in units}
    for key, figures in per_key.items():
        unit = counts_for.get(key)
        if unit is not None and unit.pk in rows:
            rows[unit.pk].figures.add(figures)
    weights = settings.weights()
    for row in rows.values():
        row.score = score(row.figures, weights)
    result = list(rows.values())
    _ranked(result)
    return result


def ranking_months(month: date) -> list[date]:
    """The months a ranking reads: its own, the one before (环比) and a year before (同比)."""
    return [month, add_months(month, -1), add_months(month, -12)]


def month_ranking(
    month: date, *, level: str = "department", per_month: dict[date, dict[int, Figures]] | None = None
) -> Ranking:
    """The ranking of ``month`` at ``level`` with 环比/同比 and the red and black lists.
    ``per_month``: the figures per department key of the ``ranking_months`` when the caller has
    read them already (the monthly report's one read of the rollups); else they are read here."""
    if level not in LEVELS:
        raise ValueError(f"unknown ranking level {level!r}")
    units, counts_for = ranked_units(level)
    months = ranking_months(month)
    if per_month is None:
        per_month = {m: {} for m in months}
        for row in rollups.months_rows(min(months), month, by_department=True):
            if row["month"] in per_month:
                figures = Figures()
                figures.add_counts(row)
                per_month[row["month"]][row["department_key"]] = figures
    per_month = {m: per_month.get(m, {}) for m in months}
    settings = _settings_for(months)

    def ranks(m: date) -> dict[int, int | None]:
        return {r.department.pk: r.rank for r in _month_rows(m, per_month[m], units, counts_for, settings[m])}

    current = _month_rows(month, per_month[month], units, counts_for, settings[month])
    previous, last_year = ranks(months[1]), ranks(months[2])
    for row in current:
        row.previous_rank = previous.get(row.department.pk)
        row.last_year_rank = last_year.get(row.department.pk)
    current.sort(key=lambda r: (r.rank is None, r.rank or 0, r.department.code))
    ranked = [r for r in current if r.rank is not None]
    n = settings[month].board_size
    red = ranked[:n]
    black = [r for r in reversed(ranked[-n:]) if r not in red] if len(ranked) > n else []
    return Ranking(month=month, level=level, settings=settings[month], rows=current, red=red, black=black)


def _settings_for(months: list[date]) -> dict[date, RankingSettings]:
    """The settings version of each month (one query for all)."""
    versions = list(RankingSettings.objects.filter(valid_from__lte=max(months)).order_by("-valid_from"))
    default = RankingSettings(valid_from=date(2000, 1, 1))
    return {m: next((v for v in versions if v.valid_from <= m), default) for m in months}
