"""django-import-export widgets and fields of the indicator workbook: how each column is read and written."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from import_export import fields, widgets

from common.wording import join_list
from kpi.formulas import FORMULAS
from kpi.models import (
    EvaluationArrangement,
    Unit,
)

# The file's contract: the plan's words, not translated (see the module's docstring).
from kpi.resources.columns import (
    COL_ARRANGEMENT,
    COL_FORMULA,
    COL_UNIT,
    COL_WEIGHT,
    UNIT_ALIASES,
    arrangement_help,
    cell_decimal,
    cell_int,
    cell_text,
    fill_in,
    is_blank,
    plain_number,
    planned_header,
    unknown,
)

# --- widgets ------------------------------------------------------------------------


class TextWidget(widgets.Widget):
    def __init__(self, column, required=True):
        super().__init__()
        self.column, self.required = column, required

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text and self.required:
            raise ValueError(fill_in(self.column))
        return text

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class MappedWidget(widgets.Widget):
    """A choice read from any of its accepted spellings and written as its zh-Hant label."""

    def __init__(self, column, to_code, to_label, *, normalise=str.lower):
        super().__init__()
        self.column, self.to_label, self.normalise = column, to_label, normalise
        self.to_code = {normalise(k): v for k, v in to_code.items()}

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            raise ValueError(fill_in(self.column))
        code = self.to_code.get(self.normalise(text))
        if code is None:
            raise ValueError(unknown(self.column, text, self.to_label.values()))
        return code

    def render(self, value, obj=None, **kwargs):
        return self.to_label.get(value, value or "")


class ArrangementWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            raise ValueError(_("Please fill in %(column)s (1–5).") % {"column": COL_ARRANGEMENT})
        try:
            number = cell_int(value, COL_ARRANGEMENT)
        except ValueError:
            number = None
        if number not in EvaluationArrangement.values:
            raise ValueError(
                _("%(column)s must be a code from 1 to 5 (%(codes)s); the file has “%(text)s”.")
                % {"column": COL_ARRANGEMENT, "codes": arrangement_help(), "text": cell_text(value)}
            )
        return number

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else int(value)


class UnitWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            raise ValueError(fill_in(COL_UNIT))
        unit = UNIT_ALIASES.get(text, text)
        if unit not in Unit.values:
            raise ValueError(
                _("Unknown unit “%(text)s”; the units allowed: %(allowed)s.")
                % {"text": text, "allowed": join_list(Unit.values)}
            )
        return unit

    def render(self, value, obj=None, **kwargs):
        return value or ""


class WeightWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        weight = cell_decimal(value, COL_WEIGHT)
        if weight <= 0:
            raise ValueError(_("%(column)s must be more than 0.") % {"column": COL_WEIGHT})
        return weight

    def render(self, value, obj=None, **kwargs):
        return plain_number(value)


class FormulaWidget(widgets.Widget):
    """A formula written by its zh-Hant name (經常門業務費賸餘數百分比), read by name or key."""

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        for key, formula in FORMULAS.items():
            if text in (key, formula.name):
                return key
        raise ValueError(unknown(COL_FORMULA, text, (formula.name for formula in FORMULAS.values())))

    def render(self, value, obj=None, **kwargs):
        formula = FORMULAS.get(value) if value else None
        return formula.name if formula else (value or "")


class NumberWidget(widgets.Widget):
    def render(self, value, obj=None, **kwargs):
        return plain_number(value)


# --- fields -------------------------------------------------------------------------


class ModelField(fields.Field):
    """A model field; an optional column leaves the value alone when its cell is blank."""

    def __init__(self, attribute, column_name, widget, *, optional=False):
        super().__init__(attribute=attribute, column_name=column_name, widget=widget)
        self.optional = optional

    def save(self, instance, row, is_m2m=False, **kwargs):
        raw = row.get(self.column_name)
        if self.optional and is_blank(raw):
            return
        value = self.clean(row, **kwargs)
        current = getattr(instance, self.attribute)
        if isinstance(current, str) and isinstance(value, str) and current.strip() == value:
            return  # the same text, give or take surrounding whitespace
        setattr(instance, self.attribute, value)


class ComputedField(fields.Field):
    """A read-only column computed from the indicator (its identity, or its parent's name)."""

    def __init__(self, column_name, getter, widget=None):
        super().__init__(column_name=column_name, widget=widget or widgets.Widget(), readonly=True)
        self.getter = getter

    def get_value(self, instance):
        return self.getter(instance) if instance is not None else None


def existing_targets(indicator) -> dict[int, Decimal]:
    """The indicator's targets by year, read once (from the prefetch when there is one)."""
    cached = getattr(indicator, "_existing_targets", None)
    if cached is None:
        cached = {t.year: t.value for t in indicator.targets.all()} if indicator.pk else {}
        indicator._existing_targets = cached
    return cached


class YearField(fields.Field):
    """The target for one ROC year. Written by `IndicatorResource`, never by setattr."""

    def __init__(self, year):
        super().__init__(column_name=str(year), widget=NumberWidget(), readonly=True)
        self.year = year

    def get_value(self, instance):
        if instance is None:
            return None
        pending = getattr(instance, "_import_targets", None)
        targets = pending if pending is not None else existing_targets(instance)
        return targets.get(self.year)


def existing_planned(indicator) -> dict[tuple[int, int], tuple[Decimal, str]]:
    """The indicator's stored planned values: (year, number) → (value, status).

    Read from the targets' prefetch on export; set by the importer from one query for the
    whole file (`IndicatorResource.before_import`)."""
    cached = getattr(indicator, "_existing_planned", None)
    if cached is None:
        cached = (
            {(t.year, p.number): (p.value, p.status) for t in indicator.targets.all() for p in t.planned_values.all()}
            if indicator.pk
            else {}
        )
        indicator._existing_planned = cached
    return cached


class PlannedField(fields.Field):
    """The planned value of one period of one ROC year; empty for the default.

    Written by `IndicatorResource` through `planned_values_save`, never by setattr."""

    def __init__(self, year, number):
        super().__init__(column_name=planned_header(year, number), widget=NumberWidget(), readonly=True)
        self.year, self.number = year, number

    def get_value(self, instance):
        if instance is None:
            return None
        pending = getattr(instance, "_import_planned", None)
        if pending is not None:
            return pending.get((self.year, self.number))
        stored = existing_planned(instance).get((self.year, self.number))
        return stored[0] if stored else None
