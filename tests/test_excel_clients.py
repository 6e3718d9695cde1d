"""Excel on a zh-TW Windows (issue #17): what it needs from our files, and what it sends back.

- Every csv the app writes starts with UTF-8's byte-order mark (Excel would read it as Big5
  and show mojibake), and is written by the one writer (common.spreadsheets.writing.csv_bytes):
  the downloads are enumerated from tests/test_formula_escaping.DOWNLOADS, whose walk fails
  when a route answers with a spreadsheet it does not list, and a scan of the source fails
  when a module writes csv another way.
- Every csv import reads UTF-8 with or without a BOM and Big5 (CP950, what Excel saves as
  "CSV (逗號分隔)"), says which it read, and refuses other bytes in zh-Hant.
- Codes (1-5) survive Excel: ="1-5" in csv, text cells in xlsx and ods; an import takes
  1-5 and ="1-5" and refuses a code Excel already turned into a date.
- xlsx downloads print on A4 landscape with the header row on every page and frozen; ods
  get sheet names, column widths and the page layout (no frozen or repeated header:
  common.spreadsheets.writing says why).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from odf import opendocument
from odf.namespaces import OFFICENS, STYLENS, TABLENS
from odf.style import PageLayoutProperties, Style, TableColumnProperties
from odf.table import Table, TableRow
from openpyxl import Workbook, load_workbook

from common.spreadsheets import reading, writing
from kpi import importers
from kpi.admin import IndicatorAdmin
from kpi.models import ProgressReport
from reports.yearly import EXPORT_HEADERS
from tests.test_formula_escaping import DOWNLOADS, hostile  # noqa: F401 (hostile is a fixture)
from tests.test_report_import import HOME, as_file, by_code, errors_of, good_row

ROOT = Path(__file__).resolve().parent.parent
BOM = b"\xef\xbb\xbf"
CHINESE = "本季已召開市港再生平台會議 6 場，進度符合預期；「港邊步道」完工。"
CSV_CASES = [name for name, (_actor, formats, _fetch, _texts) in DOWNLOADS.items() if "csv" in formats]
READ_AS = "已以 {} 編碼讀取檔案。"


@pytest.fixture
def today(settings):
    settings.KPI_TODAY = datetime.date(2025, 4, 10)  # ROC 114: 114Q1 is open


def fetch(client, cast, hostile, name, fmt):  # noqa: F811 (hostile is the fixture's value)
    actor, _formats, get, _texts = DOWNLOADS[name]
    if cast[actor] is not None:
        client.force_login(cast[actor])
    response = get(client, hostile, fmt)
    assert response.status_code == 200, response.content[:300]
    return response


def post_import(client, data: bytes, name: str, *, check_only=False):
    payload = {"file": SimpleUploadedFile(name, data), "mode": "draft"}
    if check_only:
        payload["check_only"] = "on"
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hant"
    return client.post(reverse("kpi:report_import"), payload)


# --- every csv starts with the BOM, and comes from the one writer ----------------------------


def test_the_csv_downloads_are_enumerated():
    assert set(CSV_CASES) == {
        "open_data_csv",
        "yearly_download",
        "yearly_export_file",
        "report_import_template",
        "admin_indicator_export",
        "user_import_template",
    }


@pytest.mark.parametrize("name", CSV_CASES)
def test_every_csv_download_starts_with_the_bom(client, cast, hostile, name):  # noqa: F811
    response = fetch(client, cast, hostile, name, "csv")

    assert response.content.startswith(BOM), response.content[:20]
    assert not response.content[3:].startswith(BOM)  # one mark, not two
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")  # strictly UTF-8 throughout
    assert "\r\n" in text
    assert re.search(r"[\u4e00-\u9fff]", text)  # Chinese, as Chinese


# csv.writer, a text/csv answer, tablib's export("csv"), a hand-made byte-order mark, a csv decoded
# with utf-8-sig outside reading.decode_csv.
CSV_WRITING = re.compile(
    r"csv\.(writer|DictWriter)\(|text/csv|export\(\s*[\"']csv|[\"']utf-8-sig[\"']\)|\\ufeff[\"']\s*\+"
)


def test_no_module_writes_csv_but_the_one_writer():
    """A new csv download must use writing.csv_bytes (BOM, escaping, codes): writing csv any
    other way in the app's code fails here."""
    offenders = []
    writer = ROOT / "common" / "spreadsheets" / "writing.py"
    for package in ("common", "kpi", "plans", "reports", "config"):
        for path in (ROOT / package).rglob("*.py"):
            if path == writer or "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if CSV_WRITING.search(line.split("#")[0]):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
    assert CSV_WRITING.search(writer.read_text(encoding="utf-8")), "the pattern finds nothing: it checks nothing"


def test_admin_csv_export_and_import_are_bytes_through_the_one_rule():
    csv_format = next(f for f in IndicatorAdmin.formats if f().get_extension() == "csv")
    assert csv_format().is_binary() and csv_format().get_read_mode() == "rb"
    dataset = csv_format().create_dataset(writing.BOM.encode() + '計畫,編號\r\n111-114,="1-1"\r\n'.encode())
    assert dataset.headers == ["計畫", "編號"] and list(dataset[0]) == ["111-114", "1-1"]
    assert csv_format().create_dataset("計畫,名稱\r\n111-114,港灣\r\n".encode("cp950"))[0][1] == "港灣"


# --- encodings: UTF-8 with or without a BOM, Big5 (CP950) --------------------------------------


def _template_csv_as_excel_saves_it(client, staff, periods, encoding: str) -> bytes:
    """The csv template, filled in and saved by Excel: its codes as Excel shows them (1-5, no
    longer ="1-5"), in `encoding` (cp950: "CSV (逗號分隔)"; utf-8-sig: "CSV UTF-8")."""
    client.force_login(staff)
    template = client.get(reverse("kpi:report_import_template"), {"period": periods["114Q1"].pk, "format": "csv"})
    lines = list(csv.reader(io.StringIO(template.content.decode("utf-8-sig"))))
    header, codes = lines[0], by_code()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for line in lines[1:]:
        row = dict(zip(header, line, strict=True))
        code = writing.csv_text_read(row["編號"])
        row.update({k: v for k, v in good_row(codes[code], narrative=CHINESE).items() if k not in ("年度", "期別")})
        writer.writerow([row.get(h, "") for h in header])
    return out.getvalue().encode(encoding)


@pytest.mark.parametrize(
    ("encoding", "label"),
    [("cp950", "Big5（CP950）"), ("utf-8-sig", "UTF-8（含 BOM）"), ("utf-8", "UTF-8")],
)
def test_a_csv_saved_by_excel_imports_and_says_its_encoding(client, staff, periods, today, encoding, label):
    data = _template_csv_as_excel_saves_it(client, staff, periods, encoding)
    if encoding == "cp950":
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")  # really Big5 bytes, not UTF-8 that happens to work

    response = post_import(client, data, "填報.csv")

    result = response.context["result"]
    assert response.status_code == 200, result.file_errors or errors_of(result)
    assert result.applied and result.created == 23
    assert result.encoding_note == READ_AS.format(label)
    assert READ_AS.format(label) in response.content.decode()
    stored = set(ProgressReport.objects.filter(period=periods["114Q1"]).values_list("narrative", flat=True))
    assert stored == {CHINESE}  # the Chinese text as typed, not mojibake


def test_an_xlsx_says_no_encoding(client, staff, periods, today):
    data, name = as_file([good_row(by_code()["1-5"])], fmt="xlsx")
    client.force_login(staff)
    response = post_import(client, data, name, check_only=True)
    assert response.context["result"].ok and response.context["result"].encoding_note == ""
    assert "編碼讀取檔案" not in response.content.decode()


@pytest.mark.parametrize(
    ("data", "line", "named"),
    [
        ("機關,編號\r\n".encode() + b"\xff\xfe\xfd,1-5\r\n", 2, "UTF-8 或 Big5（CP950）"),  # neither encoding
        (BOM + "機關,編號\r\n".encode() + b"\xe9\x83\r\n", 2, "UTF-8（含 BOM）"),  # a BOM, then broken UTF-8
        ("機關,編號\r\n都市發展處,1-5\r\n".encode("shift_jis", errors="replace") + b"\x80\x80", 1, None),
    ],
)
def test_bytes_in_no_known_encoding_are_refused_in_zh_hant(client, staff, periods, today, data, line, named):
    client.force_login(staff)
    response = post_import(client, data, "reports.csv")

    assert response.status_code == 400
    [message] = response.context["result"].file_errors
    assert message.startswith(f"無法讀取 CSV 檔：第 {line} 行含有不是 "), message
    if named:
        assert f"不是 {named} 編碼的位元組" in message
    assert "另存新檔" in message and "CSV UTF-8（逗號分隔）" in message
    assert "UnicodeDecodeError" not in response.content.decode() and "codec" not in message


def test_reading_says_which_encoding_and_refuses_the_rest():
    assert reading.decode_csv("名稱\r\n港灣".encode("cp950")) == ("名稱\r\n港灣", reading.CP950)
    assert reading.decode_csv(BOM + "名稱".encode()) == ("名稱", reading.UTF8_BOM)
    assert reading.decode_csv(b"code\r\n1-5") == ("code\r\n1-5", reading.UTF8)
    assert reading.read_sheet("名稱\n甲\n".encode("cp950"), "x.csv").encoding_note == READ_AS.format("Big5（CP950）")
    with pytest.raises(reading.FileError) as refused:
        reading.read_sheet(b"a\n\xff\xff\n", "x.csv")
    assert "UTF-8 或 Big5（CP950）" in str(refused.value)


def test_the_admin_import_reads_big5_and_refuses_other_bytes_in_zh_hant(client, admin_user, seeded_plan):
    client.force_login(admin_user)
    export_index = str([f.fmt for f in IndicatorAdmin.export_formats].index("csv"))
    exported = client.post(reverse("admin:kpi_indicator_export"), {"resource": "0", "format": export_index})
    assert exported.content.startswith(BOM)
    # Excel's "CSV (逗號分隔)": Big5, a character Big5 lacks saved as "?".
    big5 = exported.content.decode("utf-8-sig").encode("cp950", errors="replace")
    csv_index = str([f().get_extension() for f in IndicatorAdmin.formats].index("csv"))

    def upload(data):
        return client.post(
            reverse("admin:kpi_indicator_import"),
            {"resource": "0", "format": csv_index, "import_file": SimpleUploadedFile("indicators.csv", data)},
        )

    response = upload(big5)
    assert response.status_code == 200
    assert "result" in response.context, response.context["form"].errors
    assert READ_AS.format("Big5（CP950）") in response.content.decode()

    response = upload(b"\xff\xfe\xfd,\x81\r\n")
    assert response.status_code == 200
    [message] = response.context["form"].errors["import_file"]
    assert message.startswith("無法讀取 CSV 檔：第 1 行含有不是 UTF-8 或 Big5（CP950） 編碼的位元組")
    assert "UnicodeDecodeError" not in response.content.decode()


# --- codes survive Excel ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("1-1", '="1-1"'),
        ("共1-1", '="共1-1"'),
        ('a"b', '="a""b"'),
        ("=1+1", "'=1+1"),  # formula-like text is no code: the apostrophe, as for any text
        ("", ""),
        (None, None),
        (5, 5),
    ],
)
def test_a_code_is_written_for_excel_to_keep_as_text_and_read_back(value, written):
    assert writing.excel_code(value) == written
    assert writing.csv_text_read(written) == value


def test_the_template_and_the_yearly_csv_write_codes_as_text(client, cast, hostile):  # noqa: F811
    for name in ("report_import_template", "yearly_download"):
        content = fetch(client, cast, hostile, name, "csv").content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(content)))
        code = rows[0].index("編號")
        codes = [r[code] for r in rows[1:]]
        assert codes and all(re.fullmatch(r'="共?\d+-\d+"', c) for c in codes), codes[:5]
        assert '="1-1"' in codes


def test_the_open_data_csv_keeps_codes_plain_for_programs(client, hostile):  # noqa: F811
    rows = list(csv.DictReader(io.StringIO(client.get("/open-data/attainment/113.csv").content.decode("utf-8-sig"))))
    assert "1-1" in {r["code"] for r in rows}


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_codes_are_text_cells_in_xlsx_and_ods(client, cast, hostile, fmt):  # noqa: F811
    content = fetch(client, cast, hostile, "yearly_download", fmt).content
    column = EXPORT_HEADERS.index("編號")
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(content))["績效年報"]
        cells = [row[column] for row in sheet.iter_rows(min_row=2)]
        assert cells and {c.data_type for c in cells} == {"s"}
        assert {c.number_format for c in cells} == {"@"}  # a code typed over stays text
    else:
        document = opendocument.load(io.BytesIO(content))
        table = document.spreadsheet.getElementsByType(Table)[0]
        rows = [r for r in table.childNodes if r.qname[1] == "table-row"]
        cells = [[c for c in r.childNodes if c.qname[1] == "table-cell"][column] for r in rows]
        assert {c.attributes[(OFFICENS, "value-type")] for c in cells} == {"string"}
        assert "1-1" in {str(c) for c in cells}


@pytest.mark.parametrize(
    "code",
    ["1-5", '="1-5"', " 1-5 ", "1 - 5"],
)
def test_the_import_takes_a_code_as_typed_or_as_excel_text(staff, periods, today, code):
    row = good_row(by_code()["1-5"], 編號=code)
    data, name = as_file([row])
    result = importers.import_reports(data, name, user=staff, dry_run=True)
    assert result.ok, errors_of(result)
    assert result.rows[0].indicator.code == "1-5"


DATE_MESSAGE = "是日期，不是指標編號：Excel 會把 1-5 這類編號自動轉成日期。請將此欄的儲存格格式設為「文字」"


@pytest.mark.parametrize("code", ["2025/1/5", "1月5日", "2025-01-05", "114/1/5", "5-Jan", "1/5", "2025年1月5日"])
def test_a_code_excel_turned_into_a_date_is_refused_with_how_to_fix_it(staff, periods, today, code):
    data, name = as_file([good_row(by_code()["1-5"], 編號=code)])
    result = importers.import_reports(data, name, user=staff)
    assert not result.applied
    assert errors_of(result) == {
        2: [f"編號：「{code}」{DATE_MESSAGE}（儲存格格式 → 文字），重新輸入編號（例如 1-5）後，再上傳檔案。"]
    }


def test_a_date_cell_in_an_xlsx_is_refused_not_guessed(staff, periods, today):
    book = Workbook()
    sheet = book.active
    sheet.append(list(importers.COLUMNS))
    row = good_row(by_code()["1-5"])
    row["編號"] = datetime.datetime(2025, 1, 5)  # what Excel keeps for 1-5 typed in a General cell
    sheet.append([row.get(h) for h in importers.COLUMNS])
    out = io.BytesIO()
    book.save(out)

    result = importers.import_reports(out.getvalue(), "excel.xlsx", user=staff)

    assert not result.applied
    [[message]] = errors_of(result).values()
    assert message.startswith(f"編號：「2025/1/5」{DATE_MESSAGE}")


def test_what_looks_like_a_date():
    for text in ("2025/1/5", "1月5日", "2025-01-05T00:00:00", "Jan-05", datetime.date(2025, 1, 5)):
        assert reading.looks_like_date(text), text
    for text in ("1-5", "共1-1", "12-31", "第一項", "", "114", "111-114"):
        assert not reading.looks_like_date(text), text


# --- print setup and sheet names ---------------------------------------------------------------


XLSX_SHEETS = {
    "yearly_download": ["績效年報", "燈號統計", "說明"],
    "report_import_template": ["進度填報"],
    "admin_indicator_export": ["指標與年度目標值"],
}


@pytest.mark.parametrize("name", list(XLSX_SHEETS))
def test_every_xlsx_prints_on_a4_landscape_with_its_header_on_every_page(client, cast, hostile, name):  # noqa: F811
    book = load_workbook(io.BytesIO(fetch(client, cast, hostile, name, "xlsx").content))

    assert book.sheetnames == XLSX_SHEETS[name]  # zh-Hant sheet names
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert str(sheet.page_setup.paperSize) == str(sheet.PAPERSIZE_A4)
        assert sheet.print_title_rows == "$1:$1"  # the header row repeats on every printed page
        assert sheet.freeze_panes == "A2"
        assert "&P" in sheet.oddFooter.center.text  # page numbers
        widths = [sheet.column_dimensions[letter].width for letter in _letters(sheet.max_column)]
        assert all(writing.MAX_WIDTH >= w >= 6 for w in widths), widths
        assert bool(sheet.sheet_properties.pageSetUpPr.fitToPage) == (sum(widths) <= writing.FIT_WIDTH)


def _letters(count):
    from openpyxl.utils import get_column_letter

    return [get_column_letter(i) for i in range(1, count + 1)]


def test_a_narrow_sheet_is_fitted_to_the_page_width_a_wide_one_is_not():
    narrow = writing.Sheet(title="窄", headers=["機關", "編號"], rows=[["都市發展處", "1-1"]], code_columns={1})
    wide = writing.Sheet(title="寬", headers=[f"欄{i}" for i in range(40)], rows=[["內容說明文字" * 3] * 40])
    book = load_workbook(io.BytesIO(writing.render("xlsx", [narrow, wide])))
    assert book["窄"].sheet_properties.pageSetUpPr.fitToPage and book["窄"].page_setup.fitToWidth == 1
    assert book["窄"].page_setup.fitToHeight == 0
    assert not book["寬"].sheet_properties.pageSetUpPr.fitToPage
    assert book["窄"]["B2"].value == "1-1" and book["窄"]["B2"].number_format == "@"


@pytest.mark.parametrize(
    ("title", "written"),
    [("績效年報", "績效年報"), ("114/Q1: [草稿]?", "114Q1 草稿"), ("", "工作表1"), ("年" * 40, "年" * 31)],
)
def test_sheet_names_are_what_excel_accepts(title, written):
    assert writing.sheet_title(title) == written
    book = load_workbook(io.BytesIO(writing.render("xlsx", [writing.Sheet(title=title, headers=["a"], rows=[])])))
    assert book.sheetnames == [written]


def test_the_ods_has_sheet_names_widths_and_page_layout(client, cast, hostile):  # noqa: F811
    content = fetch(client, cast, hostile, "yearly_download", "ods").content
    document = opendocument.load(io.BytesIO(content))
    tables = document.spreadsheet.getElementsByType(Table)
    assert [t.getAttribute("name") for t in tables] == ["績效年報", "燈號統計", "說明"]

    styles = {s.getAttribute("name"): s for s in document.automaticstyles.getElementsByType(Style)}
    for table in tables:
        columns = [c for c in table.childNodes if c.qname == (TABLENS, "table-column")]
        assert len(columns) == len(table.getElementsByType(TableRow)[0].childNodes)
        widths = [
            styles[c.getAttribute("stylename")].getElementsByType(TableColumnProperties)[0].getAttribute("columnwidth")
            for c in columns
        ]
        assert all(re.fullmatch(r"\d+\.\d\dcm", w) for w in widths), widths
        master = styles[table.getAttribute("stylename")].getAttribute("masterpagename")
        assert master
    layouts = document.automaticstyles.getElementsByType(PageLayoutProperties)
    assert layouts and {p.attributes[(STYLENS, "print-orientation")] for p in layouts} == {"landscape"}
    assert {p.getAttribute("pagewidth") for p in layouts} == {"29.7cm"}

    # What the app reads an ods with still reads it: the header row, then the data.
    sheet = reading.read_sheet(content, "report.ods")
    assert sheet.headers[:2] == ["機關", "類別"] and sheet.rows[0][0] == 2


def test_a_department_name_wider_than_its_header_widens_the_column():
    sheet = writing.Sheet(title="t", headers=["機關"], rows=[["都市發展處"], [None]])
    assert sheet.column_widths() == [12]  # 5 CJK characters count 10, and 2 to spare


def test_the_yearly_rows_are_unchanged_but_for_the_code(client, cast, hostile):  # noqa: F811
    """The csv's other cells are written as before: only 編號 is ="…"."""
    content = fetch(client, cast, hostile, "yearly_download", "csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0] == EXPORT_HEADERS
    code = EXPORT_HEADERS.index("編號")
    others = [c for r in rows[1:] for i, c in enumerate(r) if i != code]
    assert not [c for c in others if c.startswith('="')]
    assert HOME in content
