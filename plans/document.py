"""The fixed wording of a department's medium-term plan (機關中程施政計畫), quoted from the document.

Every department's plan in the city's document has the same skeleton (the Keelung plan
of 111–114, 核定版, gives the 都市發展處's in full; the other nineteen follow the same
format). What changes from one department to the next is data, kept on
`plans.models.DepartmentPlan` and below: the mission, the vision and its statement, the
narratives of 貳 (whose own sub-headings, such as 「（一）市港再生執行成果」, are part of
that text), the strategic objectives with their dimension and numbered items, the common
goals with their sentences, the indicators and their targets.

What stays the same is here: the title's pattern, the headings of 壹, 貳 and 參 and their
numbering, the column titles of the tables 參、三 and 參、四, and the footnote on 評估體制.
They are the document's own text, not UI strings: they are never translated (no gettext),
and pages mark them `lang="zh-Hant"`. Everything that shows or writes a plan as the
document does (the plan page `kpi:department_plan`, the public department page, the
plan workbook) takes them from this one module, so a heading cannot read one way on a
page and another in a file. `tests/test_plan_document_page.py` checks each of them
against the document's text (`fixtures/source/`).

The numbering follows the document: 壹、貳、參 for parts, 一、二、三 for sections, (一)(二)
for the items of a section, 1、2、 for the numbered sentences under those. The document's
text writes brackets sometimes full-width and sometimes half-width; this module writes
each kind one way: the item numbers half-width, (一), as 參 does throughout, and a
dimension full-width, 市港再生（業務成果）, as 參、一 first writes it.

This module imports nothing from Django: choices are keyed by their stored values
(`plans.models.Dimension`, `kpi.models.EvaluationMethod`), so it can serve any layer.
"""

from __future__ import annotations

# --- The title -----------------------------------------------------------------------

PLAN_KIND = "中程施政計畫"


def plan_years(start_year: int, end_year: int) -> str:
    """（111 至 114 年度）, as the document's title and cover write the plan's years."""
    return f"（{start_year} 至 {end_year} 年度）"


def department_plan_title(plan_name: str, department_name: str, start_year: int, end_year: int) -> str:
    """基隆市政府都市發展處中程施政計畫（111 至 114 年度）: the heading of one department's plan.

    The document puts the department between the city and 中程施政計畫; a plan named
    otherwise keeps its name and adds the department after it.
    """
    if plan_name.endswith(PLAN_KIND):
        name = plan_name[: -len(PLAN_KIND)] + department_name + PLAN_KIND
    else:
        name = plan_name + department_name
    return name + plan_years(start_year, end_year)


def toc_entry(toc_label: str, department_name: str) -> str:
    """捌、都市發展處: a department as the plan's table of contents (目錄) lists it."""
    return f"{toc_label}、{department_name}"


# --- The headings, in the document's order -------------------------------------------

MISSION_AND_VISION = "壹、使命及願景"
MISSION = "一、使命"
VISION = "二、願景"

POLICY_FOCUS = "貳、施政重點"
RESULTS_REVIEW = "一、現有計畫執行成效檢討"
SITUATION_AND_ISSUES = "二、環境情勢分析及優先發展課題"
SITUATION_ANALYSIS = "(一) 環境情勢分析"
PRIORITY_ISSUES = "(二) 優先發展課題"
FOUR_YEAR_FOCUS = "三、未來四年施政重點"

OBJECTIVES_AND_INDICATORS = "參、關鍵策略目標、共同性目標、關鍵績效指標及共同性指標"
STRATEGIC_OBJECTIVES = "一、關鍵策略目標"
COMMON_GOALS = "二、共同性目標"
KPI_TABLE = "三、關鍵績效指標、衡量標準及年度目標值"
COMMON_TABLE = "四、共同性指標、衡量標準及年度目標值"

# The fixed headings in the order the document gives them (the per-plan headings, such
# as each objective's (一) 市港再生（業務成果）, come between them).
OUTLINE = (
    MISSION_AND_VISION,
    MISSION,
    VISION,
    POLICY_FOCUS,
    RESULTS_REVIEW,
    SITUATION_AND_ISSUES,
    SITUATION_ANALYSIS,
    PRIORITY_ISSUES,
    FOUR_YEAR_FOCUS,
    OBJECTIVES_AND_INDICATORS,
    STRATEGIC_OBJECTIVES,
    COMMON_GOALS,
    KPI_TABLE,
    COMMON_TABLE,
)

# --- The tables 參、三 and 參、四 -------------------------------------------------------

COL_SERIAL = "序號"  # the objective's (or common goal's) number
COL_OBJECTIVE = "關鍵策略目標"
COL_COMMON_GOAL = "共同性目標"
COL_NUMBER = "編號"  # the indicator's number within its objective
COL_KPI = "關鍵績效指標"
COL_COMMON_INDICATOR = "共同性指標"
COL_ARRANGEMENT = "評估體制"
COL_METHOD = "評估方式"
COL_STANDARD = "衡量標準"
COL_TARGETS = "年度績效目標值"  # over one column per plan year, headed by the ROC year: 111, 112 …

KPI_TABLE_COLUMNS = (COL_SERIAL, COL_OBJECTIVE, COL_NUMBER, COL_KPI, COL_ARRANGEMENT, COL_METHOD, COL_STANDARD)
COMMON_TABLE_COLUMNS = (
    COL_SERIAL,
    COL_COMMON_GOAL,
    COL_NUMBER,
    COL_COMMON_INDICATOR,
    COL_ARRANGEMENT,
    COL_METHOD,
    COL_STANDARD,
)


def year_column(year: int) -> str:
    """The heading of a year's target column under 年度績效目標值: the ROC year alone."""
    return str(year)


# The footnote under table 參、三, word for word.
NOTE = "註："
ARRANGEMENT_NOTE = "評估體制之數字代號意義如下："
ARRANGEMENT_MEANINGS = {
    1: "指實際評估作業係運用既有之組織架構進行。",
    2: "指實際評估作業係由特定之任務編組進行。",
    3: "指實際評估作業係透過第三者方式(如由專家學者)進行。",
    4: "指實際評估作業係運用既有之組織架構並邀請第三者共同參與進行。",
    5: "其它。",
}

# The footnote's five lines as the document numbers them: 1. 指實際評估作業係…
ARRANGEMENT_NOTE_LINES = tuple(f"{code}. {meaning}" for code, meaning in ARRANGEMENT_MEANINGS.items())


# The words the document writes for the choices the software stores as codes.
DIMENSION_TERMS = {
    "business_results": "業務成果",
    "administrative_efficiency": "行政效率",
    "service_effectiveness": "服務效能",
    "financial_management": "財務管理",
    "organizational_learning": "組織學習",
}
EVALUATION_METHOD_TERMS = {"progress_control": "進度控管", "statistics": "統計數據"}

# --- Numbering ------------------------------------------------------------------------

_DIGITS = "〇一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 99 → 九十九: how the document counts its items."""
    if not 1 <= n <= 99:
        raise ValueError(f"The document's numbering runs from 1 to 99, not {n}.")
    tens, ones = divmod(n, 10)
    if not tens:
        return _DIGITS[ones]
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def section_number(n: int) -> str:
    """一、 二、 …: a section of a part."""
    return f"{chinese_number(n)}、"


def item_number(n: int) -> str:
    """(一) (二) …: an item of a section (an objective in 參、一, a common goal in 參、二)."""
    return f"({chinese_number(n)}) "


def sentence_number(n: int) -> str:
    """1、 2、 …: a numbered sentence under an item (an objective's sub-items)."""
    return f"{n}、"


def dimension_suffix(dimension: str) -> str:
    """（業務成果）: the dimension as 參 writes it after an objective's or common goal's name."""
    return f"（{DIMENSION_TERMS.get(dimension, dimension)}）"


def with_dimension(name: str, dimension: str) -> str:
    """市港再生（業務成果）: an objective or common goal with its dimension, as 參 writes it."""
    return name + dimension_suffix(dimension)


def item_heading(number: int, name: str, dimension: str) -> str:
    """(一) 市港再生（業務成果）: an objective's heading in 參、一, a common goal's in 參、二."""
    return item_number(number) + with_dimension(name, dimension)


def objective_item(number: int, title: str, description: str) -> str:
    """1、完成港城丘地景管控規劃及機制：《…》發布實施…: a sub-item of an objective in 參、一."""
    return sentence_number(number) + (f"{title}：{description}" if description else title)
