"""Small pieces of wording whose punctuation differs by language.

zh-Hant joins a list with 、 and puts a full-width colon after a label; English uses
", " and ": ". Every message that joins or labels things goes through these, so an
English page never shows a stray full-width mark.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Choices
from django.utils.translation import pgettext


def join_list(items: Iterable[object]) -> str:
    """["預算數", "實支數"] → "預算數、實支數" (zh-Hant) or "budget, spent" (English)."""
    return pgettext("list separator", ", ").join(str(item) for item in items)


def labelled(label: object, value: object) -> str:
    """A label and its value: "累計實績：85" (zh-Hant) or "Year-to-date actual: 85" (English)."""
    return pgettext("a label and its value", "%(label)s: %(value)s") % {"label": label, "value": value}


def choice_label(choices: type[Choices], value: object) -> str:
    """A stored choice as people read it, in the active language: ReportAction, "approved" → 核定.

    What `get_FOO_display()` returns, without its cost: Django rebuilds the field's choices
    into a dict on every call, hashing each lazy label (one translation lookup per choice),
    about 20 lookups for one label; a page's record asks for dozens. A value that is not
    one of the choices is shown as stored, as `get_FOO_display()` shows it.
    """
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)
