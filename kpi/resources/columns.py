"""The indicator workbook's columns (a zh-Hant data contract), their accepted spellings and the cell readers."""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from common.wording import join_list
from kpi.models import (
    Direction,
    EvaluationArrangement,
    EvaluationMethod,
    IndicatorKind,
    Unit,
)
from kpi.services import (
    parse_decimal,
)
from plans import document

# The file's contract: the plan's words, not translated (see the module's docstring). The
# columns the plan's table 參、三 also has are its titles, from the one place they are kept.
COL_PLAN = "計畫"
COL_DEPARTMENT = "機關"
COL_KIND = "類別"
COL_PARENT_NUMBER = document.COL_SERIAL  # 序號
COL_PARENT_NAME = document.COL_OBJECTIVE  # 關鍵策略目標
COL_NUMBER = document.COL_NUMBER  # 編號
COL_NAME = document.COL_KPI  # 關鍵績效指標
COL_ARRANGEMENT = document.COL_ARRANGEMENT  # 評估體制
COL_METHOD = document.COL_METHOD  # 評估方式
COL_STANDARD = document.COL_STANDARD  # 衡量標準
COL_UNIT = "單位"
COL_DIRECTION = "方向"
COL_WEIGHT = "權重"
COL_FORMULA = "公式"
COL_REASON = "修正理由"

REQUIRED_COLUMNS = (COL_PLAN, COL_DEPARTMENT, COL_PARENT_NUMBER, COL_NUMBER)
MAX_SMALL_NUMBER = 32767  # numbers and codes are small integers in the database

YEAR_HEADER = re.compile(r"^(?:民國)?\s*(\d{1,3})\s*(?:年)?$")
PLANNED_HEADER = re.compile(r"^(?:民國)?\s*(\d{1,3})\s*年\s*第\s*(\d{1,2})\s*期\s*預定值$")
PLAN_YEARS = re.compile(r"^\s*(\d{1,3})\s*[-–—~～至]\s*(\d{1,3})\s*$")

SHEET_TITLE = "指標與年度目標值"  # the exported sheet (xlsx, ods), and the resource on the admin forms
HEADER_ROWS = 1  # the column headers: the first indicator is on the spreadsheet's row 2

KIND_EXPORT = {IndicatorKind.KPI: document.COL_KPI, IndicatorKind.COMMON: document.COL_COMMON_INDICATOR}
# Also read: the codes and the short forms written by earlier exports ("KPI", "共同性").
KIND_IMPORT = {
    "kpi": IndicatorKind.KPI,
    "關鍵績效指標": IndicatorKind.KPI,
    "關鍵": IndicatorKind.KPI,
    "common": IndicatorKind.COMMON,
    "共同性": IndicatorKind.COMMON,
    "共同性指標": IndicatorKind.COMMON,
    "共同": IndicatorKind.COMMON,
}
METHOD_EXPORT = {method: document.EVALUATION_METHOD_TERMS[method.value] for method in EvaluationMethod}
METHOD_IMPORT = {
    **{label: code for code, label in METHOD_EXPORT.items()},
    **{code.value: code for code in EvaluationMethod},
}
DIRECTION_EXPORT = {Direction.HIGHER: "越高越好", Direction.LOWER: "越低越好"}
DIRECTION_IMPORT = {
    **{label: code for code, label in DIRECTION_EXPORT.items()},
    **{code.value: code for code in Direction},
}
UNIT_ALIASES = {"％": Unit.PERCENT}
ARRANGEMENT_SHORT = (
    pgettext_lazy("evaluation arrangement, short", "existing organisation"),
    pgettext_lazy("evaluation arrangement, short", "task force"),
    pgettext_lazy("evaluation arrangement, short", "third party"),
    pgettext_lazy("evaluation arrangement, short", "existing organisation with a third party"),
    pgettext_lazy("evaluation arrangement, short", "other"),
)


def arrangement_help() -> str:
    """The codes of 評估體制 with short names: 1 既有組織；2 任務編組 …"""
    return pgettext("between the codes of a list", "; ").join(
        f"{c.value} {label}" for c, label in zip(EvaluationArrangement, ARRANGEMENT_SHORT, strict=True)
    )


def fill_in(column: str) -> str:
    return _("Please fill in %(column)s.") % {"column": column}


def unknown(column: str, text: str, allowed) -> str:
    return _("Unknown %(column)s “%(text)s”; allowed: %(allowed)s.") % {
        "column": column,
        "text": text,
        "allowed": join_list(allowed),
    }


# --- cell helpers -------------------------------------------------------------------


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value) -> str:
    """A cell as text: spreadsheets hand back 1 as 1.0, which should read as "1"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def cell_int(value, column: str) -> int:
    text = cell_text(value)
    try:
        number = Decimal(text)
    except ArithmeticError:
        number = None
    if number is None or not number.is_finite() or number != number.to_integral_value():
        raise ValueError(
            _("%(column)s must be a whole number (the file has “%(text)s”).") % {"column": column, "text": text}
        )
    if not 0 <= number <= MAX_SMALL_NUMBER:
        raise ValueError(
            _("%(column)s must be between 0 and %(max)s (the file has “%(text)s”).")
            % {"column": column, "max": MAX_SMALL_NUMBER, "text": text}
        )
    return int(number)


def cell_decimal(value, column: str) -> Decimal:
    """A number from a cell; the services' parser, with a float read as its shortest form."""
    try:
        return parse_decimal(cell_text(value) if isinstance(value, float | int) else value, field=column)
    except ValidationError as e:
        raise ValueError(" ".join(e.messages)) from None


def plain_number(value):
    """100.0000 → 100 and 0.5000 → Decimal("0.5"): numbers as people write them.

    Spreadsheet formats keep them as numbers; CSV writes them as "100" and "0.5".
    """
    if value is None:
        return ""
    value = Decimal(value)
    if value == value.to_integral_value():
        return int(value)
    return value.normalize()


def year_of_header(header) -> int | None:
    match = YEAR_HEADER.match(cell_text(header))
    return int(match.group(1)) if match else None


def planned_header(year: int, number: int) -> str:
    """The column of a planned value: 114年第1期預定值 (part of the file's contract)."""
    return f"{year}年第{number}期預定值"


def period_of_header(header) -> tuple[int, int] | None:
    """(year, period number) of a planned value's column, or None."""
    match = PLANNED_HEADER.match(cell_text(header))
    return (int(match.group(1)), int(match.group(2))) if match else None
