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

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, FilteredRelation, Q, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from common import dates
from common.years import to_roc
from kpi import planning
from kpi.attainment import Assessment, RollUp, Thresholds, assess, combine, roll_up
from kpi.models import (
    Accrual,
    Direction,
    Indicator,
    IndicatorKind,
    PlannedValue,
    ProgressReport,
    ReportingPeriod,
    ReportStatus,
    YearlyTarget,
)
from plans.models import PERIODS_PER_YEAR, Plan

YEAR, PERIOD = "year", "period"


@dataclass(frozen=True)
class Status:
    """The light people see for a KPI-year (`status_of`), and what it was judged against.

    - `basis` YEAR: a year that has ended (or not begun) is judged on its year status,
      the approved actual against the year's target, and only that way.
    - `basis` PERIOD: the year in progress is judged on its period status, the latest
      approved year-to-date figure against the planned value of its period
      (`planned_to_date`, 分期預定值), labelled with that period ("114Q3 進度"); the
      full-year ratio stays beside it as a figure (`year`).
    """

    assessment: Assessment  # the light people see, and its attainment
    basis: str  # YEAR or PERIOD
    year: Assessment  # the year-basis figures: actual ÷ the year's target
    period: ReportingPeriod | None = None  # the period a PERIOD status refers to
    planned_to_date: Decimal | None = None  # that period's planned value

    @property
    def label(self) -> str:
        """ "114Q3 進度" for a period status ("114Q3 progress"); "" for a year status."""
        if self.basis != PERIOD or self.period is None:
            return ""
        return _("%(period)s progress") % {"period": self.period.short_label}


@dataclass
class IndicatorResult:
    indicator: Indicator
    target: YearlyTarget | None
    report: ProgressReport | None  # the latest approved report of the year: the actual
    assessment: Assessment  # the status people see (`status.assessment`)
    status: Status | None = None
    stored: dict[int, tuple[Decimal, str]] | None = None  # the planned values people set (period → value, status)

    @property
    def actual(self) -> Decimal | None:
        return self.report.actual if self.report else None

    @property
    def year_assessment(self) -> Assessment:
        """The year-basis figures (actual ÷ the year's target), whatever the status's basis."""
        return self.status.year if self.status is not None else self.assessment


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


def year_rollup(group: Group, thresholds: Thresholds) -> RollUp:
    """The group's roll-up on the year basis: its members' actual ÷ the year's target, whatever the status's basis.

    `Group.rollup` averages the statuses people see; this is the figure beside it (the API
    gives both, so that integrators can compute either).
    """
    return roll_up(((r.year_assessment, r.indicator.weight) for r in group.results), thresholds)


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


# The figure of record of a report reopened for correction: the open correction keeps what had been approved.
_RECORD_FIELDS = ("actual", "inputs", "narrative", "shortfall_reason", "improvement_plan")


def of_record(through: str = "") -> Q:
    """The reports whose figure counts: approved, or reopened for correction (whose figure
    that had been approved still counts until it is approved again).

    `through` applies the rule across a relation: ``of_record("report")`` filters evidence
    (or any row with a `report`) by its report."""
    prefix = f"{through}__" if through else ""
    return Q(**{f"{prefix}status": ReportStatus.APPROVED}) | Q(**{f"{prefix}correcting": True})


def with_record(reports):
    """`reports` with what their open correction keeps, in the same query (see `as_of_record`)."""
    return reports.annotate(
        open_correction=FilteredRelation("corrections", condition=Q(corrections__resolved_at__isnull=True))
    ).annotate(
        record_reopened_at=F("open_correction__reopened_at"),
        record_reason=F("open_correction__reason"),
        record_approved_by_id=F("open_correction__approved_by_id"),
        record_approved_at=F("open_correction__approved_at"),
        **{f"record_{name}": F(f"open_correction__{name}") for name in _RECORD_FIELDS},
    )


def as_of_record(report: ProgressReport) -> ProgressReport:
    """The report as its figure of record reads: a report under correction shows the figure
    that had been approved (from `with_record`), marked `pending_correction`. The instance
    is for reading only."""
    report.pending_correction = None
    if getattr(report, "record_reopened_at", None) is None:
        return report
    report.pending_correction = {
        "reopened_at": report.record_reopened_at,
        "reason": report.record_reason,
        "working_actual": report.actual,
        "working_status": report.status,
    }
    for name in _RECORD_FIELDS:
        setattr(report, name, getattr(report, f"record_{name}"))
    report.status = ReportStatus.APPROVED
    report.reviewed_by_id, report.reviewed_at = report.record_approved_by_id, report.record_approved_at
    report.save = _read_only  # never written back as if it were approved
    return report


def _read_only(*args, **kwargs):
    raise RuntimeError("a report read as its figure of record cannot be saved")


def latest_approved(*, years: Iterable[int], **report_filters) -> dict[tuple[int, int], ProgressReport]:
    """The year's actual (the rule): (indicator id, year) → the latest approved report of that year.

    `report_filters` narrow the reports (``indicator=…``, ``indicator__department_plan__plan=…``).
    Every page, export and the API take a year's actual from here or from the batch
    service below, which calls it. A report reopened for correction still counts with the
    figure that had been approved, until it is approved again (`as_of_record`).
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
        with_record(ProgressReport.objects.filter(of_record(), period__year__in=list(years), **report_filters))
        .annotate(latest_rank=rank)
        .filter(latest_rank=1)
        .select_related("period")
        .order_by("indicator_id", "-period__end_date", "-id")
    )
    latest: dict[tuple[int, int], ProgressReport] = {}
    for report in reports:
        latest.setdefault((report.indicator_id, report.period.year), as_of_record(report))
    return latest


def plan_year_attainment(
    *,
    plan: Plan,
    year: int,
    department_ids: Iterable[int] | None = None,
    through: ReportingPeriod | None = None,
) -> PlanYearAttainment:
    """Compute a plan-year in three queries, whatever the number of indicators.

    `through` (a period of `year`) computes the year as it stood at the end of that period,
    for a review meeting's pack (reports.pack): each KPI's figure of record is its latest
    approved report up to that period, and its light the period status of that report
    (進度燈號, against its period's planned value), by the same rules as the year in
    progress; only the last period of a year that has ended is judged on the year status.
    """
    if through is None:
        return plan_years_attainment(plan=plan, years=[year], department_ids=department_ids)[year]
    if through.year != year:
        raise ValueError(f"period {through} is not of year {year}")
    inputs = load_inputs(plan=plan, years=[year], department_ids=department_ids, through=through)
    today = dates.today()
    in_progress = year_in_progress(year, today) or not through.is_last_of_year
    return _compute(plan, year, inputs, today, in_progress=in_progress)


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
    inputs = load_inputs(plan=plan, years=years, department_ids=department_ids, indicator_ids=indicator_ids)
    today = dates.today()
    return {year: _compute(plan, year, inputs, today) for year in years}


@dataclass
class Inputs:
    """What the status of a set of KPI-years is computed from (`load_inputs`): four queries."""

    plan: Plan
    thresholds: Thresholds
    indicators: list[Indicator]
    targets: dict[tuple[int, int], YearlyTarget]  # (indicator id, year) → target, the year before each year too
    planned: dict[tuple[int, int], dict[int, tuple[Decimal, str]]]  # (indicator id, year) → planned values
    reports: dict[tuple[int, int], ProgressReport]  # (indicator id, year) → the figure of record

    def status(
        self,
        indicator: Indicator,
        year: int,
        *,
        today: datetime.date | None = None,
        in_progress: bool | None = None,
        report: ProgressReport | None | bool = True,
    ) -> Status:
        """`status_of` the KPI-year, on its figure of record (or on `report`, e.g. one awaiting review)."""
        return status_of(
            indicator=indicator,
            year=year,
            targets={
                y: self.targets[(indicator.id, y)].value for y in (year - 1, year) if (indicator.id, y) in self.targets
            },
            target=self.targets.get((indicator.id, year)),
            report=self.reports.get((indicator.id, year)) if report is True else report,
            stored=self.planned.get((indicator.id, year)),
            periods_per_year=PERIODS_PER_YEAR[self.plan.reporting_frequency],
            thresholds=self.thresholds,
            today=today,
            in_progress=in_progress,
        )


def _target_years(years: Iterable[int]) -> set[int]:
    """The targets a status of `years` reads: the year before each year too (a cumulative %
    ladder starts where last year's target was)."""
    return set(years) | {y - 1 for y in years}


def load_inputs(
    *,
    plan: Plan,
    years: Iterable[int],
    department_ids: Iterable[int] | None = None,
    indicator_ids: Iterable[int] | None = None,
    through: ReportingPeriod | None = None,
) -> Inputs:
    """The indicators of the plan (narrowed to some departments or indicators) with what their
    statuses for `years` need: targets, planned values, figures of record. Four queries.

    `through` leaves out the reports of periods ending after it (`plan_year_attainment`)."""
    years = sorted(set(years))
    department_ids = list(department_ids) if department_ids is not None else None
    indicator_ids = list(indicator_ids) if indicator_ids is not None else None
    indicators, indicator_filter = _indicator_rows(plan, department_ids, indicator_ids)
    target_years = sorted(_target_years(years))
    targets = {
        (t.indicator_id, t.year): t
        for t in YearlyTarget.objects.filter(year__in=target_years, **indicator_filter).order_by()  # keyed: no sort
    }
    planned = planned_values(years=years, **{f"target__{k}": v for k, v in indicator_filter.items()})
    report_filter = dict(indicator_filter)
    if through is not None:
        report_filter["period__end_date__lte"] = through.end_date
    reports = latest_approved(years=years, **report_filter)
    return Inputs(plan, thresholds_for(plan), indicators, targets, planned, reports)


def indicator_inputs(indicator: Indicator, years: Iterable[int]) -> Inputs:
    """`load_inputs` for one indicator already loaded with its plan and its targets
    (prefetched, as the KPI page loads them): the statuses of its years in two queries
    (planned values, figures of record) instead of four."""
    years = sorted(set(years))
    plan = indicator.department_plan.plan
    target_years = _target_years(years)
    targets = {(t.indicator_id, t.year): t for t in indicator.targets.all() if t.year in target_years}
    planned = planned_values(years=years, target__indicator_id=indicator.pk)
    reports = latest_approved(years=years, indicator_id=indicator.pk)
    return Inputs(plan, thresholds_for(plan), [indicator], targets, planned, reports)


def planned_values(*, years: Iterable[int], **filters) -> dict[tuple[int, int], dict[int, tuple[Decimal, str]]]:
    """The planned values people set: (indicator id, year) → {period number: (value, status)}. One query."""
    stored: dict[tuple[int, int], dict[int, tuple[Decimal, str]]] = defaultdict(dict)
    # Unordered: the model's ordering sorts through the target, the indicator, its department plan
    # and plan, its objective and common goal (five joins, 2.5 ms of planning for a KPI's few rows).
    rows = (
        PlannedValue.objects.filter(target__year__in=list(years), **filters)
        .order_by()
        .values_list("target__indicator_id", "target__year", "number", "value", "status")
    )
    for indicator_id, year, number, value, status in rows:
        stored[(indicator_id, year)][number] = (value, status)
    return stored


def year_in_progress(year: int, today: datetime.date) -> bool:
    """Whether `today` falls in the ROC year: its status is then judged period by period."""
    return to_roc(today.year) == year


def status_of(
    *,
    indicator: Indicator,
    year: int,
    targets: dict[int, Decimal],
    target: YearlyTarget | None,
    report: ProgressReport | None,
    stored: dict[int, tuple[Decimal, str]] | None,
    periods_per_year: int,
    thresholds: Thresholds,
    today: datetime.date | None = None,
    in_progress: bool | None = None,
) -> Status:
    """THE status of a KPI-year: the one function every surface takes its light from.

    `report` is the year's latest approved report (`latest_approved`), `targets` the
    indicator's targets by year, `stored` the planned values people set. Rules: `Status`.
    Whether the year is in progress is decided by `today`, or given as `in_progress` (the
    stored assessments keep the status of both cases, `kpi.stored`).
    """
    if in_progress is None:
        in_progress = year_in_progress(year, today)
    period = report.period if report else None
    actual = report.actual if report else None
    excluded = target.excluded_reason.strip() if target is not None and target.excluded_reason.strip() else None
    year_status = assess(
        actual=actual,
        target=target.value if target else None,
        direction=indicator.direction,
        thresholds=thresholds,
        excluded_reason=not_assessed_reason(indicator, target, period),
    )
    if not in_progress or target is None or excluded:
        return Status(assessment=year_status, basis=YEAR, year=year_status)
    if report is None:
        return Status(assessment=year_status, basis=PERIOD, year=year_status)
    planned = planning.planned_to_date(indicator, targets, year, period.number, periods_per_year, stored)
    in_period = period_status(
        indicator=indicator, target=target, period=period, actual=actual, planned=planned, thresholds=thresholds
    )
    return Status(assessment=in_period, basis=PERIOD, year=year_status, period=period, planned_to_date=planned)


def period_status(
    *,
    indicator: Indicator,
    target: YearlyTarget | None,
    period: ReportingPeriod,
    actual: Decimal | None,
    planned: Decimal | None,
    thresholds: Thresholds,
) -> Assessment:
    """A year-to-date figure against its period's planned value (進度燈號): white with the
    reason where nothing is planned (a year-end figure before year end, an excluded year).

    A period planned at 0 on a higher-is-better KPI (one place a year: nothing is due by
    Q1) has nothing to fall behind: any figure meets the plan (100%, green). A target of 0
    for the whole year stays white, as the year's rule says.
    """
    excluded = target.excluded_reason.strip() if target is not None and target.excluded_reason.strip() else None
    reason = excluded or (None if planned is not None else not_assessed_reason(indicator, target, period))
    if (
        reason is None
        and planned == 0
        and actual is not None
        and indicator.direction == Direction.HIGHER
        and not period.is_last_of_year
    ):
        met = Decimal("100.0000")
        return Assessment(raw=met, capped=met, light=thresholds.light_for(met))
    return assess(
        actual=actual, target=planned, direction=indicator.direction, thresholds=thresholds, excluded_reason=reason
    )


def _compute(
    plan: Plan, year: int, inputs: Inputs, today: datetime.date, *, in_progress: bool | None = None
) -> PlanYearAttainment:
    thresholds = inputs.thresholds
    results: dict[int, IndicatorResult] = {}
    for ind in inputs.indicators:
        status = inputs.status(ind, year, today=today, in_progress=in_progress)
        key = (ind.id, year)
        results[ind.id] = IndicatorResult(
            ind,
            inputs.targets.get(key),
            inputs.reports.get(key),
            status.assessment,
            status,
            inputs.planned.get(key, {}),
        )

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
    """What the form shows before submitting: exactly what approving the figure would show.

    `status` is `status_of` the figure as if it were the year's latest approved report:
    for the year in progress its period status against that period's planned value
    (分期預定值, stored or by default), for an ended year its year status. `pace` is the
    light it gives (`status.assessment`); `year` the full-year ratio beside it.
    """

    actual: Decimal | None
    year_target: Decimal | None
    year: Assessment  # actual ÷ the year's target
    period_target: Decimal | None  # the period's planned value (None: judged on the year, or white)
    pace: Assessment  # the status's light: what approval would show
    working: str = ""
    status: Status | None = None
    in_period: Assessment | None = None  # the figure against its own period's planned value, whatever the year

    @property
    def needs_explanation(self) -> bool:
        """未達成原因 and 改善措施 are required when the figure is behind its period's plan (yellow or red).

        For the year in progress that is the light approval shows; a late figure of an
        ended year is held to its own period's plan too (its Q4 plan is the year's target).
        """
        judged = self.in_period if self.in_period is not None else self.pace
        return judged.light in ("yellow", "red")

    @property
    def label(self) -> str:
        return self.status.label if self.status is not None else ""


def _target_rows(indicator: Indicator) -> list[YearlyTarget]:
    cache = getattr(indicator, "_prefetched_objects_cache", {})
    targets = cache.get("targets")
    if targets is None:
        targets = YearlyTarget.objects.filter(indicator=indicator)
    return list(targets)


def _stored_values(indicator: Indicator, target: YearlyTarget | None, year: int) -> dict[int, tuple[Decimal, str]]:
    """The KPI-year's planned values people set: from `targets__planned_values` when a caller
    prefetched them (a page or an import of many reports), else one query."""
    if target is None:
        return {}
    prefetched = getattr(target, "_prefetched_objects_cache", {}).get("planned_values")
    if prefetched is not None:
        return {p.number: (p.value, p.status) for p in prefetched}
    return planned_values(years=[year], target__indicator=indicator).get((indicator.id, year), {})


def _targets_by_year(indicator: Indicator) -> dict[int, Decimal]:
    return {t.year: t.value for t in _target_rows(indicator)}


def period_target(
    indicator: Indicator,
    period: ReportingPeriod,
    targets: dict[int, Decimal] | None = None,
    stored: dict[int, tuple[Decimal, str]] | None = None,
):
    """The period's planned year-to-date value (分期預定值): what people set (`stored`,
    read when None), else the default by accrual (`kpi.planning`); None before year end
    for a year-end figure."""
    if stored is None or targets is None:
        rows = {t.year: t for t in _target_rows(indicator)}
        targets = targets if targets is not None else {y: t.value for y, t in rows.items()}
        stored = stored if stored is not None else _stored_values(indicator, rows.get(period.year), period.year)
    return planning.planned_to_date(
        indicator, targets, period.year, period.number, PERIODS_PER_YEAR[period.plan.reporting_frequency], stored
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
    *,
    indicator: Indicator,
    period: ReportingPeriod,
    actual: Decimal | None,
    working: str = "",
    stored: dict[int, tuple[Decimal, str]] | None = None,
    today: datetime.date | None = None,
) -> Preview:
    """What approving `actual` for `period` would show (`Preview`), through `status_of`.

    `stored` is the KPI-year's planned values (`planned_values`); None reads them (one
    query), so a page of many previews passes them in.
    """
    plan = period.plan
    rows = {t.year: t for t in _target_rows(indicator)}
    target = rows.get(period.year)
    if stored is None:
        stored = _stored_values(indicator, target, period.year)
    report = ProgressReport(indicator=indicator, period=period, actual=actual, status=ReportStatus.APPROVED)
    status = status_of(
        indicator=indicator,
        year=period.year,
        targets={y: t.value for y, t in rows.items() if y in (period.year - 1, period.year)},
        target=target,
        report=report if actual is not None else None,
        stored=stored,
        periods_per_year=PERIODS_PER_YEAR[plan.reporting_frequency],
        thresholds=thresholds_for(plan),
        today=today or dates.today(),
    )
    planned = planning.planned_to_date(
        indicator,
        {y: t.value for y, t in rows.items()},
        period.year,
        period.number,
        PERIODS_PER_YEAR[plan.reporting_frequency],
        stored,
    )
    in_period = period_status(
        indicator=indicator,
        target=target,
        period=period,
        actual=actual,
        planned=planned,
        thresholds=thresholds_for(plan),
    )
    if status.basis == YEAR and target is not None and not status.assessment.reason:
        due = target.value
    elif status.basis == PERIOD:
        due = planned  # the planned value the figure is (or will be, once typed) judged against
    else:
        due = None
    return Preview(
        actual=actual,
        year_target=target.value if target else None,
        year=status.year,
        period_target=due,
        pace=status.assessment,
        working=working,
        status=status,
        in_period=in_period,
    )
