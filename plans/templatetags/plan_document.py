"""The document's fixed wording and numbering in templates (`plans.document`).

{% load plan_document %}{% plan_document as doc %}
<h2 lang="zh-Hant">{{ doc.MISSION_AND_VISION }}</h2>
<h4 lang="zh-Hant">{% item_heading o.number o.name o.dimension %}</h4>
"""

import re
from types import SimpleNamespace

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from plans import document

register = template.Library()

# A line of a narrative that heads what follows: （一）市港再生執行成果, (三) 6 次目標（關鍵策略目標）;
# an item that goes on after a colon, (一) 願景：首都圈國家海洋門戶, is a sentence, not a heading.
_SUBHEADING = re.compile(r"^\s*[（(]\s*[一二三四五六七八九十]+\s*[)）][^：:]{1,30}$")

# The constants of plans.document, for templates: {{ doc.KPI_TABLE }} …
_CONSTANTS = SimpleNamespace(
    **{name: value for name, value in vars(document).items() if name.isupper() and not name.startswith("_")}
)


@register.simple_tag
def plan_document():
    return _CONSTANTS


@register.simple_tag
def department_plan_title(department_plan):
    """基隆市政府都市發展處中程施政計畫（111 至 114 年度）"""
    plan = department_plan.plan
    return document.department_plan_title(plan.name, department_plan.department.name, plan.start_year, plan.end_year)


@register.simple_tag
def toc_entry(department_plan):
    """捌、都市發展處"""
    return document.toc_entry(department_plan.toc_label, department_plan.department.name)


@register.simple_tag
def item_heading(number, name, dimension):
    """(一) 市港再生（業務成果）"""
    return document.item_heading(number, name, dimension)


@register.simple_tag
def objective_item(item):
    """1、完成港城丘地景管控規劃及機制：《…》"""
    return document.objective_item(item.number, item.title, item.description)


@register.filter
def dimension_suffix(dimension):
    """business_results → （業務成果）"""
    return document.dimension_suffix(dimension)


@register.filter
def method_term(code):
    """progress_control → 進度控管"""
    return document.EVALUATION_METHOD_TERMS.get(code, code)


@register.filter
def year_column(year):
    return document.year_column(year)


@register.filter
def document_paragraphs(text):
    """A narrative of the plan, a paragraph a line, as written; its (一) lines set as sub-headings.

    The text is the document's, unchanged: only its lines become paragraphs.
    """
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return mark_safe(  # each line is escaped by format_html
        "\n".join(
            format_html('<p class="doc-subhead">{}</p>', line)
            if _SUBHEADING.match(line)
            else format_html("<p>{}</p>", line)
            for line in lines
        )
    )
