"""The supervisor's way through the figures, in a real browser: the dashboard → 都市發展處 →
a KPI's page with its charts and their data tables → the yearly report of the city, a
department opened, and its xlsx prepared in the background and downloaded.

The figures come from reports approved through `kpi.services`: KPI 1-5 (召開市港再生標竿計畫
平台會議次數, 5 場 a year) has 5 場 approved for 民國113年 and 2 場 so far for 民國114年:
113 is judged on the year; 114, in progress, on its period — 2 場 against Q1's planned 1
(1.25, whole sessions) is 200% 達成, labelled 114Q1 進度, with 全年 40% beside it.
"""

import datetime
import re
from decimal import Decimal

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from kpi import services
from kpi.models import Indicator, ReportingPeriod
from tests.browser.conftest import expect_controls_named, sign_in, starts, t

pytestmark = pytest.mark.browser

TODAY = datetime.date(2025, 4, 10)  # 民國114年, first quarter reported
HOME = "都市發展處"


@pytest.fixture
def kpi(settings, home_department, staff, supervisor):
    settings.KPI_TODAY = TODAY
    indicator = Indicator.objects.select_related("department_plan__plan").get(
        department_plan__department=home_department, objective__number=1, number=5
    )
    plan = indicator.department_plan.plan
    services.periods_ensure(plan=plan)
    for year, number, actual in ((113, 4, "5"), (114, 1, "2")):
        period = ReportingPeriod.objects.get(plan=plan, frequency=plan.reporting_frequency, year=year, number=number)
        report = services.report_save(
            indicator=indicator,
            period=period,
            user=staff,
            actual=actual,
            narrative=f"民國{year}年累計召開平台會議 {actual} 場。",
            shortfall_reason="颱風延會。" if year == 114 else "",
            improvement_plan="下季補開。" if year == 114 else "",
            submit=True,
        )
        services.report_approve(report=report, user=supervisor, expected_version=report.version)
    return indicator


def expect_chart_drawn(page: Page, canvas) -> None:
    """Chart.js (served locally) has drawn on the canvas."""
    expect(canvas).to_be_visible()
    canvas_id = canvas.get_attribute("id")
    page.wait_for_function("id => window.Chart && Chart.getChart(document.getElementById(id))", arg=canvas_id)


def test_dashboard_to_kpi_page_to_yearly_download(page: Page, snap, kpi, tmp_path):
    sign_in(page, "supervisor")
    nav = page.get_by_role("navigation", name=t("Main navigation"))

    # The dashboard: the departments the supervisor may view, with a trend chart and its table.
    nav.get_by_role("link", name=t("Dashboard")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(t("Dashboard"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("民國114年")
    expect_chart_drawn(page, page.locator("canvas#trend-chart"))
    departments = page.get_by_role("region", name=t("Departments"))
    snap("dashboard-01-overview")
    expect_controls_named(page)
    departments.get_by_role("link", name=HOME, exact=True).click()

    # The department page: goals → objectives → KPIs; KPI 1-5 with its figures.
    expect(page.get_by_role("heading", level=1)).to_contain_text(HOME)
    tree = page.get_by_role("region", name=t("Goals, strategic objectives and KPIs"))
    row = tree.get_by_role("row").filter(has=page.get_by_role("link", name=kpi.name, exact=True))
    expect(row).to_contain_text("1-5")
    expect(row).to_contain_text("5 場")
    expect(row).to_contain_text("2 場")
    expect(row).to_contain_text("200%")
    expect(row).to_contain_text("達成")
    expect(row).to_contain_text("114Q1 進度")
    expect(row).to_contain_text("全年 40%")
    expect(row).not_to_contain_text("未達成")
    snap("dashboard-02-department")
    expect_controls_named(page)
    row.get_by_role("link", name=kpi.name, exact=True).click()

    # The KPI page: the charts, each with the same figures as a table.
    expect(page.get_by_role("heading", level=1)).to_contain_text(kpi.name)
    charts = page.get_by_role("region", name=t("Charts"))
    years_figure = charts.get_by_role("figure", name=t("Target and approved actual by year"))
    canvas = years_figure.get_by_role("img")
    expect(canvas).to_have_accessible_name(re.compile(".+"))
    expect_chart_drawn(page, years_figure.locator("canvas"))
    table = years_figure.get_by_role("table")
    expect(table).to_be_visible()  # the table is open beside the chart
    rows = {
        "民國113年": ["5 場", "5 場", "100%", "達成"],
        "民國114年": ["5 場", "2 場", "200%", "114Q1 進度"],
    }
    for year, cells in rows.items():
        row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=year, exact=True))
        for i, text in enumerate(cells):
            expect(row.get_by_role("cell").nth(i)).to_contain_text(text)
    periods_figure = charts.get_by_role("figure").nth(1)
    expect_chart_drawn(page, periods_figure.locator("canvas"))
    expect(periods_figure.get_by_role("table")).to_contain_text("114Q1")
    snap("dashboard-03-kpi-page")
    expect_controls_named(page)

    # The yearly report of the city: its summary, and 都市發展處 opened (fetched on opening).
    page.goto("/reports/yearly/?year=114")
    expect(page.get_by_role("heading", level=1)).to_contain_text(t("Yearly performance report"))
    expect(page.locator("tr[data-code]")).to_have_count(0)
    section = page.locator("details.report-department").filter(has_text=HOME)
    section.locator("summary").click()
    report_row = section.locator("tr[data-code='1-5']").first
    expect(report_row).to_contain_text(kpi.name)
    expect(report_row).to_contain_text("200%")
    expect(report_row).to_contain_text("114Q1 進度")
    expect(report_row).to_contain_text("全年 40%")
    snap("dashboard-04-yearly")
    expect_controls_named(page)
    # The whole city's file is prepared in the background (eagerly here): its page links to it.
    page.get_by_role("button", name=starts("Excel")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(t("Whole-city yearly report download"))
    expect(page.get_by_text(t("Ready"), exact=True)).to_be_visible()
    snap("dashboard-05-yearly-download")
    expect_controls_named(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name=starts(t("Download"))).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    book = openpyxl.load_workbook(path, read_only=True)
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    headers = list(rows[0])
    by_code = {row[headers.index("編號")]: dict(zip(headers, row, strict=False)) for row in rows[1:]}
    assert len(by_code) >= 20  # every KPI of 都市發展處 (and the common indicators)
    row = by_code["1-5"]
    assert row["機關"] == HOME
    assert row["指標名稱"] == kpi.name
    assert row["單位"] == "場"
    assert Decimal(str(row["年度目標值"])) == 5
    assert Decimal(str(row["實際值"])) == 2
    assert Decimal(str(row["達成度(%)"])) == Decimal("200.0")
    assert row["燈號"] == "達成"
    assert row["燈號依據"] == "114Q1 進度"
    assert Decimal(str(row["全年達成度(%)"])) == Decimal("40.0")
