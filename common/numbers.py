"""Whole numbers from a request (a path segment, a query parameter, a form's hidden field), bounded
before they are converted; free of framework imports.

Two things go wrong when text from a request reaches ``int()`` and the database as it is:

- ``int()`` of a long string is slow, and beyond 4,300 digits a ValueError; ``str.isdigit()``
  also says yes to "²" and "١٢", which ``int()`` refuses or reads as another number;
- a number beyond a signed 64-bit integer (ids are ``bigint``) overflows SQLite's driver
  (OverflowError) in a query.

So every such number goes through `bounded_int`: ASCII digits only, an optional sign, and no
more digits than the largest value allowed has; then the range. Callers decide what a refusal
means for them (a 404 for a path, a 400 naming the parameter in the API, the page without the
filter); `common.urls` holds the path converters, `common.api.filters` the API's fields.
"""

from __future__ import annotations

import re

# The largest id the databases accept (a signed 64-bit integer): bigger numbers in a path or a
# parameter are "not found" / "not valid", never an overflow in the driver.
MAX_ID = 2**63 - 1

_WHOLE = re.compile(r"[+-]?[0-9]+\Z")


class NotANumber(ValueError):
    """The text is not a whole number written in ASCII digits."""


class OutOfRange(ValueError):
    """A whole number, but outside the range asked for."""


def bounded_int(raw: object, *, minimum: int, maximum: int) -> int:
    """The whole number in `raw` (surrounding spaces ignored), from `minimum` to `maximum`.

    Raises `NotANumber` or `OutOfRange` (both ValueError); ``int()`` never sees more digits
    than `maximum` or `minimum` has.
    """
    text = str(raw).strip() if raw is not None else ""
    if not _WHOLE.match(text):
        raise NotANumber(shown(text))
    digits = text.lstrip("+-").lstrip("0")
    if len(digits) > max(len(str(abs(minimum))), len(str(abs(maximum)))):
        raise OutOfRange(shown(text))
    number = int(text)
    if not minimum <= number <= maximum:
        raise OutOfRange(shown(text))
    return number


def optional_int(raw: object, *, minimum: int, maximum: int) -> int | None:
    """`bounded_int`, or None when `raw` is not a number in the range (a filter a page ignores)."""
    try:
        return bounded_int(raw, minimum=minimum, maximum=maximum)
    except ValueError:
        return None


def optional_id(raw: object) -> int | None:
    """An id (1 to `MAX_ID`) from a parameter, or None when it is not one."""
    return optional_int(raw, minimum=1, maximum=MAX_ID)


def shown(raw: object, limit: int = 20) -> str:
    """A value sent to us, short enough to repeat in a message (a 5,000-digit "year" is cut)."""
    text = str(raw)
    return text if len(text) <= limit else text[:limit] + "…"
