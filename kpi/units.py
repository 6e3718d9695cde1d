"""Units (單位): what figures each allows, how they are written, where a year starts.

The one home of these rules: the report form and its help text, the services that save
reports and targets, the importers, admin and every page that shows a figure with its
unit call these functions.

- Counted units (場 sessions, 件 cases, 處 places): whole numbers, 0 or more.
- 式 (a deliverable set): the completed fraction, 0 to 1 (1 when done).
- %: 0 to 100 for a higher-is-better percentage (and never above 100 for progress
  control); -100 to 1000 for a lower-is-better rate such as staff growth, which can be
  negative. A target may not be negative on a higher-is-better percentage.
- A cumulative % ladder (10 → 40 → 70 → 100) starts each year at last year's target;
  everything else that accrues starts at 0 (`cumulative_start`).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from common import formatting
from kpi.models import COUNT_UNITS, Direction, EvaluationMethod, Indicator, Unit

# ProgressReport.actual holds 14 digits, 4 of them after the point: a bigger figure is a
# typo, and the database could not store it (PostgreSQL) or read it back (SQLite).
MAX_ACTUAL = Decimal(10) ** 10
MAX_TARGET = Decimal("9999999999")


# The words after a counted figure, translated when asked for (a page writes dozens of figures).
_SYMBOLS = {
    Unit.SET: pgettext_lazy("unit after a figure", "set"),
    Unit.SESSION: pgettext_lazy("unit after a figure", "sessions"),
    Unit.CASE: pgettext_lazy("unit after a figure", "cases"),
    Unit.PLACE: pgettext_lazy("unit after a figure", "places"),
}


def symbol(unit: str) -> str:
    """The unit as people read it after a figure: %, 式, 場 (set, sessions… in English)."""
    if unit == Unit.PERCENT:
        return "%"
    word = _SYMBOLS.get(unit)
    return unit if word is None else str(word)


def is_counted(unit: str) -> bool:
    return unit in COUNT_UNITS


# A common indicator's figure is its formula's result, computed to 4 places; it is shown
# as its working shows it (kpi.formulas): to 2 places, rounded half up (20.3125 → 20.31%).
FORMULA_PLACES = 2


def _places(indicator: Indicator, derived: bool) -> int | None:
    if indicator.formula:
        return FORMULA_PLACES
    return 0 if derived and is_counted(indicator.unit) else None


def amount(indicator: Indicator, value, *, derived: bool = False) -> str:
    """A figure of the indicator with its unit: 100%, 1 式, 15 件; None → —.

    `derived` figures (a pace, a planned share of the year) of counted units are
    rounded half up to whole numbers: nobody holds 3.75 sessions. A formula's result
    reads to FORMULA_PLACES.
    """
    return formatting.amount(value, symbol(indicator.unit), places=_places(indicator, derived))


def as_shown(indicator: Indicator, value: Decimal | None, *, derived: bool = False) -> Decimal | None:
    """The figure `amount` writes, as a number (for spreadsheets): 20.3125 of a formula → 20.31."""
    number = formatting.to_decimal(value)
    places = _places(indicator, derived)
    return number if number is None or places is None else formatting.round_half_up(number, places)


def too_large() -> str:
    return _("The number is too large; please check it.")


def fits_actual_column(number: Decimal) -> bool:
    return number.adjusted() < 10 and abs(number.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)) < MAX_ACTUAL


def actual_problem(indicator: Indicator, number: Decimal) -> str | None:
    """Why a year-to-date figure cannot be the indicator's, or None when it can."""
    if not fits_actual_column(number):
        return too_large()
    if is_counted(indicator.unit):
        if number < 0 or number != number.to_integral_value():
            return _("A figure counted in %(unit)s must be a whole number, 0 or more.") % {
                "unit": symbol(indicator.unit)
            }
    elif indicator.unit == Unit.SET:
        if not (0 <= number <= 1):
            return _(
                "A deliverable (式) is reported as its completed fraction: a number from 0 to 1 "
                "(1 when done, 0.5 when half done)."
            )
    elif indicator.unit == Unit.PERCENT:
        if indicator.direction == Direction.HIGHER and not (0 <= number <= 100):
            return _("A percentage must be between 0 and 100 (the percent sign is optional).")
        if indicator.direction == Direction.LOWER and not (-100 <= number <= 1000):
            return _("A percentage must be between -100 and 1000.")
    if (
        indicator.evaluation_method == EvaluationMethod.PROGRESS_CONTROL
        and indicator.unit == Unit.PERCENT
        and number > 100
    ):
        return _("Progress cannot exceed 100 percent.")
    return None


def check_actual(indicator: Indicator, number: Decimal, *, field: str = "actual") -> Decimal:
    problem = actual_problem(indicator, number)
    if problem:
        raise ValidationError({field: problem})
    return number


def target_problem(indicator: Indicator, value: Decimal) -> str | None:
    """Why a value cannot be the indicator's target (or planned value), or None when it can."""
    if abs(value) > MAX_TARGET:
        return _("The target is too large.")
    if is_counted(indicator.unit):
        if value < 0 or value != value.to_integral_value():
            return _("A target counted in %(unit)s must be a whole number, 0 or more.") % {
                "unit": symbol(indicator.unit)
            }
    elif indicator.unit == Unit.SET:
        if not (0 <= value <= 1):
            return _("A deliverable (式) target is a completed fraction between 0 and 1 (1 when done).")
    elif indicator.unit == Unit.PERCENT and indicator.direction == Direction.HIGHER and value < 0:
        return _("A percentage target cannot be negative.")
    return None


def check_target(indicator: Indicator, value: Decimal, *, field: str = "value") -> None:
    problem = target_problem(indicator, value)
    if problem:
        raise ValidationError({field: problem})


def actual_help_text(indicator: Indicator) -> str:
    """What the report form says under the year-to-date figure."""
    if is_counted(indicator.unit):
        return _("Year-to-date count of %(unit)s since the start of the year: a whole number, 0 or more.") % {
            "unit": symbol(indicator.unit)
        }
    if indicator.unit == Unit.SET:
        return _("The completed fraction of the deliverable, from 0 to 1: 1 when done, 0.5 when half done.")
    if indicator.direction == Direction.LOWER:
        return _("A percentage (no need to type the percent sign); it may be negative.")
    return _("A percentage from 0 to 100, year to date (no need to type the percent sign).")


def cumulative_start(indicator: Indicator, targets: dict[int, Decimal], year: int) -> Decimal:
    """Where the year's year-to-date figure starts: last year's target on a cumulative %
    ladder (10 → 40: year 112 starts at 10), otherwise 0."""
    target = targets.get(year)
    previous = targets.get(year - 1)
    if (
        indicator.unit == Unit.PERCENT
        and indicator.direction == Direction.HIGHER
        and target is not None
        and previous is not None
        and previous < target
    ):
        return previous
    return Decimal(0)
