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
def timeuntil_minutes(delta):
    """A timedelta as whole minutes (15), for messages such as the sign-in lock-out."""
    return int(delta.total_seconds() // 60)
