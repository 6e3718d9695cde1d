"""Bulk import of progress reports (kpi.importers, kpi:report_import, manage.py import_reports).

A file is imported whole or not at all: any bad row rejects it, with an error per row
(numbered as the spreadsheet shows them, the header being row 1), and nothing is
written. Good files go through `services.reports_write` (report_save's rules, in bulk), so
the record shows them.
"""

import csv
import datetime
import io
from decimal import Decimal

import pytest
import tablib
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from common.spreadsheets import reading, writing
from kpi import importers, services
from kpi.models import Indicator, Notification, ProgressReport, ReportAction, ReportEvent
from kpi.models import ReportStatus as S
from tests.factories import UserFactory, department_plan_with_kpis, kpi_by_code, quarters

HOME = "都市發展處"
OTHER = "民政處"
NARRATIVE = "本季依進度辦理，相關會議均已如期召開。"
URL = "/reports/import/"


@pytest.fixture(autouse=True)
def today(settings):
    settings.KPI_TODAY = datetime.date(2025, 4, 10)  # ROC 114, 114Q1 open and due on 4/15


# --- building files ----------------------------------------------------------------


def home_indicators():
    return sorted(
        Indicator.objects.filter(department_plan__department__name=HOME)
        .select_related("objective", "common_goal")
        .prefetch_related("targets"),
        key=lambda i: (i.kind != "kpi", i.parent.number, i.number),
    )


GOOD_INPUTS = {
    "budget_surplus": {"預算數": 1000000, "實支數": 900000, "保留數": 50000},  # 5%, target 2%
    "contract_staff_growth": {"上年度約聘僱員額": 10, "本年度約聘僱員額": 10},  # 0%, target 0%
    "learning_hours_ratio": {"完成學習時數人數": 45, "現有公務人員人數": 50},  # 90%, target 80%
}


def by_code():
    return {i.code: i for i in home_indicators()}


def good_row(indicator, *, year=114, period=1, narrative=NARRATIVE, **extra):
    """A row on target for the whole year, so it is green for any period."""
    row = {"機關": HOME, "編號": indicator.code, "指標名稱": indicator.name, "單位": indicator.unit}
    row.update({"年度": year, "期別": period, "達成情形說明": narrative})
    if indicator.formula:
        row.update(GOOD_INPUTS[indicator.formula])
    else:
        target = next(t.value for t in indicator.targets.all() if t.year == year)
        row["累計實績"] = int(target) if target == target.to_integral_value() else target
    row.update(extra)
    return row


def code_row(code, **fields):
    row = {"機關": HOME, "編號": code, "年度": 114, "期別": 1}
    row.update(fields)
    return row


def as_file(rows, fmt="csv", *, bom=True, headers=importers.COLUMNS, blank_after=None):
    """The rows as the bytes of a file, with the template's columns; `blank_after` inserts a blank row."""
    table = [list(headers)]
    for index, row in enumerate(rows):
        table.append([row.get(h, "") for h in headers])
        if blank_after is not None and index == blank_after:
            table.append([""] * len(headers))
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows(table)
        return buffer.getvalue().encode("utf-8-sig" if bom else "utf-8"), "reports.csv"
    if fmt == "xlsx":
        book = Workbook()
        sheet = book.active
        for line in table:
            sheet.append([None if v == "" else v for v in line])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue(), "reports.xlsx"
    data = tablib.Dataset(headers=table[0])
    for line in table[1:]:
        data.append([None if v == "" else v for v in line])
    return data.export("ods"), "reports.ods"


def run(rows, user, *, submit=False, dry_run=False, **file_kwargs):
    data, name = as_file(rows, **file_kwargs)
    return importers.import_reports(data, name, user=user, submit=submit, dry_run=dry_run)


def counts():
    return ProgressReport.objects.count(), ReportEvent.objects.count()


def errors_of(result):
    return {row.number: [str(e) for e in row.errors] for row in result.error_rows}


# --- a good file, then a resubmission -------------------------------------------------


def test_all_23_indicators_of_the_department_import_as_drafts(staff, periods):
    indicators = home_indicators()
    assert len(indicators) == 23

    result = run([good_row(i) for i in indicators], staff)

    assert result.ok and result.applied, errors_of(result)
    assert (result.created, result.updated, result.submitted, result.skipped) == (23, 0, 0, 0)
    reports = ProgressReport.objects.filter(period=periods["114Q1"]).select_related("indicator")
    assert reports.count() == 23
    assert {r.status for r in reports} == {S.DRAFT}
    assert {r.created_by for r in reports} == {staff}
    assert ReportEvent.objects.filter(action=ReportAction.CREATED, actor=staff).count() == 23
    kpi_1_5 = reports.get(indicator=kpi_by_code("1-5"))
    assert kpi_1_5.actual == Decimal(5) and kpi_1_5.narrative == NARRATIVE
    # Common indicators: the inputs are kept and the value computed, as on the form.
    surplus = reports.get(indicator=kpi_by_code("共1-1"))
    assert surplus.inputs == {"budget": "1000000", "spent": "900000", "reserved": "50000"}
    assert surplus.actual == Decimal("5.0000")
    assert reports.get(indicator=kpi_by_code("共2-1")).actual == Decimal(0)
    assert reports.get(indicator=kpi_by_code("共3-1")).actual == Decimal(90)


def test_a_resubmission_updates_the_drafts_and_submits_them(staff, periods):
    indicators = home_indicators()
    run([good_row(i) for i in indicators], staff)
    before = {r.indicator_id: r.version for r in ProgressReport.objects.all()}

    result = run([good_row(i, narrative="第二版說明：進度符合預期。") for i in indicators], staff, submit=True)

    assert result.ok and result.applied, errors_of(result)
    assert (result.created, result.updated, result.unchanged, result.submitted) == (0, 23, 0, 23)
    reports = list(ProgressReport.objects.all())
    assert len(reports) == 23
    assert {r.status for r in reports} == {S.SUBMITTED}
    assert {r.submitted_by for r in reports} == {staff}
    assert {r.narrative for r in reports} == {"第二版說明：進度符合預期。"}
    assert all(r.version == before[r.indicator_id] + 2 for r in reports)  # edited, then submitted
    assert ReportEvent.objects.filter(action=ReportAction.EDITED).count() == 23
    assert ReportEvent.objects.filter(action=ReportAction.SUBMITTED).count() == 23


def test_an_unchanged_draft_is_left_alone_and_a_returned_report_is_resubmitted(staff, supervisor, periods):
    period = periods["114Q1"]
    ind_a, ind_b = kpi_by_code("1-5"), kpi_by_code("4-2")
    draft = services.report_save(indicator=ind_a, period=period, user=staff, actual="5", narrative=NARRATIVE)
    sent = services.report_save(indicator=ind_b, period=period, user=staff, actual="1", narrative="x", submit=True)
    services.report_return(report=sent, user=supervisor, comment="請補充場次說明。")
    rows = [good_row(ind) for ind in home_indicators() if ind.code in ("1-5", "4-2")]

    result = run(rows, staff)  # drafts: 1-5 is the same, 4-2 changes

    assert result.ok and result.applied, errors_of(result)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    draft.refresh_from_db()
    assert draft.version == 1  # nothing changed, nothing recorded
    assert ReportEvent.objects.filter(report=draft).count() == 1

    result = run(rows, staff, submit=True)

    assert result.ok, errors_of(result)
    returned = ProgressReport.objects.get(indicator=ind_b, period=period)
    assert returned.status == S.SUBMITTED
    assert ReportEvent.objects.filter(report=returned, action=ReportAction.RESUBMITTED).exists()


# --- bad rows: the whole file is rejected ---------------------------------------------


def _submitted(staff, periods, code="2-1"):
    services.report_save(
        indicator=kpi_by_code(code), period=periods["114Q1"], user=staff, actual="5", narrative="x", submit=True
    )


def _approved(staff, periods, code="2-1"):
    report = services.report_save(
        indicator=kpi_by_code(code), period=periods["114Q1"], user=staff, actual="5", narrative="x", submit=True
    )
    reviewer = UserFactory(reviewer_of=[report.indicator.department_plan.department])
    services.report_approve(report=report, user=reviewer)


def _lock(staff, periods):
    services.period_lock(period=periods["114Q2"], user=UserFactory(planning_office=True))


BAD_ROWS = {
    "unknown department": (code_row("2-1", 機關="不存在處", 累計實績=1), "機關：找不到機關「不存在處」", None),
    "unknown code": (code_row("9-9", 累計實績=1), "編號：都市發展處沒有編號「9-9」的指標", None),
    "not a code": (code_row("第一項", 累計實績=1), "編號：「第一項」不是指標編號", None),
    "gregorian year": (
        code_row("2-1", 年度=2025, 累計實績=1),
        "年度：「2025」是西元年；年度請填民國年（西元 2025 年即民國 114 年）",
        None,
    ),
    "year outside the plan": (
        code_row("2-1", 年度=110, 累計實績=1),
        "年度：民國110年不在都市發展處的計畫期間（111–114）內",
        None,
    ),
    "unknown period": (code_row("2-1", 期別=5, 累計實績=1), "期別：期別「5」不存在：民國114年的期別為 1–4（季）", None),
    "locked period": (code_row("2-1", 期別=2, 累計實績=1), "期別：民國114年第2季已鎖定", _lock),
    "not permitted": (code_row("1-1", 機關=OTHER, 累計實績=1), "你沒有填報「民政處」指標的權限", None),
    "already submitted": (code_row("2-1", 累計實績=1), "2-1（民國114年第1季）的填報目前為「", _submitted),
    "already approved": (
        code_row("2-1", 累計實績=1),
        "」，不能再修改；已送出或已核定的填報須由審核人退回後才能修改",
        _approved,
    ),
    "not a number": (code_row("2-1", 累計實績="三場"), "累計實績：「三場」不是數字", None),
    "fractional sessions": (code_row("2-1", 累計實績=2.5), "累計實績：以「場」計的實績必須是大於或等於 0 的整數", None),
    "deliverable above 1": (code_row("1-3", 累計實績=2), "累計實績：", None),
    "name does not match the code": (
        code_row("2-1", 指標名稱="完全不同的指標", 累計實績=1),
        "指標名稱：編號 2-1 是",
        None,
    ),
    "figure for a common indicator": (
        code_row("共1-1", 累計實績=5, 預算數=100, 實支數=90, 保留數=0),
        "累計實績：共同性指標的實績由公式計算",
        None,
    ),
    "formula input for a KPI": (code_row("2-1", 累計實績=1, 預算數=100), "預算數：此欄只用於共同性指標", None),
    "input of another formula": (
        code_row("共3-1", 完成學習時數人數=4, 現有公務人員人數=5, 預算數=1),
        "預算數：此欄不屬於",
        None,
    ),
    "formula input not a number": (
        code_row("共3-1", 完成學習時數人數="四十", 現有公務人員人數=50),
        "完成學習時數人數：完成學習時數人數必須是數字",
        None,
    ),
    "formula inputs inconsistent": (
        code_row("共1-1", 預算數=100, 實支數=90, 保留數=20),
        "實支數：決算數（實支數＋保留數）大於預算數",
        None,
    ),
}


@pytest.mark.parametrize("kind", BAD_ROWS)
def test_a_bad_row_rejects_the_whole_file(kind, staff, periods):
    bad, message, arrange = BAD_ROWS[kind]
    if arrange:
        arrange(staff, periods)
    good = good_row(by_code()["1-5"])  # 1-5, on target
    before = counts()

    result = run([good, bad], staff)

    assert not result.ok and not result.applied
    errors = errors_of(result)
    assert list(errors) == [3], errors  # the header is row 1, the good row 2, the bad row 3
    assert any(message in e for e in errors[3]), errors[3]
    assert counts() == before
    assert not ProgressReport.objects.filter(indicator=kpi_by_code("1-5")).exists()


SUBMIT_ERRORS = {
    "no narrative": (dict(達成情形說明=""), "達成情形說明：送出前請填寫達成情形說明"),
    "no figure": (dict(累計實績=""), "累計實績：請填寫累計實績"),
    "behind without a reason": (dict(累計實績=0), "未達成原因：進度落後（黃燈或紅燈）時必須填寫未達成原因"),
    "behind without measures": (
        dict(累計實績=0, 未達成原因="颱風延誤"),
        "改善措施：進度落後（黃燈或紅燈）時必須填寫改善措施",
    ),
    "missing formula input": (None, "現有公務人員人數：請填寫現有公務人員人數"),
}


@pytest.mark.parametrize("kind", SUBMIT_ERRORS)
def test_submitting_needs_a_complete_row(kind, staff, periods):
    changes, message = SUBMIT_ERRORS[kind]
    codes = by_code()
    if changes is None:
        bad = good_row(codes["共3-1"], 現有公務人員人數="")
    else:
        bad = good_row(codes["2-1"], **changes)
    before = counts()

    result = run([good_row(codes["1-5"]), bad], staff, submit=True)

    assert not result.ok and not result.applied
    assert any(message in e for e in errors_of(result)[3]), errors_of(result)
    assert counts() == before


def test_the_same_row_as_a_draft_is_fine(staff, periods):
    """Drafts may be incomplete: what submitting needs is not asked of a draft."""
    codes = by_code()
    result = run(
        [good_row(codes["2-1"], 累計實績=0, 達成情形說明=""), good_row(codes["共3-1"], 現有公務人員人數="")], staff
    )

    assert result.ok and result.applied, errors_of(result)
    assert ProgressReport.objects.get(indicator=codes["共3-1"]).inputs == {"completed_staff": "45", "current_staff": ""}


def test_a_duplicate_row_is_an_error_naming_the_first(staff, periods):
    row = good_row(by_code()["1-5"])
    before = counts()

    result = run([row, good_row(home_indicators()[0]), dict(row, 期別="第1季")], staff)

    assert errors_of(result) == {4: ["與第 2 列重複：1-5（民國114年第1季）在同一個檔案中只能出現一次。"]}
    assert counts() == before


def test_every_error_of_every_row_is_listed(staff, periods):
    rows = [
        code_row("2-1", 累計實績=1),
        code_row("9-9", 年度=2025, 期別=7, 累計實績=1),
        code_row("2-1", 機關="不存在處", 累計實績=1),
        code_row("1-3", 累計實績=3, 達成情形說明="x" * 5001),
    ]
    result = run(rows, staff)

    errors = errors_of(result)
    assert list(errors) == [3, 4, 5]
    assert len(errors[3]) == 1  # the Gregorian year: the code and period are looked up in that year's plan
    assert len(errors[5]) == 2  # 式 above 1, and a narrative over 5000 characters
    assert result.error_count == 4


def test_a_report_changed_between_the_check_and_the_save_rolls_everything_back(staff, periods):
    """The check reads the report's version; report_save refuses a stale one (a ConflictError)."""
    codes = by_code()
    period = periods["114Q1"]
    services.report_save(indicator=codes["2-1"], period=period, user=staff, actual="1")
    data, name = as_file([good_row(codes["1-5"]), good_row(codes["2-1"])])
    result = importers.check(
        reading.read_sheet(data, name, required=importers.REQUIRED_COLUMNS), user=staff, submit=False
    )
    assert result.ok
    colleague = UserFactory(reporter_of=[codes["2-1"].department_plan.department], first_name="陳同仁")
    services.report_save(indicator=codes["2-1"], period=period, user=colleague, actual="2", expected_version=1)
    before = counts()

    importers.apply(result, user=staff)

    assert not result.applied
    assert "已由 陳同仁 更新（第 2 版）" in errors_of(result)[3][0]
    assert counts() == before
    assert not ProgressReport.objects.filter(indicator=codes["1-5"]).exists()


def checked(rows, user, *, submit=False):
    data, name = as_file(rows)
    result = importers.check(
        reading.read_sheet(data, name, required=importers.REQUIRED_COLUMNS), user=user, submit=submit
    )
    assert result.ok, errors_of(result)
    return result


def test_a_period_locked_between_the_check_and_the_save_rolls_everything_back(staff, periods):
    codes = by_code()
    result = checked([good_row(codes["1-5"]), good_row(codes["2-1"], period=2)], staff)
    services.period_lock(period=periods["114Q2"], user=UserFactory(planning_office=True))
    before = counts()

    importers.apply(result, user=staff)

    assert not result.applied
    assert errors_of(result) == {3: ["民國114年第2季已鎖定，不能再修改。如需更正，請洽研考人員解除鎖定。"]}
    assert counts() == before
    assert all(row.report is None for row in result.rows)


def test_a_reporter_removed_between_the_check_and_the_save_is_refused_on_every_row(staff, periods):
    from plans.models import Membership

    codes = by_code()
    result = checked([good_row(codes["1-5"]), good_row(codes["2-1"])], staff)
    Membership.objects.filter(user=staff).delete()
    staff = type(staff).objects.get(pk=staff.pk)  # no cached memberships
    before = counts()

    importers.apply(result, user=staff)

    assert not result.applied
    assert errors_of(result) == {n: ["機關：你沒有填報此指標的權限。"] for n in (2, 3)}
    assert counts() == before


def test_every_row_is_on_its_reports_record(staff, periods):
    codes = by_code()
    rows = [good_row(codes[c]) for c in ("1-5", "2-1", "共1-1")]
    run(rows, staff)
    rows[1] = good_row(codes["2-1"], narrative="第二版說明。")

    result = run(rows, staff, submit=True)

    assert result.applied and (result.updated, result.unchanged) == (1, 2)
    record = {
        (e.report.indicator.code, e.action): e.changes
        for e in ReportEvent.objects.select_related("report__indicator").filter(actor=staff)
    }
    assert record[("1-5", ReportAction.CREATED)] == {"actual": [None, "5"], "narrative": ["", NARRATIVE]}
    assert record[("共1-1", ReportAction.CREATED)]["inputs"][1] == {
        "budget": "1000000",
        "spent": "900000",
        "reserved": "50000",
    }
    assert record[("2-1", ReportAction.EDITED)] == {"narrative": [NARRATIVE, "第二版說明。"]}
    for code in ("1-5", "2-1", "共1-1"):
        assert record[(code, ReportAction.SUBMITTED)] == {"status": [S.DRAFT, S.SUBMITTED]}
    assert len(record) == 7


# --- permissions ---------------------------------------------------------------------


def test_staff_of_another_department_get_an_error_on_every_row(other_staff, periods):
    indicators = home_indicators()
    before = counts()

    result = run([good_row(i) for i in indicators[:3]], other_staff)

    assert not result.applied
    assert errors_of(result) == {
        n: ["機關：你沒有填報「都市發展處」指標的權限：只有該機關的填報人可以填報。"] for n in (2, 3, 4)
    }
    assert counts() == before


def test_the_page_asks_anonymous_visitors_to_sign_in(client, seeded_plan):
    for url in (URL, reverse("kpi:report_import_template")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ["supervisor", "planner", "admin"])
def test_people_who_cannot_report_may_not_import(who, client, cast, periods):
    client.force_login(cast[who])
    assert client.get(URL).status_code == 403
    assert client.get(reverse("kpi:report_import_template")).status_code == 403
    data, name = as_file([good_row(home_indicators()[0])])
    assert client.post(URL, {"file": SimpleUploadedFile(name, data), "mode": "draft"}).status_code == 403
    assert ProgressReport.objects.count() == 0


# --- file formats ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt,bom", [("csv", True), ("csv", False), ("xlsx", False), ("ods", False)])
def test_csv_with_or_without_bom_xlsx_and_ods_all_work(fmt, bom, staff, periods):
    indicators = home_indicators()

    result = run([good_row(i) for i in indicators], staff, fmt=fmt, bom=bom)

    assert result.ok and result.applied, errors_of(result)
    assert result.created == 23
    assert ProgressReport.objects.get(indicator=kpi_by_code("共1-1")).actual == Decimal("5.0000")
    assert ProgressReport.objects.get(indicator=kpi_by_code("1-3")).actual == Decimal(1)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods"])
def test_row_numbers_count_blank_rows_as_the_spreadsheet_does(fmt, staff, periods):
    rows = [good_row(home_indicators()[0]), code_row("9-9", 累計實績=1)]

    result = run(rows, staff, fmt=fmt, blank_after=0)

    assert list(errors_of(result)) == [4]  # header 1, good row 2, blank row 3, bad row 4


def test_a_big5_csv_from_excel_is_read(staff, periods):
    data, _ = as_file([good_row(home_indicators()[4])], bom=False)
    result = importers.import_reports(data.decode("utf-8").encode("cp950"), "big5.csv", user=staff)

    assert result.ok and result.applied, errors_of(result) or result.file_errors


def test_excel_percentages_and_rounding_are_read_as_people_see_them(staff, periods):
    """A cell formatted as % holds 0.85; floats keep their shortest form. (A code Excel made a date is
    refused: tests/test_excel_clients.py.)"""
    book = Workbook()
    sheet = book.active
    sheet.append(list(importers.COLUMNS))
    codes = by_code()
    rows = [
        ("6-1", 0.85, "0%"),  # 85%
        ("1-3", 0.5, "0%"),  # a 式 deliverable shown as 50%: the fraction 0.5
        ("2-1", 3.0, "General"),
    ]
    for code, value, number_format in rows:
        line = [HOME, code, codes[code].name, "", 114, 1, value] + [None] * 7 + [NARRATIVE, None, None]
        sheet.append(line)
        sheet.cell(row=sheet.max_row, column=7).number_format = number_format
    sheet.append([HOME, "1-5", codes["1-5"].name, "", 114.0, 1, 2] + [None] * 10)
    out = io.BytesIO()
    book.save(out)

    result = importers.import_reports(out.getvalue(), "excel.xlsx", user=staff)

    assert result.ok, errors_of(result)
    actual = {r.indicator.code: r.actual for r in ProgressReport.objects.select_related("indicator__objective")}
    assert actual == {"6-1": Decimal(85), "1-3": Decimal("0.5"), "2-1": Decimal(3), "1-5": Decimal(2)}


@pytest.mark.parametrize(
    "data,name,message",
    [
        (b"whatever", "reports.xls", "不接受「.xls」檔案；請上傳 xlsx、ods 或 csv 檔（Excel 的 .xls 請另存為 .xlsx）"),
        (b"", "reports.csv", "檔案是空的"),
        (b"not a zip", "reports.xlsx", "無法讀取 xlsx 檔"),
        (b"PK\x03\x04broken", "reports.ods", "無法讀取 ods 檔"),
        ('機關,編號,年度,期別\n"都市發展處,1-5\n'.encode(), "reports.csv", "無法讀取"),
        ("機關,編號,累計實績\n都市發展處,1-5,3\n".encode(), "reports.csv", "檔案缺少必要欄位：年度、期別"),
        ("機關,編號,年度,期別,年度\n".encode(), "reports.csv", "欄位「年度」出現兩次"),
        ("機關,編號,年度,期別,累計實績\n".encode(), "reports.csv", "沒有資料列"),
        ("機關,編號,年度,期別,累計實績\n都市發展處,1-5,114,1,\n".encode(), "reports.csv", "沒有可匯入的資料"),
    ],
)
def test_a_file_that_cannot_be_used_is_rejected_with_a_message(data, name, message, staff, periods):
    result = importers.import_reports(data, name, user=staff)

    assert not result.ok and not result.applied
    assert any(message in m for m in result.file_errors), result.file_errors
    assert counts() == (0, 0)


def test_files_with_too_many_rows_are_refused(staff, periods, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    row = good_row(home_indicators()[0])

    result = run([row] * 4, staff)

    assert result.file_errors == ["檔案超過 3 列資料的上限；請分批匯入。"]


def test_rows_without_figures_are_skipped(staff, periods):
    indicators = home_indicators()
    rows = [good_row(indicators[0])] + [code_row(i.code) for i in indicators[1:]]

    result = run(rows, staff)

    assert result.ok and result.applied
    assert (result.created, result.skipped) == (1, 22)


def test_headers_may_carry_notes_and_spaces(staff, periods):
    headers = [f" {h}（說明） " if h == "累計實績" else h for h in importers.COLUMNS]
    row = good_row(home_indicators()[4])
    row[" 累計實績（說明） "] = row.pop("累計實績")

    result = run([row], staff, headers=headers)

    assert result.ok and result.applied, errors_of(result) or result.file_errors


# --- the page ------------------------------------------------------------------------


def upload(client, rows, *, mode="draft", check_only=False, fmt="csv"):
    data, name = as_file(rows, fmt=fmt)
    payload = {"file": SimpleUploadedFile(name, data), "mode": mode}
    if check_only:
        payload["check_only"] = "on"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the msgids, whatever locale/ holds
    return client.post(URL, payload)


def test_the_page_shows_the_form_and_the_template_choices(client, staff, periods):
    client.force_login(staff)
    response = client.get(URL)

    assert response.status_code == 200
    body = response.content.decode()
    assert 'type="file" name="file" id="id_file"' in body and '<label for="id_file">' in body
    assert 'name="mode" value="draft" id="id_mode_0" aria-describedby="mode-help-draft" checked>' in body
    assert 'name="mode" value="submit" id="id_mode_1" aria-describedby="mode-help-submit">' in body
    assert reverse("kpi:report_import_template") in body
    assert f'<option value="{periods["114Q1"].pk}" selected>民國114年第1季</option>' in body
    assert "<script>" not in body and "onclick" not in body


def test_uploading_a_good_file_imports_it_and_says_what_happened(client, staff, periods):
    client.force_login(staff)

    response = upload(client, [good_row(i) for i in home_indicators()], mode="submit")

    assert response.status_code == 200
    result = response.context["result"]
    assert result.applied and result.created == 23 and result.submitted == 23
    body = response.content.decode()
    assert "reports.csv was imported" in body
    assert reverse("kpi:detail", args=[kpi_by_code("1-5").pk]) in body
    assert ProgressReport.objects.filter(status=S.SUBMITTED).count() == 23


def test_uploading_a_bad_file_lists_the_errors_by_row_and_saves_nothing(client, staff, periods):
    client.force_login(staff)
    rows = [good_row(home_indicators()[0]), code_row("9-9", 累計實績=1), code_row("2-1", 年度=2025, 累計實績=1)]

    response = upload(client, rows)

    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="row-3"' in body and 'id="row-4"' in body and 'id="row-2"' not in body
    # The page is in English (upload() sets the language): so are the row errors.
    assert "都市發展處 has no indicator with the code “9-9”." in body
    assert "“2025” is a Gregorian year" in body
    assert "Nothing was saved: 2 rows of reports.csv have errors." in body
    assert counts() == (0, 0)


def test_check_only_writes_nothing(client, staff, periods):
    client.force_login(staff)

    response = upload(client, [good_row(i) for i in home_indicators()], check_only=True)

    assert response.status_code == 200
    assert response.context["result"].created == 23
    assert "has no errors; nothing was saved (check only)" in response.content.decode()
    assert counts() == (0, 0)


def test_a_file_of_the_wrong_type_is_refused_by_the_form(client, staff, periods):
    client.force_login(staff)
    response = client.post(URL, {"file": SimpleUploadedFile("reports.pdf", b"%PDF-1.4"), "mode": "draft"})

    assert response.status_code == 400
    assert "不接受「.pdf」檔案" in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()


# --- the template --------------------------------------------------------------------


def test_the_template_lists_the_users_indicators_with_drafts_filled_in(client, staff, periods):
    client.force_login(staff)
    period = periods["114Q1"]
    services.report_save(indicator=kpi_by_code("1-5"), period=period, user=staff, actual="2", narrative="草稿")
    _submitted(staff, periods, "2-1")

    response = client.get(reverse("kpi:report_import_template"), {"period": period.pk, "format": "xlsx"})

    assert response.status_code == 200
    assert "report-import-114Q1.xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(importers.COLUMNS)
    lines = {r[1]: r for r in rows[1:]}
    assert len(lines) == 22  # 23 indicators, less 2-1 which is submitted
    assert "2-1" not in lines
    assert lines["1-5"][:7] == (HOME, "1-5", kpi_by_code("1-5").name, "場", 114, 1, 2)
    assert lines["1-5"][14] == "草稿"


def test_a_filled_in_template_imports(client, staff, periods):
    client.force_login(staff)
    period = periods["114Q1"]
    response = client.get(reverse("kpi:report_import_template"), {"period": period.pk, "format": "csv"})
    assert response.content.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, rows = lines[0], lines[1:]
    assert len(rows) == 23
    codes = by_code()
    filled = []
    for line in rows:
        row = dict(zip(header, line, strict=True))
        assert row["編號"].startswith('="')  # Excel keeps ="1-5" as text; the import reads it as 1-5
        code = writing.csv_text_read(row["編號"])
        row.update({k: v for k, v in good_row(codes[code]).items() if k not in ("年度", "期別", "編號")})
        filled.append(row)

    response = upload(client, filled)

    assert response.status_code == 200, response.context["result"].file_errors or errors_of(response.context["result"])
    assert ProgressReport.objects.filter(period=period).count() == 23


@pytest.mark.parametrize("fmt", ["xlsx", "ods", "csv"])
def test_a_template_uploaded_unchanged_changes_nothing(fmt, client, staff, periods):
    client.force_login(staff)
    period = periods["114Q1"]
    draft = services.report_save(
        indicator=kpi_by_code("共1-1"),
        period=period,
        user=staff,
        inputs={"budget": "1000", "spent": "900.5", "reserved": "0"},
        narrative="草稿",
    )
    response = client.get(reverse("kpi:report_import_template"), {"period": period.pk, "format": fmt})

    result = importers.import_reports(response.content, f"template.{fmt}", user=staff)

    assert result.ok and result.applied, errors_of(result) or result.file_errors
    assert (result.created, result.updated, result.unchanged, result.skipped) == (0, 0, 1, 22)
    draft.refresh_from_db()
    assert draft.version == 1 and draft.inputs == {"budget": "1000", "spent": "900.5", "reserved": "0"}


def test_the_template_of_a_locked_period_is_not_offered(client, staff, periods):
    client.force_login(staff)
    _lock(staff, periods)
    response = client.get(reverse("kpi:report_import_template"), {"period": periods["114Q2"].pk})
    assert response.status_code == 404


# --- the management command ------------------------------------------------------------


def write(tmp_path, rows, fmt="csv"):
    data, name = as_file(rows, fmt=fmt)
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_the_command_imports_and_its_dry_run_writes_nothing(staff, periods, tmp_path, capsys):
    path = write(tmp_path, [good_row(i) for i in home_indicators()], fmt="xlsx")

    call_command("import_reports", path, "--user", "staff", "--dry-run")
    assert "檢查無誤（僅檢查，未寫入任何資料）：將新增 23 筆" in capsys.readouterr().out
    assert counts() == (0, 0)

    call_command("import_reports", path, "--user", "staff", "--submit")
    assert "已匯入 reports.xlsx：新增 23 筆、更新 0 筆、未變更 0 筆、送出審核 23 筆" in capsys.readouterr().out
    assert ProgressReport.objects.filter(status=S.SUBMITTED).count() == 23


def test_the_command_prints_every_error_and_fails(staff, periods, tmp_path, capsys):
    path = write(tmp_path, [good_row(home_indicators()[0]), code_row("9-9", 累計實績=1)])

    with pytest.raises(CommandError, match="有 1 個錯誤，未匯入任何資料"):
        call_command("import_reports", path, "--user", "staff")
    assert "第 3 列：編號：都市發展處沒有編號「9-9」的指標。" in capsys.readouterr().err
    assert counts() == (0, 0)

    with pytest.raises(CommandError, match="找不到使用者"):
        call_command("import_reports", path, "--user", "nobody")


# --- cost ------------------------------------------------------------------------------


def synthetic_rows(department_plan, indicators, periods_list, **extra):
    return [
        {
            "機關": department_plan.department.name,
            "編號": i.code,
            "年度": p.year,
            "期別": p.number,
            "累計實績": p.number,
            "達成情形說明": NARRATIVE,
            **extra,
        }
        for p in periods_list
        for i in indicators
    ]


def synthetic(objectives, kpis):
    dp = department_plan_with_kpis(objectives=objectives, kpis=kpis)
    reporter = UserFactory(reporter_of=[dp.department])
    indicators = list(Indicator.objects.filter(department_plan=dp).select_related("objective"))
    return dp, reporter, indicators, quarters(dp.plan, 114)


def measure(rows, user, *, dry_run, submit=False):
    data, name = as_file(rows)
    fresh = type(user).objects.get(pk=user.pk)  # no cached memberships
    with CaptureQueriesContext(connection) as queries:
        result = importers.import_reports(data, name, user=fresh, dry_run=dry_run, submit=submit)
    assert result.ok, errors_of(result) or result.file_errors
    assert result.applied != dry_run
    return len(queries.captured_queries)


def statements(count: int, fields: int) -> int:
    """How many statements Django splits a bulk write of `count` rows of `fields` values into:
    one on PostgreSQL; on SQLite as many as its 999 parameters a statement require."""
    size = connection.ops.bulk_batch_size([None] * fields, [None] * count)
    return -(-count // size)


def inserts(model, count: int) -> int:
    return statements(count, len([f for f in model._meta.concrete_fields if not f.primary_key]))


def test_the_import_costs_the_same_queries_for_10_rows_as_for_50(db, seeded_plan):
    """Checked and written in bulk: the rows add no queries (on SQLite, only the statements a
    bulk write must be split into for its parameter limit)."""
    dp, reporter, indicators, periods_list = synthetic(objectives=6, kpis=10)  # 60 KPIs
    UserFactory(reviewer_of=[dp.department])  # told of the submissions
    small, large = indicators[:10], indicators[10:]
    q1 = periods_list[:1]

    check_small = measure(synthetic_rows(dp, small, q1), reporter, dry_run=True)
    check_large = measure(synthetic_rows(dp, large, q1), reporter, dry_run=True)
    assert check_small == check_large <= 8  # memberships, departments, plans, indicators, targets, periods, reports

    # New drafts: the reports and their first entries inserted.
    drafts_small = measure(synthetic_rows(dp, small, q1), reporter, dry_run=False)
    drafts_large = measure(synthetic_rows(dp, large, q1), reporter, dry_run=False)
    split = sum(inserts(m, 50) - inserts(m, 10) for m in (ProgressReport, ReportEvent))
    assert drafts_large == drafts_small + split
    assert drafts_small <= 17  # +1: the KPI pages' versions of every row's indicator, in one upsert

    # The same drafts edited and submitted: updated, two entries each, the reviewer told.
    edited = {"達成情形說明": "第二版說明。", "未達成原因": "人力不足。", "改善措施": "增派人力。"}
    submit_small = measure(synthetic_rows(dp, small, q1, **edited), reporter, dry_run=False, submit=True)
    submit_large = measure(synthetic_rows(dp, large, q1, **edited), reporter, dry_run=False, submit=True)
    split = (
        statements(50, 2 + 14)  # bulk_update: pk twice and the fields a save and a submission change
        - statements(10, 2 + 14)
        + inserts(ReportEvent, 100)
        - inserts(ReportEvent, 20)
        + inserts(Notification, 50)
        - inserts(Notification, 10)
    )
    assert submit_large == submit_small + split
    assert submit_small <= 29  # + the stored assessments of the submitted KPI-years, refreshed once (8), + the KPI pages' versions (1)
    print(
        f"\nqueries: check {check_large}; drafts {drafts_small} (10 rows), {drafts_large} (50 rows); "
        f"submissions {submit_small}, {submit_large}"
    )
    assert ReportEvent.objects.filter(report__indicator__in=indicators, action=ReportAction.SUBMITTED).count() == 60
    assert Notification.objects.filter(report__indicator__in=indicators, kind="to_review").count() == 60


def test_text_pasted_from_word_is_stored_without_control_characters(staff, periods):
    """A vertical tab (Word's line break) becomes a line break; NUL, which PostgreSQL refuses,
    and the other control characters are dropped: the import saves instead of failing."""
    indicator = home_indicators()[4]
    row = good_row(indicator, narrative="第一行\x0b第二行\x00，完成\x07。")
    result = run([row], staff)
    assert result.ok and result.applied, errors_of(result) or result.file_errors
    report = ProgressReport.objects.get(indicator=indicator, period=periods["114Q1"])
    assert report.narrative == "第一行\n第二行，完成。"
