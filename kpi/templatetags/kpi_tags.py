"""Template filters for the reporting pages: figures with units, percentages, ROC dates, lights.

Thin: every filter calls the one rule it names (`common.formatting`, `kpi.units`,
`kpi.attainment.Light.label`), so a page shows a figure exactly as an export, the API's
text or an e-mail does.
"""

import re

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from common import formatting
from kpi import units
from kpi.attainment import Light

register = template.Library()

# Han characters and the CJK and full-width punctuation that goes with them.
CHINESE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]+")


@register.filter
def roc_date(value):
    """date(2025, 4, 15) → 民國114年4月15日 (a datetime is shown in local time)."""
    return formatting.roc_date(value)


@register.filter
def roc_datetime(value):
    """A moment as 民國114年4月15日 14:05, in local time."""
    return formatting.roc_datetime(value)


@register.filter
def roc_month_day(value):
    """date(2025, 4, 15) → 4月15日, for tables whose heading already names the year."""
    return formatting.month_day(value)


@register.filter
def light_label(value):
    """green → 達成 (lights are never shown by colour alone); '' for anything else."""
    try:
        return Light(value).label
    except ValueError:
        return ""


@register.filter
def percent(value, places=formatting.PERCENT_PLACES):
    """An attainment or a score: Decimal('42.1875') → 42.2% (half up); None → —."""
    return formatting.percent(value, int(places))


@register.filter
def amount(value, indicator):
    """A figure of `indicator` with its unit, as entered: 100%, 0.5 式, 15 場; None → —."""
    return units.amount(indicator, value)


@register.filter
def derived_amount(value, indicator):
    """A derived figure (a pace, what a period should reach): counted units whole (4 場, not 3.75)."""
    return units.amount(indicator, value, derived=True)


@register.filter
def unit_symbol(indicator):
    """The indicator's unit as people read it after a figure: %, 式, 場 (set, sessions in English)."""
    return units.symbol(indicator.unit)


@register.filter(needs_autoescape=True)
def zh_terms(value, autoescape=True):
    """English text that quotes zh-Hant words (the data's own values: 式, 達成): each run of
    Chinese marked lang="zh-Hant", so it is read as Chinese (WCAG 3.1.2)."""
    text = str(value)
    escape = conditional_escape if autoescape else str
    parts, end = [], 0
    for match in CHINESE.finditer(text):
        parts.append(escape(text[end : match.start()]))
        parts.append(format_html('<span lang="zh-Hant">{}</span>', match.group()))
        end = match.end()
    parts.append(escape(text[end:]))
    return mark_safe("".join(parts))
