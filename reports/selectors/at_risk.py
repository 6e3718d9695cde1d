"""The at-risk list: KPIs whose status is yellow or red, and overdue reports."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from common import dates
from kpi import access
from kpi.assessments import IndicatorResult, PlanYearAttainment, of_record, plan_years_attainment
from kpi.models import (
    Indicator,
    ProgressReport,
    ReportingPeriod,
    ReportStatus,
)
from kpi.rollups import RiskFacts, risk_kind
from plans.models import DepartmentPlan, Plan
from reports.selectors.pace import Pace, last_due_period, pending_pace, status_pace, targets_by_year, year_periods
from reports.selectors.params import visible_department_plans, year_in_progress


@dataclass
class RiskRow:
    """A KPI whose status is yellow or red (or with no figure although a report is due)."""

    result: IndicatorResult
    pace: Pace | None  # its status, on the latest approved figure (None: 未填報)
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
        behind = self.pace is None or self.pace.behind
        return behind and self.pending_pace is not None and not self.pending_pace.behind

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
    # The reports that are not of record. A report reopened for correction still counts as
    # approved, with the figure approved before (`of_record`, as `latest_approved` reads it),
    # until it is approved again: its working copy is neither a newer figure awaiting review
    # nor an unfinished draft.
    others = (
        ProgressReport.objects.filter(indicator_id__in=ids, period__plan=plan, period__year=year)
        .exclude(of_record())
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

        judged = result.target is not None and not (result.target.excluded_reason or "").strip()
        pace = status_pace(result) if judged else None
        newer_pace = (
            pending_pace(result, newer, targets_by_year(years_data, indicator.id), pya)
            if newer is not None and judged
            else None
        )
        facts = RiskFacts(
            judged=judged,
            approved_end=approved.period.end_date if approved is not None else None,
            behind=pace.behind if pace is not None else None,
            pending_end=newer.period.end_date if newer is not None else None,
            pending_behind=newer_pace.behind if newer_pace is not None else None,
        )
        overdue, kind = risk_kind(
            facts, due_period.end_date if due_period else None, due_period.is_locked if due_period else False
        )
        if overdue:
            data.overdue.append(OverdueRow(result, due_period, unfinished.get(indicator.id), today))
        if kind is not None:
            row = RiskRow(
                result,
                pace,
                pending=newer,
                pending_pace=newer_pace,
                unfinished=unfinished.get(indicator.id) if approved is None and newer is None else None,
            )
            (data.catching_up if kind == "catching_up" else data.behind).append(row)
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
