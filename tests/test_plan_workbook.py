"""The plan workbook (中程施政計畫工作簿): a department's plan out to a workbook laid out like the
document's tables, and back in — checked whole, previewed, loaded all or nothing."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from common.spreadsheets import reading, writing
from kpi import stored
from kpi.formulas import FORMULAS
from kpi.models import Indicator, StoredAssessment, TargetRevision, YearlyTarget
from kpi.plan_workbook import export, layout, reader
from kpi.services.plan_workbooks import plan_workbook_apply, plan_workbook_preview
from plans.models import Department, DepartmentPlan, Plan, StrategicObjective
from tests.conftest import HOME
from tests.plan_workbooks import edited, home_department_plan, new_department_plan, row_counts, snapshot, workbook_bytes


@pytest.fixture
def home_plan(seeded_plan) -> DepartmentPlan:
    return home_department_plan(seeded_plan)


@pytest.fixture
def empty_plan(seeded_plan) -> DepartmentPlan:
    return new_department_plan(seeded_plan)


def load(data: bytes, department_plan, name="plan.xlsx", **kwargs):
    workbook = reader.read(data, name, department_plan.plan)
    return plan_workbook_apply(department_plan=department_plan, workbook=workbook, **kwargs)


# --- The layout --------------------------------------------------------------------------------


def test_the_workbook_has_the_documents_tables_headings_and_plan_years(home_plan):
    book = load_workbook(io.BytesIO(workbook_bytes(home_plan)))
    assert book.sheetnames == ["使命及願景", "施政重點", "目標", "關鍵策略目標", "關鍵績效指標", "共同性指標"]
    kpis = book["關鍵績效指標"]
    header = [c.value for c in kpis[1]]
    assert header[:8] == [
        "序號",
        "關鍵策略目標",
        "編號",
        "關鍵績效指標",
        "評估體制",
        "評估方式",
        "衡量標準",
        "年度績效目標值",
    ]
    assert [c.value for c in kpis[2]][7:11] == [111, 112, 113, 114]  # the plan's years, under 年度績效目標值
    assert header[11:] == ["【系統】單位", "【系統】方向", "【系統】權重", "【系統】累計方式"]
    assert [c.value for c in kpis[3]][:11] == [
        1, "市港再生（業務成果）", 1, "完成港城丘地景管控規劃及機制", 1, "進度控管",
        "《基隆市國門廣場周邊地區城市景觀自治條例》發布實施。", 100, 100, 100, 100,
    ]  # fmt: skip
    assert kpis.max_row == 2 + 20
    common = book["共同性指標"]
    assert [c.value for c in common[1]][:7] == [
        "序號",
        "共同性目標",
        "編號",
        "共同性指標",
        "評估體制",
        "評估方式",
        "衡量標準",
    ]
    assert common["B3"].value == "節約政府支出，邁向財政收支平衡（財務管理）"
    assert common["Q1"].value == "【系統】計算公式"
    assert common["Q3"].value == FORMULAS["budget_surplus"].name
    objectives = book["關鍵策略目標"]
    assert [c.value for c in objectives[2]][:7] == [
        1, "市港再生", "業務成果", "繽紛·魅力",
        "創造市民有感亮點、打造吸引能創造魅力的專業人才移入之環境，打造海洋生活及風格、再現歷史風貌地景及建置都市人本友善環境。",
        1, "完成港城丘地景管控規劃及機制",
    ]  # fmt: skip
    assert book["使命及願景"]["A3"].value == "願景" and book["使命及願景"]["B3"].value == "首都圈國家海洋門戶"
    assert book["施政重點"]["A2"].value == "現有計畫執行成效檢討"
    assert book["施政重點"]["B2"].value.startswith("（一）市港再生執行成果\n1、")


def test_the_year_columns_follow_the_plan_never_111_to_114(seeded_plan):
    plan = Plan.objects.create(
        name="基隆市政府中程施政計畫",
        start_year=115,
        end_year=118,
        edition="草案",
        published_year=114,
        published_month=12,
    )
    book = load_workbook(io.BytesIO(writing.render("xlsx", export.sheets(plan, None))))
    assert [c.value for c in book["關鍵績效指標"][2]][7:11] == [115, 116, 117, 118]
    assert book.sheetnames[-1] == "填寫說明"


def test_the_empty_template_has_the_layout_and_no_rows(seeded_plan):
    for fmt in ("xlsx", "ods"):
        sheets = {
            s.title: s for s in reading.read_book(writing.render(fmt, export.sheets(seeded_plan, None)), f"t.{fmt}")
        }
        assert set(sheets) == {*layout.SHEETS, layout.SHEET_HELP}
        assert len(sheets["目標"].rows) == 1  # the header only
        assert len(sheets["關鍵績效指標"].rows) == 2  # the header and the row of years
        assert [r[1][0] for r in sheets["使命及願景"].rows[1:]] == ["使命", "願景", "願景說明"]
        assert "合併儲存格" in sheets["填寫說明"].rows[1][1][1]


# --- The round trip ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_round_trip_into_an_empty_department_gives_the_same_plan(home_plan, empty_plan, fmt):
    data = workbook_bytes(home_plan, fmt)
    result = load(data, empty_plan, name=f"plan.{fmt}")

    assert snapshot(empty_plan) == snapshot(home_plan)
    counts = result.counts()
    assert counts["objective"]["created"] == 6 and counts["indicator"]["created"] == 20
    assert counts["common_indicator"]["created"] == 3 and counts["target"]["created"] == 92
    assert counts["item"]["created"] == 20 and counts["goal"]["created"] == 3
    # Each new target is on its record, from a file import; the stored assessments are right.
    assert TargetRevision.objects.filter(target__indicator__department_plan=empty_plan, source="import").count() == 92
    assert StoredAssessment.objects.filter(indicator__department_plan=empty_plan).count() == 23 * 4
    assert stored.check(home_plan.plan) == []


def test_the_exported_plan_loaded_again_changes_nothing(home_plan, django_assert_max_num_queries):
    before = row_counts()
    workbook = reader.read(workbook_bytes(home_plan), "plan.xlsx", home_plan.plan)
    result = plan_workbook_preview(department_plan=home_plan, workbook=workbook)
    assert not result.has_changes and result.kept == []
    assert {e.status for e in result.entries()} == {"unchanged"}
    load(workbook_bytes(home_plan), home_plan)
    assert row_counts() == before


def test_the_preview_shows_the_goal_to_objective_links(home_plan, empty_plan):
    workbook = reader.read(workbook_bytes(home_plan), "plan.xlsx", home_plan.plan)
    result = plan_workbook_preview(department_plan=empty_plan, workbook=workbook)
    links = {g.entry.name: [o.entry.name for o in g.objectives] for g in result.goals}
    assert links == {
        "繽紛·魅力": ["市港再生", "創意城市"],
        "活力·共創": ["科創廊帶", "創新治理"],
        "韌性·智慧": ["韌性城市", "智慧城市"],
    }
    assert all(o.entry.values["goal_inferred"] for g in result.goals for o in g.objectives)
    assert row_counts()[1] == StrategicObjective.objects.count()  # a preview writes nothing
    assert not StrategicObjective.objects.filter(department_plan=empty_plan).exists()


def test_a_changed_workbook_shows_created_changed_and_unchanged_and_moves_a_goal_link(home_plan):
    def edit(book):
        for row in (7, 8, 9):  # 創意城市's rows: it now serves 活力·共創
            book["關鍵策略目標"][f"D{row}"] = "活力·共創"
        book["關鍵績效指標"]["H3"] = 90  # 1-1's target of 111
        book["關鍵績效指標"].append(
            [1, "市港再生（業務成果）", 6, "新增指標", 1, "統計數據", "次數。", 3, 3, 3, 3, "場"]
        )

    data = edited(workbook_bytes(home_plan), edit)
    workbook = reader.read(data, "plan.xlsx", home_plan.plan)
    with pytest.raises(layout.WorkbookRefused) as refused:
        plan_workbook_preview(department_plan=home_plan, workbook=workbook)
    assert [str(e) for e in refused.value.errors] == [
        "工作表『關鍵績效指標』第 3 列 H 欄：將 111 年目標值由 100 改為 90 須說明理由：請於上傳時填寫修改理由。"
    ]
    result = plan_workbook_preview(department_plan=home_plan, workbook=workbook, reason="配合預算調整")
    creative = next(o for o in result.objectives if o.entry.name == "創意城市")
    assert creative.goal_changed and creative.entry.changes[0].new == "活力·共創"
    counts = result.counts()
    assert counts["indicator"] == {"created": 1, "unchanged": 20}  # 1-1 itself is unchanged; one of its targets is not
    assert counts["target"]["changed"] == 1 and counts["target"]["created"] == 4
    load(data, home_plan, reason="配合預算調整")
    objective = StrategicObjective.objects.get(department_plan=home_plan, number=2)
    assert objective.goal.name == "活力·共創"
    target = YearlyTarget.objects.get(indicator__objective__department_plan=home_plan, indicator__objective__number=1,
                                      indicator__number=1, year=111)  # fmt: skip
    assert (target.value, target.original_value) == (Decimal(90), Decimal(100))
    assert target.revisions.last().reason == "配合預算調整"
    assert stored.check(home_plan.plan) == []


def test_targets_written_as_the_document_writes_them_are_read(home_plan, empty_plan):
    def edit(book):
        sheet = book["關鍵績效指標"]
        for row in range(3, sheet.max_row + 1):
            unit = sheet.cell(row, 12).value
            for column in range(8, 12):
                sheet.cell(row, column).value = f"{sheet.cell(row, column).value} {unit}"
            sheet.cell(row, 12).value = None  # the unit read off the targets, as the document gives it

    load(edited(workbook_bytes(home_plan), edit), empty_plan)
    assert snapshot(empty_plan)["indicators"] == snapshot(home_plan)["indicators"]


# --- Refusals: every cell named, nothing written ---------------------------------------------------


def _kpi(sheet_cell, value):
    def edit(book):
        book["關鍵績效指標"][sheet_cell] = value

    return edit


def _merge(book):
    book["關鍵績效指標"].merge_cells("A3:A7")


def _drop_114(book):
    book["關鍵績效指標"].delete_cols(11)


def _objective_without_kpi(book):
    book["關鍵績效指標"].delete_rows(20, 3)  # 6-1 … 6-3


def _unknown_goal(book):
    book["關鍵策略目標"]["D2"] = "海洋·永續"


def _second_row_goal(book):
    book["關鍵策略目標"]["D3"] = "活力·共創"  # 市港再生's second sub-item says another goal


def _missing_sheet(book):
    del book["目標"]


REFUSALS = {
    "merged cells": (_merge, "工作表『關鍵績效指標』第 3 列 A 欄：合併儲存格（A3:A7）"),
    "missing year column": (_drop_114, "工作表『關鍵績效指標』第 2 列 K 欄：缺少 114 年目標值欄"),
    "target not a number": (_kpi("H5", "約一百"), "工作表『關鍵績效指標』第 5 列 H 欄：「約一百」不是數字。"),
    "unit not allowed": (_kpi("L3", "公里"), "工作表『關鍵績效指標』第 3 列 L 欄：不明的單位「公里」"),
    "target in another unit": (_kpi("I3", "5 場"), "工作表『關鍵績效指標』第 3 列 I 欄：目標值以「場」表示"),
    "target the unit does not allow": (_kpi("J5", 1.5), "工作表『關鍵績效指標』第 5 列 J 欄："),
    "objective without KPI": (_objective_without_kpi, "工作表『關鍵策略目標』第 19 列 A 欄：關鍵策略目標「智慧城市」"),
    "code used twice": (_kpi("C4", 1), "工作表『關鍵績效指標』第 4 列 C 欄：「1-1」已用於第 3 列。"),
    "unknown objective": (_kpi("A3", 9), "工作表『關鍵績效指標』第 3 列 A 欄："),
    "objective name differs": (_kpi("B4", "港市再生"), "工作表『關鍵績效指標』第 4 列 B 欄："),
    "goal differs within an objective": (_second_row_goal, "工作表『關鍵策略目標』第 3 列 D 欄：序號 1 於其第一列"),
    "unknown goal": (_unknown_goal, "工作表『關鍵策略目標』第 2 列 D 欄：「目標」工作表沒有目標「海洋·永續」。"),
    "missing sheet": (_missing_sheet, "工作表『目標』："),
    "blank target": (_kpi("K6", None), "工作表『關鍵績效指標』第 6 列 K 欄："),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refused_workbook_names_the_cell_and_writes_nothing(home_plan, empty_plan, case):
    edit, expected = REFUSALS[case]
    data = edited(workbook_bytes(home_plan), edit)
    before = row_counts()
    with pytest.raises(layout.WorkbookRefused) as refused:
        load(data, empty_plan)
    messages = [str(e) for e in refused.value.errors]
    assert any(m.startswith(expected) for m in messages), messages
    assert row_counts() == before


def test_a_csv_or_broken_file_is_refused(home_plan, empty_plan):
    with pytest.raises(reading.FileError):
        reader.read(b"a,b\n1,2\n", "plan.csv", home_plan.plan)
    with pytest.raises(reading.FileError):
        reader.read(b"PK\x03\x04 not a zip", "plan.xlsx", home_plan.plan)


def test_a_name_a_kept_row_holds_is_refused(home_plan):
    def edit(book):
        book["目標"].delete_rows(4)  # goal 3 stays stored (kept) …
        book["目標"]["B3"] = "韌性·智慧"  # … while goal 2 would take its name
        for row in range(10, 16):  # 科創廊帶 and 創新治理 served 活力·共創, which is gone
            book["關鍵策略目標"][f"D{row}"] = None

    data = edited(workbook_bytes(home_plan), edit)
    with pytest.raises(layout.WorkbookRefused) as refused:
        load(data, home_plan, reason="x")
    assert str(refused.value.errors[0]).startswith("工作表『目標』第 3 列 B 欄：")


# --- Queries ------------------------------------------------------------------------------------------


def test_preview_and_load_take_a_fixed_number_of_queries(home_plan, empty_plan, django_assert_max_num_queries):
    workbook = reader.read(workbook_bytes(home_plan), "plan.xlsx", home_plan.plan)
    with django_assert_max_num_queries(6):
        plan_workbook_preview(department_plan=empty_plan, workbook=workbook)
    # 20 KPIs, 3 common indicators, 92 targets: created in bulk, the stored assessments refreshed once;
    # +2: the KPI pages' "all" version, moved by the department plan's save and by the bulk load.
    with django_assert_max_num_queries(32):
        plan_workbook_apply(department_plan=empty_plan, workbook=workbook)


def test_loading_twice_the_rows_takes_no_query_per_row(home_plan, empty_plan, seeded_plan):
    def more_kpis(book):
        for number in range(6, 26):
            book["關鍵績效指標"].append(
                [1, "市港再生（業務成果）", number, f"指標{number}", 1, "統計數據", "次數。", 2, 2, 2, 2, "場"]
            )

    department = Department.objects.create(name="擴充測試處")
    bigger_plan = DepartmentPlan.objects.create(
        plan=seeded_plan, department=department, toc_number=22, toc_label="貳拾貳"
    )
    counts = []
    for department_plan, data in (
        (empty_plan, workbook_bytes(home_plan)),
        (bigger_plan, edited(workbook_bytes(home_plan), more_kpis)),
    ):
        workbook = reader.read(data, "plan.xlsx", home_plan.plan)
        with CaptureQueriesContext(connection) as queries:
            plan_workbook_apply(department_plan=department_plan, workbook=workbook)
        counts.append(len(queries))
    assert Indicator.objects.filter(department_plan=bigger_plan).count() == 43
    # 20 more KPIs and 80 more targets: no query per row. SQLite splits a bulk insert at 999
    # variables, so a few more batches there (none on PostgreSQL).
    assert counts[1] - counts[0] <= 4, counts


# --- The commands -------------------------------------------------------------------------------------


def test_export_and_import_commands_round_trip(home_plan, empty_plan, tmp_path, capsys):
    path = tmp_path / "都市發展處.ods"
    call_command("export_plan", "--department", HOME, "--plan", "111-114", str(path))
    assert path.read_bytes().startswith(b"PK")

    before = row_counts()
    call_command("import_plan", str(path), "--department", "測試發展處", "--plan", "111-114", "--dry-run")
    out = capsys.readouterr().out
    assert row_counts() == before
    assert "關鍵績效指標：新增 20、修改 0、未變更 0" in out
    assert "目標 繽紛·魅力 → 關鍵策略目標 1 市港再生" in out

    call_command("import_plan", str(path), "--department", "測試發展處", "--plan", "111-114")
    assert snapshot(empty_plan) == snapshot(home_plan)


def test_import_command_prints_the_cells_and_fails(home_plan, empty_plan, tmp_path, capsys):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(edited(workbook_bytes(home_plan), _kpi("H5", "約一百")))
    before = row_counts()
    with pytest.raises(CommandError):
        call_command("import_plan", str(path), "--department", "測試發展處", "--plan", "111-114")
    assert "工作表『關鍵績效指標』第 5 列 H 欄：「約一百」不是數字。" in capsys.readouterr().err
    assert row_counts() == before


@pytest.mark.parametrize(
    "args",
    [
        ["--department", "無此處", "--plan", "111-114"],
        ["--department", HOME, "--plan", "115-118"],
        ["--department", HOME, "--plan", "一一一"],
    ],
)
def test_export_command_refuses_an_unknown_department_or_plan(seeded_plan, tmp_path, args):
    with pytest.raises(CommandError):
        call_command("export_plan", *args, str(tmp_path / "x.xlsx"))
