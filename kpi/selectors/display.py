"""A report's fields as people read them: figures with units, formula inputs, statuses."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from common import formatting
from common.wording import choice_label
from kpi import units
from kpi.access import SECOND
from kpi.models import Indicator, ReportStatus


def format_number(value) -> str:
    """Decimal('12.5000') → '12.5'; None/'' → '' (`common.formatting.number`, kept for callers)."""
    return formatting.number(value)


def format_amount(indicator: Indicator, value) -> str:
    """A figure with its unit, as the plan writes it: 100%, 1 式, 15 件; None → — (`kpi.units.amount`)."""
    return units.amount(indicator, value)


def format_inputs(indicator: Indicator, inputs) -> str:
    """A common indicator's inputs in the formula's words: 預算數 1,000,000；實支數 900,000."""
    if not inputs:
        return formatting.DASH
    spec = indicator.formula_spec
    labels = {i.key: i.label for i in spec.inputs} if spec else {}
    # The formula's order, not the stored order: PostgreSQL's jsonb sorts an object's keys.
    order = {key: n for n, key in enumerate(labels)}
    parts = []
    for key, value in sorted(inputs.items(), key=lambda item: order.get(item[0], len(order))):
        text = formatting.grouped(value) or formatting.DASH
        parts.append(f"{labels.get(key, key)} {text}")
    return pgettext("list of clauses", "; ").join(parts)


def status_label(status: str) -> str:
    if not status:
        return _("Not reported")
    return choice_label(ReportStatus, status)


def stage_label(stage: int, *, two_stages: bool) -> str:
    """A review stage's name: 機關初核 and 研考複核 under two stages, plain 審核 under one."""
    if stage == SECOND:
        return _("Second review (planning office)")
    return _("First review (department)") if two_stages else _("Review")


def format_field(indicator: Indicator, name: str, value) -> str:
    """A report field's value as a person reads it (for the record and the conflict panel)."""
    if name == "actual":
        return units.amount(indicator, value)
    if name == "inputs":
        return format_inputs(indicator, value)
    if name == "status":
        return status_label(value or "")
    if value is None or value == "":
        return formatting.DASH
    return str(value)
