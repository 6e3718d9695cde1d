"""How figures, percentages, years and dates are written for people: one rule, one rounding.

Every page, export, e-mail, API text field and the public side format through these, so
the same figure never reads two ways (42.1875% on one screen and 42.19% on another).

- Rounding is half up (ROUND_HALF_UP), as people round by hand: 80.05 → 80.1.
- Percentages (attainment, scores) show one decimal place unless the caller asks for
  another; trailing zeros are dropped (85.0 → 85%), so a whole percentage reads whole.
- Figures keep the places they were entered with, without trailing zeros (12.5000 →
  12.5), except counted units (場, 件, 處), which are whole numbers wherever a figure is
  derived (a pace of 3.75 sessions reads 4 場).
- Years are ROC years (民國114年); dates are ROC dates in the local time zone (Asia/Taipei).

The functions take plain values (Decimal, int, date, datetime, str): the apps decide
which unit a figure has and pass its symbol; nothing here knows an indicator.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from common.years import to_roc

DASH = "—"
PERCENT_PLACES = 1


def to_decimal(value) -> Decimal | None:
    """A finite Decimal from a number or numeric text, else None."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def parse_number(value, *, percent_sign: bool = True) -> Decimal:
    """A finite Decimal from a figure a person typed (or a spreadsheet cell), else ValueError.

    The one parser of typed numbers: the report form, the grid, the API, the importers and
    the admin all reach it (`kpi.services.parse_decimal`, `kpi.formulas`). Spaces and
    thousands commas go ("1,200" → 1200), and a trailing % when `percent_sign` ("85%" → 85).
    Negative zero ("-0", "-0.0") is zero: nobody means it, and it would be stored and shown
    as "-0".
    """
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, Decimal):
        number = value
    else:
        text = str(value).strip().replace(",", "") if value is not None else ""
        if percent_sign and text.endswith("%"):
            text = text[:-1].strip()
        try:
            number = Decimal(text)
        except (InvalidOperation, ValueError):
            raise ValueError(value) from None
    if not number.is_finite():
        raise ValueError(value)
    return number.copy_abs() if number.is_zero() else number


def round_half_up(value: Decimal, places: int) -> Decimal:
    """`value` rounded half up to `places` decimal places (80.05 → 80.1 at 1)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _plain(number: Decimal) -> str:
    """Positional notation without trailing zeros: 12.5000 → 12.5, 1E+2 → 100, -0 → 0."""
    normalized = number.normalize()
    if normalized == normalized.to_integral_value():
        normalized = normalized.to_integral_value()
    text = f"{normalized:f}"
    return "0" if text in ("-0", "0") else text


def number(value, places: int | None = None) -> str:
    """A figure as text: as entered without trailing zeros, or rounded half up to `places`.

    Decimal('12.5000') → '12.5'; 3.75 with places=0 → '4'; None or '' → ''. Text that is
    not a number is returned as it is.
    """
    decimal = to_decimal(value)
    if decimal is None:
        return "" if value is None or value == "" else str(value)
    if places is not None:
        decimal = round_half_up(decimal, places)
    return _plain(decimal)


def grouped(value) -> str:
    """A large figure with thousands separators: 1000000 → 1,000,000 (formula inputs)."""
    decimal = to_decimal(value)
    if decimal is None:
        return number(value)
    text = _plain(decimal)
    whole, _sep, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = f"{int(whole.lstrip('-')):,}"
    return f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}"


def percent_number(value, places: int = PERCENT_PLACES) -> Decimal | None:
    """A percentage rounded as it is shown (half up, one place): for spreadsheets and JSON."""
    decimal = to_decimal(value)
    return None if decimal is None else round_half_up(decimal, places)


def percent(value, places: int = PERCENT_PLACES) -> str:
    """An attainment or a score: 42.1875 → 42.2%; 85.0000 → 85%; None → —."""
    decimal = percent_number(value, places)
    return DASH if decimal is None else f"{_plain(decimal)}%"


def amount(value, symbol: str, *, places: int | None = None) -> str:
    """A figure with its unit's symbol, as the plan writes it: 100%, 1 式, 15 件; None → —.

    `symbol` is the unit as people read it ("%" is written without a space). Pass
    `places=0` for a counted unit's derived figure (a pace, a planned value).
    """
    text = number(value, places)
    if text == "":
        return DASH
    if not symbol:
        return text
    return f"{text}%" if symbol == "%" else f"{text} {symbol}"


def roc_year(year: int) -> str:
    """111 → 民國111年 (ROC year 111 in English)."""
    return _("ROC year %(year)s") % {"year": year}


def local_date(value) -> datetime.date | None:
    """The calendar day of a date, or of a moment in local time (Asia/Taipei)."""
    if not value:
        return None
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.date()
    return value


def roc_date(value) -> str:
    """date(2025, 4, 15) → 民國114年4月15日; a moment is read in local time; None → ''."""
    day = local_date(value)
    if day is None:
        return ""
    return _("ROC %(year)s-%(month)s-%(day)s") % {"year": to_roc(day.year), "month": day.month, "day": day.day}


def roc_datetime(value) -> str:
    """A moment as 民國114年4月15日 14:05, in local time; None → ''."""
    if not value:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{roc_date(local.date())} {local:%H:%M}"


def month_day(value) -> str:
    """date(2025, 4, 15) → 4月15日, for tables whose heading already names the year."""
    day = local_date(value)
    if day is None:
        return ""
    return _("%(month)s/%(day)s") % {"month": day.month, "day": day.day}
