"""Template helpers for assistive technology: the language of the plan's own text, and
how Django's messages are announced.

The plan's content (department names, KPI names, narratives, the plan's texts) is written
in zh-Hant and stays so in every UI language. On an English page it must say so, or a
screen reader reads Chinese with an English voice (WCAG 3.1.2). One rule, `needs_zh_mark`,
and two forms of it:

- ``{{ kpi.name|zh }}`` wraps a value in ``<span lang="zh-Hant">``;
- ``<td{% zh_lang %}>`` puts ``lang="zh-Hant"`` on an element that holds only plan text
  (``<textarea{% zh_lang value %}>``: only if its value is in Chinese).

Admin's forms of it (a change list's filters, a select's options) are in common.admin_a11y.

On a zh-Hant page both give nothing: the page's own ``<html lang>`` already says it.
(Templates written before this helper mark plan text with a literal ``lang="zh-Hant"``,
which is as correct, only longer.)
"""

import re

from django import template
from django.contrib.messages import constants
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

PLAN_LANGUAGE = "zh-Hant"


def needs_zh_mark() -> bool:
    """Whether plan text must carry lang="zh-Hant": when the page is in another language."""
    return not (get_language() or "").lower().startswith("zh")


# Han characters: a value without any (an English name, a number) is not marked.
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def zh_marked(value) -> bool:
    """Whether `value` must carry lang="zh-Hant" here: written in Chinese, on a page in another language."""
    return needs_zh_mark() and bool(HAN.search(str(value)))


@register.filter(needs_autoescape=True)
def zh(value, autoescape=True):
    """A value of the plan's own text (or a person's name), marked as zh-Hant on a page in
    another language when it is written in Chinese."""
    escape = conditional_escape if autoescape else str
    if value in (None, ""):
        return ""
    if not zh_marked(value):
        return escape(value)
    return format_html('<span lang="{}">{}</span>', PLAN_LANGUAGE, escape(value))


_WHOLE_ELEMENT = object()


@register.simple_tag
def zh_lang(value=_WHOLE_ELEMENT):
    """` lang="zh-Hant"` for an element holding only plan text, on a page in another language.

    Given the element's value (`<textarea{% zh_lang text %}>`), only if that is written in
    Chinese: a field left empty or filled in English says nothing."""
    marked = needs_zh_mark() if value is _WHOLE_ELEMENT else zh_marked(value or "")
    return mark_safe(f' lang="{PLAN_LANGUAGE}"') if marked else ""


@register.filter
def zh_field(bound_field):
    """A form field's widget as ``{{ field }}`` draws it, marked lang="zh-Hant" on a page in
    another language when what it holds is written in Chinese (a saved narrative, say)."""
    value = bound_field.value()
    if isinstance(value, str) and zh_marked(value):
        return bound_field.as_widget(attrs={"lang": PLAN_LANGUAGE})
    return str(bound_field)


@register.simple_tag
def message_groups(messages):
    """Django's messages as [(ARIA role, [message, …]), …]: errors first, as an alert that is
    read at once; success, info and warnings as a status, read when the reader is free."""
    alerts, statuses = [], []
    for message in messages:
        (alerts if message.level >= constants.ERROR else statuses).append(message)
    return [(role, group) for role, group in (("alert", alerts), ("status", statuses)) if group]
