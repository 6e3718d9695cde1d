"""The plan workbook's contract: sheets, columns and words, as the plan document writes them.

Sheets (the document's sections):

    使命及願景    壹、使命及願景: 項目 | 內容, rows 使命, 願景, 願景說明
    施政重點      貳、施政重點: 項目 | 內容, rows 現有計畫執行成效檢討, 環境情勢分析, 優先發展課題,
                  未來四年施政重點 (the narrative that supervisors read for context)
    目標          貳、三 (二): 編號 | 目標
    關鍵策略目標  參、一: 序號 | 關鍵策略目標 | 面向 | 所屬目標 | 策略目標說明 | 分項編號 | 分項 | 分項內容,
                  one row per sub-item (an objective without sub-items: one row, the item columns empty)
    關鍵績效指標  參、三: 序號 | 關鍵策略目標 | 編號 | 關鍵績效指標 | 評估體制 | 評估方式 | 衡量標準 |
                  年度績效目標值 over one column per plan year (ROC years in the row below)
    共同性指標    參、四: 序號 | 共同性目標 | 編號 | 共同性指標 | 評估體制 | 評估方式 | 衡量標準 | years

What the app keeps beyond the document (unit, direction, weight, accrual, formula, and that a
goal link was inferred) is in columns marked 【系統】 after the document's own, so that a
workbook exported and imported again changes nothing. As in the document, 序號 and the
objective's (or common goal's) name may be left blank on the rows after the first of a group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from kpi.models import Accrual, Unit
from plans import document
from plans.models import Dimension

SHEET_MISSION = "使命及願景"
SHEET_FOCUS = "施政重點"
SHEET_GOALS = "目標"
SHEET_OBJECTIVES = "關鍵策略目標"
SHEET_KPIS = "關鍵績效指標"
SHEET_COMMON = "共同性指標"
SHEET_HELP = "填寫說明"
SHEETS = (SHEET_MISSION, SHEET_FOCUS, SHEET_GOALS, SHEET_OBJECTIVES, SHEET_KPIS, SHEET_COMMON)

# The document's headings of each sheet's table (shown on the instructions sheet and the pages).
# The document's wording is quoted once, in plans.document (the plan page uses it too).
_PART_THREE = document.OBJECTIVES_AND_INDICATORS.split("、", 1)[0] + "、"  # 參、
HEADINGS = {
    SHEET_MISSION: document.MISSION_AND_VISION,
    SHEET_FOCUS: document.POLICY_FOCUS,
    SHEET_GOALS: "貳、三、(二) 目標",
    SHEET_OBJECTIVES: _PART_THREE + document.STRATEGIC_OBJECTIVES,
    SHEET_KPIS: _PART_THREE + document.KPI_TABLE,
    SHEET_COMMON: _PART_THREE + document.COMMON_TABLE,
}

SYSTEM = "【系統】"  # marks a column the document does not have

# 使命及願景
COL_ITEM = "項目"
COL_CONTENT = "內容"
ROW_MISSION = "使命"
ROW_VISION = "願景"
ROW_VISION_STATEMENT = "願景說明"
MISSION_ROWS = {ROW_MISSION: "mission", ROW_VISION: "vision", ROW_VISION_STATEMENT: "vision_statement"}
# 施政重點 (貳): the same two columns. 環境情勢分析 and 優先發展課題 are the two halves of 貳、二.
FOCUS_ROWS = {
    "現有計畫執行成效檢討": "results_review",
    "環境情勢分析": "situation_analysis",
    "優先發展課題": "priority_issues",
    "未來四年施政重點": "four_year_focus",
}
TEXT_ROWS = {**MISSION_ROWS, **FOCUS_ROWS}

# 目標
COL_GOAL_NUMBER = "編號"
COL_GOAL = "目標"

# 關鍵策略目標
COL_SERIAL = document.COL_SERIAL
COL_OBJECTIVE = document.COL_OBJECTIVE
COL_DIMENSION = "面向"
COL_OBJECTIVE_GOAL = "所屬目標"
COL_SUMMARY = "策略目標說明"
COL_ITEM_NUMBER = "分項編號"
COL_ITEM_TITLE = "分項"
COL_ITEM_DESCRIPTION = "分項內容"
COL_GOAL_INFERRED = SYSTEM + "所屬目標係推定"

# 關鍵績效指標 and 共同性指標
COL_NUMBER = document.COL_NUMBER
COL_KPI = document.COL_KPI
COL_COMMON_GOAL = document.COL_COMMON_GOAL
COL_COMMON = document.COL_COMMON_INDICATOR
COL_ARRANGEMENT = document.COL_ARRANGEMENT
COL_METHOD = document.COL_METHOD
COL_STANDARD = document.COL_STANDARD
COL_TARGETS = document.COL_TARGETS
COL_COMMON_DESCRIPTION = "共同性目標說明"
COL_UNIT = SYSTEM + "單位"
COL_DIRECTION = SYSTEM + "方向"
COL_WEIGHT = SYSTEM + "權重"
COL_ACCRUAL = SYSTEM + "累計方式"
COL_FORMULA = SYSTEM + "計算公式"

MISSION_COLUMNS = [COL_ITEM, COL_CONTENT]
GOAL_COLUMNS = [COL_GOAL_NUMBER, COL_GOAL]
OBJECTIVE_COLUMNS = [
    COL_SERIAL,
    COL_OBJECTIVE,
    COL_DIMENSION,
    COL_OBJECTIVE_GOAL,
    COL_SUMMARY,
    COL_ITEM_NUMBER,
    COL_ITEM_TITLE,
    COL_ITEM_DESCRIPTION,
    COL_GOAL_INFERRED,
]
KPI_LEAD = list(document.KPI_TABLE_COLUMNS)
KPI_TAIL = [COL_UNIT, COL_DIRECTION, COL_WEIGHT, COL_ACCRUAL]
COMMON_LEAD = list(document.COMMON_TABLE_COLUMNS)
COMMON_TAIL = [COL_COMMON_DESCRIPTION, COL_UNIT, COL_DIRECTION, COL_WEIGHT, COL_ACCRUAL, COL_FORMULA]
# Columns a file may leave out (the app then uses its default).
OPTIONAL_COLUMNS = {COL_GOAL_INFERRED, COL_SUMMARY, COL_DIRECTION, COL_WEIGHT, COL_ACCRUAL, COL_COMMON_DESCRIPTION}

# Choices, written as the document (or, for the app's own fields, plainly) writes them.
DIMENSION_EXPORT = {Dimension(code): term for code, term in document.DIMENSION_TERMS.items()}
DIMENSION_IMPORT = {**{label: code for code, label in DIMENSION_EXPORT.items()}, **{d.value: d for d in Dimension}}
ACCRUAL_EXPORT = {Accrual.CUMULATIVE: "累計", Accrual.LEVEL: "水準值", Accrual.YEAR_END: "年終評估"}
ACCRUAL_IMPORT = {**{label: code for code, label in ACCRUAL_EXPORT.items()}, **{a.value: a for a in Accrual}}
YES, NO = "是", "否"
BOOLEAN_IMPORT = {"是": True, "否": False, "y": True, "n": False, "yes": True, "no": False, "true": True}
BOOLEAN_IMPORT |= {"false": False, "1": True, "0": False, "v": True, "✓": True}

# A name with its dimension in brackets, as the document writes both tables: 市港再生（業務成果）.
NAMED_DIMENSION = re.compile(r"^(?P<name>.*?)\s*[（(]\s*(?P<dimension>[^（()）]+?)\s*[）)]$", re.S)
# A target as the document writes it: 100%, 1 式, 5場.
TARGET_TEXT = re.compile(r"^(?P<number>[+-]?[\d,]*\.?\d+)\s*(?P<unit>%|％|式|場|件|處)?$")
UNIT_ALIASES = {"％": Unit.PERCENT}

MAX_BYTES = 2 * 1024 * 1024  # one department's plan is a few dozen kilobytes


def with_dimension(name: str, dimension: str) -> str:
    """市港再生 + business_results → 市港再生（業務成果）: the document's cell."""
    label = DIMENSION_EXPORT.get(dimension)
    return f"{name}（{label}）" if label else name


def split_dimension(text: str) -> tuple[str, str | None, str | None]:
    """市港再生（業務成果） → (市港再生, business_results, 業務成果); without brackets → (text, None, None).

    Brackets that hold no dimension stay part of the name."""
    match = NAMED_DIMENSION.match(text)
    if match and match.group("dimension") in DIMENSION_IMPORT:
        word = match.group("dimension")
        return match.group("name").strip(), DIMENSION_IMPORT[word], word
    return text, None, None


# --- Errors that name the cell ----------------------------------------------------------


def column_letter(index: int | None) -> str:
    """0 → A; None → ''."""
    return "" if index is None else get_column_letter(index + 1)


@dataclass(frozen=True)
class CellError:
    """A refusal at a place in the file: the sheet, the row (as shown) and the column's letter."""

    sheet: str
    row: int | None
    column: str  # "H", or "" for the whole row or sheet
    message: str

    def __str__(self) -> str:
        if not self.sheet:
            return self.message
        if self.row is not None and self.column:
            return _("Sheet “%(sheet)s”, row %(row)s, column %(column)s: %(message)s") % self._parts()
        if self.row is not None:
            return _("Sheet “%(sheet)s”, row %(row)s: %(message)s") % self._parts()
        return _("Sheet “%(sheet)s”: %(message)s") % self._parts()

    def _parts(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}

    @property
    def place(self) -> str:
        """Where, without the message (for a table of errors)."""
        return str(CellError(self.sheet, self.row, self.column, "")).rstrip("：: ")


class WorkbookRefused(Exception):
    """The workbook cannot be loaded; `errors` says every place and why. Nothing was written."""

    def __init__(self, errors: list[CellError]):
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors
