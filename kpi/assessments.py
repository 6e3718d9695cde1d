"""The batch attainment service: every indicator of a plan-year and every roll-up, at once.

Like pretix's QuotaAvailability, it gathers what it needs in a fixed number of grouped
queries (indicators with their hierarchy, the year's targets, the year's approved
reports), then computes in memory with the framework-free rules of kpi.attainment.
Dashboards, the KPI page, exports and the API all read from it, so the same figure
never comes out two ways.

`plan_years_attainment` computes several years (a trend) in the same three queries;
`plan_year_attainment` is its one-year case.

Roll-ups follow DOMAIN.md: an objective's score is the weighted mean of its KPIs'
capped scores, ignoring white ones, with the count of each light; goals, dimensions,
departments and the city roll up the same way (pooled over their KPIs, so a KPI
weighs the same wherever it sits). Common indicators are reported beside, not
inside, the KPI roll-up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from kpi import units
from kpi.attainment import Assessment, RollUp, Thresholds, assess, combine, expected_to_date, roll_up
from kpi.models import (
    Accrual,
    Direction,
    Indicator,
    IndicatorKind,
    ProgressReport,
    ReportingPeriod,
    ReportStatus,
    YearlyTarget,
)
from plans.models import Plan


@dataclass
class IndicatorResult:
    indicator: Indicator
    target: YearlyTarget | None
    report: ProgressReport | None  # the latest approved report of the year: the actual
    assessment: Assessment

    @property
    def actual(self) -> Decimal | None:
        return self.report.actual if self.report else None


@dataclass
class Group:
    """A node of the roll-up (objective, goal, dimension, department, city)."""

    key: object
    name: str
    rollup: RollUp
    results: list[IndicatorResult] = field(default_factory=list)


@dataclass
class PlanYearAttainment:
    plan: Plan
    year: int
    thresholds: Thresholds
    indicators: dict[int, IndicatorResult]
    objectives: dict[int, Group]
    goals: dict[int, Group]
    dimensions: dict[str, Group]
    departments: dict[int, Group]
    city: Group
    common: dict[int, Group]  # department id → its common indicators (beside the roll-up)

    def for_department(self, department_id: int) -> list[IndicatorResult]:
        return [r for r in self.indicators.values() if r.indicator.department_plan.department_id == department_id]


def thresholds_for(plan: Plan) -> Thresholds:
    return Thresholds(green=plan.green_threshold, yellow=plan.yellow_threshold)


def _indicator_rows(
    plan: Plan, department_ids: list[int] | None, indicator_ids: list[int] | None = None
) -> tuple[list[Indicator], dict]:
    """The plan's indicators (optionally of some departments, or some indicators) with their hierarchy: one query."""
    indicator_filter = {"indicator__department_plan__plan": plan}
    indicators_qs = Indicator.objects.filter(department_plan__plan=plan).select_related(
        "department_plan__department", "objective__goal", "common_goal"
    )
    if department_ids is not None:
        indicators_qs = indicators_qs.filter(department_plan__department_id__in=department_ids)
        indicator_filter["indicator__department_plan__department_id__in"] = department_ids
    if indicator_ids is not None:
        indicators_qs = indicators_qs.filter(id__in=indicator_ids)
        indicator_filter["indicator_id__in"] = indicator_ids
    indicators = list(
        indicators_qs.order_by(
            "department_plan__toc_number", "-kind", "objective__number", "common_goal__number", "number"
        )
    )
    return indicators, indicator_filter


def latest_approved(*, years: Iterable[int], **report_filters) -> dict[tuple[int, int], ProgressReport]:
    """The year's actual (the rule): (indicator id, year) → the latest approved report of that year.

    `report_filters` narrow the reports (``indicator=…``, ``indicator__department_plan__plan=…``).
    Every page, export and the API take a year's actual from here or from the batch
    service below, which calls it.
    """
    # Only the latest approved report of each indicator-year leaves the database (ranked
    # by a window function, kept where the rank is 1), not every approved quarter: a
    # four-year trend reads a quarter of the rows it would otherwise. A correlated
    # subquery ("id = the latest id of this indicator-year") did the same but made
    # PostgreSQL expect a single row and nest its joins: 33 s instead of 1 s for a city
    # of 500 departments (bench/benchmark.py, docs/performance.md).
    rank = Window(
        RowNumber(),
        partition_by=[F("indicator_id"), F("period__year")],
        order_by=[F("period__end_date").desc(), F("id").desc()],
    )
    reports = (
        ProgressReport.objects.filter(status=ReportStatus.APPROVED, period__year__in=list(years), **report_filters)
        .annotate(latest_rank=rank)
        .filter(latest_rank=1)
        .select_related("period")
        .order_by("indicator_id", "-period__end_date", "-id")
    )
    latest: dict[tuple[int, int], ProgressReport] = {}
    for report in reports:
        latest.setdefault((report.indicator_id, report.period.year), report)
    return latest


def plan_year_attainment(*, plan: Plan, year: int, department_ids: Iterable[int] | None = None) -> PlanYearAttainment:
    """Compute a plan-year in three queries, whatever the number of indicators."""
    return plan_years_attainment(plan=plan, years=[year], department_ids=department_ids)[year]


def plan_years_attainment(
    *,
    plan: Plan,
    years: Iterable[int] | None = None,
    department_ids: Iterable[int] | None = None,
    indicator_ids: Iterable[int] | None = None,
) -> dict[int, PlanYearAttainment]:
    """Several years (default: every year of the plan) in the same three queries, year → result.

    Each year is computed exactly as `plan_year_attainment` computes it alone (it is the
    one-year case of this function), so a trend and a single year never disagree.
    `indicator_ids` narrows it to some indicators (the KPI page asks for its own); the
    roll-ups then cover those indicators only.
    """
    years = sorted(set(years)) if years is not None else plan.years
    department_ids = list(department_ids) if department_ids is not None else None
    indicator_ids = list(indicator_ids) if indicator_ids is not None else None
    thresholds = thresholds_for(plan)
    indicators, indicator_filter = _indicator_rows(plan, department_ids, indicator_ids)
    targets = {(t.indicator_id, t.year): t for t in YearlyTarget.objects.filter(year__in=years, **indicator_filter)}
    reports = latest_approved(years=years, **indicator_filter)
    return {year: _compute(plan, year, thresholds, indicators, targets, reports) for year in years}


def _compute(
    plan: Plan,
    year: int,
    thresholds: Thresholds,
    indicators: list[Indicator],
    targets: dict[tuple[int, int], YearlyTarget],
    reports: dict[tuple[int, int], ProgressReport],
) -> PlanYearAttainment:
    results: dict[int, IndicatorResult] = {}
    for ind in indicators:
        target = targets.get((ind.id, year))
        report = reports.get((ind.id, year))
        assessment = assess(
            actual=report.actual if report else None,
            target=target.value if target else None,
            direction=ind.direction,
            thresholds=thresholds,
            excluded_reason=not_assessed_reason(ind, target, report.period if report else None),
        )
        results[ind.id] = IndicatorResult(ind, target, report, assessment)

    by_objective: dict[int, list[IndicatorResult]] = defaultdict(list)
    by_common: dict[int, list[IndicatorResult]] = defaultdict(list)
    for r in results.values():
        if r.indicator.kind == IndicatorKind.KPI:
            by_objective[r.indicator.objective_id].append(r)
        else:
            by_common[r.indicator.department_plan.department_id].append(r)

    def group(key, name, members: list[IndicatorResult]) -> Group:
        rollup = roll_up(((m.assessment, m.indicator.weight) for m in members), thresholds)
        return Group(key, name, rollup, members)

    objectives = {
        oid: group(oid, members[0].indicator.objective.name, members) for oid, members in by_objective.items()
    }

    def pooled(key, name, groups: list[Group]) -> Group:
        return Group(key, name, combine([g.rollup for g in groups], thresholds), [r for g in groups for r in g.results])

    goal_members: dict[int, list[Group]] = defaultdict(list)
    dimension_members: dict[str, list[Group]] = defaultdict(list)
    department_members: dict[int, list[Group]] = defaultdict(list)
    goal_names, dimension_names, department_names = {}, {}, {}
    for objective_group in objectives.values():
        objective = objective_group.results[0].indicator.objective
        department = objective_group.results[0].indicator.department_plan.department
        if objective.goal_id:
            goal_members[objective.goal_id].append(objective_group)
            goal_names[objective.goal_id] = objective.goal.name
        dimension_members[objective.dimension].append(objective_group)
        dimension_names[objective.dimension] = objective.get_dimension_display()
        department_members[department.id].append(objective_group)
        department_names[department.id] = department.name

    goals = {gid: pooled(gid, goal_names[gid], groups) for gid, groups in goal_members.items()}
    dimensions = {d: pooled(d, str(dimension_names[d]), groups) for d, groups in dimension_members.items()}
    departments = {did: pooled(did, department_names[did], groups) for did, groups in department_members.items()}
    city = pooled("city", "全市", list(objectives.values()))
    common = {
        did: group(did, members[0].indicator.department_plan.department.name, members)
        for did, members in by_common.items()
    }
    return PlanYearAttainment(plan, year, thresholds, results, objectives, goals, dimensions, departments, city, common)


# --- One report: what the form shows, what the period should reach ---------------------


@dataclass(frozen=True)
class Preview:
    """What the form shows before submitting: the figure against the year and the pace."""

    actual: Decimal | None
    year_target: Decimal | None
    year: Assessment
    period_target: Decimal | None  # what the year-to-date figure should be by the period's end
    pace: Assessment
    working: str = ""

    @property
    def needs_explanation(self) -> bool:
        return self.pace.light in ("yellow", "red")


def _target_rows(indicator: Indicator) -> list[YearlyTarget]:
    cache = getattr(indicator, "_prefetched_objects_cache", {})
    targets = cache.get("targets")
    if targets is None:
        targets = YearlyTarget.objects.filter(indicator=indicator)
    return list(targets)


def _targets_by_year(indicator: Indicator) -> dict[int, Decimal]:
    return {t.year: t.value for t in _target_rows(indicator)}


def period_target(indicator: Indicator, period: ReportingPeriod, targets: dict[int, Decimal] | None = None):
    """The year-to-date figure the period should reach: the pro-rated share of the year's
    target for cumulative figures (from last year's level for a % ladder), the full
    target for levels and lower-is-better rates."""
    targets = targets if targets is not None else _targets_by_year(indicator)
    target = targets.get(period.year)
    if target is None:
        return None
    if indicator.accrual == Accrual.LEVEL or indicator.direction == Direction.LOWER:
        return target
    start = units.cumulative_start(indicator, targets, period.year)
    return expected_to_date(
        target=target,
        fraction_of_year=period.fraction_of_year,
        cumulative_from=start,
        whole=units.is_counted(indicator.unit),
    )


def not_assessed_reason(
    indicator: Indicator, target: YearlyTarget | None, period: ReportingPeriod | None
) -> str | None:
    """Why a KPI-year is white whatever its figure (不予評估), or None.

    Either an admin excluded the year, or the indicator is judged at year end only (a
    budget surplus means nothing in March) and the figure is not the year's last one.
    Every page, export and the API ask this, so the rule is written once.
    """
    if target is not None and target.excluded_reason.strip():
        return target.excluded_reason.strip()
    if indicator.accrual == Accrual.YEAR_END and period is not None and not period.is_last_of_year:
        return _(
            "Judged at year end, once the whole year's figure is approved (this is the year-to-date figure of "
            "%(period)s)"
        ) % {"period": period.label}
    return None


def report_preview(
    *, indicator: Indicator, period: ReportingPeriod, actual: Decimal | None, working: str = ""
) -> Preview:
    thresholds = thresholds_for(period.plan)
    targets = {t.year: t for t in _target_rows(indicator)}
    year_target = targets[period.year].value if period.year in targets else None
    due = period_target(indicator, period, {y: t.value for y, t in targets.items()})
    excluded = not_assessed_reason(indicator, targets.get(period.year), period)
    return Preview(
        actual=actual,
        year_target=year_target,
        year=assess(
            actual=actual,
            target=year_target,
            direction=indicator.direction,
            thresholds=thresholds,
            excluded_reason=excluded,
        ),
        period_target=due,
        pace=assess(
            actual=actual, target=due, direction=indicator.direction, thresholds=thresholds, excluded_reason=excluded
        ),
        working=working,
    )
