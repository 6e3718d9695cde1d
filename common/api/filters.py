"""Query-parameter filter fields shared by every app's API (django-filter, explicit fields).

The filter fields here refuse what they cannot use with a zh-Hant message naming the
parameter (django-filter turns a form error into a 400): ids must be whole numbers in
the databases' range, years must be ROC years (民國年; 2023 is refused, not converted),
booleans must be true or false.
"""

from __future__ import annotations

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field

from common.api.base import MAX_ID
from common.years import MAX_ROC_YEAR, MIN_ROC_YEAR, is_roc_year

# --- Fields ------------------------------------------------------------------------------


def parse_roc_year(raw) -> int | None:
    """An ROC year from a parameter, None when empty; a message (zh-Hant) when it is not one."""
    text = str(raw).strip() if raw is not None else ""
    if text == "":
        return None
    try:
        year = int(text)
    except ValueError:
        raise forms.ValidationError(f"「{raw}」不是民國年（例如 112）。") from None
    if not is_roc_year(year):
        raise forms.ValidationError(f"{year} 不是民國年；請以民國年表示（例如 112 代表 2023 年）。")
    return year


class RocYearField(forms.Field):
    def to_python(self, value):
        return parse_roc_year(value)


class IdField(forms.Field):
    def to_python(self, value):
        text = str(value).strip() if value is not None else ""
        if text == "":
            return None
        try:
            number = int(text)
        except ValueError:
            raise forms.ValidationError(f"「{value}」不是編號（正整數）。") from None
        if not 1 <= number <= MAX_ID:
            raise forms.ValidationError(f"{number} 不是有效的編號。")
        return number


class StrictBooleanField(forms.Field):
    def to_python(self, value):
        if value is None or value == "":
            return None
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError(f"「{value}」不是 true 或 false。")


ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
YEAR_SCHEMA = {"type": "integer", "minimum": MIN_ROC_YEAR, "maximum": MAX_ROC_YEAR}


class IdFilter(django_filters.Filter):
    field_class = IdField


class RocYearFilter(django_filters.Filter):
    field_class = RocYearField


class StrictBooleanFilter(django_filters.Filter):
    field_class = StrictBooleanField


def _described(schema: dict, description: str, filter_):
    # The schema of the parameter, with its description (drf-spectacular reads both from here).
    return extend_schema_field({**schema, "description": description})(filter_)


def id_filter(field_name: str, description: str) -> IdFilter:
    return _described(ID_SCHEMA, description, IdFilter(field_name=field_name))


def year_filter(field_name: str, description: str = "ROC year (民國年), e.g. 112 for 2023.") -> RocYearFilter:
    return _described(YEAR_SCHEMA, description, RocYearFilter(field_name=field_name))


def boolean_filter(field_name: str, description: str) -> StrictBooleanFilter:
    return _described({"type": "boolean"}, description, StrictBooleanFilter(field_name=field_name))


def choice_filter(field_name: str, choices, description: str) -> django_filters.ChoiceFilter:
    schema = {"type": "string", "enum": [value for value, _label in choices]}
    return _described(schema, description, django_filters.ChoiceFilter(field_name=field_name, choices=choices))
