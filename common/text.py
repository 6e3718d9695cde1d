"""Text as people paste it: the one rule for control characters, free of framework imports.

Text pasted from Word carries vertical tabs (its manual line break), form feeds and
stray control characters. PostgreSQL refuses NUL, and xlsx and ods (XML) cannot hold
the others, so a single such character would fail an import or a whole download.
Line-break characters become "\\n"; the other control characters are dropped; tabs and
the browser's "\\r\\n" stay.
"""

from __future__ import annotations

import re

LINE_BREAKS = re.compile(r"[\x0b\x0c\x85\u2028\u2029]")
CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def clean_text(value: object) -> object:
    """A value with its control characters handled; anything but text is returned as it is."""
    if isinstance(value, str):
        return CONTROL.sub("", LINE_BREAKS.sub("\n", value))
    return value


def plain_text(text: str | None) -> str:
    """A narrative as stored: cleaned and stripped."""
    return clean_text(text or "").strip()
