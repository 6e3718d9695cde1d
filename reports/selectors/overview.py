"""The city overview: every department's score and lights, the trend."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from common import dates, formatting
from kpi import access
from kpi.assessments import thresholds_for
from kpi.attainment import Light, RollUp, combine
from kpi.rollups import CITY, RiskCounts, stored_risk_counts, stored_rollups
from plans.models import DepartmentPlan, Plan
from reports.selectors.charts import (
    LightCount,
    Sparkline,
    chart_number,
    counts_text,
    light_counts,
    rollup_sparkline,
)
from reports.selectors.pace import last_due_period, year_periods
from reports.selectors.params import Filters, visible_department_plans, year_in_progress


@dataclass
class DepartmentRow:
    department_plan: DepartmentPlan
    has_kpis: bool  # False: 尚未建檔
    rollup: RollUp | None  # None when it has no KPIs (in the chosen dimension)
    common: RollUp | None  # its common indicators, beside the KPIs
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
        return light_counts(self.common)

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
    risk: dict[int, RiskCounts] | None  # department id → at-risk counts, for the year in progress
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
    """The city at a glance for `filters.year`, and the trend over every plan year.

    Every figure is a roll-up of the stored assessments, aggregated in SQL (`kpi.rollups`):
    a fixed number of grouped queries whatever the size of the city, and the same figures
    as the department pages compute from the same rule (tests/test_stored_assessments.py).
    """
    department_plans = visible_department_plans(user, plan)
    ids = [dp.department_id for dp in department_plans]
    year, years = filters.year, plan.years
    today = dates.today()
    scope = {"plan": plan, "department_ids": ids, "today": today}
    by_department = stored_rollups(years=years, by="department", dimension=filters.dimension, **scope)
    by_city = stored_rollups(years=years, by=CITY, dimension=filters.dimension, **scope)
    with_kpis = (
        set(stored_rollups(years=[year], by="department", **scope)[year])
        if filters.dimension
        else set(by_department[year])
    )
    common = stored_rollups(years=[year], by="common", **scope)[year]
    in_progress = year_in_progress(year)
    risk = None
    if in_progress:
        due = last_due_period(year_periods(plan, year), today)
        risk = stored_risk_counts(
            plan=plan,
            year=year,
            due_end=due.end_date if due else None,
            due_locked=bool(due and due.is_locked),
            department_ids=ids,
            today=today,
        )

    rows, hidden = [], 0
    for dp in department_plans:
        did = dp.department_id
        rollup = by_department[year].get(did)
        row = DepartmentRow(
            department_plan=dp,
            has_kpis=did in with_kpis,
            rollup=rollup,
            common=common.get(did),
            trend=[(y, by_department[y].get(did)) for y in years],
            selected_year=year,
        )
        if risk is not None and did in risk:
            row.behind, row.catching_up, row.overdue = risk[did].behind, risk[did].catching_up, risk[did].overdue
        if filters.light and (rollup is None or rollup.light != filters.light):
            hidden += 1
            continue
        rows.append(row)

    empty = combine([], thresholds_for(plan))
    city_trend = [(y, by_city[y].get(CITY, empty)) for y in years]
    sees_all = access.department_ids_for(user, access.VIEW) is None
    city_label = _("The city") if sees_all else _("Your departments together")
    city_set = {"label": city_label, "data": [chart_number(r.score) for _, r in city_trend], "emphasis": True}
    department_sets = [
        {"label": r.department.name, "data": [chart_number(t.score) if t else None for _, t in r.trend]}
        for r in rows
        if r.has_kpis
    ]
    if len(department_sets) == 1 and len(with_kpis & set(ids)) == 1:
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
        "labels": [formatting.roc_year(y) for y in years],
        "yLabel": _("Score (percent)"),
        "yMin": 0,
        "yMax": 100,
        "thresholds": {"green": float(plan.green_threshold), "yellow": float(plan.yellow_threshold)},
        "thresholdLabels": {"green": Light.GREEN.label, "yellow": Light.YELLOW.label},
        "colon": pgettext("after a label", ": "),
        "datasets": datasets,
    }
    return Overview(
        plan=plan,
        filters=filters,
        sees_all=sees_all,
        city=by_city[year].get(CITY, empty),
        city_trend=city_trend,
        rows=rows,
        hidden=hidden,
        in_progress=in_progress,
        risk=risk,
        chart=chart,
    )
