"""Pace: is a KPI keeping up with its target this year?"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from kpi import assessments, units
from kpi.assessments import PlanYearAttainment
from kpi.attainment import HIGHER, Assessment, assess, is_behind_pace
from kpi.models import (
    Accrual,
    Direction,
    Indicator,
    ProgressReport,
    ReportingPeriod,
)
from plans.models import Plan


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
    start = units.cumulative_start(indicator, targets, at.year)
    expected = assessments.period_target(indicator, at, targets)
    actual = report.actual if report is not None else None
    behind = is_behind_pace(
        actual_to_date=actual,
        target=target,
        direction=indicator.direction,
        fraction_of_year=at.fraction_of_year,
        cumulative_from=start,
        level=indicator.accrual == Accrual.LEVEL,
        whole=units.is_counted(indicator.unit),
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
