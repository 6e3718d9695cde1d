from django import template

from common.years import roc_label, to_gregorian

register = template.Library()


@register.filter
def roc_year(value):
    """111 → 民國111年."""
    return roc_label(int(value))


@register.filter
def gregorian(value):
    """111 → 2022."""
    return to_gregorian(int(value))


@register.filter
def target_display(value, unit):
    """A target or actual with its unit, without trailing zeros: 100%, 1式, 15件."""
    if value is None:
        return "—"
    normalized = value.normalize()
    text = f"{normalized:f}" if normalized == normalized.to_integral_value() else f"{normalized:f}".rstrip("0")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


@register.filter
def timeuntil_minutes(delta):
    """A timedelta as whole minutes (15), for messages such as the sign-in lock-out."""
    return int(delta.total_seconds() // 60)
