"""Small pictures: light counts, stacked bars and sparklines, drawn as geometry for SVG."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from common import dates, formatting
from kpi.assessments import PlanYearAttainment
from kpi.attainment import Assessment, Light, RollUp
from reports.selectors.params import year_in_progress

# Lights in the order every page, count and file lists them.
LIGHT_ORDER = (Light.GREEN, Light.YELLOW, Light.RED, Light.WHITE)


@dataclass(frozen=True)
class LightCount:
    light: Light
    count: int
    x: float = 0  # where its segment starts in a 100-wide stacked bar
    width: float = 0

    @property
    def label(self) -> str:
        return self.light.label


def light_counts(rollup: RollUp | None) -> list[LightCount]:
    """The four lights in a fixed order with their counts and stacked-bar segments."""
    counts = rollup.counts if rollup is not None else {}
    total = sum(counts.get(light, 0) for light in LIGHT_ORDER)
    out, x = [], 0.0
    for light in LIGHT_ORDER:
        n = counts.get(light, 0)
        width = round(100 * n / total, 2) if total else 0
        out.append(LightCount(light, n, round(x, 2), width))
        x += width
    return out


def counts_text(rollup: RollUp | None) -> str:
    """達成 3、部分達成 1、未達成 1、不予評估 0 — for labels and text alternatives."""
    return pgettext("list separator", ", ").join(
        _("%(light)s %(count)s") % {"light": c.label, "count": c.count} for c in light_counts(rollup)
    )


@dataclass(frozen=True)
class SparkPoint:
    year: int
    value: Decimal | None
    light: Light
    x: float
    y: float | None
    selected: bool = False  # the year the page shows
    partial: bool = False  # a year not over yet: a year-to-date figure


@dataclass(frozen=True)
class SparkSegment:
    x1: float
    y1: float
    x2: float
    y2: float
    partial: bool  # leads to a year-to-date figure: drawn dashed


@dataclass(frozen=True)
class Sparkline:
    """A tiny trend drawn server-side as SVG (no JavaScript), with its text in `label`."""

    points: list[SparkPoint]
    segments: list[SparkSegment]
    reference_y: float  # the 100% line
    label: str
    width: int = 104
    height: int = 30


SPARK_W, SPARK_H, SPARK_PAD = 104, 30, 5


def sparkline(values: list[tuple[int, Decimal | None, Light]], selected: int | None = None) -> Sparkline:
    """values: (year, percent or None, light) per year, oldest first; `selected` is ringed."""
    known = [v for _, v, _ in values if v is not None]
    top = min(max([Decimal(100), *known]), Decimal(200))
    n = len(values)
    inner_w, inner_h = SPARK_W - 2 * SPARK_PAD, SPARK_H - 2 * SPARK_PAD
    today = dates.today()

    def y_of(v: Decimal) -> float:
        return round(SPARK_H - SPARK_PAD - float(min(v, top) / top) * inner_h, 1)

    points = []
    for i, (year, value, light) in enumerate(values):
        x = round(SPARK_PAD + (inner_w * i / (n - 1) if n > 1 else inner_w / 2), 1)
        points.append(
            SparkPoint(
                year,
                value,
                light,
                x,
                y_of(value) if value is not None else None,
                selected=year == selected,
                partial=year_in_progress(year, today),
            )
        )
    segments = [
        SparkSegment(a.x, a.y, b.x, b.y, b.partial)
        for a, b in zip(points, points[1:], strict=False)
        if a.y is not None and b.y is not None
    ]
    parts = []
    for p in points:
        year = formatting.roc_year(p.year)
        if p.value is None:
            text = _("%(year)s %(light)s") % {"year": year, "light": p.light.label}
        elif p.partial:
            text = _("%(year)s %(percent)s (%(light)s), year in progress") % {
                "year": year,
                "percent": formatting.percent(p.value),
                "light": p.light.label,
            }
        else:
            text = _("%(year)s %(percent)s (%(light)s)") % {
                "year": year,
                "percent": formatting.percent(p.value),
                "light": p.light.label,
            }
        parts.append(text)
    return Sparkline(points, segments, y_of(Decimal(100)), pgettext("list of clauses", "; ").join(parts))


def rollup_sparkline(trend: list[tuple[int, RollUp | None]], selected: int | None = None) -> Sparkline:
    return sparkline([(y, r.score if r else None, r.light if r else Light.WHITE) for y, r in trend], selected)


def result_sparkline(
    years_data: dict[int, PlanYearAttainment], indicator_id: int, selected: int | None = None
) -> Sparkline:
    values = []
    for year, pya in years_data.items():
        result = pya.indicators.get(indicator_id)
        a = result.assessment if result else Assessment.white("")
        values.append((year, a.raw, a.light))
    return sparkline(values, selected)


def chart_number(value: Decimal | None) -> float | None:
    """A percentage for a chart's data: rounded as the page shows it (`formatting.percent_number`)."""
    number = formatting.percent_number(value)
    return None if number is None else float(number)
