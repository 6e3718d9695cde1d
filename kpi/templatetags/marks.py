"""The small marks every dashboard row repeats — a light, a status light, a score, light counts,
a stacked bar, a sparkline, a full-year ratio, a report status — drawn in Python.

They were template includes; a Django include costs a tenth of a millisecond or more
before it draws anything, and the city overview's 500 rows had six each. As tags they draw
the same markup, byte for byte (each value as ``{{ value }}`` would render it: localized
and escaped; inside SVG not localized, as ``{% localize off %}`` did), at a fraction of the cost.

    {% load marks %}
    {% light assessment %}                 {% light assessment hide_reason=True %}
    {% status_light a label ind y rep=None hide_reason=False %}
    {% year_ratio assessment ind y rep=None %}
    {% status code label %}                {% score rollup %}
    {% light_counts counts compact=False %}
    {% stackbar counts label %}            {% sparkline spark name %}
"""

from django import template
from django.utils import formats
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, pgettext

from common import formatting
from common.templatetags.a11y import zh

register = template.Library()


def _v(value) -> str:
    """As ``{{ value }}``: localized, escaped."""
    return conditional_escape(formats.localize(value))


def _raw(value) -> str:
    """As ``{{ value }}`` inside ``{% localize off %}``: escaped, not localized."""
    return conditional_escape(value if isinstance(value, str) else str(value))


def _report_attr(rep) -> str:
    return "" if rep is None else f' data-report="{_v(rep)}"'


@register.simple_tag
def light(a, hide_reason=False) -> SafeString:
    """A light (kpi.attainment.Light) with its label, and the reason when there is one."""
    value = getattr(a, "light", None)
    code = "" if value is None else _v(value)
    label = "" if value is None else _v(getattr(value, "label", ""))
    html = (
        f'<span class="light light-{code}" data-light="{code}"><span class="light-dot" aria-hidden="true"></span>'
        f"{label}</span>"
    )
    reason = getattr(a, "reason", None)
    if reason and not hide_reason:
        lb, rb = pgettext("opening bracket", " ("), pgettext("closing bracket", ")")
        html += f' <span class="small muted light-reason">{_v(lb)}{_v(reason)}{_v(rb)}</span>'
    return mark_safe(html)


@register.simple_tag
def status_light(a, label, ind, y, rep=None, hide_reason=False) -> SafeString:
    """THE status of a KPI-year (kpi.assessments.Status): its light, and the period it refers to
    when judged on a period ("114Q3 progress"). a: the light's assessment; label: Status.label;
    ind, y, rep: what the figure belongs to (the data-* attributes tests/test_one_figure.py reads)."""
    where = f'data-indicator="{_v(ind)}" data-year="{_v(y)}"{_report_attr(rep)}'
    html = f'<span data-figure="light" {where}>{light(a, hide_reason)}</span>'
    if label:
        html += f' <span class="status-basis" data-figure="basis" {where}>{_v(label)}</span>'
    return mark_safe(html)


@register.simple_tag
def year_ratio(year, ind, y, rep=None) -> SafeString:
    """The full-year ratio (actual ÷ the year's target) beside a period status: "Full year 42.2%"."""
    figure = formatting.percent(getattr(year, "raw", None))
    label = gettext("Full year")  # not inside the f-string: makemessages would not see it there
    return mark_safe(
        f'<span class="year-ratio">{_v(label)} <span data-figure="year-ratio" '
        f'data-indicator="{_v(ind)}" data-year="{_v(y)}"{_report_attr(rep)}>{_v(figure)}</span></span>'
    )


@register.simple_tag
def status(code, label) -> SafeString:
    """A report's status (draft, submitted…) as a badge."""
    return mark_safe(f'<span class="status status-{_v(code or "none")}">{_v(label)}</span>')


@register.simple_tag
def score(r) -> SafeString:
    """A roll-up's score, or a dash."""
    if r:
        return mark_safe(f'<span class="score">{_v(formatting.percent(r.score))}</span>')
    return mark_safe('<span class="muted">—</span>')


@register.simple_tag
def light_counts(counts, compact=False) -> SafeString:
    """How many indicators have each light (reports.selectors.charts.LightCount, in order)."""
    items = []
    for c in counts:
        if c.count or not compact:
            zero = "" if c.count else " lc-zero"
            items.append(
                f'<li class="lc lc-{_v(c.light)}{zero}"><span class="light-dot" aria-hidden="true"></span>'
                f"{_v(c.label)} <strong>{_v(c.count)}</strong></li>"
            )
    return mark_safe(f'<ul class="light-counts{" compact" if compact else ""}">{"".join(items)}</ul>')


@register.simple_tag
def stackbar(counts, label) -> SafeString:
    """The light counts as one stacked bar, with `label` as its text."""
    segments = "".join(
        f'<rect class="seg seg-{_raw(c.light)}" x="{_raw(c.x)}" y="0" width="{_raw(c.width)}" height="10"/>'
        for c in counts
        if c.count
    )
    return mark_safe(
        f'<svg class="stackbar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" '
        f'aria-label="{_raw(label)}" focusable="false"><title>{_raw(label)}</title>{segments}</svg>'
    )


@register.simple_tag
def sparkline(s, name="") -> SafeString:
    """A trend (reports.selectors.charts.Sparkline) as SVG; `name` starts its text."""
    colon = pgettext("after a label", ": ")
    w, h = _raw(s.width), _raw(s.height)
    aria = f"{_raw(name)}{_raw(colon)}" if name else ""
    title = f"{zh(name)}{_raw(colon)}" if name else ""
    parts = [
        f'<svg class="spark" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        f'aria-label="{aria}{_raw(s.label)}" focusable="false"><title>{title}{_raw(s.label)}</title>'
        f'<line class="spark-ref" x1="0" x2="{w}" y1="{_raw(s.reference_y)}" y2="{_raw(s.reference_y)}"/>'
    ]
    for g in s.segments:
        partial = " spark-partial" if g.partial else ""
        parts.append(
            f'<line class="spark-line{partial}" x1="{_raw(g.x1)}" y1="{_raw(g.y1)}" x2="{_raw(g.x2)}" y2="{_raw(g.y2)}"/>'
        )
    bottom = _raw(s.height - 5)
    for p in s.points:
        if p.selected:
            cy = _raw(p.y) if p.y is not None else bottom
            parts.append(f'<circle class="spark-selected" cx="{_raw(p.x)}" cy="{cy}" r="4.6"/>')
        if p.y is not None:
            ytd = " spark-ytd" if p.partial else ""
            parts.append(
                f'<circle class="spark-dot spark-{_raw(p.light)}{ytd}" cx="{_raw(p.x)}" cy="{_raw(p.y)}" r="2.8"/>'
            )
        else:
            parts.append(f'<circle class="spark-dot spark-none" cx="{_raw(p.x)}" cy="{bottom}" r="1.6"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))
