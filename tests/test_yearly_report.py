"""The yearly report (reports:yearly, reports:yearly_print, reports:yearly_download).

Reports are filed through the workflow services (staff report, the supervisor
approves), with hand-worked figures for year 113:

    1-5   場  target 5, actual 6                  → 120% (scored 100%), 達成
    2-3   %   target 80, actual 60                → 75%, 未達成, with 未達成原因 and 改善措施
    4-2   場  target 2 revised to 3, actual 3     → 100%, 達成; original 2 and the reason shown
    5-2   件  target 15; Q3 approved 10, Q4 only submitted 15
                                                  → the actual is 10: 66.7%, 未達成
    1-1   %   target 100, Q4 only submitted       → no actual: 不予評估（尚無核定實績）
    2-1   場  a draft only                        → 不予評估（尚無核定實績）
    共3-1 %   55 of 62 staff completed, target 80 → 88.71% → 110.9% (scored 100%), 達成

The page, the print view and the three downloads must carry exactly these values.
"""

import csv
import datetime
import io
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote

import pytest
import tablib
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from common import formatting
from common.spreadsheets import writing
from kpi import services
from kpi.models import Evidence, TargetRevision, YearlyTarget
from kpi.services import target_set
from plans.models import Department, DepartmentPlan
from reports.yearly import EXPORT_HEADERS, build_yearly_report
from tests.downloads import city_download, city_section
from tests.factories import department_plan_with_kpis, kpi_by_code, objectives_with_kpis, reports_for_indicators

YEAR = 113
HOME = "都市發展處"
REVISION_REASON = "講座場次配合中央補助增加，年度目標上修。"


@pytest.fixture(autouse=True)
def today(settings):
    settings.KPI_TODAY = datetime.date(2025, 3, 10)  # ROC 114: year 113 is over


def file_report(staff, supervisor, code, period, *, approve=True, submit=True, evidence=(), **fields):
    indicator = kpi_by_code(code)
    fields.setdefault("narrative", f"{code} 年度執行情形說明。")
    report = services.report_save(indicator=indicator, period=period, user=staff, expected_version=0, **fields)
    for url, description in evidence:
        services.evidence_add(report=report, user=staff, url=url, description=description)
    if submit:
        report.refresh_from_db()
        report = services.report_submit(report=report, user=staff, expected_version=report.version)
    if approve:
        report = services.report_approve(report=report, user=supervisor, expected_version=report.version)
    return report


@pytest.fixture
def filed(seeded_plan, periods, staff, supervisor, admin_user):
    q3, q4 = periods[(YEAR, 3)], periods[(YEAR, 4)]
    file_report(
        staff,
        supervisor,
        "1-5",
        q4,
        actual="6",
        evidence=[("https://www.klcg.gov.tw/minutes-1", "平台會議紀錄"), ("https://www.klcg.gov.tw/p", "活動照片")],
    )
    file_report(
        staff,
        supervisor,
        "2-3",
        q4,
        actual="60",
        shortfall_reason="部分團隊合約到期退租。",
        improvement_plan="辦理招租說明會並放寬進駐資格。",
    )
    target_set(indicator=kpi_by_code("4-2"), year=YEAR, value="3", reason=REVISION_REASON, user=admin_user)
    file_report(staff, supervisor, "4-2", q4, actual="3")
    file_report(
        staff,
        supervisor,
        "5-2",
        q3,
        actual="10",
        shortfall_reason="審查時程延後。",
        improvement_plan="排定審查會議。",
        evidence=[("https://www.klcg.gov.tw/q3", "第三季輔導紀錄")],
    )
    file_report(staff, supervisor, "5-2", q4, actual="15", approve=False)  # submitted, not approved
    file_report(staff, supervisor, "1-1", q4, actual="100", approve=False)  # submitted only
    file_report(staff, supervisor, "2-1", q4, actual="5", approve=False, submit=False)  # a draft
    file_report(
        staff,
        supervisor,
        "共3-1",
        q4,
        inputs={"completed_staff": "55", "current_staff": "62"},
    )


# code → the values every output must carry
EXPECTED = {
    "1-5": {"target": 5, "actual": 6, "raw": "120.0", "capped": "100.0", "light": "達成", "evidence": 2},
    "2-3": {
        "target": 80,
        "actual": 60,
        "raw": "75.0",
        "capped": "75.0",
        "light": "未達成",
        "shortfall": "部分團隊合約到期退租。",
        "improvement": "辦理招租說明會並放寬進駐資格。",
    },
    "4-2": {"target": 3, "original": 2, "actual": 3, "raw": "100.0", "capped": "100.0", "light": "達成"},
    "5-2": {
        "target": 15,
        "actual": 10,
        "raw": "66.7",
        "capped": "66.7",
        "light": "未達成",
        "evidence": 1,
        "shortfall": "審查時程延後。",
        "improvement": "排定審查會議。",
    },
    "1-1": {"target": 100, "actual": None, "raw": None, "capped": None, "light": "不予評估", "reason": "尚無核定實績"},
    "2-1": {"target": 5, "actual": None, "raw": None, "capped": None, "light": "不予評估", "reason": "尚無核定實績"},
    "共3-1": {"target": 80, "actual": Decimal("88.71"), "raw": "110.9", "capped": "100.0", "light": "達成"},
}
LIGHT_CLASS = {"達成": "green", "部分達成": "yellow", "未達成": "red", "不予評估": "white"}


def url(name, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{reverse(name)}?{query}" if query else reverse(name)


def home_id():
    return Department.objects.get(name=HOME).id


# --- parsing each output ----------------------------------------------------------------


def xlsx_rows(content: bytes, sheet="績效年報"):
    workbook = load_workbook(io.BytesIO(content))
    rows = list(workbook[sheet].iter_rows(values_only=True))
    return list(rows[0]), [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def ods_rows(content: bytes):
    book = tablib.Databook()
    book.load(content, format="ods")
    data = book.sheets()[0]
    return list(data.headers), [dict(zip(data.headers, r, strict=True)) for r in data]


def csv_rows(content: bytes):
    """The csv's header and rows, its codes read back as the app reads them (="1-5" → 1-5)."""
    assert content.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 BOM for Excel"
    reader = csv.reader(io.StringIO(content[3:].decode("utf-8")))
    rows = list(reader)
    code = rows[0].index("編號")
    for row in rows[1:]:
        assert row[code].startswith('="'), f"{row[code]!r}: a code is written for Excel to keep as text"
        row[code] = writing.csv_text_read(row[code])
    return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def as_number(value):
    """A spreadsheet/CSV cell as a Decimal, or None when empty."""
    if value in (None, ""):
        return None
    return Decimal(str(value))


def check_download_row(row, expected, *, numbers_are_numbers):
    if numbers_are_numbers:
        for header in ("年度目標值", "實際值", "達成度(%)", "序號", "評估體制"):
            assert row[header] in (None, "") or isinstance(row[header], int | float), (header, row[header])
    assert as_number(row["年度目標值"]) == Decimal(expected["target"])
    assert as_number(row["實際值"]) == (None if expected["actual"] is None else Decimal(expected["actual"]))
    raw, capped = as_number(row["達成度(%)"]), as_number(row["計分達成度(%)（上限100%）"])
    assert raw == (None if expected["raw"] is None else Decimal(expected["raw"]))
    assert capped == (None if expected["capped"] is None else Decimal(expected["capped"]))
    assert row["燈號"] == expected["light"]
    assert (row["不予評估原因"] or "") == expected.get("reason", "")
    assert (row["未達成原因"] or "") == expected.get("shortfall", "")
    assert (row["改善措施"] or "") == expected.get("improvement", "")
    assert as_number(row["佐證資料件數"]) == expected.get("evidence", 0)
    if "original" in expected:
        assert as_number(row["原訂目標值"]) == expected["original"]
        assert REVISION_REASON in row["目標值修正紀錄"]
    else:
        assert as_number(row["原訂目標值"]) is None


def page_row(html: str, code: str) -> tuple[str, str]:
    match = re.search(rf'<tr class="row-(\w+)" data-code="{re.escape(code)}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {code}"
    return match.group(1), match.group(2)


def check_page_row(html, code, expected):
    light_class, cells = page_row(html, code)
    assert light_class == LIGHT_CLASS[expected["light"]]
    assert f"</span>{expected['light']}</span>" in cells  # the light's words, not only its colour
    if expected["raw"] is None:
        assert expected["reason"] in cells
    else:
        # As common.formatting.percent writes it on every page: 120.0 → 120%, 66.7 → 66.7%.
        assert formatting.percent(Decimal(expected["raw"])) in cells
        if expected["capped"] != expected["raw"]:
            assert formatting.percent(Decimal(expected["capped"])) in cells
    for key in ("shortfall", "improvement"):
        if key in expected:
            assert expected[key] in cells
    if "original" in expected:
        assert REVISION_REASON in cells


# --- the same values everywhere ----------------------------------------------------------


@pytest.mark.parametrize("viewer", ["staff", "supervisor", "planner"])
def test_page_print_and_downloads_carry_the_same_values(client, cast, filed, viewer):
    client.force_login(cast[viewer])
    params = {"year": YEAR, "department": home_id()}
    page = client.get(url("reports:yearly", **params))
    printed = client.get(url("reports:yearly_print", **params))
    assert page.status_code == printed.status_code == 200
    _, xlsx = xlsx_rows(client.get(url("reports:yearly_download", format="xlsx", **params)).content)
    _, ods = ods_rows(client.get(url("reports:yearly_download", format="ods", **params)).content)
    _, csv_ = csv_rows(client.get(url("reports:yearly_download", format="csv", **params)).content)
    for code, expected in EXPECTED.items():
        for html in (page.content.decode(), printed.content.decode()):
            check_page_row(html, code, expected)
        check_download_row(next(r for r in xlsx if r["編號"] == code), expected, numbers_are_numbers=True)
        check_download_row(next(r for r in ods if r["編號"] == code), expected, numbers_are_numbers=True)
        check_download_row(next(r for r in csv_ if r["編號"] == code), expected, numbers_are_numbers=False)


def test_every_seeded_row_agrees_across_outputs(client, planner, filed):
    """Not only the hand-worked rows: every row's figures and light agree in all three files."""
    client.force_login(planner)
    params = {"year": YEAR, "department": home_id()}
    _, xlsx = xlsx_rows(client.get(url("reports:yearly_download", format="xlsx", **params)).content)
    _, ods = ods_rows(client.get(url("reports:yearly_download", format="ods", **params)).content)
    _, csv_ = csv_rows(client.get(url("reports:yearly_download", format="csv", **params)).content)
    html = client.get(url("reports:yearly", **params)).content.decode()
    assert len(xlsx) == len(ods) == len(csv_) == 23  # 20 KPIs + 3 common indicators
    for a, b, c in zip(xlsx, ods, csv_, strict=True):
        assert a["編號"] == b["編號"] == c["編號"]
        for header in ("年度目標值", "實際值", "達成度(%)", "計分達成度(%)（上限100%）"):
            assert as_number(a[header]) == as_number(b[header]) == as_number(c[header]), (a["編號"], header)
        assert a["燈號"] == b["燈號"] == c["燈號"]
        light_class, _ = page_row(html, a["編號"])
        assert light_class == LIGHT_CLASS[a["燈號"]]


def test_the_document_columns_and_the_common_working(client, planner, filed):
    client.force_login(planner)
    html = client.get(url("reports:yearly", year=YEAR, department=home_id())).content.decode()
    _, cells = page_row(html, "1-5")
    assert "建立以海洋生活及空間之市港溝通模式" in cells
    assert "召開市港再生標竿計畫平台會議次數" in cells  # 衡量標準
    assert "5 場" in cells and "6 場" in cells
    assert "平台會議紀錄" in cells and "活動照片" in cells
    assert "市港再生" in html  # the objective, with its dimension
    # A common indicator shows its inputs and the formula's working.
    assert "完成學習時數人數 55" in html
    assert "完成學習時數人數 55 ÷ 現有公務人員 62 人 × 100% = 88.71%" in html
    _, cells = page_row(html, "4-2")
    assert "2 場" in cells and "3 場" in cells  # the original and the revised target


def test_the_revision_says_who_when_and_why(client, planner, filed):
    client.force_login(planner)
    response = client.get(url("reports:yearly_download", format="xlsx", year=YEAR, department=home_id()))
    _, rows = xlsx_rows(response.content)
    row = next(r for r in rows if r["編號"] == "4-2")
    revision = TargetRevision.objects.filter(target__indicator=kpi_by_code("4-2"), old_value__isnull=False).get()
    assert row["目標值修正紀錄"].startswith("2 場 → 3 場（admin，民國")
    assert REVISION_REASON in row["目標值修正紀錄"]
    assert revision.reason == REVISION_REASON


# --- unapproved reports never count -------------------------------------------------------


def test_submitted_and_draft_reports_never_appear_as_actuals(client, planner, filed):
    client.force_login(planner)
    _, rows = csv_rows(city_download(client, "csv", YEAR).content)
    by_code = {r["編號"]: r for r in rows}
    assert by_code["1-1"]["實際值"] == "" and by_code["1-1"]["燈號"] == "不予評估"
    assert by_code["2-1"]["實際值"] == ""
    assert by_code["5-2"]["實際值"] == "10"  # Q3's approved 10, not Q4's submitted 15
    assert by_code["5-2"]["實績期間"] == "民國113年第3季"
    html = city_section(client, YEAR, home_id())  # as the whole city's page opens it
    _, cells = page_row(html, "5-2")
    assert "15 件" in cells  # the target
    assert "10 件" in cells
    assert cells.count("15 件") == 1  # the submitted 15 is not shown as an actual


# --- headers, names, formats ---------------------------------------------------------------


def test_downloads_have_the_zh_hant_headers(client, planner, filed):
    client.force_login(planner)
    params = {"year": YEAR, "department": home_id()}
    for fmt, parse in (("xlsx", xlsx_rows), ("ods", ods_rows), ("csv", csv_rows)):
        headers, _ = parse(client.get(url("reports:yearly_download", format=fmt, **params)).content)
        assert headers == EXPORT_HEADERS
    assert EXPORT_HEADERS[:10] == [
        "機關",
        "類別",
        "序號",
        "關鍵策略目標／共同性目標",
        "面向",
        "編號",
        "指標名稱",
        "評估體制",
        "評估方式",
        "衡量標準",
    ]
    for header in ("年度目標值", "實際值", "達成度(%)", "燈號", "達成情形說明", "未達成原因", "改善措施", "佐證資料"):
        assert header in EXPORT_HEADERS


def test_the_summary_sheet_carries_the_roll_ups(client, supervisor, filed):
    client.force_login(supervisor)
    content = client.get(url("reports:yearly_download", format="xlsx", year=YEAR, department=home_id())).content
    headers, rows = xlsx_rows(content, sheet="燈號統計")
    assert headers[0] == "範圍"
    kpis = next(r for r in rows if r["範圍"] == "都市發展處：關鍵績效指標")
    # 20 KPIs: 1-5, 4-2 green; 2-3, 5-2 red; the other 16 without an approved actual.
    assert (kpis["指標數"], kpis["達成"], kpis["部分達成"], kpis["未達成"], kpis["不予評估"]) == (20, 2, 0, 2, 16)
    # (100 + 75 + 100 + 66.6667) / 4 = 85.4167 → 85.4
    assert Decimal(str(kpis["平均達成度(%)"])) == Decimal("85.4")
    assert kpis["燈號"] == "部分達成"
    page = client.get(url("reports:yearly", year=YEAR, department=home_id())).content.decode()
    assert "85.4%" in page


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("ods", "application/vnd.oasis.opendocument.spreadsheet"),
        ("csv", "text/csv; charset=utf-8"),
    ],
)
def test_download_file_names(client, planner, filed, fmt, content_type):
    client.force_login(planner)
    response = client.get(url("reports:yearly_download", format=fmt, year=YEAR, department=home_id()))
    assert response["Content-Type"] == content_type
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    fallback = re.search(r'filename="([^"]+)"', disposition).group(1)
    assert fallback.isascii() and fallback.endswith(f"_{YEAR}.{fmt}")
    encoded = re.search(r"filename\*=UTF-8''(\S+)", disposition).group(1)
    assert unquote(encoded) == f"績效年報_都市發展處_{YEAR}.{fmt}"
    city = city_download(client, fmt, YEAR)
    assert unquote(re.search(r"filename\*=UTF-8''(\S+)", city["Content-Disposition"]).group(1)) == (
        f"績效年報_全市_{YEAR}.{fmt}"
    )


# --- who sees what ---------------------------------------------------------------------------


@pytest.fixture
def second_department(seeded_plan):
    """A second department with KPIs in the seeded plan, so that the city covers two."""
    return department_plan_with_kpis(plan=seeded_plan, objectives=1, kpis=2)


def test_city_report_covers_every_department_the_user_may_view(client, planner, staff, filed, second_department):
    client.force_login(planner)
    _, rows = xlsx_rows(city_download(client, "xlsx", YEAR).content)
    assert {r["機關"] for r in rows} == {HOME, second_department.department.name}
    assert len(rows) == 23 + 2
    html = client.get(url("reports:yearly", year=YEAR)).content.decode()
    sections = set(re.findall(r'<details class="report-department" data-section-url="[^"]*department=(\d+)"', html))
    assert sections == {str(home_id()), str(second_department.department_id)}
    for department_id in sections:  # each opens into its department's tables
        assert f'<h2 id="dept-{department_id}-title">' in city_section(client, YEAR, department_id)
    notice = re.search(r'<p class="notice">(.*?)</p>', html, re.S).group(1)
    for dp in DepartmentPlan.objects.filter(plan=second_department.plan).select_related("department"):
        if str(dp.department_id) not in sections:
            assert dp.department.name in notice  # listed as having no indicators yet
    printed = client.get(url("reports:yearly_print", year=YEAR)).content.decode()
    assert second_department.department.name in printed and HOME in printed

    client.force_login(staff)
    _, rows = xlsx_rows(city_download(client, "xlsx", YEAR).content)
    assert {r["機關"] for r in rows} == {HOME}


def test_city_row_only_in_the_city_report(client, planner, filed, second_department):
    """The city's roll-up is on the city report; one department's report computes that department only."""
    client.force_login(planner)
    _, city = xlsx_rows(city_download(client, "xlsx", YEAR).content, sheet="燈號統計")
    city_row = next(r for r in city if r["範圍"].startswith("全市"))
    assert city_row["指標數"] == 20 + 2
    assert 'class="summary-city"' in client.get(url("reports:yearly", year=YEAR)).content.decode()

    params = {"year": YEAR, "department": home_id()}
    _, own = xlsx_rows(client.get(url("reports:yearly_download", format="xlsx", **params)).content, sheet="燈號統計")
    assert [r["範圍"] for r in own] == ["都市發展處：關鍵績效指標", "都市發展處：共同性指標"]
    assert 'class="summary-city"' not in client.get(url("reports:yearly", **params)).content.decode()


def test_department_report_reads_only_its_own_indicators(planner, seeded_plan, filed, second_department, monkeypatch):
    from reports import yearly

    asked = []
    real = yearly.plan_year_attainment

    def spy(**kwargs):
        asked.append(kwargs["department_ids"])
        return real(**kwargs)

    monkeypatch.setattr(yearly, "plan_year_attainment", spy)
    department = Department.objects.get(pk=home_id())
    report = yearly.build_yearly_report(plan=seeded_plan, year=YEAR, user=planner, department=department)
    assert asked == [[home_id()]]
    assert report.city is None and [s.department for s in report.sections] == [department]


def test_other_department_gets_404(client, other_staff, filed):
    client.force_login(other_staff)
    params = {"year": YEAR, "department": home_id()}
    assert client.get(url("reports:yearly", **params)).status_code == 404
    assert client.get(url("reports:yearly_print", **params)).status_code == 404
    for fmt in ("xlsx", "ods", "csv"):
        assert client.get(url("reports:yearly_download", format=fmt, **params)).status_code == 404


def test_other_staff_city_report_has_no_home_rows(client, other_staff, filed):
    client.force_login(other_staff)
    _, rows = csv_rows(city_download(client, "csv", YEAR).content)
    assert rows == []
    html = client.get(url("reports:yearly", year=YEAR)).content.decode()
    assert 'data-code="1-5"' not in html
    assert f"department={home_id()}" not in html  # no section to open
    section = client.get(url("reports:yearly_section", year=YEAR, department=home_id()))
    assert section.status_code == 404
    assert "建立以海洋生活及空間之市港溝通模式" not in html
    assert f'<option value="{home_id()}"' not in html  # nor offered in the department filter


@pytest.mark.parametrize("name", ["reports:yearly", "reports:yearly_print", "reports:yearly_download"])
def test_anonymous_is_sent_to_sign_in(client, seeded_plan, name):
    response = client.get(url(name, year=YEAR, format="csv"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_unknown_department_is_404(client, planner, seeded_plan):
    client.force_login(planner)
    for value in ("999999", "abc"):
        assert client.get(url("reports:yearly", year=YEAR, department=value)).status_code == 404
        assert client.get(url("reports:yearly_download", format="csv", department=value)).status_code == 404


# --- bad requests ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["pdf", "", "XLS", "../../etc"])
def test_unknown_format_is_400_with_a_message(client, planner, seeded_plan, fmt):
    client.force_login(planner)
    response = client.get(url("reports:yearly_download", format=fmt, year=YEAR))
    assert response.status_code == 400
    message = response.content.decode()
    assert "xlsx" in message and "ods" in message and "csv" in message


@pytest.mark.parametrize("year", ["2024", "999", "110", "115", "abc", "-1"])
def test_year_outside_the_plan(client, planner, seeded_plan, year):
    client.force_login(planner)
    response = client.get(url("reports:yearly_download", format="xlsx", year=year))
    assert response.status_code == 400
    assert "111" in response.content.decode() and "114" in response.content.decode()
    page = client.get(url("reports:yearly", year=year), follow=True)
    assert page.status_code == 200
    assert page.redirect_chain[0][0].endswith("?year=114")  # the plan year containing today
    assert "111" in str(list(page.context["messages"])[0])
    printed = client.get(url("reports:yearly_print", year=year))
    assert printed.status_code == 302


def test_a_gregorian_year_is_named_as_such(client, planner, seeded_plan):
    client.force_login(planner)
    response = client.get(url("reports:yearly_download", format="csv", year="2024"))
    assert response.status_code == 400
    assert "113" in response.content.decode()


def test_no_year_means_the_current_plan_year(client, planner, seeded_plan):
    client.force_login(planner)
    response = client.get(reverse("reports:yearly"))
    assert response.status_code == 200
    assert response.context["report"].year == 114
    assert "民國114年度" in response.content.decode()


# --- the print view ------------------------------------------------------------------------


def test_print_view_is_a_bare_a4_document(client, supervisor, filed, settings):
    client.force_login(supervisor)
    html = client.get(url("reports:yearly_print", year=YEAR, department=home_id())).content.decode()
    assert "css/print.css" in html
    assert 'class="site-header"' not in html and "main-nav" not in html
    assert "<title>" in html and "都市發展處 民國113年度</title>" in html
    assert "<thead>" in html and 'scope="col"' in html
    assert 'class="report-footer"' in html and "民國114年3月10日" in html
    assert "<script" not in html  # no inline or other script: printing is the browser's
    css = (Path(settings.BASE_DIR) / "static" / "css" / "print.css").read_text(encoding="utf-8")
    assert "size: A4 landscape" in css and "margin: 12mm" in css
    assert "display: table-header-group" in css and "break-inside: avoid" in css
    assert "Noto Sans CJK TC" in css


# --- query counts ------------------------------------------------------------------------------

# The whole request: session, user, plan, memberships (kpi.access), department plans,
# plan_year_attainment (3), target revisions, evidence; ATOMIC_REQUESTS savepoints; the
# session's save; and on the page one more for the navigation's work counts (base.html).
# The page's navigation also counts the inbox's unread notifications (+1, issue #13).
QUERIES = {"reports:yearly": 18, "reports:yearly_print": 16, "reports:yearly_download": 16}  # +1: planned values
# The report itself: memberships, department plans, plan_year_attainment (3), revisions, evidence.
REPORT_QUERIES = 8  # indicators, targets, planned values, approved reports, …


def grow(seeded_plan, staff, supervisor, periods, *, objectives, kpis):
    """Add KPIs to 都市發展處 with approved reports, evidence and a revised target each."""
    dp = DepartmentPlan.objects.get(plan=seeded_plan, department__name=HOME)
    made = objectives_with_kpis(dp, objectives=objectives, kpis=kpis)
    reports = reports_for_indicators(made, periods[(YEAR, 4)], status="approved", reporter=staff, reviewer=supervisor)
    Evidence.objects.bulk_create(
        Evidence(report=r, url=f"https://example.org/{r.pk}", description="紀錄", uploaded_by=staff) for r in reports
    )
    for target in YearlyTarget.objects.filter(indicator__in=made, year=YEAR):
        TargetRevision.objects.create(target=target, old_value=4, new_value=5, reason="上修", source="admin")
        target.value = 5
        target.save(update_fields=["value"])


def count_queries(client, path) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


PATHS = [
    ("reports:yearly", {}),
    ("reports:yearly_print", {}),
    ("reports:yearly_download", {"format": "xlsx"}),
    ("reports:yearly_download", {"format": "ods"}),
    ("reports:yearly_download", {"format": "csv"}),
]


# The whole city's downloads are a background job: their counts are pinned below.
SCOPED_PATHS = [
    (name, extra, scope)
    for name, extra in PATHS
    for scope in ("department", "city")
    if not (scope == "city" and name == "reports:yearly_download")
]
# The whole city's page is its summary: no revisions, no evidence, no indicator rows.
CITY_QUERIES = {"reports:yearly": 15, "reports:yearly_print": 16}


@pytest.mark.parametrize(("name", "extra", "scope"), SCOPED_PATHS)
def test_query_count_is_pinned_and_flat(
    client, seeded_plan, staff, supervisor, planner, periods, filed, django_assert_max_num_queries, name, extra, scope
):
    client.force_login(planner)
    params = {"year": YEAR, **extra}
    if scope == "department":
        params["department"] = home_id()
    path = url(name, **params)
    with django_assert_max_num_queries(QUERIES[name] if scope == "department" else CITY_QUERIES[name]):
        assert client.get(path).status_code == 200
    small = count_queries(client, path)
    grow(seeded_plan, staff, supervisor, periods, objectives=4, kpis=5)
    department_plan_with_kpis(plan=seeded_plan, objectives=2, kpis=3)  # and another department
    large = count_queries(client, path)
    assert large == small


@pytest.mark.parametrize("scope", ["department", "city"])
def test_building_the_report_takes_a_fixed_number_of_queries(
    seeded_plan, staff, supervisor, planner, periods, filed, django_assert_num_queries, scope
):
    department = Department.objects.get(name=HOME) if scope == "department" else None

    def build():
        viewer = type(planner).objects.get(pk=planner.pk)  # a fresh user: memberships not yet read
        with django_assert_num_queries(REPORT_QUERIES):
            return build_yearly_report(plan=seeded_plan, year=YEAR, user=viewer, department=department)

    small = build()
    grow(seeded_plan, staff, supervisor, periods, objectives=4, kpis=5)
    department_plan_with_kpis(plan=seeded_plan, objectives=2, kpis=3)
    large = build()
    assert len(large.rows) > len(small.rows)


def test_more_rows_appear_after_growing(client, seeded_plan, staff, supervisor, planner, periods):
    client.force_login(planner)
    grow(seeded_plan, staff, supervisor, periods, objectives=2, kpis=3)
    _, rows = csv_rows(city_download(client, "csv", YEAR).content)
    assert len(rows) == 23 + 6
    grown = [r for r in rows if r["類別"] == "關鍵績效指標" and r["序號"] in ("7", "8")]
    assert len(grown) == 6
    assert all(r["燈號"] == "未達成" and r["達成度(%)"] == "60.0" for r in grown)  # 3 of a revised 5
    assert all(r["佐證資料件數"] == "1" and r["原訂目標值"] == "4" for r in grown)


def test_common_indicators_come_after_the_kpis(client, planner, filed):
    client.force_login(planner)
    _, rows = csv_rows(city_download(client, "csv", YEAR).content)
    kinds = [r["類別"] for r in rows]
    assert kinds == ["關鍵績效指標"] * 20 + ["共同性指標"] * 3
    common = next(r for r in rows if r["編號"] == "共3-1")
    assert common["計算數據"] == "完成學習時數人數 55；現有公務人員人數 62"
    assert common["計算過程"].endswith("= 88.71%")


def test_a_department_without_indicators_yet(client, planner, seeded_plan):
    client.force_login(planner)
    other = Department.objects.get(name="民政處")
    page = client.get(url("reports:yearly", year=YEAR, department=other.id))
    assert page.status_code == 200
    assert page.context["report"].rows == []
    response = client.get(url("reports:yearly_download", format="csv", year=YEAR, department=other.id))
    headers, rows = csv_rows(response.content)
    assert headers == EXPORT_HEADERS and rows == []
    assert unquote(re.search(r"filename\*=UTF-8''(\S+)", response["Content-Disposition"]).group(1)) == (
        f"績效年報_民政處_{YEAR}.csv"
    )
