"""Small pieces of wording whose punctuation differs by language.

zh-Hant joins a list with 、 and puts a full-width colon after a label; English uses
", " and ": ". Every message that joins or labels things goes through these, so an
English page never shows a stray full-width mark.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import pgettext


def join_list(items: Iterable[object]) -> str:
    """["預算數", "實支數"] → "預算數、實支數" (zh-Hant) or "budget, spent" (English)."""
    return pgettext("list separator", ", ").join(str(item) for item in items)


def labelled(label: object, value: object) -> str:
    """A label and its value: "累計實績：85" (zh-Hant) or "Year-to-date actual: 85" (English)."""
    return pgettext("a label and its value", "%(label)s: %(value)s") % {"label": label, "value": value}
