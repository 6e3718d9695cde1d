"""Template filters for the reporting pages: figures with units, percentages, ROC dates, lights.

Thin: every filter calls the one rule it names (`common.formatting`, `kpi.units`,
`kpi.attainment.Light.label`), so a page shows a figure exactly as an export, the API's
text or an e-mail does.
"""

from django import template

from common import formatting
from kpi import units
from kpi.attainment import Light

register = template.Library()


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
