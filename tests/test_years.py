"""ROC (民國) years and the template filters that show years and targets."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template import Context, Template

from common import formatting
from common.formatting import amount
from common.templatetags.roc import gregorian, roc_year
from common.years import MAX_ROC_YEAR, MIN_ROC_YEAR, ROC_OFFSET, is_roc_year, to_gregorian, to_roc


@pytest.mark.parametrize(("roc", "gregorian_year"), [(111, 2022), (112, 2023), (113, 2024), (114, 2025), (1, 1912)])
def test_conversions(roc, gregorian_year):
    assert to_gregorian(roc) == gregorian_year
    assert to_roc(gregorian_year) == roc
    assert to_roc(to_gregorian(roc)) == roc


def test_offset():
    assert ROC_OFFSET == 1911


@pytest.mark.parametrize("year", [MIN_ROC_YEAR, 111, 114, MAX_ROC_YEAR])
def test_roc_years_are_accepted(year):
    assert is_roc_year(year)


@pytest.mark.parametrize("year", [0, -1, MAX_ROC_YEAR + 1, 1911, 2022, 2023])
def test_gregorian_and_nonsense_years_are_not_roc_years(year):
    assert not is_roc_year(year)


def test_roc_year_is_written_by_common_formatting():
    assert formatting.roc_year(111) == "民國111年"


def test_roc_year_filter():
    assert roc_year(111) == "民國111年"
    assert roc_year("112") == "民國112年"


def test_gregorian_filter():
    assert gregorian(111) == 2022
    assert gregorian("114") == 2025


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (Decimal("100.0000"), "%", "100%"),
        (Decimal("1.0000"), "式", "1 式"),
        (Decimal("2.5000"), "%", "2.5%"),
        (Decimal("0.0000"), "%", "0%"),
        (Decimal("80.0000"), "%", "80%"),
        (Decimal("15.0000"), "件", "15 件"),
        (Decimal("5"), "場", "5 場"),
        (Decimal("1"), "處", "1 處"),
        (Decimal("0.5000"), "式", "0.5 式"),
        (Decimal("12.3450"), "%", "12.345%"),
        (Decimal("1000.0000"), "件", "1000 件"),
        (Decimal("1E+3"), "%", "1000%"),
    ],
)
def test_amount(value, unit, shown):
    assert amount(value, unit) == shown


def test_amount_without_a_value():
    assert amount(None, "%") == "—"


def test_filters_in_a_template():
    template = Template(
        "{% load roc kpi_tags %}{{ year|roc_year }}（{{ year|gregorian }}）{{ value|amount:indicator }}"
    )
    indicator = SimpleNamespace(unit="%", formula="")
    rendered = template.render(Context({"year": 111, "value": Decimal("100.0000"), "indicator": indicator}))
    assert rendered == "民國111年（2022）100%"
