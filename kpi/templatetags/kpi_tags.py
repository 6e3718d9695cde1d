"""Template filters for the reporting pages: ROC dates, lights and percentages."""

import datetime
from decimal import Decimal

from django import template
from django.utils import timezone

from common.years import to_roc
from kpi.attainment import LIGHT_LABELS, Light

register = template.Library()


def _as_date(value):
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.date()
    return value


@register.filter
def roc_date(value):
    """date(2025, 4, 15) → 民國114年4月15日 (a datetime is shown in local time)."""
    if not value:
        return ""
    value = _as_date(value)
    return f"民國{to_roc(value.year)}年{value.month}月{value.day}日"


@register.filter
def roc_datetime(value):
    """A moment as 民國114年4月15日 14:05, in local time."""
    if not value:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{roc_date(local.date())} {local:%H:%M}"


@register.filter
def light_label(value):
    """green → 達成 (lights are never shown by colour alone)."""
    try:
        return LIGHT_LABELS[Light(value)]
    except ValueError:
        return ""


@register.filter
def percent(value, places=1):
    """Decimal('85.5000') → 85.5%; None → —."""
    if value is None:
        return "—"
    quantum = Decimal(1).scaleb(-int(places))
    text = f"{Decimal(value).quantize(quantum):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


@register.filter
def roc_month_day(value):
    """date(2025, 4, 15) → 4月15日, for tables whose heading already names the year."""
    if not value:
        return ""
    value = _as_date(value)
    return f"{value.month}月{value.day}日"
