"""Query-parameter filter fields shared by every app's API (django-filter, explicit fields).

The filter fields here refuse what they cannot use with a message naming the
parameter (django-filter turns a form error into a 400): ids must be whole numbers in
the databases' range, years must be ROC years (民國年; 2023 is refused, not converted),
booleans must be true or false.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field

from common.numbers import MAX_ID, NotANumber, bounded_int, shown
from common.years import MAX_ROC_YEAR, MIN_ROC_YEAR, is_roc_year, parse_year

# --- Fields ------------------------------------------------------------------------------


def parse_roc_year(raw) -> int | None:
    """An ROC year from a parameter, None when empty; a message when it is not one."""
    text = str(raw).strip() if raw is not None else ""
    if text == "":
        return None
    try:
        year = parse_year(text)
    except NotANumber:
        # The value goes in as a parameter, never into the message: a "%" typed in it must not
        # be read as a format (django-filter formats message % params).
        raise forms.ValidationError(
            _("“%(value)s” is not an ROC year (e.g. 112)."), params={"value": shown(raw)}
        ) from None
    except ValueError:
        raise not_a_roc_year(shown(text)) from None
    if not is_roc_year(year):
        raise not_a_roc_year(year)
    return year


def not_a_roc_year(year) -> forms.ValidationError:
    # As above: the year is a parameter, so that the message is never formatted twice.
    return forms.ValidationError(
        _("%(year)s is not an ROC year; write years as ROC years (e.g. 112 for 2023)."), params={"year": year}
    )


class RocYearField(forms.Field):
    def to_python(self, value):
        return parse_roc_year(value)


class IdField(forms.Field):
    def to_python(self, value):
        text = str(value).strip() if value is not None else ""
        if text == "":
            return None
        try:
            return bounded_int(text, minimum=1, maximum=MAX_ID)
        except NotANumber:
            raise forms.ValidationError(
                _("“%(value)s” is not an id (a positive whole number)."), params={"value": shown(value)}
            ) from None
        except ValueError:
            raise forms.ValidationError(_("%(value)s is not a valid id."), params={"value": shown(text)}) from None


class StrictBooleanField(forms.Field):
    def to_python(self, value):
        if value is None or value == "":
            return None
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError(_("“%(value)s” is not true or false."), params={"value": value})


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


def year_filter(field_name: str, description: str = "ROC year, e.g. 112 for 2023.") -> RocYearFilter:
    return _described(YEAR_SCHEMA, description, RocYearFilter(field_name=field_name))


def boolean_filter(field_name: str, description: str) -> StrictBooleanFilter:
    return _described({"type": "boolean"}, description, StrictBooleanFilter(field_name=field_name))


def choice_filter(field_name: str, choices, description: str) -> django_filters.ChoiceFilter:
    schema = {"type": "string", "enum": [value for value, _label in choices]}
    return _described(schema, description, django_filters.ChoiceFilter(field_name=field_name, choices=choices))
