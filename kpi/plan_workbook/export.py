"""A department plan written as the plan workbook (xlsx or ods), or the empty template.

Eight queries whatever the size of the plan; every sheet goes through
`common.spreadsheets.writing` (numbers stay numbers, text is never a formula).
"""

from __future__ import annotations

from django.db.models import Prefetch

from common.spreadsheets import writing
from kpi.models import Indicator, IndicatorKind, YearlyTarget
from kpi.plan_workbook import layout as L
from kpi.resources.columns import DIRECTION_EXPORT, METHOD_EXPORT, plain_number
from kpi.resources.fields import FormulaWidget
from plans.models import CommonGoal, DepartmentPlan, Plan, StrategicObjective


def _year_headers(plan: Plan, lead: list[str], tail: list[str]) -> tuple[list[str], list[object]]:
    """The header row (年度績效目標值 over the first year) and the row of years below it."""
    years = plan.years
    headers = [*lead, L.COL_TARGETS, *[""] * (len(years) - 1), *tail]
    subheader = [*[""] * len(lead), *years, *[""] * len(tail)]
    return headers, subheader


def _indicator_tail(indicator: Indicator) -> list[object]:
    return [
        indicator.unit,
        DIRECTION_EXPORT.get(indicator.direction, indicator.direction),
        plain_number(indicator.weight),
        L.ACCRUAL_EXPORT.get(indicator.accrual, indicator.accrual),
    ]


def sheets(plan: Plan, department_plan: DepartmentPlan | None) -> list[writing.Sheet]:
    """The plan workbook's sheets; without a department plan, the empty template (with its instructions)."""
    kpi_headers, kpi_years = _year_headers(plan, L.KPI_LEAD, L.KPI_TAIL)
    common_headers, common_years = _year_headers(plan, L.COMMON_LEAD, L.COMMON_TAIL)
    mission = [[label, ""] for label in L.MISSION_ROWS]
    focus = [[label, ""] for label in L.FOCUS_ROWS]
    goals: list[list[object]] = []
    objectives: list[list[object]] = []
    kpis: list[list[object]] = []
    commons: list[list[object]] = []
    if department_plan is not None:
        mission = [[label, getattr(department_plan, name)] for label, name in L.MISSION_ROWS.items()]
        focus = [[label, getattr(department_plan, name)] for label, name in L.FOCUS_ROWS.items()]
        targets = Prefetch("targets", queryset=YearlyTarget.objects.order_by("year"))
        indicators = Prefetch(
            "indicators", queryset=Indicator.objects.filter(kind=IndicatorKind.KPI).prefetch_related(targets)
        )
        goal_names = {}
        for goal in department_plan.goals.order_by("number"):
            goals.append([goal.number, goal.name])
            goal_names[goal.pk] = goal.name
        for objective in (
            StrategicObjective.objects.filter(department_plan=department_plan)
            .prefetch_related("items", indicators)
            .order_by("number")
        ):
            lead = [
                objective.number,
                objective.name,
                L.DIMENSION_EXPORT.get(objective.dimension, objective.dimension),
                goal_names.get(objective.goal_id, ""),
                objective.summary,
            ]
            inferred = L.YES if objective.goal_inferred else L.NO
            items = sorted(objective.items.all(), key=lambda i: i.number)
            for item in items:
                objectives.append([*lead, item.number, item.title, item.description, inferred])
            if not items:
                objectives.append([*lead, "", "", "", inferred])
            named = L.with_dimension(objective.name, objective.dimension)
            for indicator in sorted(objective.indicators.all(), key=lambda i: i.number):
                kpis.append(
                    [
                        objective.number,
                        named,
                        indicator.number,
                        indicator.name,
                        indicator.evaluation_arrangement,
                        METHOD_EXPORT.get(indicator.evaluation_method, indicator.evaluation_method),
                        indicator.measurement_standard,
                        *_targets(indicator, plan),
                        *_indicator_tail(indicator),
                    ]
                )
        common_indicators = Prefetch(
            "indicators", queryset=Indicator.objects.filter(kind=IndicatorKind.COMMON).prefetch_related(targets)
        )
        formula = FormulaWidget()
        for common_goal in (
            CommonGoal.objects.filter(department_plan=department_plan)
            .prefetch_related(common_indicators)
            .order_by("number")
        ):
            named = L.with_dimension(common_goal.name, common_goal.dimension)
            rows = sorted(common_goal.indicators.all(), key=lambda i: i.number)
            for indicator in rows:
                commons.append(
                    [
                        common_goal.number,
                        named,
                        indicator.number,
                        indicator.name,
                        indicator.evaluation_arrangement,
                        METHOD_EXPORT.get(indicator.evaluation_method, indicator.evaluation_method),
                        indicator.measurement_standard,
                        *_targets(indicator, plan),
                        common_goal.description,
                        *_indicator_tail(indicator),
                        formula.render(indicator.formula),
                    ]
                )
            if not rows:  # a common goal without indicators yet: its row keeps it
                blank_middle = [""] * (len(L.COMMON_LEAD) - 2 + len(plan.years))
                commons.append(
                    [common_goal.number, named, *blank_middle, common_goal.description]
                    + [""] * (len(L.COMMON_TAIL) - 1)
                )
    long_kpi = {L.KPI_LEAD.index(c) for c in (L.COL_KPI, L.COL_STANDARD)}
    long_common = {L.COMMON_LEAD.index(c) for c in (L.COL_COMMON_GOAL, L.COL_COMMON, L.COL_STANDARD)}
    result = [
        writing.Sheet(title=L.SHEET_MISSION, headers=list(L.MISSION_COLUMNS), rows=mission, long_columns={1}),
        writing.Sheet(title=L.SHEET_FOCUS, headers=list(L.MISSION_COLUMNS), rows=focus, long_columns={1}),
        writing.Sheet(title=L.SHEET_GOALS, headers=list(L.GOAL_COLUMNS), rows=goals),
        writing.Sheet(
            title=L.SHEET_OBJECTIVES,
            headers=list(L.OBJECTIVE_COLUMNS),
            rows=objectives,
            long_columns={
                L.OBJECTIVE_COLUMNS.index(c) for c in (L.COL_SUMMARY, L.COL_ITEM_TITLE, L.COL_ITEM_DESCRIPTION)
            },
        ),
        writing.Sheet(title=L.SHEET_KPIS, headers=kpi_headers, subheader=kpi_years, rows=kpis, long_columns=long_kpi),
        writing.Sheet(
            title=L.SHEET_COMMON, headers=common_headers, subheader=common_years, rows=commons, long_columns=long_common
        ),
    ]
    if department_plan is None:
        result.append(instructions(plan))
    return result


def _targets(indicator: Indicator, plan: Plan) -> list[object]:
    by_year = {t.year: t.value for t in indicator.targets.all()}
    return [plain_number(by_year[year]) if year in by_year else "" for year in plan.years]


def instructions(plan: Plan) -> writing.Sheet:
    """填寫說明: the template's instructions, in the plan's words (the file is the same for everyone)."""
    years = "、".join(str(y) for y in plan.years)
    rows = [
        [
            "工作簿",
            f"本範本供各機關填報「{plan.name}（{plan.start_year}至{plan.end_year}年度）」之中程施政計畫，"
            "各工作表依計畫書表格編排；請勿更改工作表名稱及欄位名稱，亦勿合併儲存格。",
        ],
        [
            L.SHEET_MISSION,
            "依「壹、使命及願景」填寫：「使命」列填使命全文，「願景」列填願景（如：首都圈國家海洋門戶），"
            "「願景說明」列填願景之說明文字。",
        ],
        [
            L.SHEET_FOCUS,
            "依「貳、施政重點」填寫：現有計畫執行成效檢討、環境情勢分析、優先發展課題及未來四年施政重點，"
            "各列填入全文（可分行）。",
        ],
        [L.SHEET_GOALS, "依「貳、三、未來四年施政重點」所列目標，每列一項：編號（1、2、3…）及目標名稱。"],
        [
            L.SHEET_OBJECTIVES,
            "依「參、一、關鍵策略目標」，每一分項一列：序號、關鍵策略目標名稱、面向（業務成果、行政效率、"
            "服務效能）、所屬目標（填「目標」工作表之目標名稱）、分項編號、分項名稱及分項內容。同一關鍵策略目標之後續列，"
            "序號以外各欄可留空。",
        ],
        [
            L.SHEET_KPIS,
            f"依「參、三」表格填寫。序號須為「關鍵策略目標」工作表之序號；編號為該目標內之流水號（1-1、1-2…）。"
            f"評估體制填代號 1 至 5；評估方式填「進度控管」或「統計數據」。年度績效目標值每年度一欄（{years}），"
            "填數字，可加單位（如 100%、1 式、5 場）。每一關鍵策略目標至少須有一項關鍵績效指標。",
        ],
        [
            L.SHEET_COMMON,
            "依「參、四」表格填寫；共同性目標寫法如「約聘僱員額控管（組織學習）」，括號內為面向"
            "（財務管理或組織學習）。",
        ],
        [
            "評估體制代號",
            "1 運用既有之組織架構進行；2 由特定之任務編組進行；3 透過第三者方式（如由專家學者）進行；"
            "4 運用既有之組織架構並邀請第三者共同參與進行；5 其它。",
        ],
        [
            L.SYSTEM + "欄位",
            "計畫書以外、系統評核所需之欄位：單位（%、式、場、件、處）、方向（越高越好、越低越好）、"
            "權重（預設 1）、累計方式（累計、水準值、年終評估）、計算公式（共同性指標）、所屬目標係推定（是、否）。",
        ],
        [
            "匯入",
            "上傳後系統先檢查全部內容並顯示預覽（新增、修改、未變更），確認後一次寫入；"
            "任何一格有誤即全部不匯入，並指出工作表、列及欄。",
        ],
    ]
    return writing.Sheet(title=L.SHEET_HELP, headers=["項目", "說明"], rows=rows, long_columns={1})


def file_stem(plan: Plan, department_plan: DepartmentPlan | None) -> tuple[str, str]:
    """The download's name and its ASCII fallback."""
    years = f"{plan.start_year}-{plan.end_year}"
    if department_plan is None:
        return f"中程施政計畫工作簿範本_{years}", f"plan-workbook-template-{years}"
    return (
        f"中程施政計畫_{department_plan.department.name}_{years}",
        f"plan-workbook-{department_plan.department_id}-{years}",
    )
