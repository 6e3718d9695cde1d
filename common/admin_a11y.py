"""The zh-Hant mark of the plan's text (common.templatetags.a11y) where Django's admin
renders it with its own templates: a change list's filter links, a select's options and a
field holding the plan's text.

Cells of a change list are marked by the ModelAdmin's `list_display` callables (`zh`), and
an object's name in the change form's heading and breadcrumbs by templates/admin/.
"""

from django import forms
from django.contrib import admin

from common.templatetags.a11y import PLAN_LANGUAGE, needs_zh_mark, zh, zh_marked


def mark_plan_text(formfield):
    """A form field holding the plan's own text (a name, a measurement standard), marked
    zh-Hant on a page in another language; returned for `formfield_for_dbfield`."""
    if formfield is not None and needs_zh_mark():
        formfield.widget.attrs = {**formfield.widget.attrs, "lang": PLAN_LANGUAGE}
    return formfield


class PlanTextSelect(forms.Select):
    """A select among the plan's objects (departments, objectives): an option written in
    Chinese says so on a page in another language."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if zh_marked(label):
            option["attrs"]["lang"] = PLAN_LANGUAGE
        return option


class PlanTextFilter(admin.RelatedFieldListFilter):
    """A change list's filter by one of the plan's objects: each choice written in Chinese
    is marked (the choice "All" and the empty one are admin's own words)."""

    def choices(self, changelist):
        for choice in super().choices(changelist):
            yield {**choice, "display": zh(choice["display"])}
