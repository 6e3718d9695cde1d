"""The common indicators' formulas (共同性指標), worked by hand, and how their values are assessed."""

from decimal import Decimal

import pytest

from kpi.attainment import Light, assess
from kpi.formulas import FORMULAS, FormulaError, FormulaResult

D = Decimal

BUDGET = FORMULAS["budget_surplus"]
GROWTH = FORMULAS["contract_staff_growth"]
LEARNING = FORMULAS["learning_hours_ratio"]


def test_the_three_common_indicators_are_registered():
    assert set(FORMULAS) == {"budget_surplus", "contract_staff_growth", "learning_hours_ratio"}
    assert BUDGET.label == "經常門業務費賸餘數百分比"
    assert GROWTH.label == "約聘僱員額成長率"
    assert [i.key for i in BUDGET.inputs] == ["budget", "spent", "reserved"]
    assert [i.key for i in GROWTH.inputs] == ["last_year_staff", "this_year_staff"]
    assert [i.key for i in LEARNING.inputs] == ["completed_staff", "current_staff"]


# Values worked by hand ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("budget", "spent", "reserved", "value", "in_working"),
    [
        pytest.param(
            1_000_000,
            900_000,
            80_000,
            "2.0000",
            ["預算數 1,000,000", "決算數 980,000", "實支數 900,000", "保留數 80,000", "= 2.00%"],
            id="plan-example-2pct",
        ),
        # (1,000,000 − 975,000) ÷ 1,000,000 = 2.5%
        pytest.param("1000000", "950000", "25000", "2.5000", ["決算數 975,000", "= 2.50%"], id="strings"),
        pytest.param(D(500), D(500), D(0), "0.0000", ["= 0.00%"], id="all-spent"),
        pytest.param(500, 0, 0, "100.0000", ["= 100.00%"], id="nothing-spent"),
        pytest.param(3, 1, 1, "33.3333", ["= 33.33%"], id="quantized-to-4-places"),
        pytest.param(
            "1234.5", "1000", "0", "18.9955", ["預算數 1,234.50", "決算數 1,000"], id="decimal-budget-shown-2-places"
        ),
    ],
)
def test_budget_surplus(budget, spent, reserved, value, in_working):
    result = BUDGET.compute({"budget": budget, "spent": spent, "reserved": reserved})
    assert isinstance(result, FormulaResult)
    assert result.value == D(value)
    assert str(result.value) == value
    for text in in_working:
        assert text in result.working


@pytest.mark.parametrize(
    ("last", "this", "value", "in_working"),
    [
        pytest.param(20, 20, "0.0000", ["本年度 20 人", "上年度 20 人", "= 0.00%"], id="unchanged"),
        pytest.param(20, 22, "10.0000", ["本年度 22 人", "上年度 20 人", "= 10.00%"], id="grew-10pct"),
        pytest.param(20, 19, "-5.0000", ["本年度 19 人", "= -5.00%"], id="shrank-5pct"),
        pytest.param("3", "4", "33.3333", ["= 33.33%"], id="quantized"),
        pytest.param(20, 0, "-100.0000", ["本年度 0 人", "= -100.00%"], id="all-gone"),
        pytest.param(D("1500"), D("1503"), "0.2000", ["上年度 1,500 人"], id="thousands-separator"),
        pytest.param("20.0", "22.00", "10.0000", ["本年度 22 人"], id="integral-decimals-are-whole"),
    ],
)
def test_contract_staff_growth(last, this, value, in_working):
    result = GROWTH.compute({"last_year_staff": last, "this_year_staff": this})
    assert result.value == D(value)
    for text in in_working:
        assert text in result.working


@pytest.mark.parametrize(
    ("done", "staff", "value", "in_working"),
    [
        pytest.param(45, 50, "90.0000", ["完成學習時數人數 45", "現有公務人員 50 人", "= 90.00%"], id="45-of-50"),
        pytest.param(40, 50, "80.0000", ["= 80.00%"], id="at-target"),
        pytest.param(50, 50, "100.0000", ["= 100.00%"], id="everyone"),
        pytest.param(0, 50, "0.0000", ["= 0.00%"], id="no-one"),
        pytest.param(2, 3, "66.6667", ["= 66.67%"], id="quantized"),
        pytest.param(1, 3200, "0.0313", ["3,200 人"], id="round-half-up-0.03125"),
    ],
)
def test_learning_hours_ratio(done, staff, value, in_working):
    result = LEARNING.compute({"completed_staff": done, "current_staff": staff})
    assert result.value == D(value)
    for text in in_working:
        assert text in result.working


# Every error, in zh-Hant, keyed by the input to fix -------------------------------------------

VALID = {
    "budget_surplus": {"budget": "1000000", "spent": "900000", "reserved": "80000"},
    "contract_staff_growth": {"last_year_staff": "20", "this_year_staff": "22"},
    "learning_hours_ratio": {"completed_staff": "45", "current_staff": "50"},
}


@pytest.mark.parametrize(
    ("formula", "changes", "errors"),
    [
        # missing input (absent, None, empty)
        pytest.param("budget_surplus", {"budget": None}, {"budget": "請填寫預算數。"}, id="budget-missing"),
        pytest.param("budget_surplus", {"spent": ""}, {"spent": "請填寫實支數。"}, id="spent-empty"),
        pytest.param("contract_staff_growth", {"this_year_staff": None}, {"this_year_staff": "請填寫本年度約聘僱員額。"}, id="growth-missing"),
        pytest.param("learning_hours_ratio", {"current_staff": ""}, {"current_staff": "請填寫現有公務人員人數。"}, id="learning-missing"),
        # not a number
        pytest.param("budget_surplus", {"reserved": "abc"}, {"reserved": "保留數必須是數字。"}, id="not-a-number"),
        pytest.param("budget_surplus", {"budget": "NaN"}, {"budget": "預算數必須是數字。"}, id="nan"),
        pytest.param("budget_surplus", {"budget": "Infinity"}, {"budget": "預算數必須是數字。"}, id="infinity"),
        pytest.param("learning_hours_ratio", {"completed_staff": "四十五"}, {"completed_staff": "完成學習時數人數必須是數字。"}, id="words"),
        # negative
        pytest.param("budget_surplus", {"spent": "-1"}, {"spent": "實支數不可為負數。"}, id="negative-spent"),
        pytest.param("contract_staff_growth", {"last_year_staff": -20}, {"last_year_staff": "上年度約聘僱員額不可為負數。"}, id="negative-staff"),
        pytest.param("learning_hours_ratio", {"completed_staff": -1}, {"completed_staff": "完成學習時數人數不可為負數。"}, id="negative-completed"),
        # staff counts are whole numbers
        pytest.param("contract_staff_growth", {"this_year_staff": "22.5"}, {"this_year_staff": "本年度約聘僱員額必須是整數。"}, id="fractional-staff"),
        pytest.param("learning_hours_ratio", {"current_staff": D("50.1")}, {"current_staff": "現有公務人員人數必須是整數。"}, id="fractional-current"),
        # the arithmetic's own limits
        pytest.param("budget_surplus", {"budget": "0", "spent": "0", "reserved": "0"}, {"budget": "預算數必須大於 0。"}, id="zero-budget"),
        pytest.param("contract_staff_growth", {"last_year_staff": "0"}, {"last_year_staff": "上年度約聘僱員額為 0 時無法計算成長率。"}, id="zero-last-year"),
        pytest.param("learning_hours_ratio", {"current_staff": "0", "completed_staff": "0"}, {"current_staff": "現有公務人員人數必須大於 0。"}, id="zero-staff"),
        pytest.param("learning_hours_ratio", {"completed_staff": "51"}, {"completed_staff": "完成學習時數人數不可多於現有公務人員人數。"}, id="completed-above-current"),
        pytest.param("budget_surplus", {"spent": "950000", "reserved": "50001"}, {"spent": "決算數（實支數＋保留數）大於預算數，請確認數字。"}, id="final-above-budget"),
        # every bad input is reported at once
        pytest.param(
            "budget_surplus",
            {"budget": "", "spent": "x", "reserved": "-5"},
            {"budget": "請填寫預算數。", "spent": "實支數必須是數字。", "reserved": "保留數不可為負數。"},
            id="all-at-once",
        ),
    ],
)  # fmt: skip
def test_bad_inputs_raise_formula_error_per_input(formula, changes, errors):
    raw = {**VALID[formula], **changes}
    with pytest.raises(FormulaError) as excinfo:
        FORMULAS[formula].compute(raw)
    assert excinfo.value.errors == errors
    assert isinstance(excinfo.value, ValueError)  # callers may catch either


@pytest.mark.parametrize("formula", list(FORMULAS))
def test_absent_keys_are_missing_inputs(formula):
    with pytest.raises(FormulaError) as excinfo:
        FORMULAS[formula].compute({})
    assert set(excinfo.value.errors) == {spec.key for spec in FORMULAS[formula].inputs}
    assert all(message.startswith("請填寫") for message in excinfo.value.errors.values())


def test_final_equal_to_budget_is_allowed():
    assert BUDGET.compute({"budget": 100, "spent": 60, "reserved": 40}).value == D("0.0000")


def test_completed_equal_to_current_is_allowed():
    assert LEARNING.compute({"completed_staff": 50, "current_staff": 50}).value == D("100.0000")


# A common indicator's value, assessed with its direction and the plan's target --------------------


@pytest.mark.parametrize(
    ("last", "this", "raw", "light"),
    [
        pytest.param(20, 20, "100.0000", Light.GREEN, id="0pct-meets-0"),
        pytest.param(20, 22, "0.0000", Light.RED, id="10pct-above-0-target"),
        pytest.param(20, 19, "100.0000", Light.GREEN, id="minus-5pct"),
    ],
)
def test_contract_staff_growth_is_lower_is_better_against_0(last, this, raw, light):
    value = GROWTH.compute({"last_year_staff": last, "this_year_staff": this}).value
    result = assess(actual=value, target=D(0), direction="lower")
    assert (result.raw, result.capped, result.light) == (D(raw), D(raw), light)


@pytest.mark.parametrize(
    ("spent", "reserved", "raw", "capped", "light"),
    [
        pytest.param(900_000, 80_000, "100.0000", "100.0000", Light.GREEN, id="2pct-of-2"),
        pytest.param(900_000, 70_000, "150.0000", "100.0000", Light.GREEN, id="3pct-of-2"),
        pytest.param(900_000, 84_000, "80.0000", "80.0000", Light.YELLOW, id="1.6pct-of-2"),
        pytest.param(990_000, 10_000, "0.0000", "0.0000", Light.RED, id="nothing-left"),
    ],
)
def test_budget_surplus_is_higher_is_better_against_2(spent, reserved, raw, capped, light):
    value = BUDGET.compute({"budget": 1_000_000, "spent": spent, "reserved": reserved}).value
    result = assess(actual=value, target=D(2), direction="higher")
    assert (result.raw, result.capped, result.light) == (D(raw), D(capped), light)


@pytest.mark.parametrize(
    ("done", "raw", "capped", "light"),
    [
        pytest.param(45, "112.5000", "100.0000", Light.GREEN, id="90pct-of-80"),
        pytest.param(40, "100.0000", "100.0000", Light.GREEN, id="80pct-of-80"),
        pytest.param(32, "80.0000", "80.0000", Light.YELLOW, id="64pct-of-80"),
        pytest.param(31, "77.5000", "77.5000", Light.RED, id="62pct-of-80"),
    ],
)
def test_learning_hours_ratio_is_higher_is_better_against_80(done, raw, capped, light):
    value = LEARNING.compute({"completed_staff": done, "current_staff": 50}).value
    result = assess(actual=value, target=D(80), direction="higher")
    assert (result.raw, result.capped, result.light) == (D(raw), D(capped), light)


# Absurdly large inputs are a typo, refused with a message rather than overflowing. --------------


@pytest.mark.parametrize(
    ("formula", "raw"),
    [
        pytest.param("contract_staff_growth", {"last_year_staff": "1", "this_year_staff": "1e30"}, id="growth-1e30"),
        pytest.param("learning_hours_ratio", {"completed_staff": "1e5000", "current_staff": "1e5000"}, id="1e5000"),
    ],
)
def test_absurdly_large_inputs_are_a_formula_error(formula, raw):
    with pytest.raises(FormulaError) as excinfo:
        FORMULAS[formula].compute(raw)
    assert any("數值過大" in message for message in excinfo.value.errors.values())


def test_thousands_separators_are_accepted_as_people_type_money():
    result = FORMULAS["budget_surplus"].compute({"budget": "1,000,000", "spent": "900,000", "reserved": "80,000"})
    assert result.value == D("2.0000")
