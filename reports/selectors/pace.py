"""Is a KPI in step with its plan this year? Read from THE status (`kpi.assessments.status_of`).

A KPI-year of the year in progress is judged on its period status: the latest approved
year-to-date figure against the planned value of its period (分期預定值). It is behind
when that status is yellow or red; the lists also show a KPI whose report is overdue.
No page judges a pace any other way.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from common import dates
from kpi import assessments
from kpi.assessments import PERIOD, IndicatorResult, PlanYearAttainment, Status
from kpi.attainment import HIGHER, Assessment
from kpi.models import Direction, ProgressReport, ReportingPeriod
from plans.models import PERIODS_PER_YEAR, Plan

BEHIND = ("yellow", "red")


def year_periods(plan: Plan, year: int) -> list[ReportingPeriod]:
    """The year's periods of the plan's reporting frequency (created with the plan). One query."""
    return list(
        ReportingPeriod.objects.filter(plan=plan, year=year, frequency=plan.reporting_frequency).order_by("number")
    )


def last_due_period(periods: list[ReportingPeriod], today: datetime.date) -> ReportingPeriod | None:
    """The latest period whose reports are already due (its due date has passed)."""
    due = [p for p in periods if p.due_date < today]
    return due[-1] if due else None


@dataclass(frozen=True)
class Pace:
    """A period status as the lists show it: the figure against its period's planned value."""

    period: ReportingPeriod  # the period the status refers to
    expected: Decimal | None  # that period's planned value
    actual: Decimal | None
    behind: bool  # the status is yellow or red
    assessment: Assessment  # the status itself
    direction: str = HIGHER
    label: str = ""  # "114Q3 進度"

    @property
    def shortfall(self) -> Decimal | None:
        """How far the figure is from its planned value (None when it is not short)."""
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


def _pace(status: Status, report: ProgressReport | None, target: Decimal | None, direction: str) -> Pace | None:
    """The status as a list row: a period status against its planned value, a year status against the target."""
    if status.basis == PERIOD:
        if status.period is None:
            return None
        period, expected = status.period, status.planned_to_date
    elif report is not None:
        period, expected = report.period, target
    else:
        return None
    return Pace(
        period=period,
        expected=expected,
        actual=report.actual if report is not None else None,
        behind=status.assessment.light in BEHIND,
        assessment=status.assessment,
        direction=direction,
        label=status.label,
    )


def status_pace(result: IndicatorResult) -> Pace | None:
    """The KPI-year's status as a list row (None: no approved figure yet)."""
    if result.status is None:
        return None
    target = result.target.value if result.target is not None else None
    return _pace(result.status, result.report, target, result.indicator.direction)


def pending_pace(
    result: IndicatorResult, report: ProgressReport, targets: dict[int, Decimal], pya: PlanYearAttainment
) -> Pace | None:
    """What approving a newer submitted report would make the status: `status_of` that report."""
    status = assessments.status_of(
        indicator=result.indicator,
        year=pya.year,
        targets={y: v for y, v in targets.items() if y in (pya.year - 1, pya.year)},
        target=result.target,
        report=report,
        stored=result.stored,
        periods_per_year=PERIODS_PER_YEAR[pya.plan.reporting_frequency],
        thresholds=pya.thresholds,
        today=dates.today(),
    )
    target = result.target.value if result.target is not None else None
    return _pace(status, report, target, result.indicator.direction)
