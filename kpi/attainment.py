"""Attainment (達成度) and status lights (燈號): the arithmetic, free of framework imports.

Actual, target, direction and thresholds go in; a `Decimal` percentage and a light come
out. Callers (the batch service, views, importers) fetch the numbers; nothing here
touches the database, so every rule can be tested with plain values.

Attainment of one KPI-year (`assess`)
-------------------------------------
All values are `Decimal` (or `int`); a `float` raises `TypeError`, because a binary
fraction would leak into figures that people check by hand. Attainment is a percentage,
quantized to 4 decimal places with ROUND_HALF_UP (`raw`), and `capped` = min(raw, 100).

- Higher is better: raw = actual ÷ target × 100, *uncapped* (120% is a fact worth seeing).
  A negative actual gives 0, not a negative attainment (floor at 0): a KPI cannot be
  less than not done at all.
- Lower is better: 100 when actual ≤ target; otherwise target ÷ actual × 100 when
  target > 0, else 0. So a negative actual (-5% contract-staff growth against a 0%
  target) is 100, and with a negative target (-2%) any actual above it (0%) is 0: there
  is no ratio that means anything once the target is ≤ 0.
- 式 (a deliverable set) needs no rule of its own: the actual is the completed fraction
  (1 when done) and the target is normally 1, so 0.5 of 1 is 50%.
- Cumulative % ladders (10 → 40 → 70 → 100 over the plan's years) need none either:
  each year's target is cumulative and so is the actual, so year 112 with target 40
  and actual 30 is 75%.

Lights (`Light`) are read from the attainment as people see it (`shown`: one decimal
place, half up, as every page writes it): green (達成) ≥ thresholds.green, yellow (部分達成)
≥ thresholds.yellow, red (未達成) below. So 79.96% reads "80%" and is yellow, never red.
White (不予評估) means "not assessed", with a reason in the active language (zh-Hant by
default), checked in this order:

1. the KPI-year is excluded: the reason given (`excluded_reason`);
2. no target: 未訂目標值 (`REASON_NO_TARGET`);
3. no approved actual yet: 尚無核定實績 (`REASON_NO_ACTUAL`);
4. higher is better with a target of 0 (or below): the ratio has no meaning,
   目標值為 0，無法計算達成度 (or 目標值為負數，無法計算達成度).

A white assessment has `raw` and `capped` None.

Roll-ups (`roll_up`, `combine`)
-------------------------------
An objective's score is the weighted mean of its KPIs' *capped* scores (weight 1 unless
set; weights must be > 0), ignoring white ones but counting every light. The roll-up's
light is the light of that score under the same thresholds, white when nothing could be
assessed. `combine` pools roll-ups (objectives → goal → department → city) exactly as if
all their KPIs had been rolled up at once, so a KPI weighs the same wherever it sits.

A straight-line pace (`expected_to_date`)
----------------------------------------
The default planned value of a cumulative KPI (kpi.planning): progress climbs linearly
from where the year starts (0, or last year's cumulative target on a ladder) to this
year's target; counted units are paced in whole numbers. Whether a KPI is behind is its
period status against the planned value (kpi.assessments.status_of), not a rule here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Final

HIGHER: Final = "higher"
LOWER: Final = "lower"
DIRECTIONS: Final = (HIGHER, LOWER)

ZERO: Final = Decimal(0)
ONE: Final = Decimal(1)
HUNDRED: Final = Decimal(100)
FOUR_PLACES: Final = Decimal("0.0001")

# Labels and reasons are English message ids marked with `_` for makemessages, and read
# through `translate` in the active language. This module imports no framework: the kpi
# app installs Django's gettext at start-up (`use_translator`, kpi/apps.py); without it
# (plain-value tests, scripts) the English ids are shown as they are.
translate: Callable[[str], str] = str


def use_translator(function: Callable[[str], str]) -> None:
    global translate
    translate = function


def _(text: str) -> str:
    """Marks a message id for makemessages; `translate` reads it when shown."""
    return text


REASON_NO_TARGET: Final = _("No target set")  # 未訂目標值
REASON_NO_ACTUAL: Final = _("No approved figure yet")  # 尚無核定實績
REASON_ZERO_TARGET: Final = _("The target is 0: attainment cannot be computed")
REASON_NEGATIVE_TARGET: Final = _("The target is negative: attainment cannot be computed")


class Light(StrEnum):
    """燈號: the status light of an attainment or a roll-up score."""

    GREEN = "green"  # 達成
    YELLOW = "yellow"  # 部分達成
    RED = "red"  # 未達成
    WHITE = "white"  # 不予評估

    @property
    def label(self) -> str:
        """達成, 部分達成, 未達成, 不予評估 (Met … Not assessed in English)."""
        return translate(LIGHT_LABEL_IDS[self])


LIGHT_LABEL_IDS: Final[dict[Light, str]] = {
    Light.GREEN: _("Met"),
    Light.YELLOW: _("Partly met"),
    Light.RED: _("Not met"),
    Light.WHITE: _("Not assessed"),
}


class _Labels(Mapping):
    """light → its label in the active language (`LIGHT_LABELS[Light.GREEN]` → 達成)."""

    def __getitem__(self, light: Light) -> str:
        return Light(light).label

    def __iter__(self) -> Iterator[Light]:
        return iter(Light)

    def __len__(self) -> int:
        return len(Light)


LIGHT_LABELS: Final = _Labels()


def _decimal(value: Decimal | int, name: str) -> Decimal:
    """`value` as a finite Decimal; floats and bools are refused rather than guessed at."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{name} must be a Decimal or an int, not {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{name} must be a finite number, not {number}")
    return number


# Percentages are shown with one decimal place, rounded half up (common.formatting's
# PERCENT_PLACES; tests/test_attainment.py pins that the two agree), and lights are judged
# on that figure. The 4-place `raw` is kept for averaging, so that roll-ups lose nothing.
SHOWN_PLACES: Final = 1


def shown(percent: Decimal) -> Decimal:
    """A percentage as people see it: one decimal place, half up (79.96 → 80.0)."""
    return percent.quantize(Decimal(1).scaleb(-SHOWN_PLACES), rounding=ROUND_HALF_UP)


def _quantize(value: Decimal) -> Decimal:
    return value.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def _check_direction(direction: str) -> str:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
    return str(direction)


@dataclass(frozen=True)
class Thresholds:
    """The plan's light thresholds, in percent of attainment: green ≥ `green`, yellow ≥ `yellow`.

    They must satisfy green ≥ yellow ≥ 0 (as the plan's check constraint does). A green
    threshold above 100 is allowed but can only be met by a higher-is-better KPI's raw
    attainment, never by a lower-is-better KPI or a roll-up, whose scores stop at 100.
    """

    green: Decimal = Decimal(100)
    yellow: Decimal = Decimal(80)

    def __post_init__(self) -> None:
        green, yellow = _decimal(self.green, "green"), _decimal(self.yellow, "yellow")
        if yellow < 0:
            raise ValueError(f"the yellow threshold must be ≥ 0, not {yellow}")
        if green < yellow:
            raise ValueError(f"the green threshold ({green}) must be ≥ the yellow threshold ({yellow})")
        object.__setattr__(self, "green", green)
        object.__setattr__(self, "yellow", yellow)

    def light_for(self, percent: Decimal) -> Light:
        """The light of an attainment or a score given in percent, judged on the figure as
        people see it (`shown`: one place, half up), so that 79.96, shown as 80%, is not red."""
        percent = shown(percent)
        if percent >= self.green:
            return Light.GREEN
        if percent >= self.yellow:
            return Light.YELLOW
        return Light.RED


DEFAULT_THRESHOLDS: Final = Thresholds()


@dataclass(frozen=True)
class Assessment:
    """The attainment of one KPI-year: percentages (None when white), light, and why white."""

    raw: Decimal | None  # percent, uncapped, 4 places (e.g. 120.0000)
    capped: Decimal | None  # min(raw, 100): what roll-ups average
    light: Light
    reason: str = ""  # why white (zh-Hant); '' otherwise

    @property
    def is_assessed(self) -> bool:
        return self.light is not Light.WHITE

    @classmethod
    def white(cls, reason: str) -> Assessment:
        return cls(raw=None, capped=None, light=Light.WHITE, reason=reason)


def attainment(*, actual: Decimal, target: Decimal, direction: str) -> Decimal | None:
    """Raw attainment in percent (4 places), or None when the target makes it meaningless.

    None only for higher-is-better with a target ≤ 0; `assess` turns that into a white
    light with its reason.
    """
    actual, target = _decimal(actual, "actual"), _decimal(target, "target")
    if _check_direction(direction) == HIGHER:
        if target <= 0:
            return None
        # Multiply before dividing, so that the only rounding is the final quantize.
        return _quantize(max(ZERO, actual * HUNDRED / target))
    if actual <= target:
        return _quantize(HUNDRED)
    if target > 0:
        return _quantize(target * HUNDRED / actual)
    return _quantize(ZERO)


def assess(
    *,
    actual: Decimal | None,
    target: Decimal | None,
    direction: str,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    excluded_reason: str | None = None,
) -> Assessment:
    """Assess one KPI-year: the approved actual against the target in force.

    `excluded_reason` is None unless the KPI-year is excluded from assessment; an
    exclusion needs a reason, so a blank one raises `ValueError`.
    """
    _check_direction(direction)
    if excluded_reason is not None:
        if not excluded_reason.strip():
            raise ValueError("an excluded KPI-year needs a reason")
        return Assessment.white(excluded_reason.strip())
    if target is None:
        return Assessment.white(translate(REASON_NO_TARGET))
    if actual is None:
        return Assessment.white(translate(REASON_NO_ACTUAL))
    raw = attainment(actual=actual, target=target, direction=direction)
    if raw is None:
        return Assessment.white(translate(REASON_ZERO_TARGET if target == 0 else REASON_NEGATIVE_TARGET))
    return Assessment(raw=raw, capped=min(raw, _quantize(HUNDRED)), light=thresholds.light_for(raw))


def _all_lights() -> dict[Light, int]:
    return dict.fromkeys(Light, 0)


@dataclass(frozen=True)
class RollUp:
    """A weighted mean of capped scores, with the count of each light.

    `weight` and `weighted_sum` cover the assessed (non-white) items only; they are kept
    unrounded so that `combine` gives exactly what one roll-up of all the items would.
    """

    score: Decimal | None  # percent, 4 places; None when nothing could be assessed
    light: Light  # the score's light; WHITE when score is None
    counts: dict[Light, int] = field(default_factory=_all_lights)  # every light is a key
    weight: Decimal = ZERO  # total weight of the assessed items
    weighted_sum: Decimal = ZERO  # Σ capped × weight over the assessed items

    @property
    def total(self) -> int:
        """How many items were rolled up, white ones included."""
        return sum(self.counts.values())


def _finish(counts: dict[Light, int], weight: Decimal, weighted_sum: Decimal, thresholds: Thresholds) -> RollUp:
    if weight == 0:
        return RollUp(score=None, light=Light.WHITE, counts=counts)
    score = _quantize(weighted_sum / weight)
    return RollUp(
        score=score, light=thresholds.light_for(score), counts=counts, weight=weight, weighted_sum=weighted_sum
    )


def from_totals(
    *, counts: dict[Light, int], weight: Decimal, weighted_sum: Decimal, thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> RollUp:
    """A roll-up from its totals (the lights counted, Σ weight and Σ capped × weight of the
    assessed items), as `roll_up` would give it: e.g. totals summed in SQL (`kpi.rollups`)."""
    return _finish(dict(counts), _decimal(weight, "weight"), _decimal(weighted_sum, "weighted_sum"), thresholds)


def roll_up(items: Iterable[tuple[Assessment, Decimal | int]], thresholds: Thresholds = DEFAULT_THRESHOLDS) -> RollUp:
    """Roll up (assessment, weight) pairs: white ones are counted but not averaged."""
    counts, weight, weighted_sum = _all_lights(), ZERO, ZERO
    for assessment, item_weight in items:
        w = _decimal(item_weight, "weight")
        if w <= 0:
            raise ValueError(f"weights must be > 0, not {w}")
        counts[assessment.light] += 1
        if assessment.capped is not None:
            weight += w
            weighted_sum += assessment.capped * w
    return _finish(counts, weight, weighted_sum, thresholds)


def combine(roll_ups: Iterable[RollUp], thresholds: Thresholds = DEFAULT_THRESHOLDS) -> RollUp:
    """Pool roll-ups (e.g. a goal's objectives) as one roll-up of all their items."""
    counts, weight, weighted_sum = _all_lights(), ZERO, ZERO
    for part in roll_ups:
        for light, count in part.counts.items():
            counts[light] += count
        weight += part.weight
        weighted_sum += part.weighted_sum
    return _finish(counts, weight, weighted_sum, thresholds)


def _check_fraction(fraction_of_year: Decimal | int) -> Decimal:
    fraction = _decimal(fraction_of_year, "fraction_of_year")
    if not ZERO <= fraction <= ONE:
        raise ValueError(f"fraction_of_year must be between 0 and 1, not {fraction}")
    return fraction


def expected_to_date(
    *, target: Decimal, fraction_of_year: Decimal | int, cumulative_from: Decimal | int = ZERO, whole: bool = False
) -> Decimal:
    """What a year-to-date actual should be by now on a linear pace (4 places).

    The year starts at `cumulative_from` (0, or last year's target on a cumulative
    ladder: 10 → 40 starts year 112 at 10) and climbs to this year's `target`. With
    `whole` (counted units: sessions, cases, places) the pace is a whole number, rounded
    half up: nobody holds 3.75 sessions, so a quarter of 5 is 1 and three quarters are 4.
    """
    target = _decimal(target, "target")
    start = _decimal(cumulative_from, "cumulative_from")
    fraction = _check_fraction(fraction_of_year)
    expected = start + (target - start) * fraction
    if whole:
        expected = expected.quantize(ONE, rounding=ROUND_HALF_UP)
    return _quantize(expected)
