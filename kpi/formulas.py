"""The common indicators' formulas (共同性指標), free of framework imports.

Staff enter a formula's inputs; `compute` returns the value and the working as the
plan document writes it, so a reviewer can check the arithmetic. Bad inputs raise
`FormulaError` with a message per input, in the active language, for the form to show.

Labels are translated for the pages; `Formula.name` and `FormulaInput.column` are the
plan document's own words, used as spreadsheet column names and export values (a
data contract: files in and out carry them whatever the language of the page).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.formatting import parse_number

HUNDRED = Decimal(100)
# Inputs are money or head counts; anything this large is a typo, and refusing it early
# keeps the arithmetic and the working text well inside Decimal's and int's limits.
MAX_INPUT = Decimal(10) ** 14
FOUR_PLACES = Decimal("0.0001")


def _two_places(value: Decimal) -> str:
    """The result as the working writes it: 2 places, rounded half up as every figure is
    (common.formatting; kpi.units.FORMULA_PLACES shows the result the same way). A format
    spec such as :.2f would round half even: 2.4650 → 2.46 here but 2.47 beside it."""
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"


class FormulaError(ValueError):
    """Inputs that the formula cannot use. `errors` maps input key → message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class FormulaInput:
    key: str
    column: str  # the plan's word (預算數): the spreadsheet column, never translated
    label: str  # for people, translated
    whole_number: bool = False


@dataclass(frozen=True)
class FormulaResult:
    value: Decimal  # in percent, 4 decimal places
    working: str


@dataclass(frozen=True)
class Formula:
    key: str
    name: str  # the plan's words (經常門業務費賸餘數百分比): export values, never translated
    label: str  # for people, translated
    inputs: tuple[FormulaInput, ...]
    _compute: Callable[[dict[str, Decimal]], FormulaResult]

    def compute(self, raw: dict[str, object]) -> FormulaResult:
        values = _parse_inputs(self.inputs, raw)
        return self._compute(values)


def _parse_inputs(inputs, raw) -> dict[str, Decimal]:
    values, errors = {}, {}
    for spec in inputs:
        value = raw.get(spec.key)
        if value is None or str(value).strip() == "":
            errors[spec.key] = _("Please fill in %(input)s.") % {"input": spec.label}
            continue
        try:
            number = parse_number(value, percent_sign=False)  # the one parser of typed numbers
        except (ArithmeticError, ValueError):
            errors[spec.key] = _("%(input)s must be a number.") % {"input": spec.label}
            continue
        if number < 0:
            errors[spec.key] = _("%(input)s may not be negative.") % {"input": spec.label}
        elif number >= MAX_INPUT:
            errors[spec.key] = _("%(input)s is too large; please check the number.") % {"input": spec.label}
        elif spec.whole_number and number != number.to_integral_value():
            errors[spec.key] = _("%(input)s must be a whole number.") % {"input": spec.label}
        else:
            values[spec.key] = number
    if errors:
        raise FormulaError(errors)
    return values


def _pct(numerator: Decimal, denominator: Decimal) -> Decimal:
    return (numerator / denominator * HUNDRED).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def _fmt(number: Decimal) -> str:
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number:,.2f}"


def _budget_surplus(v: dict[str, Decimal]) -> FormulaResult:
    budget, spent, reserved = v["budget"], v["spent"], v["reserved"]
    if budget == 0:
        raise FormulaError({"budget": _("The budget must be more than 0.")})
    final = spent + reserved
    if final > budget:
        # Overspending is possible in principle (追加預算), but a surplus percentage
        # below zero is almost always a typo; make the person look again.
        raise FormulaError(
            {"spent": _("The final accounts (spent + reserved) exceed the budget; please check the numbers.")}
        )
    value = _pct(budget - final, budget)
    working = _(
        "(budget %(budget)s − final accounts %(final)s) ÷ budget %(budget)s × 100%% = %(value)s%%; "
        "final accounts = spent %(spent)s + reserved %(reserved)s"
    ) % {
        "budget": _fmt(budget),
        "final": _fmt(final),
        "value": _two_places(value),
        "spent": _fmt(spent),
        "reserved": _fmt(reserved),
    }
    return FormulaResult(value, working)


def _contract_staff_growth(v: dict[str, Decimal]) -> FormulaResult:
    last, this = v["last_year_staff"], v["this_year_staff"]
    if last == 0:
        raise FormulaError(
            {"last_year_staff": _("The growth rate cannot be computed when last year's contract staff is 0.")}
        )
    value = _pct(this - last, last)
    working = _(
        "(this year %(this)s staff − last year %(last)s staff) ÷ last year %(last)s staff × 100%% = %(value)s%%"
    ) % {"this": _fmt(this), "last": _fmt(last), "value": _two_places(value)}
    return FormulaResult(value, working)


def _learning_hours_ratio(v: dict[str, Decimal]) -> FormulaResult:
    done, staff = v["completed_staff"], v["current_staff"]
    if staff == 0:
        raise FormulaError({"current_staff": _("The number of current civil servants must be more than 0.")})
    if done > staff:
        raise FormulaError(
            {"completed_staff": _("Staff who completed their learning hours cannot outnumber current civil servants.")}
        )
    value = _pct(done, staff)
    working = _(
        "staff who completed learning hours %(done)s ÷ current civil servants %(staff)s × 100%% = %(value)s%%"
    ) % {"done": _fmt(done), "staff": _fmt(staff), "value": _two_places(value)}
    return FormulaResult(value, working)


FORMULAS: dict[str, Formula] = {
    f.key: f
    for f in (
        Formula(
            "budget_surplus",
            "經常門業務費賸餘數百分比",
            gettext_lazy("Recurrent operating expenses left unspent (percentage)"),
            (
                FormulaInput("budget", "預算數", gettext_lazy("Budget")),
                FormulaInput("spent", "實支數", gettext_lazy("Spent")),
                FormulaInput("reserved", "保留數", gettext_lazy("Reserved")),
            ),
            _budget_surplus,
        ),
        Formula(
            "contract_staff_growth",
            "約聘僱員額成長率",
            gettext_lazy("Growth rate of contract staff"),
            (
                FormulaInput(
                    "last_year_staff", "上年度約聘僱員額", gettext_lazy("Contract staff last year"), whole_number=True
                ),
                FormulaInput(
                    "this_year_staff", "本年度約聘僱員額", gettext_lazy("Contract staff this year"), whole_number=True
                ),
            ),
            _contract_staff_growth,
        ),
        Formula(
            "learning_hours_ratio",
            "完成年度學習時數人數比率",
            gettext_lazy("Share of staff who completed their yearly learning hours"),
            (
                FormulaInput(
                    "completed_staff",
                    "完成學習時數人數",
                    gettext_lazy("Staff who completed learning hours"),
                    whole_number=True,
                ),
                FormulaInput(
                    "current_staff", "現有公務人員人數", gettext_lazy("Current civil servants"), whole_number=True
                ),
            ),
            _learning_hours_ratio,
        ),
    )
}
