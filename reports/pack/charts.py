"""The pack's charts, drawn as SVG on the server: no JavaScript, nothing fetched, the same picture
in the PDF and in the ODT.

- `score_chart`: one horizontal bar per department (or objective), its roll-up score on a 0–100%
  scale, with the yellow and green thresholds drawn as lines; the score and its light are
  written at the end of each bar, so the chart reads without colour.
- `lights_chart`: one stacked bar per department (or objective), a segment per light, each
  segment carrying its count, with a legend naming the lights.

Every text is escaped (department and objective names are data). Sizes are in CSS pixels
(WeasyPrint: 96 per inch), laid out for the text width of an A4 portrait page.
"""

from __future__ import annotations

from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from common import formatting
from kpi.attainment import Light, Thresholds
from reports.pack.content import LIGHT_ORDER, Bar

FILL = {Light.GREEN: "#1e7b34", Light.YELLOW: "#d9a400", Light.RED: "#b42318", Light.WHITE: "#ffffff"}
# Text on each light's fill: dark on yellow and white, light on green and red.
INK = {Light.GREEN: "#ffffff", Light.YELLOW: "#1f2933", Light.RED: "#ffffff", Light.WHITE: "#1f2933"}
FONT = "'Noto Sans CJK TC', 'Noto Sans CJK', sans-serif"

WIDTH = 680
LABEL_WIDTH = 190
VALUE_WIDTH = 130
ROW = 24
BAR = 15
TOP = 26
BOTTOM = 8
LABEL_CHARS = 13  # CJK characters that fit the label column at this size


def _text(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _label(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _svg(height: int, title: str, body: list[str]) -> SafeString:
    return mark_safe(  # noqa: S308 — every text in `body` went through _text
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{_text(title)}" '
        f'font-family="{FONT}" font-size="11">'
        f"<title>{_text(title)}</title>{''.join(body)}</svg>"
    )


def score_chart(bars: list[Bar], thresholds: Thresholds, title: str) -> SafeString:
    """Each bar's score (capped roll-up, 0–100%) with its light written beside it."""
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = TOP + ROW * max(len(bars), 1) + BOTTOM
    x0 = LABEL_WIDTH

    def x(percent: Decimal) -> float:
        return x0 + plot * float(min(max(percent, Decimal(0)), Decimal(100))) / 100

    body = [
        f'<rect x="{x0}" y="{TOP - 4}" width="{plot}" height="{height - TOP - BOTTOM + 8}" fill="#f5f7fa"/>',
    ]
    for percent in (0, 25, 50, 75, 100):
        px = x(Decimal(percent))
        body.append(f'<text x="{px:.1f}" y="{TOP - 10}" text-anchor="middle" fill="#52606d">{percent}%</text>')
    for light, value in ((Light.YELLOW, thresholds.yellow), (Light.GREEN, thresholds.green)):
        px = x(value)
        body.append(
            f'<line x1="{px:.1f}" y1="{TOP - 4}" x2="{px:.1f}" y2="{height - BOTTOM + 4}" '
            f'stroke="{FILL[light]}" stroke-width="1" stroke-dasharray="3 2"/>'
        )
    for i, bar in enumerate(bars):
        y = TOP + i * ROW
        mid = y + ROW / 2
        body.append(
            f'<text x="{x0 - 6}" y="{mid + 4:.1f}" text-anchor="end" fill="#1f2933">{_text(_label(bar.label))}</text>'
        )
        if bar.score is not None:
            end = x(bar.score)
            stroke = ' stroke="#616e7c"' if bar.light == Light.WHITE else ""
            body.append(
                f'<rect x="{x0}" y="{mid - BAR / 2:.1f}" width="{end - x0:.1f}" height="{BAR}" '
                f'fill="{FILL[bar.light]}"{stroke}/>'
            )
        value = (
            _("%(score)s (%(light)s)") % {"score": bar.score_text, "light": bar.light.label}
            if bar.score is not None
            else bar.light.label
        )
        body.append(f'<text x="{x0 + plot + 6}" y="{mid + 4:.1f}" fill="#1f2933">{_text(value)}</text>')
    return _svg(height, title, body)


def lights_chart(bars: list[Bar], title: str) -> SafeString:
    """Each bar's count of KPIs per light, stacked, with the counts written in the segments."""
    plot = WIDTH - LABEL_WIDTH - 60
    legend = 22
    height = legend + TOP + ROW * max(len(bars), 1) + BOTTOM
    x0 = LABEL_WIDTH
    most = max((sum(n for _light, n in bar.counts) for bar in bars), default=0) or 1

    body = []
    lx = x0
    for light in LIGHT_ORDER:
        body.append(
            f'<rect x="{lx}" y="4" width="12" height="12" fill="{FILL[light]}" stroke="#616e7c" stroke-width=".5"/>'
        )
        body.append(f'<text x="{lx + 16}" y="14" fill="#1f2933">{_text(light.label)}</text>')
        lx += 24 + 12 * len(light.label) + 8
    for i, bar in enumerate(bars):
        y = legend + TOP + i * ROW
        mid = y + ROW / 2
        body.append(
            f'<text x="{x0 - 6}" y="{mid + 4:.1f}" text-anchor="end" fill="#1f2933">{_text(_label(bar.label))}</text>'
        )
        left = float(x0)
        total = 0
        for light, count in bar.counts:
            total += count
            if not count:
                continue
            width = plot * count / most
            body.append(
                f'<rect x="{left:.1f}" y="{mid - BAR / 2:.1f}" width="{width:.1f}" height="{BAR}" '
                f'fill="{FILL[light]}" stroke="#616e7c" stroke-width=".5"/>'
            )
            if width >= 12:
                body.append(
                    f'<text x="{left + width / 2:.1f}" y="{mid + 4:.1f}" text-anchor="middle" '
                    f'fill="{INK[light]}">{count}</text>'
                )
            left += width
        body.append(f'<text x="{left + 6:.1f}" y="{mid + 4:.1f}" fill="#52606d">{formatting.number(total)}</text>')
    return _svg(height, title, body)
