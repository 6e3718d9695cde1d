"""Planned progress per period (分期預定值, 預定進度): a KPI-year's ladder and its rules.

Each KPI-year has a planned year-to-date value for every reporting period of its year;
the last one is the year's target. People set them (the department proposes, the
planning office confirms: `kpi.services.planning`); where nobody did, the default
follows the indicator's accrual (`kpi.models.Accrual`, DOMAIN.md "In-year status"):

- cumulative (counts, deliverables, cumulative %) — a straight line from where the year
  starts (0, or last year's target on a cumulative % ladder: `kpi.units.cumulative_start`)
  to the target; counted units in whole numbers, half up (a quarter of 5 sessions is 1);
  a 式 deliverable plans its completed fraction (0.25, 0.5, 0.75, 1);
- level (a rate judged as it stands) and lower-is-better rates — the target in every
  period;
- year-end (figures that exist only once the books close) — nothing before the last
  period: the KPI-year is white in-year, with that reason.

`ladder` gives the values a screen shows; `ladder_problems` says, in the reader's
language, what is wrong with values someone typed. Both take plain numbers, so the batch
service, the planning screen, admin and the importer share them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from kpi import units
from kpi.attainment import expected_to_date
from kpi.models import Accrual, Direction, Indicator, PlannedStatus

SET, DEFAULT, TARGET = "set", "default", "target"


@dataclass(frozen=True)
class PlannedPoint:
    """The planned year-to-date value at the end of one period of the year."""

    number: int
    value: Decimal | None  # None: nothing planned before year end (a year-end figure)
    source: str  # SET (someone set it), DEFAULT (by accrual) or TARGET (the last period)
    status: str = ""  # PlannedStatus of a set value: proposed or confirmed

    @property
    def is_confirmed(self) -> bool:
        return self.source == TARGET or self.status == PlannedStatus.CONFIRMED


def is_cumulative(indicator: Indicator) -> bool:
    """A figure that accrues through the year (and so must climb towards the target)."""
    return indicator.accrual == Accrual.CUMULATIVE and indicator.direction == Direction.HIGHER


def default_value(
    indicator: Indicator, targets: Mapping[int, Decimal], year: int, number: int, periods_per_year: int
) -> Decimal | None:
    """The planned value by accrual where nobody set one (rules in the module docstring)."""
    target = targets.get(year)
    if target is None:
        return None
    if number >= periods_per_year:
        return target
    if indicator.accrual == Accrual.YEAR_END:
        return None
    if not is_cumulative(indicator):
        return target
    return expected_to_date(
        target=target,
        fraction_of_year=Decimal(number) / Decimal(periods_per_year),
        cumulative_from=units.cumulative_start(indicator, targets, year),
        whole=units.is_counted(indicator.unit),
    )


def ladder(
    indicator: Indicator,
    targets: Mapping[int, Decimal],
    year: int,
    periods_per_year: int,
    stored: Mapping[int, tuple[Decimal, str]] | None = None,
) -> list[PlannedPoint]:
    """Every period's planned value of the KPI-year: what was set, else the default.

    `stored` maps a period number to (value, status) as saved; the last period is the
    year's target whatever was stored. Empty when the year has no target.
    """
    if targets.get(year) is None:
        return []
    stored = stored or {}
    points = []
    for number in range(1, periods_per_year + 1):
        if number == periods_per_year:
            points.append(PlannedPoint(number, targets[year], TARGET))
        elif number in stored:
            value, status = stored[number]
            points.append(PlannedPoint(number, value, SET, status))
        else:
            points.append(
                PlannedPoint(number, default_value(indicator, targets, year, number, periods_per_year), DEFAULT)
            )
    return points


def planned_to_date(
    indicator: Indicator,
    targets: Mapping[int, Decimal],
    year: int,
    number: int,
    periods_per_year: int,
    stored: Mapping[int, tuple[Decimal, str]] | None = None,
) -> Decimal | None:
    """The planned year-to-date value of one period (None before year end for a year-end figure)."""
    if targets.get(year) is None:
        return None
    if number >= periods_per_year:
        return targets[year]
    if stored and number in stored:
        return stored[number][0]
    return default_value(indicator, targets, year, number, periods_per_year)


def ladder_problems(
    indicator: Indicator,
    targets: Mapping[int, Decimal],
    year: int,
    periods_per_year: int,
    values: Mapping[int, Decimal],
) -> dict[int, str]:
    """What is wrong with planned values someone typed, by period number ({} when nothing).

    Each value must be one the unit allows; on a cumulative KPI the ladder climbs (never
    decreases), starts no lower than where the year starts and never passes the target.
    The last period is the target itself and cannot be set apart from it.
    """
    target = targets.get(year)
    problems: dict[int, str] = {}
    if target is None:
        return {number: _("Set the year's target before planning its periods.") for number in values}
    for number, value in values.items():
        if not 1 <= number <= periods_per_year:
            problems[number] = _("The year has no period %(number)s.") % {"number": number}
        elif number == periods_per_year and value != target:
            problems[number] = _("The last period's planned value is the year's target (%(target)s).") % {
                "target": units.amount(indicator, target)
            }
        else:
            problem = units.target_problem(indicator, value)
            if problem:
                problems[number] = problem
    if problems or not is_cumulative(indicator):
        return problems
    start = units.cumulative_start(indicator, targets, year)
    full = ladder(indicator, targets, year, periods_per_year, {n: (v, "") for n, v in values.items()})
    previous = start
    for point in full:
        if point.value is None or point.number not in values:
            previous = point.value if point.value is not None else previous
            continue
        if point.value > target:
            problems[point.number] = _(
                "A cumulative KPI cannot plan more than the year's target (%(target)s) before the year ends."
            ) % {"target": units.amount(indicator, target)}
        elif point.value < previous:
            problems[point.number] = _(
                "The planned values of a cumulative KPI cannot decrease: this period plans %(value)s after %(before)s."
            ) % {"value": units.amount(indicator, point.value), "before": units.amount(indicator, previous)}
        previous = point.value
    return problems
