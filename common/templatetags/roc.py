"""Template filters for years and plain figures, through `common.formatting` (one rule, one rounding)."""

from django import template

from common import formatting
from common.years import to_gregorian

register = template.Library()


@register.filter
def roc_year(value):
    """111 → 民國111年 (ROC year 111 in English)."""
    return formatting.roc_year(int(value))


@register.filter
def gregorian(value):
    """111 → 2022."""
    return to_gregorian(int(value))


@register.filter
def target_display(value, unit):
    """A figure with the unit written as given, without trailing zeros: 100%, 1 式, 15 件; None → —.

    Pages that know the indicator use kpi_tags' `amount`, which also writes the unit in
    the reader's language (1 set, 15 cases); this one is for a bare unit symbol.
    """
    return formatting.amount(value, unit)


@register.filter
def timeuntil_minutes(delta):
    """A timedelta as whole minutes (15), for messages such as the sign-in lock-out."""
    return int(delta.total_seconds() // 60)
