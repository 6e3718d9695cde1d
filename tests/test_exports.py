"""common.spreadsheets.writing: tablib datasets → xlsx, ods, csv, and the download's headers."""

import csv
import io
from decimal import Decimal
from urllib.parse import unquote

import pytest
import tablib
from odf import opendocument
from odf.table import Table, TableCell, TableRow
from openpyxl import load_workbook

from common import formatting
from common.spreadsheets import writing as exports
from reports.yearly import spreadsheet_number

HEADERS = ["機關", "編號", "年度目標值", "達成度(%)", "達成情形說明"]
ROWS = [
    ["都市發展處", "1-5", 5, Decimal("120.0"), "本年度召開市港再生標竿計畫平台會議 6 場，" * 4],
    ["都市發展處", "共3-1", Decimal("0.5"), None, ""],
]


def sheets():
    return [
        exports.Sheet("績效年報", HEADERS, ROWS, long_columns={4}, percent_columns={3}),
        exports.Sheet("說明", ["項目", "內容"], [["年度", "民國113年度（2024）"]]),
    ]


def test_csv_is_utf8_with_a_bom_and_keeps_chinese():
    data = exports.render("csv", sheets())
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == HEADERS
    assert rows[1][:4] == ["都市發展處", "1-5", "5", "120.0"]
    assert rows[2][2:4] == ["0.5", ""]  # no value → empty, never "None"
    assert len(rows) == 3  # the first sheet only
    assert "\r\n" in text  # what Excel expects


def test_xlsx_keeps_numbers_as_numbers_and_is_readable():
    workbook = load_workbook(io.BytesIO(exports.render("xlsx", sheets())))
    assert workbook.sheetnames == ["績效年報", "說明"]
    sheet = workbook["績效年報"]
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet["C2"].value == 5 and sheet["C2"].data_type == "n"
    assert sheet["D2"].value == 120 and sheet["D2"].data_type == "n"
    assert sheet["D2"].number_format == "0.0"  # percentages show one decimal place
    assert sheet["C3"].value == 0.5
    assert sheet["D3"].value is None
    assert sheet["E2"].alignment.wrap_text  # long text wraps
    assert sheet.column_dimensions["E"].width == exports.LONG_WIDTH  # … in a column of bounded width
    # CJK characters count double: "都市發展處" (5 characters) needs 10 + 2.
    assert sheet.column_dimensions["A"].width == 12
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:E3"
    assert sheet["A1"].font.bold


def test_ods_keeps_numbers_as_numbers():
    data = exports.render("ods", sheets())
    document = opendocument.load(io.BytesIO(data))
    tables = document.spreadsheet.getElementsByType(Table)
    assert [t.getAttribute("name") for t in tables] == ["績效年報", "說明"]
    rows = tables[0].getElementsByType(TableRow)
    cells = rows[1].getElementsByType(TableCell)
    assert cells[2].getAttribute("valuetype") == "float" and cells[2].getAttribute("value") == "5"
    assert cells[3].getAttribute("valuetype") == "float" and cells[3].getAttribute("value") == "120.0"
    assert cells[0].getAttribute("valuetype") == "string"
    book = tablib.Databook()
    book.load(data, format="ods")
    first = book.sheets()[0]
    assert first.headers == HEADERS
    assert first[0][:4] == ("都市發展處", "1-5", 5.0, 120.0)


def test_unknown_format_is_refused():
    with pytest.raises(ValueError):
        exports.render("pdf", sheets())


def test_content_disposition_has_an_ascii_fallback_and_the_utf8_name():
    header = exports.content_disposition("績效年報_都市發展處_114.xlsx", "yearly-report_department-8_114.xlsx")
    assert header.startswith('attachment; filename="yearly-report_department-8_114.xlsx"; ')
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert encoded.isascii() and " " not in encoded
    assert unquote(encoded) == "績效年報_都市發展處_114.xlsx"


def test_content_disposition_fallback_cannot_break_the_header():
    header = exports.content_disposition('a"b\\c.csv', 'x"y\\z-年.csv')
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback == "xyz-.csv"


def test_download_response():
    response = exports.download("csv", sheets(), stem="績效年報_全市_113", ascii_stem="yearly-report_city_113")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="yearly-report_city_113.csv"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content.startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize(
    ("text", "width"),
    [("", 0), ("abc", 3), ("都市", 4), ("1-5 場", 6), ("（全形）", 8)],
)
def test_display_width(text, width):
    assert exports.display_width(text) == width


@pytest.mark.parametrize(
    ("value", "number"),
    [
        (Decimal("100.0000"), 100),
        (Decimal("5.0000"), 5),
        (Decimal("0.5000"), Decimal("0.5")),
        (Decimal("88.7100"), Decimal("88.71")),
        (Decimal("0E-4"), 0),
        (None, None),
    ],
)
def test_spreadsheet_number_never_writes_exponents(value, number):
    result = spreadsheet_number(value)
    assert result == number
    assert "E" not in str(result)
    assert isinstance(result, int | Decimal | type(None))


def test_spreadsheet_percentages_round_half_up_as_the_pages_do():
    # The downloads' percentages are common.formatting.percent_number, the figure the pages
    # show with common.formatting.percent (80.05 is 80.1 on both, never 80.0 on one of them).
    assert formatting.percent_number(Decimal("66.6667")) == Decimal("66.7")
    assert formatting.percent_number(Decimal("110.8500")) == Decimal("110.9")
    assert formatting.percent_number(Decimal("80.0500")) == Decimal("80.1")
    assert formatting.percent_number(Decimal("120.0000")) == Decimal("120.0")
    assert formatting.percent(Decimal("80.0500")) == "80.1%"
    assert formatting.percent_number(None) is None


# --- what people type is never taken for a formula, and never breaks a download ---------------

TYPED = ['=HYPERLINK("http://example.com","點此")', "+886-2-1234", "-5% 較去年", "@SUM(A1)", "正常文字"]


def typed_sheet():
    return [exports.Sheet("績效年報", ["說明", "數值"], [[text, -5] for text in TYPED])]


def test_xlsx_writes_typed_text_as_text_never_as_a_formula():
    sheet = load_workbook(io.BytesIO(exports.render("xlsx", typed_sheet())))["績效年報"]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == TYPED  # unchanged …
    assert {c.data_type for c in cells} == {"s"}  # … and all text
    assert sheet["B2"].value == -5 and sheet["B2"].data_type == "n"  # numbers stay numbers


def test_csv_marks_text_that_excel_would_take_for_a_formula():
    rows = list(csv.reader(io.StringIO(exports.render("csv", typed_sheet()).decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["'" + t for t in TYPED[:4]] + ["正常文字"]
    assert {r[1] for r in rows[1:]} == {"-5"}  # a negative number is a number, not text


def test_ods_writes_typed_text_as_text():
    document = opendocument.load(io.BytesIO(exports.render("ods", typed_sheet())))
    cells = [row.getElementsByType(TableCell)[0] for row in document.spreadsheet.getElementsByType(TableRow)[1:]]
    assert {c.getAttribute("valuetype") for c in cells} == {"string"}
    assert [str(c) for c in cells] == TYPED


@pytest.mark.parametrize("fmt", ["xlsx", "ods", "csv"])
def test_control_characters_pasted_from_word_do_not_break_a_download(fmt):
    text = "第一行\x0b第二行\x07。"  # Word's manual line break, and a bell
    data = exports.render(fmt, [exports.Sheet("績效年報", ["說明"], [[text]])])
    if fmt == "xlsx":
        cell = load_workbook(io.BytesIO(data))["績效年報"]["A2"]
        assert cell.value == "第一行\n第二行。" and cell.alignment.wrap_text
    elif fmt == "ods":
        book = tablib.Databook()
        book.load(data, format="ods")
        assert book.sheets()[0][0][0].replace("\n", "") == "第一行第二行。"
    else:
        assert list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1] == ["第一行\n第二行。"]
