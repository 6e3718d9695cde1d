"""A report's fields as people read them: figures with units, formula inputs, statuses."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from kpi.models import (
    Indicator,
    ReportStatus,
    Unit,
)


def format_number(value) -> str:
    """Decimal('12.5000') → '12.5'; '1000000' → '1000000'; None/'' → ''."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    if not number.is_finite():
        return str(value)
    normalized = number.normalize()
    if normalized == normalized.to_integral_value():
        return f"{normalized.to_integral_value():f}"
    return f"{normalized:f}"


def format_amount(indicator: Indicator, value) -> str:
    """A figure with its unit, as the plan writes it: 100%, 1 式, 15 件; '' → '—'."""
    text = format_number(value)
    if not text:
        return "—"
    return f"{text}%" if indicator.unit == Unit.PERCENT else f"{text} {indicator.unit}"


def format_inputs(indicator: Indicator, inputs) -> str:
    """A common indicator's inputs in the formula's words: 預算數 1,000,000；實支數 900,000."""
    if not inputs:
        return "—"
    spec = indicator.formula_spec
    labels = {i.key: i.label for i in spec.inputs} if spec else {}
    # The formula's order, not the stored order: PostgreSQL's jsonb sorts an object's keys.
    order = {key: n for n, key in enumerate(labels)}
    parts = []
    for key, value in sorted(inputs.items(), key=lambda item: order.get(item[0], len(order))):
        text = format_number(value)
        try:
            text = f"{Decimal(text):,f}" if text else "—"
        except ArithmeticError:
            pass
        parts.append(f"{labels.get(key, key)} {text}")
    return "；".join(parts)


def status_label(status: str) -> str:
    if not status:
        return _("Not reported")
    try:
        return str(ReportStatus(status).label)
    except ValueError:
        return status


def format_field(indicator: Indicator, name: str, value) -> str:
    """A report field's value as a person reads it (for the record and the conflict panel)."""
    if name == "actual":
        return format_amount(indicator, value)
    if name == "inputs":
        return format_inputs(indicator, value)
    if name == "status":
        return status_label(value or "")
    if value is None or value == "":
        return "—"
    return str(value)
