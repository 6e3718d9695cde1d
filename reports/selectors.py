"""What the dashboards show: the city overview, a department's tree, and the at-risk list.

Every figure comes from `kpi.assessments.plan_years_attainment` (all plan years in
three queries), so the overview, the department page, the KPI page and the exports
agree. Pace ("is this KPI keeping up with its target this year?") follows
`kpi.attainment.is_behind_pace` and `kpi.assessments.period_target`, judged against the
share of the year covered by the periods whose reports are already due
(`common.dates.today()`). Who sees what comes from `kpi.access.department_ids_for`.

Each builder runs a fixed number of queries whatever the number of departments,
indicators and reports (pinned in tests/test_dashboards.py and tests/test_at_risk.py).
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from common import dates
from common.years import roc_label, to_roc
from kpi import access, assessments, services
from kpi.assessments import Group, IndicatorResult, PlanYearAttainment, plan_years_attainment
from kpi.attainment import HIGHER, Assessment, Light, RollUp, assess, combine, is_behind_pace
from kpi.models import (
    Accrual,
    Direction,
    Indicator,
    IndicatorKind,
    ProgressReport,
    ReportingPeriod,
    ReportStatus,
    Unit,
)
from kpi.selectors import year_from_param
from plans.models import OBJECTIVE_DIMENSIONS, DepartmentPlan, Goal, Plan, StrategicObjective

LIGHT_ORDER = (Light.GREEN, Light.YELLOW, Light.RED, Light.WHITE)
DIMENSION_CHOICES = [(d.value, d.label) for d in OBJECTIVE_DIMENSIONS]


# --- Plan, year and filters ---------------------------------------------------------


def current_plan(plan_id=None) -> Plan | None:
    """The plan asked for, else the one containing today's ROC year, else the latest."""
    plans = list(Plan.objects.order_by("-start_year", "id"))
    if plan_id:
        chosen = next((p for p in plans if str(p.pk) == str(plan_id)), None)
        if chosen is not None:
            return chosen
    this_year = to_roc(dates.today().year)
    return next((p for p in plans if p.contains_year(this_year)), plans[0] if plans else None)


@dataclass(frozen=True)
class Filters:
    year: int
    dimension: str = ""
    light: str = ""

    @property
    def dimension_label(self) -> str:
        return str(dict(DIMENSION_CHOICES).get(self.dimension, ""))

    @property
    def light_label(self) -> str:
        return Light(self.light).label if self.light else ""

    @property
    def active(self) -> bool:
        return bool(self.dimension or self.light)


def filters_from(plan: Plan, params) -> Filters:
    dimension = params.get("dimension", "")
    light = params.get("light", "")
    return Filters(
        year=year_from_param(plan, params.get("year")),
        dimension=dimension if dimension in dict(DIMENSION_CHOICES) else "",
        light=light if light in Light._value2member_map_ else "",
    )


def year_in_progress(year: int, today: datetime.date | None = None) -> bool:
    """The year is not over yet: its actuals are year-to-date figures."""
    return year >= to_roc((today or dates.today()).year)


def visible_department_plans(user, plan: Plan, department_id=None) -> list[DepartmentPlan]:
    """The plan's departments the user may view, in the order of the plan's table of contents."""
    qs = DepartmentPlan.objects.filter(plan=plan).select_related("department").order_by("toc_number")
    ids = access.department_ids_for(user, access.VIEW)
    if ids is not None:
        qs = qs.filter(department_id__in=ids)
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    return list(qs)


# --- Small pictures: light counts, stacked bars, sparklines ---------------------------


@dataclass(frozen=True)
class LightCount:
    light: Light
    count: int
    x: float = 0  # where its segment starts in a 100-wide stacked bar
    width: float = 0

    @property
    def label(self) -> str:
        return self.light.label


def light_counts(rollup: RollUp | None) -> list[LightCount]:
    """The four lights in a fixed order with their counts and stacked-bar segments."""
    counts = rollup.counts if rollup is not None else {}
    total = sum(counts.get(light, 0) for light in LIGHT_ORDER)
    out, x = [], 0.0
    for light in LIGHT_ORDER:
        n = counts.get(light, 0)
        width = round(100 * n / total, 2) if total else 0
        out.append(LightCount(light, n, round(x, 2), width))
        x += width
    return out


def counts_text(rollup: RollUp | None) -> str:
    """達成 3、部分達成 1、未達成 1、不予評估 0 — for labels and text alternatives."""
    return "、".join(f"{c.label} {c.count}" for c in light_counts(rollup))


def percent_text(value: Decimal | None) -> str:
    """85.25 → 85.3% (half up, as the templates' floatformat rounds)."""
    return "—" if value is None else f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


@dataclass(frozen=True)
class SparkPoint:
    year: int
    value: Decimal | None
    light: Light
    x: float
    y: float | None
    selected: bool = False  # the year the page shows
    partial: bool = False  # a year not over yet: a year-to-date figure


@dataclass(frozen=True)
class SparkSegment:
    x1: float
    y1: float
    x2: float
    y2: float
    partial: bool  # leads to a year-to-date figure: drawn dashed


@dataclass(frozen=True)
class Sparkline:
    """A tiny trend drawn server-side as SVG (no JavaScript), with its text in `label`."""

    points: list[SparkPoint]
    segments: list[SparkSegment]
    reference_y: float  # the 100% line
    label: str
    width: int = 104
    height: int = 30


SPARK_W, SPARK_H, SPARK_PAD = 104, 30, 5


def sparkline(values: list[tuple[int, Decimal | None, Light]], selected: int | None = None) -> Sparkline:
    """values: (year, percent or None, light) per year, oldest first; `selected` is ringed."""
    known = [v for _, v, _ in values if v is not None]
    top = min(max([Decimal(100), *known]), Decimal(200))
    n = len(values)
    inner_w, inner_h = SPARK_W - 2 * SPARK_PAD, SPARK_H - 2 * SPARK_PAD
    today = dates.today()

    def y_of(v: Decimal) -> float:
        return round(SPARK_H - SPARK_PAD - float(min(v, top) / top) * inner_h, 1)

    points = []
    for i, (year, value, light) in enumerate(values):
        x = round(SPARK_PAD + (inner_w * i / (n - 1) if n > 1 else inner_w / 2), 1)
        points.append(
            SparkPoint(
                year,
                value,
                light,
                x,
                y_of(value) if value is not None else None,
                selected=year == selected,
                partial=year_in_progress(year, today),
            )
        )
    segments = [
        SparkSegment(a.x, a.y, b.x, b.y, b.partial)
        for a, b in zip(points, points[1:], strict=False)
        if a.y is not None and b.y is not None
    ]
    parts = []
    for p in points:
        text = (
            f"{roc_label(p.year)} {percent_text(p.value)}（{p.light.label}）"
            if p.value is not None
            else (f"{roc_label(p.year)} {p.light.label}")
        )
        parts.append(text + ("，年度進行中" if p.partial and p.value is not None else ""))
    return Sparkline(points, segments, y_of(Decimal(100)), "；".join(parts))


def rollup_sparkline(trend: list[tuple[int, RollUp | None]], selected: int | None = None) -> Sparkline:
    return sparkline([(y, r.score if r else None, r.light if r else Light.WHITE) for y, r in trend], selected)


def result_sparkline(
    years_data: dict[int, PlanYearAttainment], indicator_id: int, selected: int | None = None
) -> Sparkline:
    values = []
    for year, pya in years_data.items():
        result = pya.indicators.get(indicator_id)
        a = result.assessment if result else Assessment.white("")
        values.append((year, a.raw, a.light))
    return sparkline(values, selected)


def _chart_number(value: Decimal | None):
    return None if value is None else float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


# --- Pace: is a KPI keeping up this year? ----------------------------------------------


def year_periods(plan: Plan, year: int) -> list[ReportingPeriod]:
    """The year's periods of the plan's reporting frequency, created on first use. One query."""
    qs = ReportingPeriod.objects.filter(plan=plan, year=year, frequency=plan.reporting_frequency).order_by("number")
    periods = list(qs)
    if not periods and plan.contains_year(year):
        services.periods_ensure(plan=plan)
        periods = list(qs.all())
    return periods


def last_due_period(periods: list[ReportingPeriod], today: datetime.date) -> ReportingPeriod | None:
    """The latest period whose reports are already due (its due date has passed)."""
    due = [p for p in periods if p.due_date < today]
    return due[-1] if due else None


@dataclass(frozen=True)
class Pace:
    """A year-to-date figure against what the year's target needs by then."""

    period: ReportingPeriod  # the point of the year it is judged at
    expected: Decimal | None
    actual: Decimal | None
    behind: bool
    assessment: Assessment  # actual against expected: its light is the pace light
    direction: str = HIGHER

    @property
    def shortfall(self) -> Decimal | None:
        """How far the figure is from what is expected by now (None when it is not short)."""
        if self.actual is None or self.expected is None:
            return None
        gap = self.actual - self.expected if self.direction == Direction.LOWER else self.expected - self.actual
        return gap.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if gap > 0 else None


def targets_by_year(years_data: dict[int, PlanYearAttainment], indicator_id: int) -> dict[int, Decimal]:
    out = {}
    for year, pya in years_data.items():
        result = pya.indicators.get(indicator_id)
        if result is not None and result.target is not None:
            out[year] = result.target.value
    return out


def assessable(indicator: Indicator, target) -> bool:
    """A KPI-year whose pace can be judged: a target in force, not excluded, and a ratio that means something."""
    if target is None or (target.excluded_reason or "").strip():
        return False
    if indicator.accrual == Accrual.YEAR_END:
        return False  # judged on the full year's figure only: no in-year pace to fall behind
    return not (indicator.direction == Direction.HIGHER and target.value <= 0)


def pace_of(
    indicator: Indicator,
    report: ProgressReport | None,
    due_period: ReportingPeriod | None,
    targets: dict[int, Decimal],
    thresholds,
) -> Pace | None:
    """The pace of the year-to-date figure in `report` (None: no figure) as of `due_period`.

    The figure is judged at the later of the last due period and its own period (a
    report filed early covers more of the year, so it must have come further).
    """
    at = due_period
    if report is not None and (at is None or report.period.end_date > at.end_date):
        at = report.period
    if at is None:
        return None
    target = targets.get(at.year)
    if target is None:
        return None
    previous = targets.get(at.year - 1)
    start = (
        previous
        if indicator.unit == Unit.PERCENT
        and previous is not None
        and previous < target
        and indicator.direction == HIGHER
        else Decimal(0)
    )
    expected = assessments.period_target(indicator, at, targets)
    actual = report.actual if report is not None else None
    behind = is_behind_pace(
        actual_to_date=actual,
        target=target,
        direction=indicator.direction,
        fraction_of_year=at.fraction_of_year,
        cumulative_from=start,
        level=indicator.accrual == Accrual.LEVEL,
        thresholds=thresholds,
    )
    return Pace(
        period=at,
        expected=expected,
        actual=actual,
        behind=behind,
        assessment=assess(actual=actual, target=expected, direction=indicator.direction, thresholds=thresholds),
        direction=indicator.direction,
    )


# --- At risk -----------------------------------------------------------------------------


@dataclass
class RiskRow:
    """A KPI behind what its target needs by now (or with nothing to judge although a report is due)."""

    result: IndicatorResult
    pace: Pace  # on the latest approved figure (no figure: 未填報)
    pending: ProgressReport | None = None  # a newer submitted report awaiting review
    pending_pace: Pace | None = None
    unfinished: ProgressReport | None = None  # the latest draft or returned report, when nothing was filed

    @property
    def indicator(self) -> Indicator:
        return self.result.indicator

    @property
    def department(self):
        return self.indicator.department_plan.department

    @property
    def approved(self) -> ProgressReport | None:
        return self.result.report

    @property
    def not_reported(self) -> bool:
        """未填報: no approved and no submitted figure this year although a report is due."""
        return self.approved is None and self.pending is None

    @property
    def catching_up(self) -> bool:
        """The approved figure is behind, but a newer figure awaiting review is on pace."""
        return self.pace.behind and self.pending_pace is not None and not self.pending_pace.behind

    @property
    def explained_by(self) -> ProgressReport | None:
        """The report whose 未達成原因/改善措施 to show: the newest that gives them."""
        for report in (self.pending, self.approved, self.unfinished):
            if report is not None and (report.shortfall_reason or report.improvement_plan):
                return report
        return None


@dataclass
class OverdueRow:
    result: IndicatorResult
    period: ReportingPeriod  # the period whose report is overdue
    latest: ProgressReport | None  # the latest draft or returned report of the year, if any
    today: datetime.date

    @property
    def indicator(self) -> Indicator:
        return self.result.indicator

    @property
    def days_overdue(self) -> int:
        return (self.today - self.period.due_date).days


@dataclass
class DepartmentOverdue:
    department_plan: DepartmentPlan
    rows: list[OverdueRow]


@dataclass
class RiskData:
    year: int
    today: datetime.date
    periods: list[ReportingPeriod]
    due_period: ReportingPeriod | None
    behind: list[RiskRow] = field(default_factory=list)  # behind on the approved figure, not caught up
    catching_up: list[RiskRow] = field(default_factory=list)  # behind, but a newer pending figure is on pace
    overdue: list[OverdueRow] = field(default_factory=list)
    indicator_count: int = 0

    @property
    def fraction(self) -> Decimal:
        return self.due_period.fraction_of_year if self.due_period else Decimal(0)

    def _per_department(self, rows: list) -> Counter:
        # Counted once per list (and again only if the list grew): the overview asks for
        # every department, and scanning the lists each time was quadratic — 20 s of a
        # 500-department overview (bench/benchmark.py, docs/performance.md).
        cache = self.__dict__.setdefault("_department_counts", {})
        key = (id(rows), len(rows))
        if key not in cache:
            cache[key] = Counter(r.indicator.department_plan.department_id for r in rows)
        return cache[key]

    def behind_count(self, department_id: int) -> int:
        return self._per_department(self.behind)[department_id]

    def catching_up_count(self, department_id: int) -> int:
        return self._per_department(self.catching_up)[department_id]

    def overdue_count(self, department_id: int) -> int:
        return self._per_department(self.overdue)[department_id]


def risk_data(
    plan: Plan,
    year: int,
    years_data: dict[int, PlanYearAttainment],
    today: datetime.date | None = None,
) -> RiskData:
    """At-risk KPIs and overdue reports of `year`, from attainment already computed. Two queries.

    `years_data` must hold `year` (and the year before, for cumulative % ladders).
    """
    today = today or dates.today()
    pya = years_data[year]
    periods = year_periods(plan, year)
    due_period = last_due_period(periods, today)
    data = RiskData(year=year, today=today, periods=periods, due_period=due_period, indicator_count=len(pya.indicators))
    ids = list(pya.indicators)
    if not ids:
        return data
    others = (
        ProgressReport.objects.filter(indicator_id__in=ids, period__plan=plan, period__year=year)
        .exclude(status=ReportStatus.APPROVED)
        .select_related("period")
        .order_by("indicator_id", "-period__end_date", "-id")
    )
    pending: dict[int, ProgressReport] = {}
    unfinished: dict[int, ProgressReport] = {}
    for report in others:
        target = pending if report.status == ReportStatus.SUBMITTED else unfinished
        target.setdefault(report.indicator_id, report)

    for result in pya.indicators.values():
        indicator = result.indicator
        approved = result.report
        newer = pending.get(indicator.id)
        if newer is not None and approved is not None and newer.period.end_date <= approved.period.end_date:
            newer = None  # an older submission (a correction awaiting review) does not change the picture

        # (b) overdue: nothing submitted or approved for the last due period or later.
        if due_period is not None and not due_period.is_locked:
            filed = (approved is not None and approved.period.end_date >= due_period.end_date) or (
                newer is not None and newer.period.end_date >= due_period.end_date
            )
            if not filed:
                data.overdue.append(OverdueRow(result, due_period, unfinished.get(indicator.id), today))

        # (a) behind the pace its target needs.
        if not assessable(indicator, result.target):
            continue
        targets = targets_by_year(years_data, indicator.id)
        pace = pace_of(indicator, approved, due_period, targets, pya.thresholds)
        if pace is None:
            continue
        pending_pace = pace_of(indicator, newer, due_period, targets, pya.thresholds) if newer else None
        if pace.behind or (pending_pace is not None and pending_pace.behind):
            row = RiskRow(
                result,
                pace,
                pending=newer,
                pending_pace=pending_pace,
                unfinished=unfinished.get(indicator.id) if approved is None and newer is None else None,
            )
            (data.catching_up if row.catching_up else data.behind).append(row)
    return data


@dataclass
class AtRiskPage:
    plan: Plan
    year: int
    department_plans: list[DepartmentPlan]  # the ones the user may choose from
    department_id: int | None
    data: RiskData
    overdue_groups: list[DepartmentOverdue]
    in_progress: bool
    sees_all: bool


def at_risk_page(user, plan: Plan, year: int, department_id: int | None = None) -> AtRiskPage:
    department_plans = visible_department_plans(user, plan)
    chosen = [dp for dp in department_plans if department_id is None or dp.department_id == department_id]
    ids = [dp.department_id for dp in chosen]
    years = [y for y in (year - 1, year) if plan.contains_year(y)] or [year]
    years_data = plan_years_attainment(plan=plan, years=years, department_ids=ids)
    data = risk_data(plan, year, years_data)
    by_department: dict[int, list[OverdueRow]] = defaultdict(list)
    for row in data.overdue:
        by_department[row.indicator.department_plan.department_id].append(row)
    groups = [
        DepartmentOverdue(dp, by_department[dp.department_id]) for dp in chosen if by_department[dp.department_id]
    ]
    return AtRiskPage(
        plan=plan,
        year=year,
        department_plans=department_plans,
        department_id=department_id if chosen and department_id is not None else None,
        data=data,
        overdue_groups=groups,
        in_progress=year_in_progress(year),
        sees_all=access.department_ids_for(user, access.VIEW) is None,
    )


# --- City overview -----------------------------------------------------------------------


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
    city_label = "全市" if sees_all else "可檢視的機關合計"
    city_set = {"label": city_label, "data": [_chart_number(r.score) for _, r in city_trend], "emphasis": True}
    department_sets = [
        {"label": r.department.name, "data": [_chart_number(t.score) if t else None for _, t in r.trend]}
        for r in rows
        if r.has_kpis
    ]
    if len(department_sets) == 1 and sum(1 for dp in department_plans if dp.department_id in pya.departments) == 1:
        # One department with KPIs: its line is the city's; draw it once.
        datasets = [{**city_set, "label": f"{department_sets[0]['label']}（{city_label}）"}]
    else:
        datasets = [city_set, *department_sets]
    chart = {
        "kind": "line",
        "unit": "%",
        "labels": [roc_label(y) for y in years_data],
        "yLabel": "分數（%）",
        "yMin": 0,
        "yMax": 100,
        "thresholds": {"green": float(pya.thresholds.green), "yellow": float(pya.thresholds.yellow)},
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


# --- A department ------------------------------------------------------------------------


@dataclass
class KpiRow:
    result: IndicatorResult
    sparkline: Sparkline
    pace: Pace | None = None  # in a year in progress: the latest approved figure's pace
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
    rows: list[tuple[Indicator, list[Assessment]]]


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
        pace = None
        if in_progress and assessable(indicator, result.target):
            pace = pace_of(
                indicator, result.report, due_period, targets_by_year(years_data, indicator.id), pya.thresholds
            )
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
                (r.indicator, [years_data[y].indicators[r.indicator.id].assessment for y in years_data])
                for r in all_rows + common_rows
            ],
        ),
    )
