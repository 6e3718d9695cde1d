"""Which periods a meeting pack can be asked for: the periods of the plan-year that have begun.

A pack "as of a period" shows the year as it stood at that period's end (the review meeting
after the period). A period that has not begun has nothing to show yet, so it is refused
with a message rather than giving a pack identical to an earlier one under a later name.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from common import dates, formatting
from common.numbers import shown
from kpi.models import ReportingPeriod
from kpi.services.periods import period_bounds
from plans.models import PERIODS_PER_YEAR, Plan


class BadPeriod(ValueError):
    """The period asked for is not a period of the year that has begun."""


def periods_begun(plan: Plan, year: int) -> list[ReportingPeriod]:
    """The year's periods (of the plan's reporting frequency) that have begun, in order. One query."""
    return list(
        ReportingPeriod.objects.filter(
            plan=plan, year=year, frequency=plan.reporting_frequency, start_date__lte=dates.today()
        ).order_by("number")
    )


def period_choices(plan: Plan, year: int) -> list[tuple[int, str]]:
    """(number, name) of the year's periods that have begun, for the page's choice: no query
    (the periods are those `kpi.services.periods_ensure` creates, by the same bounds)."""
    today = dates.today()
    choices = []
    for number in range(1, PERIODS_PER_YEAR[plan.reporting_frequency] + 1):
        start, _end = period_bounds(year, plan.reporting_frequency, number)
        if start <= today:
            unsaved = ReportingPeriod(plan=plan, year=year, frequency=plan.reporting_frequency, number=number)
            choices.append((number, unsaved.name_in_year))
    return choices


def period_of(plan: Plan, year: int, raw: str | None) -> ReportingPeriod | None:
    """The period `raw` names (its number within the year: 3 for 第3季), None for the whole year.

    BadPeriod, with a message saying what may be chosen, for anything else."""
    raw = (raw or "").strip()
    if not raw:
        return None
    periods = periods_begun(plan, year)
    choices = "、".join(p.name_in_year for p in periods) or _("none yet")
    if raw.isascii() and raw.isdigit() and len(raw) <= 2:  # 12 months at most (and no 5,000-digit int())
        match = next((p for p in periods if p.number == int(raw)), None)
        if match is not None:
            return match
    raise BadPeriod(
        _("“%(period)s” is not a period of %(year)s that has begun: choose one of %(choices)s, or the whole year.")
        % {"period": shown(raw), "year": formatting.roc_year(year), "choices": choices}
    )
