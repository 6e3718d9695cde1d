"""The common indicators' formulas (共同性指標), free of framework imports.

Staff enter a formula's inputs; `compute` returns the value and the working as the
plan document writes it, so a reviewer can check the arithmetic. Bad inputs raise
`FormulaError` with a message per input, in zh-Hant, for the form to show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

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
    label: str
    whole_number: bool = False


@dataclass(frozen=True)
class FormulaResult:
    value: Decimal  # in percent, 4 decimal places
    working: str


@dataclass(frozen=True)
class Formula:
    key: str
    label: str
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
            errors[spec.key] = f"請填寫{spec.label}。"
            continue
        try:
            number = Decimal(str(value).strip().replace(",", ""))
        except (ArithmeticError, ValueError):
            errors[spec.key] = f"{spec.label}必須是數字。"
            continue
        if not number.is_finite():
            errors[spec.key] = f"{spec.label}必須是數字。"
        elif number < 0:
            errors[spec.key] = f"{spec.label}不可為負數。"
        elif number >= MAX_INPUT:
            errors[spec.key] = f"{spec.label}數值過大，請確認數字。"
        elif spec.whole_number and number != number.to_integral_value():
            errors[spec.key] = f"{spec.label}必須是整數。"
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
        raise FormulaError({"budget": "預算數必須大於 0。"})
    final = spent + reserved
    if final > budget:
        # Overspending is possible in principle (追加預算), but a surplus percentage
        # below zero is almost always a typo; make the person look again.
        raise FormulaError({"spent": "決算數（實支數＋保留數）大於預算數，請確認數字。"})
    value = _pct(budget - final, budget)
    working = (
        f"（預算數 {_fmt(budget)} − 決算數 {_fmt(final)}）÷ 預算數 {_fmt(budget)} × 100% = {_two_places(value)}%；"
        f"決算數 = 實支數 {_fmt(spent)} ＋ 保留數 {_fmt(reserved)}"
    )
    return FormulaResult(value, working)


def _contract_staff_growth(v: dict[str, Decimal]) -> FormulaResult:
    last, this = v["last_year_staff"], v["this_year_staff"]
    if last == 0:
        raise FormulaError({"last_year_staff": "上年度約聘僱員額為 0 時無法計算成長率。"})
    value = _pct(this - last, last)
    working = (
        f"（本年度 {_fmt(this)} 人 − 上年度 {_fmt(last)} 人）÷ 上年度 {_fmt(last)} 人 × 100% = {_two_places(value)}%"
    )
    return FormulaResult(value, working)


def _learning_hours_ratio(v: dict[str, Decimal]) -> FormulaResult:
    done, staff = v["completed_staff"], v["current_staff"]
    if staff == 0:
        raise FormulaError({"current_staff": "現有公務人員人數必須大於 0。"})
    if done > staff:
        raise FormulaError({"completed_staff": "完成學習時數人數不可多於現有公務人員人數。"})
    value = _pct(done, staff)
    working = f"完成學習時數人數 {_fmt(done)} ÷ 現有公務人員 {_fmt(staff)} 人 × 100% = {_two_places(value)}%"
    return FormulaResult(value, working)


FORMULAS: dict[str, Formula] = {
    f.key: f
    for f in (
        Formula(
            "budget_surplus",
            "經常門業務費賸餘數百分比",
            (
                FormulaInput("budget", "預算數"),
                FormulaInput("spent", "實支數"),
                FormulaInput("reserved", "保留數"),
            ),
            _budget_surplus,
        ),
        Formula(
            "contract_staff_growth",
            "約聘僱員額成長率",
            (
                FormulaInput("last_year_staff", "上年度約聘僱員額", whole_number=True),
                FormulaInput("this_year_staff", "本年度約聘僱員額", whole_number=True),
            ),
            _contract_staff_growth,
        ),
        Formula(
            "learning_hours_ratio",
            "完成年度學習時數人數比率",
            (
                FormulaInput("completed_staff", "完成學習時數人數", whole_number=True),
                FormulaInput("current_staff", "現有公務人員人數", whole_number=True),
            ),
            _learning_hours_ratio,
        ),
    )
}
