"""The city overview: every department's score and lights, the trend."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from common import formatting
from kpi import access
from kpi.assessments import Group, PlanYearAttainment, plan_years_attainment
from kpi.attainment import Light, RollUp, combine
from plans.models import DepartmentPlan, Plan
from reports.selectors.at_risk import RiskData, risk_data
from reports.selectors.charts import (
    LightCount,
    Sparkline,
    chart_number,
    counts_text,
    light_counts,
    rollup_sparkline,
)
from reports.selectors.params import Filters, visible_department_plans, year_in_progress


def scoped_rollups(pya: PlanYearAttainment, dimension: str = "") -> tuple[dict[int, RollUp], RollUp]:
    """Each department's KPI roll-up and the pooled one, over one dimension's objectives if given."""
    if not dimension:
        return {did: g.rollup for did, g in pya.departments.items()}, pya.city.rollup
    parts: dict[int, list[RollUp]] = defaultdict(list)
    for group in pya.objectives.values():
        indicator = group.results[0].indicator
        if indicator.objective.dimension == dimension:
            parts[indicator.department_plan.department_id].append(group.rollup)
    by_department = {did: combine(rollups, pya.thresholds) for did, rollups in parts.items()}
    return by_department, combine([r for rs in parts.values() for r in rs], pya.thresholds)


@dataclass
class DepartmentRow:
    department_plan: DepartmentPlan
    has_kpis: bool  # False: 尚未建檔
    rollup: RollUp | None  # None when it has no KPIs (in the chosen dimension)
    common: Group | None
    trend: list[tuple[int, RollUp | None]]
    behind: int = 0
    catching_up: int = 0
    overdue: int = 0

    @property
    def department(self):
        return self.department_plan.department

    @property
    def counts(self) -> list[LightCount]:
        return light_counts(self.rollup)

    @property
    def counts_text(self) -> str:
        return counts_text(self.rollup)

    @property
    def common_counts(self) -> list[LightCount]:
        return light_counts(self.common.rollup if self.common else None)

    selected_year: int | None = None

    @property
    def sparkline(self) -> Sparkline:
        return rollup_sparkline(self.trend, self.selected_year)


@dataclass
class Overview:
    plan: Plan
    filters: Filters
    sees_all: bool
    city: RollUp
    city_trend: list[tuple[int, RollUp | None]]
    rows: list[DepartmentRow]
    hidden: int  # departments left out by the light filter
    in_progress: bool
    risk: RiskData | None
    chart: dict

    @property
    def city_counts(self) -> list[LightCount]:
        return light_counts(self.city)

    @property
    def city_counts_text(self) -> str:
        return counts_text(self.city)

    @property
    def city_sparkline(self) -> Sparkline:
        return rollup_sparkline(self.city_trend, self.filters.year)

    @property
    def trend_rows(self) -> list[DepartmentRow]:
        return [r for r in self.rows if r.has_kpis]

    @property
    def built(self) -> int:
        return sum(1 for r in self.rows if r.has_kpis)


def overview(user, plan: Plan, filters: Filters) -> Overview:
    """The city at a glance for `filters.year`, and the trend over every plan year."""
    department_plans = visible_department_plans(user, plan)
    ids = [dp.department_id for dp in department_plans]
    years_data = plan_years_attainment(plan=plan, department_ids=ids)
    year = filters.year
    pya = years_data[year]
    scoped = {y: scoped_rollups(d, filters.dimension) for y, d in years_data.items()}
    in_progress = year_in_progress(year)
    risk = risk_data(plan, year, years_data) if in_progress else None

    rows, hidden = [], 0
    for dp in department_plans:
        did = dp.department_id
        has_kpis = did in pya.departments
        rollup = scoped[year][0].get(did)
        row = DepartmentRow(
            department_plan=dp,
            has_kpis=has_kpis,
            rollup=rollup,
            common=pya.common.get(did),
            trend=[(y, scoped[y][0].get(did)) for y in years_data],
            selected_year=year,
        )
        if risk is not None:
            row.behind, row.catching_up = risk.behind_count(did), risk.catching_up_count(did)
            row.overdue = risk.overdue_count(did)
        if filters.light and (rollup is None or rollup.light != filters.light):
            hidden += 1
            continue
        rows.append(row)

    city_trend = [(y, scoped[y][1]) for y in years_data]
    sees_all = access.department_ids_for(user, access.VIEW) is None
    city_label = _("The city") if sees_all else _("Your departments together")
    city_set = {"label": city_label, "data": [chart_number(r.score) for _, r in city_trend], "emphasis": True}
    department_sets = [
        {"label": r.department.name, "data": [chart_number(t.score) if t else None for _, t in r.trend]}
        for r in rows
        if r.has_kpis
    ]
    if len(department_sets) == 1 and sum(1 for dp in department_plans if dp.department_id in pya.departments) == 1:
        # One department with KPIs: its line is the city's; draw it once.
        datasets = [
            {
                **city_set,
                "label": _("%(department)s (%(city)s)")
                % {"department": department_sets[0]["label"], "city": city_label},
            }
        ]
    else:
        datasets = [city_set, *department_sets]
    chart = {
        "kind": "line",
        "unit": "%",
        "labels": [formatting.roc_year(y) for y in years_data],
        "yLabel": _("Score (percent)"),
        "yMin": 0,
        "yMax": 100,
        "thresholds": {"green": float(pya.thresholds.green), "yellow": float(pya.thresholds.yellow)},
        "thresholdLabels": {"green": Light.GREEN.label, "yellow": Light.YELLOW.label},
        "colon": pgettext("after a label", ": "),
        "datasets": datasets,
    }
    return Overview(
        plan=plan,
        filters=filters,
        sees_all=sees_all,
        city=scoped[year][1],
        city_trend=city_trend,
        rows=rows,
        hidden=hidden,
        in_progress=in_progress,
        risk=risk,
        chart=chart,
    )
