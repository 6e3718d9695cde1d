"""A department's dashboard: its tree of goals, objectives and KPIs with sparklines."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from common import dates
from kpi.assessments import Group, IndicatorResult, plan_years_attainment
from kpi.attainment import Assessment, RollUp
from kpi.models import (
    Indicator,
    IndicatorKind,
    ReportingPeriod,
)
from plans.models import DepartmentPlan, Goal, Plan, StrategicObjective
from reports.selectors.charts import (
    LightCount,
    Sparkline,
    counts_text,
    light_counts,
    result_sparkline,
    rollup_sparkline,
)
from reports.selectors.pace import Pace, last_due_period, status_pace, year_periods
from reports.selectors.params import DIMENSION_CHOICES, Filters, year_in_progress


@dataclass
class KpiRow:
    result: IndicatorResult
    sparkline: Sparkline
    pace: Pace | None = None  # in a year in progress: its period status (the light, as a list row)
    shown: bool = True  # False when the dimension/light filters leave it out

    @property
    def indicator(self) -> Indicator:
        return self.result.indicator

    @property
    def assessment(self) -> Assessment:
        return self.result.assessment


class _GroupCounts:
    """The light counts of a tree node's roll-up group, as badges and as text."""

    group: Group | None

    @property
    def counts(self) -> list[LightCount]:
        return light_counts(self.group.rollup if self.group else None)

    @property
    def counts_text(self) -> str:
        return counts_text(self.group.rollup if self.group else None)


@dataclass
class ObjectiveNode(_GroupCounts):
    objective: StrategicObjective
    group: Group | None
    rows: list[KpiRow]
    sparkline: Sparkline

    @property
    def shown_rows(self) -> list[KpiRow]:
        return [r for r in self.rows if r.shown]


@dataclass
class GoalNode(_GroupCounts):
    goal: Goal | None  # None: objectives not linked to a goal
    group: Group | None
    objectives: list[ObjectiveNode]
    sparkline: Sparkline | None

    @property
    def shown_objectives(self) -> list[ObjectiveNode]:
        return [o for o in self.objectives if o.shown_rows]


@dataclass
class DimensionRow:
    key: str
    name: str
    group: Group
    sparkline: Sparkline

    @property
    def counts(self) -> list[LightCount]:
        return light_counts(self.group.rollup)


@dataclass
class YearTable:
    """Every KPI's attainment in every plan year: the text alternative of the sparklines."""

    years: list[int]
    rows: list[tuple[Indicator, list[IndicatorResult]]]  # each year's result: its status and the period it names


@dataclass
class DepartmentPage:
    plan: Plan
    department_plan: DepartmentPlan
    filters: Filters
    years: list[int]
    total: Group | None
    total_sparkline: Sparkline | None
    goals: list[GoalNode]
    dimensions: list[DimensionRow]
    common: Group | None
    common_rows: list[KpiRow]
    in_progress: bool
    due_period: ReportingPeriod | None
    kpi_count: int
    shown_count: int
    year_table: YearTable

    @property
    def department(self):
        return self.department_plan.department

    @property
    def total_counts(self) -> list[LightCount]:
        return light_counts(self.total.rollup if self.total else None)

    @property
    def total_counts_text(self) -> str:
        return counts_text(self.total.rollup if self.total else None)

    @property
    def common_counts(self) -> list[LightCount]:
        return light_counts(self.common.rollup if self.common else None)

    @property
    def shown_common_rows(self) -> list[KpiRow]:
        return [r for r in self.common_rows if r.shown]

    @property
    def behind_count(self) -> int:
        return sum(1 for g in self.goals for o in g.objectives for r in o.rows if r.pace and r.pace.behind)


def department_page(user, plan: Plan, department_plan: DepartmentPlan, filters: Filters) -> DepartmentPage:
    """Goals → objectives → KPIs of one department with every roll-up, plus its common indicators."""
    did = department_plan.department_id
    years_data = plan_years_attainment(plan=plan, department_ids=[did])
    year = filters.year
    pya = years_data[year]
    goals = list(Goal.objects.filter(department_plan=department_plan).order_by("number"))
    objectives = list(StrategicObjective.objects.filter(department_plan=department_plan).order_by("number"))
    in_progress = year_in_progress(year)
    due_period = None
    if in_progress:
        due_period = last_due_period(year_periods(plan, year), dates.today())

    def trend(getter) -> list[tuple[int, RollUp | None]]:
        return [(y, (getter(d).rollup if getter(d) else None)) for y, d in years_data.items()]

    def kpi_row(result: IndicatorResult) -> KpiRow:
        indicator = result.indicator
        pace = status_pace(result) if in_progress else None
        shown = (
            not filters.dimension or (indicator.objective and indicator.objective.dimension == filters.dimension)
        ) and (not filters.light or result.assessment.light == filters.light)
        return KpiRow(result, result_sparkline(years_data, indicator.id, year), pace, bool(shown))

    kpis_by_objective: dict[int, list[KpiRow]] = defaultdict(list)
    common_rows = []
    for result in pya.indicators.values():
        if result.indicator.kind == IndicatorKind.KPI:
            kpis_by_objective[result.indicator.objective_id].append(kpi_row(result))
        else:
            row = kpi_row(result)
            row.shown = not filters.light or result.assessment.light == filters.light
            common_rows.append(row)

    nodes_by_goal: dict[int | None, list[ObjectiveNode]] = defaultdict(list)
    for objective in objectives:
        node = ObjectiveNode(
            objective=objective,
            group=pya.objectives.get(objective.id),
            rows=kpis_by_objective.get(objective.id, []),
            sparkline=rollup_sparkline(trend(lambda d, oid=objective.id: d.objectives.get(oid)), year),
        )
        nodes_by_goal[objective.goal_id if objective.goal_id in {g.id for g in goals} else None].append(node)
    goal_nodes = [
        GoalNode(
            goal=g,
            group=pya.goals.get(g.id),
            objectives=nodes_by_goal.get(g.id, []),
            sparkline=rollup_sparkline(trend(lambda d, gid=g.id: d.goals.get(gid)), year),
        )
        for g in goals
    ]
    if nodes_by_goal.get(None):
        goal_nodes.append(GoalNode(goal=None, group=None, objectives=nodes_by_goal[None], sparkline=None))

    dimensions = [
        DimensionRow(
            key=key,
            name=str(label),
            group=pya.dimensions[key],
            sparkline=rollup_sparkline(trend(lambda d, k=key: d.dimensions.get(k)), year),
        )
        for key, label in DIMENSION_CHOICES
        if key in pya.dimensions
    ]
    all_rows = [r for rows in kpis_by_objective.values() for r in rows]
    total = pya.departments.get(did)
    return DepartmentPage(
        plan=plan,
        department_plan=department_plan,
        filters=filters,
        years=list(years_data),
        total=total,
        total_sparkline=rollup_sparkline(trend(lambda d: d.departments.get(did)), year) if total else None,
        goals=goal_nodes,
        dimensions=dimensions,
        common=pya.common.get(did),
        common_rows=common_rows,
        in_progress=in_progress,
        due_period=due_period,
        kpi_count=len(all_rows),
        shown_count=sum(1 for r in all_rows if r.shown),
        year_table=YearTable(
            years=list(years_data),
            rows=[
                (r.indicator, [years_data[y].indicators[r.indicator.id] for y in years_data])
                for r in all_rows + common_rows
            ],
        ),
    )
