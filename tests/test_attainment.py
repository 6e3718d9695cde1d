"""The attainment rules (達成度) and lights (燈號) of kpi.attainment, with plain values: no database."""

import ast
from decimal import Decimal
from pathlib import Path

import pytest

from kpi import attainment
from kpi.attainment import (
    LIGHT_LABELS,
    Assessment,
    Light,
    RollUp,
    Thresholds,
    assess,
    combine,
    expected_to_date,
    roll_up,
)

D = Decimal
G, Y, R, W = Light.GREEN, Light.YELLOW, Light.RED, Light.WHITE


def a(actual, target, direction="higher", **kwargs):
    """assess() with strings turned into Decimals, so the tables below stay readable."""
    return assess(
        actual=None if actual is None else D(actual),
        target=None if target is None else D(target),
        direction=direction,
        **kwargs,
    )


@pytest.mark.parametrize(
    ("actual", "target", "raw", "capped", "light"),
    [
        pytest.param("5", "5", "100.0000", "100.0000", G, id="exactly-at-target"),
        pytest.param("6", "5", "120.0000", "100.0000", G, id="over-achievement-shown-uncapped"),
        pytest.param("4", "5", "80.0000", "80.0000", Y, id="exactly-80-is-yellow"),
        pytest.param("79.99", "100", "79.9900", "79.9900", Y, id="79.99-shown-as-80-is-yellow"),
        pytest.param("79.94", "100", "79.9400", "79.9400", R, id="79.94-shown-as-79.9-is-red"),
        pytest.param("79.95", "100", "79.9500", "79.9500", Y, id="79.95-rounds-half-up-to-80"),
        pytest.param("3", "5", "60.0000", "60.0000", R, id="under-is-red"),
        pytest.param("0", "5", "0.0000", "0.0000", R, id="nothing-done"),
        pytest.param("2", "3", "66.6667", "66.6667", R, id="quantized-to-4-places"),
        pytest.param("1", "32", "3.1250", "3.1250", R, id="exact-quotient-kept"),
        pytest.param("0.0001", "3.2", "0.0031", "0.0031", R, id="round-half-up-0.003125"),
        pytest.param("79.99995", "100", "80.0000", "80.0000", Y, id="light-from-the-shown-quantized-value"),
        pytest.param("-3", "5", "0.0000", "0.0000", R, id="negative-actual-floors-at-0"),
        pytest.param("86", "80", "107.5000", "100.0000", G, id="occupancy-rate-86-of-80"),
        pytest.param("2.3", "2", "115.0000", "100.0000", G, id="budget-surplus-2.3-of-2"),
    ],
)
def test_higher_is_better_attainment_is_actual_over_target(actual, target, raw, capped, light):
    result = a(actual, target)
    assert result == Assessment(raw=D(raw), capped=D(capped), light=light, reason="")
    assert str(result.raw) == raw  # 4 places, as shown


@pytest.mark.parametrize(
    ("actual", "target", "raw", "light"),
    [
        pytest.param("8", "10", "100.0000", G, id="below-target"),
        pytest.param("10", "10", "100.0000", G, id="at-target"),
        pytest.param("12.5", "10", "80.0000", Y, id="above-target-ratio-80"),
        pytest.param("20", "10", "50.0000", R, id="above-target-ratio-50"),
        pytest.param("0", "0", "100.0000", G, id="zero-target-met"),
        pytest.param("1", "0", "0.0000", R, id="zero-target-missed-is-0"),
        pytest.param("-5", "0", "100.0000", G, id="negative-growth-meets-0-target"),
        pytest.param("-3", "-2", "100.0000", G, id="negative-target-met"),
        pytest.param("0", "-2", "0.0000", R, id="negative-target-missed-is-0"),
        pytest.param("-1", "-2", "0.0000", R, id="negative-target-missed-by-a-negative"),
    ],
)
def test_lower_is_better_attainment(actual, target, raw, light):
    result = a(actual, target, "lower")
    assert (result.raw, result.capped, result.light, result.reason) == (D(raw), D(raw), light, "")


@pytest.mark.parametrize(
    ("actual", "target", "reason"),
    [
        pytest.param("3", "0", "目標值為 0，無法計算達成度", id="zero-target"),
        pytest.param("0", "0", "目標值為 0，無法計算達成度", id="zero-target-zero-actual"),
        pytest.param("3", "-2", "目標值為負數，無法計算達成度", id="negative-target"),
    ],
)
def test_higher_is_better_target_not_above_zero_is_white_with_reason(actual, target, reason):
    assert a(actual, target) == Assessment(raw=None, capped=None, light=W, reason=reason)


@pytest.mark.parametrize(
    ("done", "raw", "light"),
    [("0", "0.0000", R), ("0.5", "50.0000", R), ("0.8", "80.0000", Y), ("1", "100.0000", G)],
)
def test_deliverable_set_is_the_completed_fraction_of_one(done, raw, light):
    result = a(done, "1")
    assert (result.raw, result.light) == (D(raw), light)


@pytest.mark.parametrize(
    ("year_target", "actual", "raw", "light"),
    [
        pytest.param("10", "10", "100.0000", G, id="111-on-target"),
        pytest.param("40", "40", "100.0000", G, id="112-on-target"),
        pytest.param("40", "30", "75.0000", R, id="112-behind"),
        pytest.param("40", "32", "80.0000", Y, id="112-yellow"),
        pytest.param("70", "100", "142.8571", G, id="113-ahead"),
        pytest.param("100", "100", "100.0000", G, id="114-done"),
    ],
)
def test_cumulative_ladder_divides_cumulative_actual_by_the_years_target(year_target, actual, raw, light):
    result = a(actual, year_target)
    assert (result.raw, result.light) == (D(raw), light)


@pytest.mark.parametrize("direction", ["higher", "lower"])
@pytest.mark.parametrize(
    ("actual", "target", "excluded_reason", "reason"),
    [
        pytest.param("5", "5", "颱風停工，經核定不予評估", "颱風停工，經核定不予評估", id="excluded"),
        pytest.param("5", "5", "  計畫停辦 ", "計畫停辦", id="excluded-reason-trimmed"),
        pytest.param(None, "0", "計畫停辦", "計畫停辦", id="exclusion-comes-first"),
        pytest.param("5", None, None, "未訂目標值", id="no-target"),
        pytest.param(None, None, None, "未訂目標值", id="no-target-before-no-actual"),
        pytest.param(None, "5", None, "尚無核定實績", id="no-actual"),
        pytest.param(None, "0", None, "尚無核定實績", id="no-actual-before-zero-target"),
    ],
)
def test_white_when_not_assessable(direction, actual, target, excluded_reason, reason):
    result = a(actual, target, direction, excluded_reason=excluded_reason)
    assert result == Assessment(raw=None, capped=None, light=W, reason=reason)
    assert not result.is_assessed


@pytest.mark.parametrize("blank", ["", "   "])
def test_an_exclusion_needs_a_reason(blank):
    with pytest.raises(ValueError, match="reason"):
        a("5", "5", excluded_reason=blank)


@pytest.mark.parametrize(
    ("actual", "direction", "light"),
    [
        ("95", "higher", G),  # yellow under the default green (100), green under 90
        ("90", "higher", G),
        ("89.94", "higher", Y),  # shown as 89.9%; 89.95 would read 90% and be green
        ("60", "higher", Y),
        ("59.94", "higher", R),
        ("75", "higher", Y),  # red under the default thresholds
        ("110", "lower", G),  # 100 / 110 = 90.9091
        ("150", "lower", Y),  # 66.6667
        ("200", "lower", R),  # 50
    ],
)
def test_custom_thresholds(actual, direction, light):
    thresholds = Thresholds(green=D(90), yellow=D(60))
    assert a(actual, "100", direction, thresholds=thresholds).light == light


def test_custom_thresholds_change_the_light_not_the_numbers():
    default, custom = a("95", "100"), a("95", "100", thresholds=Thresholds(green=D(90), yellow=D(60)))
    assert (default.light, custom.light) == (Y, G)
    assert default.raw == custom.raw == D("95.0000")


def test_green_threshold_above_100_only_reachable_uncapped():
    thresholds = Thresholds(green=D(110), yellow=D(80))
    assert a("120", "100", thresholds=thresholds).light == G
    assert a("105", "100", thresholds=thresholds).light == Y
    assert a("0", "0", "lower", thresholds=thresholds).light == Y  # lower-is-better stops at 100


@pytest.mark.parametrize(
    ("green", "yellow"),
    [
        pytest.param(D(70), D(80), id="green-below-yellow"),
        pytest.param(D(100), D(-1), id="negative-yellow"),
        pytest.param(D("NaN"), D(80), id="not-a-number"),
        pytest.param(D("Infinity"), D(80), id="infinite"),
    ],
)
def test_invalid_thresholds_raise_value_error(green, yellow):
    with pytest.raises(ValueError):
        Thresholds(green=green, yellow=yellow)


@pytest.mark.parametrize(("green", "yellow"), [(D(80), D(80)), (D(0), D(0)), (100, 80)])
def test_edge_thresholds_are_allowed(green, yellow):
    thresholds = Thresholds(green=green, yellow=yellow)
    assert isinstance(thresholds.green, Decimal)
    assert isinstance(thresholds.yellow, Decimal)


def test_floats_are_refused_everywhere():
    with pytest.raises(TypeError):
        Thresholds(green=100.0, yellow=80)
    with pytest.raises(TypeError):
        assess(actual=0.5, target=D(1), direction="higher")
    with pytest.raises(TypeError):
        assess(actual=D(1), target=1.0, direction="lower")
    with pytest.raises(TypeError):
        roll_up([(a("1", "1"), 1.5)])
    with pytest.raises(TypeError):
        expected_to_date(target=D(40), fraction_of_year=0.5)
    with pytest.raises(TypeError):
        assess(actual=True, target=D(1), direction="higher")


def test_ints_are_accepted():
    assert assess(actual=3, target=4, direction="higher").raw == D("75.0000")


@pytest.mark.parametrize("direction", ["up", "Higher", "", "lower-is-better"])
def test_unknown_direction_raises(direction):
    with pytest.raises(ValueError, match="direction"):
        a("1", "1", direction)
    with pytest.raises(ValueError, match="direction"):
        a(None, None, direction)  # even when the result would be white


def test_direction_accepts_str_enums():
    from enum import StrEnum

    class Direction(StrEnum):  # the shape of kpi.models.Direction's values
        HIGHER = "higher"
        LOWER = "lower"

    assert a("2", "1", Direction.LOWER).raw == D("50.0000")


def test_light_labels_are_zh_hant():
    assert LIGHT_LABELS == {G: "達成", Y: "部分達成", R: "未達成", W: "不予評估"}
    assert [light.label for light in Light] == ["達成", "部分達成", "未達成", "不予評估"]
    assert Light.GREEN == "green"


# Roll-ups -------------------------------------------------------------------------------


def test_roll_up_weighted_mean_of_capped_scores_ignoring_white():
    items = [
        (a("120", "100"), D(1)),  # green, capped to 100
        (a("60", "100"), D(3)),  # red
        (a(None, "100"), D(5)),  # white: counted, not averaged
        (a("90", "100"), 1),  # yellow, int weight
    ]
    result = roll_up(items)
    # (100×1 + 60×3 + 90×1) ÷ 5 = 74
    assert result.score == D("74.0000")
    assert result.light == R
    assert result.counts == {G: 1, Y: 1, R: 1, W: 1}
    assert result.weight == D(5)
    assert result.total == 4


def test_roll_up_of_equal_weights_is_the_plain_mean():
    result = roll_up([(a("100", "100"), 1), (a("80", "100"), 1), (a("70", "100"), 1)])
    assert result.score == D("83.3333")
    assert result.light == Y


def test_roll_up_all_white_has_no_score():
    result = roll_up([(a(None, "5"), 1), (a("5", "5", excluded_reason="停辦"), 2)])
    assert result.score is None
    assert result.light == W
    assert result.counts == {G: 0, Y: 0, R: 0, W: 2}
    assert result.weight == 0


def test_roll_up_of_nothing():
    result = roll_up([])
    assert (result.score, result.light, result.total) == (None, W, 0)
    assert set(result.counts) == set(Light)


def test_roll_up_uses_the_thresholds_given():
    items = [(a("95", "100"), 1)]
    assert roll_up(items).light == Y
    assert roll_up(items, Thresholds(green=D(90), yellow=D(60))).light == G


@pytest.mark.parametrize("weight", [D(0), D(-1), 0])
def test_roll_up_weights_must_be_positive(weight):
    with pytest.raises(ValueError, match="weight"):
        roll_up([(a("1", "1"), 1), (a(None, "1"), weight)])


def test_combine_pools_like_one_roll_up_of_all_items():
    first = [(a("120", "100"), D(2)), (a("1", "3"), D(1))]  # 33.3333…
    second = [(a(None, "1"), D(1)), (a("2", "3"), D("1.5")), (a("8", "10", "lower"), D(1))]
    pooled = combine([roll_up(first), roll_up(second)])
    assert pooled == roll_up(first + second)
    assert pooled.counts == {G: 2, Y: 0, R: 2, W: 1}


def test_combine_of_white_roll_ups_stays_white():
    assert combine([roll_up([(a(None, "1"), 1)]), roll_up([])]) == RollUp(
        score=None, light=W, counts={G: 0, Y: 0, R: 0, W: 1}
    )


# Pace -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "fraction", "start", "expected"),
    [
        pytest.param("5", "0", "0", "0.0000", id="start-of-year"),
        pytest.param("5", "0.5", "0", "2.5000", id="half-year-count"),
        pytest.param("5", "1", "0", "5.0000", id="end-of-year"),
        pytest.param("40", "0.5", "10", "25.0000", id="ladder-112-climbs-from-111"),
        pytest.param("40", "0", "10", "10.0000", id="ladder-starts-at-last-years-target"),
        pytest.param("100", "0.75", "70", "92.5000", id="ladder-114-three-quarters"),
        pytest.param("1", "0.3333", "0", "0.3333", id="deliverable"),
    ],
)
def test_expected_to_date_is_linear_from_the_years_start(target, fraction, start, expected):
    assert expected_to_date(target=D(target), fraction_of_year=D(fraction), cumulative_from=D(start)) == D(expected)


# The module stays free of Django ----------------------------------------------------------

ALLOWED_IMPORTS = {"__future__", "collections", "dataclasses", "decimal", "enum", "typing"}


def test_attainment_module_imports_only_the_standard_library():
    tree = ast.parse(Path(attainment.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports (they would reach into the project)"
            imported.add(node.module)
    top_level = {name.split(".")[0] for name in imported}
    assert "django" not in top_level
    assert top_level <= ALLOWED_IMPORTS, top_level - ALLOWED_IMPORTS


def test_light_labels_and_reasons_follow_the_active_language():
    from django.utils import translation

    with translation.override("en"):
        assert [light.label for light in (G, Y, R, W)] == ["Met", "Partly met", "Not met", "Not assessed"]
        assert assess(actual=None, target=D(5), direction="higher").reason == "No approved figure yet"
    with translation.override("zh-hant"):
        assert Light.GREEN.label == "達成"
        assert assess(actual=D(5), target=None, direction="higher").reason == "未訂目標值"


def test_lights_are_judged_on_the_percentage_as_every_page_shows_it():
    from common import formatting
    from kpi.attainment import SHOWN_PLACES, shown

    assert SHOWN_PLACES == formatting.PERCENT_PLACES
    for raw in ("79.9500", "79.9499", "99.9500", "99.9400", "80.0000"):
        assert formatting.percent(D(raw)) == formatting.percent(shown(D(raw)))
    assert formatting.percent(D("79.9500")) == "80%" and a("79.95", "100").light == Y
    assert formatting.percent(D("99.9500")) == "100%" and a("99.95", "100").light == G


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [("0.25", "1"), ("0.5", "3"), ("0.75", "4"), ("1", "5")],  # 1.25, 2.5 (half up), 3.75, 5
)
def test_a_counted_pace_is_whole_sessions(fraction, expected):
    assert expected_to_date(target=D(5), fraction_of_year=D(fraction), whole=True) == D(expected)
