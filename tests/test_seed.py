"""The seeded plan matches the plan document, column by column and target by target.

The expected values below were typed from the plan document itself (基隆市政府中程施政計畫
111–114 核定版: the table of contents, 都市發展處 壹–參, tables 參、三 and 參、四), not
copied from `fixtures/keelung-111-114.json`, so that a wrong number in the fixture fails
here. The suite never reads the document at run time.

Where the document's layout had to be interpreted, the expected value says how:
- KPI 6-1's 衡量標準 has no closing 。 in the document; it is kept that way.
- 共2-1's formula is split over a page break (…以公務預算及基金 / 僱用之約聘僱員 額總數×100%);
  the page break and the stray space inside 員額 are dropped.
- Items 11–17 of 環境情勢分析 are printed "1 1、" … "1 7、" (a typesetting gap); stored as 11、 … 17、.
"""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from kpi.models import Indicator, IndicatorKind, TargetRevision, YearlyTarget
from kpi.seeding import SEED_REASON, seed_plan
from kpi.services import target_set
from plans.demo import TAIPEI
from plans.models import (
    CommonGoal,
    Department,
    DepartmentPlan,
    Goal,
    ObjectiveItem,
    Plan,
    StrategicObjective,
)
from tests.conftest import empty_database

YEARS = (111, 112, 113, 114)

DIMENSION = {
    "業務成果": "business_results",
    "行政效率": "administrative_efficiency",
    "服務效能": "service_effectiveness",
    "財務管理": "financial_management",
    "組織學習": "organizational_learning",
}
METHOD = {"進度控管": "progress_control", "統計數據": "statistics"}

# 目錄: (numeral, department, page)
TABLE_OF_CONTENTS = [
    ("壹", "民政處", 1),
    ("貳", "財政處", 12),
    ("參", "產業發展處", 20),
    ("肆", "教育處", 36),
    ("伍", "工務處", 49),
    ("陸", "觀光及城市行銷處", 56),
    ("柒", "交通處", 62),
    ("捌", "都市發展處", 67),
    ("玖", "社會處", 78),
    ("拾", "地政處", 97),
    ("拾壹", "綜合發展處", 105),
    ("拾貳", "主計處", 113),
    ("拾參", "人事處", 119),
    ("拾肆", "政風處", 126),
    ("拾伍", "稅務局", 132),
    ("拾陸", "警察局", 139),
    ("拾柒", "消防局", 150),
    ("拾捌", "衛生局", 163),
    ("拾玖", "環境保護局", 188),
    ("貳拾", "文化局", 206),
]

HOME = "都市發展處"

GOALS = [(1, "繽紛·魅力"), (2, "活力·共創"), (3, "韌性·智慧")]

# 參、一 and 參、三: (序號, 關鍵策略目標, 面向, goal inferred per DOMAIN.md)
OBJECTIVES = [
    (1, "市港再生", "業務成果", "繽紛·魅力"),
    (2, "創意城市", "業務成果", "繽紛·魅力"),
    (3, "科創廊帶", "業務成果", "活力·共創"),
    (4, "創新治理", "行政效率", "活力·共創"),
    (5, "韌性城市", "行政效率", "韌性·智慧"),
    (6, "智慧城市", "服務效能", "韌性·智慧"),
]

# 參、三: (序號, 編號, 關鍵績效指標, 評估體制, 評估方式, 衡量標準, unit, direction, 111, 112, 113, 114)
KPIS = [
    (1, 1, "完成港城丘地景管控規劃及機制", 1, "進度控管",
     "《基隆市國門廣場周邊地區城市景觀自治條例》發布實施。", "%", "higher", "100", "100", "100", "100"),
    (1, 2, "完成基隆港內港親水及環境空間改造", 4, "進度控管",
     "完成國門廣場各階段及郵輪廣場第一階段工程。", "%", "higher", "100", "100", "100", "100"),
    (1, 3, "完成城市歷史人文特色規劃及一個歷史街區空間規劃", 4, "進度控管",
     "「正濱漁港週邊地區歷史紋理與都市再生計畫」提出期末成果報告。", "式", "higher", "1", "1", "1", "1"),
    (1, 4, "建立海洋生活與再現城市經濟活力之空間規劃", 4, "進度控管",
     "「八尺門附近地區整體規劃暨都市計畫變更檢討案」提出期末成果報告。", "式", "higher", "1", "1", "1", "1"),
    (1, 5, "建立以海洋生活及空間之市港溝通模式", 2, "統計數據",
     "召開市港再生標竿計畫平台會議次數。", "場", "higher", "5", "5", "5", "5"),
    (2, 1, "打造創意氛圍吸引具全球競爭性之人才移入", 4, "統計數據",
     "原太平國小辦理活動次數。", "場", "higher", "5", "5", "5", "5"),
    (2, 2, "建構創意人才願意進駐之空間及環境", 4, "統計數據",
     "完成百福公園再生計畫並提出規劃設計。", "式", "higher", "1", "1", "1", "1"),
    (2, 3, "創造新空間與舊空間再造的都市設計模式", 1, "統計數據",
     "86 設計公寓工作室出租率。", "%", "higher", "80", "80", "80", "80"),
    (3, 1, "整備首都圈都會區域計畫及東側產業廊帶轉型再生之基礎與氛圍", 4, "統計數據",
     "完成基隆捷運場站地區都市設計暨開發策略規劃並提出期末報告。", "式", "higher", "1", "1", "1", "1"),
    (3, 2, "完成國際產業園區之空間規劃", 1, "進度控管",
     "協助產發處完成北五堵國際研發新鎮規劃。", "%", "higher", "80", "100", "100", "100"),
    (3, 3, "完成首都圈東側產業廊帶轉型之基礎設施規劃", 1, "統計數據",
     "完成北五堵國際研發新鎮周邊地區整體規劃並提出後續配套工作。", "式", "higher", "1", "1", "1", "1"),
    (4, 1, "建立跨域及跨單位之政策形塑共識平台", 2, "統計數據",
     "召開環境景觀總顧問平台會議次數。", "場", "higher", "5", "5", "5", "5"),
    (4, 2, "善用民間創新社會力，強化政府公共治理效能的學習模式", 4, "統計數據",
     "辦理基隆都市再生議題交流講座次數。", "場", "higher", "2", "2", "2", "2"),
    (4, 3, "建立與公民對話，開放角度參與政策議題的溝通平台", 4, "統計數據",
     "完成本市公園綠地（參與式）規劃設計處數。", "處", "higher", "1", "1", "1", "1"),
    (5, 1, "建構以韌性都市為基礎之空間規劃模式", 4, "進度控管",
     "完成基隆市坡地建築型態與審查機制案（期中規劃報告通過）。", "%", "higher", "50", "100", "100", "100"),
    (5, 2, "推廣並普及韌性社區觀念", 4, "統計數據",
     "施作社區規劃師（建築師）駐地輔導計畫。", "件", "higher", "15", "15", "15", "15"),
    (5, 3, "建構因應氣候變遷之土地使用管理機制", 1, "統計數據",
     "完成全市性都市計畫土地使用管制檢討（訂定工作說明書）。", "%", "higher", "10", "40", "70", "100"),
    (6, 1, "完成 GIS 開放資料之基礎環境", 1, "進度控管",
     "建置基隆市都市計畫空間整合（GIS 應用）查詢系統（提出工作說明書）", "%", "higher", "10", "40", "70", "100"),
    (6, 2, "改善高效政府所需之公共服務系統", 4, "進度控管",
     "建築管理資訊系統改版升級完成上線。", "%", "higher", "100", "100", "100", "100"),
    (6, 3, "打造智慧城市理念的社會政府施為", 1, "進度控管",
     "建置國土功能分區證明核發系統電腦軟體及設備作業(向營建署申請補助完成)。", "%", "higher", "10", "40", "70", "100"),
]  # fmt: skip

# 參、二 and 參、四: (序號, 共同性目標, 面向, 編號, 共同性指標, 評估體制, 評估方式, formula key, 衡量標準,
#                     unit, direction, 111, 112, 113, 114)
COMMON = [
    (1, "節約政府支出，邁向財政收支平衡", "財務管理", 1, "各單位當年度經常門業務費賸餘數百分比", 1, "統計數據",
     "budget_surplus",
     "【各計畫經常門業務費預算數(不含臨時人員薪資)－經常門業務費決算數(不含臨時人員薪資)】"
     "÷經常門業務費預算數(不含臨時人員薪資) ※決算數＝實支數＋保留數",
     "%", "higher", "2", "2", "2", "2"),
    (2, "約聘僱員額控管", "組織學習", 1, "約聘僱員額成長率", 1, "統計數據",
     "contract_staff_growth",
     "(本年度以公務預算及基金僱用之約聘僱員額總數－上年度以公務預算及基金僱用之約聘僱員額總數)"
     "÷上年度以公務預算及基金僱用之約聘僱員額總數×100%",
     "%", "lower", "0", "0", "0", "0"),
    (3, "提升人力資源培訓，落實公務人員終身學習", "組織學習", 1, "單位公務人員完成年度學習時數之人數比率", 1,
     "統計數據", "learning_hours_ratio",
     "本單位內公務人員完成行政院人事行政總處所訂定公務人員學習時數之人數÷本單位現有公務人員人數×100%",
     "%", "higher", "80", "80", "80", "80"),
]  # fmt: skip

ITEM_COUNTS = {1: 5, 2: 3, 3: 3, 4: 3, 5: 3, 6: 3}

# A sample of 參、一's sub-items: (objective 序號, item number, title, description)
SAMPLE_ITEMS = [
    (1, 1, "完成港城丘地景管控規劃及機制",
     "《基隆市國門廣場周邊地區城市景觀自治條例》發布實施、完成容積調派規劃與容積銀行機制。"),
    (1, 5, "建立以海洋生活及空間之市港溝通模式", "推動港區重大建設並召開市港再生標竿計畫平台會議。"),
    (2, 3, "創造新空間與舊空間再造的都市設計模式", "辦理 86 設計公寓工作室出租與相關活動。"),
    (4, 1, "建立跨域及跨單位之政策形塑共識平台",
     "推動市港再生標竿計畫平臺、環境景觀總顧問制度並完成訂定港城丘 4 年期地景管控規劃及機制。"),
    (5, 2, "推廣並普及韌性社區觀念", "辦理住宅及更新業務、完成租金補貼申辦作業並推動危險及老舊建築物重建更新作業。"),
    (6, 1, "完成 GIS 開放資料之基礎環境", "完成都市計畫整合查詢系統升級。"),
    (6, 3, "打造智慧城市理念的社會政府施為", "完成建照執照審照流程無紙化作業系統及建築物公共安全申報機制。"),
]  # fmt: skip

EXPECTED_COUNTS = {
    Plan: 1,
    Department: 20,
    DepartmentPlan: 20,
    Goal: 3,
    StrategicObjective: 6,
    ObjectiveItem: 20,
    CommonGoal: 3,
    Indicator: 23,
    YearlyTarget: 92,
    TargetRevision: 92,
}


def counts():
    return {model: model.objects.count() for model in EXPECTED_COUNTS}


@pytest.fixture
def home_plan(seeded_plan):
    return DepartmentPlan.objects.get(plan=seeded_plan, department__name=HOME)


def test_expected_table_is_complete():
    """The typed table itself: 20 KPIs (5+3+3+3+3+3), 3 common indicators, 92 targets."""
    assert len(KPIS) == 20
    assert [sum(1 for k in KPIS if k[0] == n) for n in range(1, 7)] == [5, 3, 3, 3, 3, 3]
    assert len(COMMON) == 3
    assert 4 * (len(KPIS) + len(COMMON)) == 92


def test_counts(seeded_plan):
    assert counts() == EXPECTED_COUNTS
    assert Indicator.objects.filter(kind=IndicatorKind.KPI).count() == 20
    assert Indicator.objects.filter(kind=IndicatorKind.COMMON).count() == 3


def test_plan(seeded_plan):
    plan = Plan.objects.get()
    assert plan.name == "基隆市政府中程施政計畫"
    assert (plan.start_year, plan.end_year) == (111, 114)
    assert plan.years == list(YEARS)
    assert plan.edition == "核定版"
    assert (plan.published_year, plan.published_month) == (111, 2)


def test_departments_in_table_of_contents_order(seeded_plan):
    rows = list(
        DepartmentPlan.objects.filter(plan=seeded_plan)
        .order_by("toc_number")
        .values_list("toc_number", "toc_label", "department__name", "page")
    )
    assert rows == [(n, label, name, page) for n, (label, name, page) in enumerate(TABLE_OF_CONTENTS, start=1)]
    assert str(DepartmentPlan.objects.get(department__name=HOME)) == "捌、都市發展處"


def test_only_the_urban_development_department_has_content(seeded_plan):
    with_content = [dp.department.name for dp in DepartmentPlan.objects.select_related("department") if dp.has_content]
    assert with_content == [HOME]


def test_mission_and_vision(home_plan):
    assert home_plan.vision == "首都圈國家海洋門戶"
    assert home_plan.mission.startswith("都市發展處依基隆市政府組織自治條例之規定，依法掌理國土計畫、都市計畫")
    assert "「營造基隆成為一個小而美且精緻的人文之都，藝術之城」" in home_plan.mission
    assert home_plan.mission.endswith("落實綠能減碳、生態家園及生態永續發展之策略。")
    assert home_plan.vision_statement == (
        "以基隆做為「首都圈國家海洋門戶」之定位，創造結合海洋科技、文化、生態的智慧型國際港市，"
        "以基隆特有的山海港灣資源和人文特色為基礎，擴大參與並啟動再生，營造海洋生活。"
    )


def test_narrative_sections(home_plan):
    review = home_plan.results_review
    for heading in (
        "市港再生執行成果",
        "創意城市執行成果",
        "科創廊帶執行成果",
        "創新治理執行成果",
        "韌性城市執行成果",
        "智慧城市執行成果",
    ):
        assert heading in review
    assert "110 年 11 月 29 日三讀審議通過" in review
    assert "都市計畫樁共 1,114 支、鋼片 397 支。" in review

    situation = home_plan.situation_analysis.splitlines()
    situation = [line for line in situation if line.strip()]
    assert len(situation) == 17
    assert situation[0].startswith("1、面對全球化下之城市競爭")
    assert situation[13].startswith("14、本市山坡地占全市 93%")
    assert situation[16].startswith("17、公寓大廈管理事務主要係對公寓大廈之管理")
    assert "1 7、" not in home_plan.situation_analysis

    issues = [line for line in home_plan.priority_issues.splitlines() if line.strip()]
    assert len(issues) == 23
    assert [line.split("、", 1)[0] for line in issues] == [str(n) for n in range(1, 24)]
    assert issues[0].startswith("1、依循基隆市國土計畫基隆港部門空間發展計畫指導")
    assert issues[22].startswith("23、鼓勵建築物所有權人或使用人辦理檢查簽證")
    assert issues[22].endswith("保障民眾之福祉。")

    focus = home_plan.four_year_focus
    assert "願景：首都圈國家海洋門戶" in focus
    assert "3 目標：「繽紛·魅力」、「活力·共創」及「韌性·智慧」" in focus
    assert "6 次目標（關鍵策略目標）" in focus
    assert "20 項標準（關鍵績效指標）" in focus


def test_goals(home_plan):
    assert list(home_plan.goals.values_list("number", "name")) == GOALS


def test_objectives_dimensions_and_inferred_goals(home_plan):
    rows = list(
        home_plan.objectives.order_by("number").values_list(
            "number", "name", "dimension", "goal__name", "goal_inferred"
        )
    )
    assert rows == [(n, name, DIMENSION[dim], goal, True) for n, name, dim, goal in OBJECTIVES]
    by_goal = {}
    for objective in home_plan.objectives.select_related("goal").order_by("number"):
        by_goal.setdefault(objective.goal.name, []).append(objective.name)
    assert by_goal == {
        "繽紛·魅力": ["市港再生", "創意城市"],
        "活力·共創": ["科創廊帶", "創新治理"],
        "韌性·智慧": ["韌性城市", "智慧城市"],
    }


def test_objective_summaries_follow_the_names_not_the_order_of_the_four_year_focus(home_plan):
    # 參、三 numbers 創新治理 4 and 智慧城市 6, while 貳、三 lists them 2nd and 5th.
    objectives = {o.name: o for o in home_plan.objectives.all()}
    assert objectives["創新治理"].summary == "打造與重要權力關係人的溝通平台並建立有效進步的學習及共創模式。"
    assert objectives["智慧城市"].summary == "整合既有資訊系統朝向開放化、結合既有資訊系統及政策使民眾易讀及使用。"
    assert objectives["創意城市"].summary == "打造創意地點及提供創意氛圍與知識系統。"


def test_objective_items(home_plan):
    counts_by_objective = {o.number: o.items.count() for o in home_plan.objectives.all()}
    assert counts_by_objective == ITEM_COUNTS
    for objective_number, number, title, description in SAMPLE_ITEMS:
        item = ObjectiveItem.objects.get(
            objective__department_plan=home_plan, objective__number=objective_number, number=number
        )
        assert (item.title, item.description) == (title, description)


def test_each_kpi_is_named_after_its_objective_item(home_plan):
    """In the document, KPI n of an objective carries the title of the objective's item n."""
    for indicator in Indicator.objects.filter(department_plan=home_plan, kind=IndicatorKind.KPI):
        item = indicator.objective.items.get(number=indicator.number)
        assert item.title == indicator.name


def test_every_kpi_column_and_target(home_plan):
    objectives = {n: (name, dim) for n, name, dim, _ in OBJECTIVES}
    expected = {}
    for obj_no, no, name, arrangement, method, standard, unit, direction, *targets in KPIS:
        obj_name, obj_dim = objectives[obj_no]
        expected[f"{obj_no}-{no}"] = {
            "objective_number": obj_no,
            "objective_name": obj_name,
            "dimension": DIMENSION[obj_dim],
            "number": no,
            "name": name,
            "evaluation_arrangement": arrangement,
            "evaluation_method": METHOD[method],
            "measurement_standard": standard,
            "unit": unit,
            "direction": direction,
            "formula": "",
            "common_goal": None,
            "weight": Decimal("1"),
            "targets": {year: Decimal(value) for year, value in zip(YEARS, targets, strict=True)},
        }

    actual = {}
    indicators = Indicator.objects.filter(department_plan=home_plan, kind=IndicatorKind.KPI).select_related("objective")
    for ind in indicators:
        actual[ind.code] = {
            "objective_number": ind.objective.number,
            "objective_name": ind.objective.name,
            "dimension": ind.objective.dimension,
            "number": ind.number,
            "name": ind.name,
            "evaluation_arrangement": ind.evaluation_arrangement,
            "evaluation_method": ind.evaluation_method,
            "measurement_standard": ind.measurement_standard,
            "unit": ind.unit,
            "direction": ind.direction,
            "formula": ind.formula,
            "common_goal": ind.common_goal_id,
            "weight": ind.weight,
            "targets": {t.year: t.value for t in ind.targets.all()},
        }
    assert list(actual) == list(expected)  # same codes, same order (1-1 … 6-3)
    for code, row in expected.items():
        assert actual[code] == row, code


def test_every_common_indicator_column_and_target(home_plan):
    expected = {}
    for goal_no, goal, dim, no, name, arrangement, method, formula, standard, unit, direction, *targets in COMMON:
        expected[f"共{goal_no}-{no}"] = {
            "goal_number": goal_no,
            "goal_name": goal,
            "dimension": DIMENSION[dim],
            "number": no,
            "name": name,
            "evaluation_arrangement": arrangement,
            "evaluation_method": METHOD[method],
            "formula": formula,
            "measurement_standard": standard,
            "unit": unit,
            "direction": direction,
            "objective": None,
            "targets": {year: Decimal(value) for year, value in zip(YEARS, targets, strict=True)},
        }
    actual = {}
    for ind in Indicator.objects.filter(department_plan=home_plan, kind=IndicatorKind.COMMON).select_related(
        "common_goal"
    ):
        actual[ind.code] = {
            "goal_number": ind.common_goal.number,
            "goal_name": ind.common_goal.name,
            "dimension": ind.common_goal.dimension,
            "number": ind.number,
            "name": ind.name,
            "evaluation_arrangement": ind.evaluation_arrangement,
            "evaluation_method": ind.evaluation_method,
            "formula": ind.formula,
            "measurement_standard": ind.measurement_standard,
            "unit": ind.unit,
            "direction": ind.direction,
            "objective": ind.objective_id,
            "targets": {t.year: t.value for t in ind.targets.all()},
        }
    assert list(actual) == list(expected)
    for code, row in expected.items():
        assert actual[code] == row, code


def test_all_92_targets_are_decimal_equal(home_plan):
    expected = {}
    for obj_no, no, *_, t111, t112, t113, t114 in KPIS:
        for year, value in zip(YEARS, (t111, t112, t113, t114), strict=True):
            expected[(f"{obj_no}-{no}", year)] = Decimal(value)
    for goal_no, *_, t111, t112, t113, t114 in COMMON:
        for year, value in zip(YEARS, (t111, t112, t113, t114), strict=True):
            expected[(f"共{goal_no}-1", year)] = Decimal(value)
    assert len(expected) == 92

    actual = {}
    for target in YearlyTarget.objects.select_related("indicator__objective", "indicator__common_goal"):
        actual[(target.indicator.code, target.year)] = target.value
        assert target.original_value == target.value
        assert isinstance(target.value, Decimal)
    assert actual == expected


def test_common_goals(home_plan):
    rows = list(home_plan.common_goals.order_by("number").values_list("number", "name", "dimension"))
    assert rows == [(n, goal, DIMENSION[dim]) for n, goal, dim, *_ in COMMON]
    descriptions = list(home_plan.common_goals.order_by("number").values_list("description", flat=True))
    assert "控管當年度經常門業務費賸餘數百分比。" in descriptions[0]
    assert "以有效控管約聘僱員額成長率。" in descriptions[1]
    assert "公務人員學習時數之人數達 80% 以上" in descriptions[2]


def test_the_document_oddities_survive(home_plan):
    kpi = {i.code: i for i in Indicator.objects.filter(kind=IndicatorKind.KPI).select_related("objective")}
    assert not kpi["6-1"].measurement_standard.endswith("。")
    assert all(i.measurement_standard.endswith("。") for code, i in kpi.items() if code != "6-1")
    assert sorted({i.unit for i in kpi.values()}) == sorted(["%", "式", "場", "件", "處"])
    ladders = {
        code
        for code, i in kpi.items()
        if [t.value for t in i.targets.order_by("year")] == [Decimal(v) for v in (10, 40, 70, 100)]
    }
    assert ladders == {"5-3", "6-1", "6-3"}
    assert [t.value for t in kpi["3-2"].targets.order_by("year")] == [Decimal(v) for v in (80, 100, 100, 100)]
    assert [t.value for t in kpi["5-1"].targets.order_by("year")] == [Decimal(v) for v in (50, 100, 100, 100)]
    lower = list(Indicator.objects.filter(direction="lower").values_list("name", flat=True))
    assert lower == ["約聘僱員額成長率"]


def test_each_seeded_target_has_exactly_one_seed_revision(seeded_plan):
    for target in YearlyTarget.objects.prefetch_related("revisions"):
        revisions = list(target.revisions.all())
        assert len(revisions) == 1, target
        (revision,) = revisions
        assert revision.source == TargetRevision.Source.SEED
        assert revision.old_value is None
        assert revision.new_value == target.value
        assert revision.reason == SEED_REASON
        assert revision.changed_by is None


def test_seeding_twice_creates_nothing(seeded_plan, plan_document):
    before = counts()
    plan, result = seed_plan(plan_document)
    assert plan == seeded_plan
    assert result.total_created == 0
    assert counts() == before == EXPECTED_COUNTS
    assert not TargetRevision.objects.exclude(source=TargetRevision.Source.SEED).exists()


def test_seeding_again_keeps_an_admins_target_change(seeded_plan, plan_document, admin_user):
    indicator = Indicator.objects.get(kind=IndicatorKind.KPI, objective__number=3, number=2)
    target, changed = target_set(indicator=indicator, year=111, value="90", reason="市府核定調整", user=admin_user)
    assert changed

    seed_plan(plan_document)

    target.refresh_from_db()
    assert target.value == Decimal("90")
    assert target.original_value == Decimal("80")
    assert [(r.source, r.old_value, r.new_value) for r in target.revisions.order_by("id")] == [
        (TargetRevision.Source.SEED, None, Decimal("80")),
        (TargetRevision.Source.ADMIN, Decimal("80"), Decimal("90")),
    ]
    assert YearlyTarget.objects.count() == 92
    assert TargetRevision.objects.count() == 93


def test_seeding_again_keeps_edited_text(home_plan, plan_document):
    home_plan.vision = "首都圈國家海洋門戶（修訂）"
    home_plan.save()
    objective = home_plan.objectives.get(number=1)
    objective.name = "市港再生（修訂）"
    objective.save()

    seed_plan(plan_document)

    home_plan.refresh_from_db()
    objective.refresh_from_db()
    assert home_plan.vision == "首都圈國家海洋門戶（修訂）"
    assert objective.name == "市港再生（修訂）"
    assert StrategicObjective.objects.count() == 6


def test_seed_plan_command_twice(db):
    first = StringIO()
    call_command("seed_plan", stdout=first)
    assert "Seeded" in first.getvalue()
    assert counts() == EXPECTED_COUNTS

    second = StringIO()
    call_command("seed_plan", stdout=second)
    assert "nothing (already seeded)" in second.getvalue()
    assert counts() == EXPECTED_COUNTS


def test_seed_plan_as_of(db):
    """`seed_plan --as-of` (the demo's plan entered at its publication) dates its record so."""
    empty_database()
    call_command("seed_plan", "--as-of", "2021-12-20", stdout=StringIO())
    moment = datetime.datetime(2021, 12, 20, 10, 0, tzinfo=TAIPEI)
    assert set(TargetRevision.objects.values_list("changed_at", flat=True)) == {moment}
