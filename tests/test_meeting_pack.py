"""The meeting pack (施政績效報告, reports:pack_download and the whole city's background job).

The pack must say what the yearly report says: its PDF's text (read back with pypdf) and its
ODT's text (read back with odfdo) are checked against the rows `build_yearly_report` gives
for the same choice, for the year 113 and for 113 as of its second quarter. Figures filed
through the workflow services (staff report, the supervisor approves):

    1-5   場  Q4 approved 6 of 5, two pieces of evidence     → year 達成
    2-3   %   Q2 approved 30, Q4 approved 60 of 80           → Q2: 30% (behind its plan); year 未達成
    5-2   件  Q3 approved 10 of 15                           → year 未達成, as of Q2 no figure yet
    共3-1 %   Q4: 55 of 62 staff completed their hours        → year 達成

One department only, to keep the PDF small; the whole city goes through the background job once.
"""

from __future__ import annotations

import datetime
import io
import re
import tempfile
import zipfile

import pytest
from django.test import TestCase, override_settings
from django.urls import reverse
from odfdo import Document
from pypdf import PdfReader

from kpi import services
from kpi.attainment import Assessment, Light, Thresholds, roll_up
from plans.models import Department
from reports.models import PACK_FORMATS, YearlyExport
from reports.pack import FORMATS, charts
from reports.pack.content import Bar
from reports.pack.pdf import LocalOnlyFetcher, RefusedURL
from reports.yearly import build_yearly_report
from tests.factories import kpi_by_code

YEAR = 113
HOME = "都市發展處"
NARRATIVE_23 = "第四季招租進度說明。"
SHORTFALL_23 = "部分團隊合約到期退租。"
IMPROVEMENT_23 = "辦理招租說明會並放寬進駐資格。"
SHORTFALL_23_Q2 = "上半年進駐審查延宕。"


@pytest.fixture(autouse=True)
def today(settings):
    settings.KPI_TODAY = datetime.date(2025, 3, 10)  # ROC 114: year 113 is over


def file_report(staff, supervisor, code, period, *, evidence=(), **fields):
    indicator = kpi_by_code(code)
    fields.setdefault("narrative", f"{code} 執行情形說明。")
    report = services.report_save(indicator=indicator, period=period, user=staff, expected_version=0, **fields)
    for url, description in evidence:
        services.evidence_add(report=report, user=staff, url=url, description=description)
    report.refresh_from_db()
    report = services.report_submit(report=report, user=staff, expected_version=report.version)
    return services.report_approve(report=report, user=supervisor, expected_version=report.version)


@pytest.fixture
def filed(seeded_plan, periods, staff, supervisor):
    file_report(
        staff,
        supervisor,
        "1-5",
        periods[(YEAR, 4)],
        actual="6",
        evidence=[("https://www.klcg.gov.tw/minutes-1", "平台會議紀錄"), ("https://www.klcg.gov.tw/p", "活動照片")],
    )
    file_report(
        staff,
        supervisor,
        "2-3",
        periods[(YEAR, 2)],
        actual="30",
        shortfall_reason=SHORTFALL_23_Q2,
        improvement_plan="加速審查。",
    )
    file_report(
        staff,
        supervisor,
        "2-3",
        periods[(YEAR, 4)],
        actual="60",
        narrative=NARRATIVE_23,
        shortfall_reason=SHORTFALL_23,
        improvement_plan=IMPROVEMENT_23,
    )
    file_report(
        staff,
        supervisor,
        "5-2",
        periods[(YEAR, 3)],
        actual="10",
        shortfall_reason="審查時程延後。",
        improvement_plan="排定審查會議。",
    )
    file_report(staff, supervisor, "共3-1", periods[(YEAR, 4)], inputs={"completed_staff": "55", "current_staff": "62"})


def home_id() -> int:
    return Department.objects.get(name=HOME).id


def pack_url(**params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{reverse('reports:pack_download')}?{query}"


def squeeze(text: str) -> str:
    """Text without any whitespace: a table cell's words may be broken over lines."""
    return re.sub(r"\s+", "", text)


def pdf_text(content: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(io.BytesIO(content))
    return reader, [page.extract_text() or "" for page in reader.pages]


def odt_text(content: bytes) -> str:
    """Every paragraph and heading of the document, tables' cells included, in order."""
    body = Document(io.BytesIO(content)).body
    return "\n".join(e.text_recursive for e in body.get_elements("descendant::text:p | descendant::text:h"))


def the_report(user, *, period=None):
    from plans.models import Plan

    plan = Plan.objects.order_by("-start_year", "id").first()
    department = Department.objects.get(name=HOME)
    return build_yearly_report(plan=plan, year=YEAR, user=user, department=department, period=period)


def check_rows(text: str, report) -> None:
    """Every row of the yearly report is in `text`: its code, target, actual, attainment and light's words."""
    flat = squeeze(text)
    assert report.rows, "the report has rows to compare"
    for row in report.rows:
        for value in (row.code, row.indicator.name, row.target_text, row.actual_text, row.raw_text, row.light_label):
            assert squeeze(value) in flat, (row.code, value)
        if row.light in (Light.YELLOW, Light.RED):
            for value in (row.shortfall_reason, row.improvement_plan):
                assert squeeze(value or "（未填）") in flat, (row.code, value)


# --- PDF ----------------------------------------------------------------------------------


def test_department_pdf_carries_the_yearly_report_rows_in_embedded_fonts(client, staff, filed):
    client.force_login(staff)
    response = client.get(pack_url(format="pdf", year=YEAR, department=home_id()))
    assert response.status_code == 200
    assert response["Content-Type"] == FORMATS["pdf"]
    assert "meeting-pack_department-" in response["Content-Disposition"]
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    reader, pages = pdf_text(response.content)
    text = "\n".join(pages)
    report = the_report(staff)
    check_rows(text, report)
    flat = squeeze(text)
    # The cover, the contents, the explanations and the sign-off.
    for words in ("施政績效報告", "民國113年度", HOME, "目錄", "承辦人", "單位主管", "研考"):
        assert squeeze(words) in flat, words
    for words in (SHORTFALL_23, IMPROVEMENT_23, NARRATIVE_23, "平台會議紀錄", "活動照片"):
        assert words in flat, words
    # 「第 N 頁，共 M 頁」 on every page, with the right count.
    total = len(reader.pages)
    assert total >= 3
    for number, page in enumerate(pages, start=1):
        assert f"第{number}頁，共{total}頁" in squeeze(page), (number, page[-200:])
    check_fonts_embedded(reader)


def check_fonts_embedded(reader: PdfReader) -> None:
    """Every font the PDF uses travels with it (a subset), and the zh-Hant one is Noto Sans CJK."""
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[str(font.get("/BaseFont", font.get("/Name", "")))] = font
    assert any("NotoSansCJKTC" in name.replace("-", "") for name in fonts), list(fonts)
    for name, font in fonts.items():
        if font["/Subtype"] == "/Type3":  # its glyphs are drawn in the file itself
            continue
        descriptor = (
            font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            if "/DescendantFonts" in font
            else font["/FontDescriptor"]
        ).get_object()
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor.keys()), f"{name} is not embedded"


def test_period_pack_is_the_year_as_of_that_period(client, staff, periods, filed):
    client.force_login(staff)
    q2 = periods[(YEAR, 2)]
    response = client.get(pack_url(format="pdf", year=YEAR, department=home_id(), period=2))
    assert response.status_code == 200
    assert "_p2.pdf" in response["Content-Disposition"]
    _, pages = pdf_text(response.content)
    text = "\n".join(pages)
    as_of_q2 = the_report(staff, period=q2)
    year = the_report(staff)
    row = {r.code: r for r in as_of_q2.rows}
    assert row["2-3"].actual_text == "30%" and {r.code: r for r in year.rows}["2-3"].actual_text == "60%"
    assert row["5-2"].report is None  # its Q3 figure is after the period
    assert row["2-3"].status_label == "113Q2 進度"
    check_rows(text, as_of_q2)
    flat = squeeze(text)
    assert "民國113年度第2季" in flat
    assert SHORTFALL_23_Q2 in flat and SHORTFALL_23 not in flat
    assert "113Q2進度" in flat
    assert "本期預定80%" in flat  # 2-3 is judged against its Q2 planned value, a level 80%


# --- ODT ----------------------------------------------------------------------------------


@pytest.mark.parametrize("period", [None, 2])
def test_odt_carries_the_same_rows(client, staff, periods, filed, period):
    client.force_login(staff)
    params = {"format": "odt", "year": YEAR, "department": home_id(), **({"period": period} if period else {})}
    response = client.get(pack_url(**params))
    assert response.status_code == 200
    assert response["Content-Type"] == FORMATS["odt"]
    text = odt_text(response.content)
    check_rows(text, the_report(staff, period=periods[(YEAR, period)] if period else None))
    document = Document(io.BytesIO(response.content))
    headings = [h.text_recursive for h in document.body.get_headers()]
    assert any(HOME in h for h in headings)
    tables = document.body.get_tables()
    assert any(t.get_element("table:table-header-rows") is not None for t in tables)  # repeated on each page
    styles = zipfile.ZipFile(io.BytesIO(response.content)).read("styles.xml").decode()
    assert "<text:page-number" in styles and "<text:page-count" in styles  # 「第 N 頁，共 M 頁」
    assert "Noto Sans CJK TC" in styles


# --- who may have it, and bad requests -----------------------------------------------------


def test_other_department_staff_cannot_have_it(client, other_staff, filed):
    """The yearly report's own access rule: a department one may not view does not exist (404)."""
    client.force_login(other_staff)
    for fmt in FORMATS:
        assert client.get(pack_url(format=fmt, year=YEAR, department=home_id())).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, seeded_plan):
    response = client.get(pack_url(format="pdf", year=YEAR, department=home_id()))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"format": "xlsx"}, ["pdf", "odt"]),
        ({"format": ""}, ["pdf", "odt"]),
        ({"format": "pdf", "year": "2024"}, ["2024", "113"]),
        ({"format": "pdf", "year": "abc"}, ["abc"]),
        ({"format": "pdf", "period": "9"}, ["9", "第1季", "第4季"]),
        ({"format": "odt", "period": "Q2"}, ["Q2"]),
        ({"format": "pdf", "year": "114", "period": "4"}, ["4", "第1季"]),  # 114Q4 has not begun
    ],
)
def test_bad_parameters_are_400_with_a_message(client, planner, seeded_plan, params, words):
    client.force_login(planner)
    params = {"year": YEAR, "department": home_id(), **params}
    response = client.get(pack_url(**params))
    assert response.status_code == 400
    message = response.content.decode()
    for word in words:
        assert word in message, (word, message)


def test_the_job_knows_the_pack_formats():
    assert set(FORMATS) == set(PACK_FORMATS)


def test_a_period_is_refused_for_a_spreadsheet(client, planner, seeded_plan):
    client.force_login(planner)
    response = client.post(reverse("reports:yearly_export_start"), {"format": "xlsx", "year": YEAR, "period": "2"})
    assert response.status_code == 400
    assert not YearlyExport.objects.exists()


# --- the page and the whole city ---------------------------------------------------------------


def test_the_yearly_page_offers_the_pack(client, staff, filed):
    client.force_login(staff)
    html = client.get(reverse("reports:yearly"), {"year": YEAR, "department": home_id()}).content.decode()
    assert reverse("reports:pack_download") in html
    assert 'name="format" value="pdf"' in html and 'name="format" value="odt"' in html
    for number in (1, 2, 3, 4):  # every quarter of 113 has begun
        assert f'<option value="{number}">第{number}季</option>' in html
    this_year = client.get(reverse("reports:yearly"), {"year": 114, "department": home_id()}).content.decode()
    assert '<option value="1">第1季</option>' in this_year and '<option value="2">' not in this_year


def test_whole_city_pack_is_a_background_job(client, planner, periods, filed):
    client.force_login(planner)
    # Asked for directly, it sends the reader to the page's button.
    direct = client.get(pack_url(format="pdf", year=YEAR))
    assert direct.status_code == 302 and "#meeting-pack" in direct["Location"]
    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        with TestCase.captureOnCommitCallbacks(execute=True):
            asked = client.post(reverse("reports:yearly_export_start"), {"format": "pdf", "year": YEAR, "period": "2"})
        assert asked.status_code == 303
        export = YearlyExport.objects.get()
        assert export.period == periods[(YEAR, 2)] and export.status == "done", export.error
        page = client.get(asked["Location"]).content.decode()
        file_url = reverse("reports:yearly_export_file", args=[export.pk])
        assert file_url in page and "第2季" in page
        response = client.get(file_url)
        assert response["Content-Type"] == FORMATS["pdf"]
        content = b"".join(response.streaming_content)
        if getattr(response, "file_to_stream", None):  # as tests/downloads.py does
            response.file_to_stream.close()
    _, pages = pdf_text(content)
    flat = squeeze("\n".join(pages))
    assert "全市摘要" in flat and "全市" in flat
    report = build_yearly_report(plan=export.plan, year=YEAR, user=planner, period=periods[(YEAR, 2)])
    check_rows("\n".join(pages), report)


# --- nothing fetched, nothing injected ------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["https://example.org/x.css", "http://127.0.0.1:8000/", "file:///etc/passwd", "ftp://example.org/f"]
)
def test_the_pdf_fetches_nothing_but_fonts(url):
    with pytest.raises(RefusedURL):
        LocalOnlyFetcher().fetch(url)


def test_chart_labels_are_escaped():
    rollup = roll_up([(Assessment(raw=None, capped=None, light=Light.WHITE, reason="x"), 1)])
    svg = charts.score_chart([Bar('<script>"x"</script>', rollup)], Thresholds(), "<b>")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "<b>" not in charts.lights_chart([Bar("&", rollup)], "<b>")
