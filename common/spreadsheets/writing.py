"""Spreadsheet downloads built from tablib datasets: xlsx, ods and csv.

- xlsx and ods keep numbers as numbers (tablib writes int / Decimal cells as numeric),
  so a planning office can sum and sort them; the xlsx gets readable column widths
  (CJK characters count double), wrapped long text and one decimal place for
  percentages.
- csv carries the first sheet only, encoded as UTF-8 with a byte-order mark, which
  is what Excel in Taiwan needs to open Chinese text correctly (without it, Excel on a
  zh-TW Windows reads the file as Big5 and shows mojibake); data.gov.tw recommends the
  same for open-data CSV. `csv_bytes` is the one csv writer: every csv the app sends
  (the yearly report, the import template, the open-data file, admin's export) is its
  output, and tests/test_excel_clients.py fails if a module writes csv another way.
- Codes (指標編號 1-1) are text that Excel would take for something else: typed or
  opened from a csv, "1-1" becomes 1月1日. A sheet names its code columns
  (`Sheet.code_columns`): csv writes them as Excel's text literal ="1-1" (`excel_code`;
  Excel shows 1-1, and saving the file again writes 1-1), xlsx as text cells formatted
  as text (number format "@", so a code typed over stays text), ods as string cells.
  Reading a csv back (`csv_text_read`) turns ="1-1" into 1-1 again. The open-data csv
  marks no code column: it is a published, machine-read interface (docs/open-data.md).
- Every xlsx is set up to print: A4 landscape, the header row repeated on every page
  (print titles), fitted to the page's width when the columns are not too many to read
  so, page numbers in the footer, the header row frozen. Sheet names are the callers'
  zh-Hant titles, made safe for Excel (`sheet_title`: 31 characters, none of []:*?/ and the backslash),
  工作表1 when a sheet has none. ods gets the sheet names, the column widths and A4
  landscape (fitted to the width by the same rule) too (`_ods`), but neither a frozen
  nor a repeated header row: freezing needs the view settings (settings.xml), which
  neither tablib nor odfpy writes, and a repeated header row lives in
  table:table-header-rows, where tablib (django-import-export's ods reader) does not
  look: admin's ods export read back would lose its header.
- The file name is sent twice (RFC 6266 / RFC 5987): an ASCII `filename` for old
  clients and the real UTF-8 name in `filename*`.
- Text typed by people (narratives, reasons, indicator names) is never taken for a
  formula (CWE-1236, "CSV injection"). The rule is `is_formula_text`: text starting with
  = + - @, a tab or a carriage return, unless it is a plain number ("-5", "+1.5"). How
  each format keeps it inert:
    csv   such a cell gets a leading apostrophe (`csv_text`), what Excel and LibreOffice
          show as "this is text" (OWASP's advice), so a reader of the file sees it;
    xlsx  every text cell is typed as a string (data_type "s"), whatever it starts
          with: never a formula, and shown exactly as written;
    ods   every text cell is string-typed (office:value-type="string", no
          table:formula attribute), which is how tablib writes any str: LibreOffice
          evaluates only a cell's table:formula.
  Numbers stay numbers (a negative figure is a numeric cell, not text). Reading a csv
  back (`csv_text_read`: common.spreadsheets.reading, admin's csv import) drops the
  apostrophe again, so an exported file imported unchanged changes nothing. Every
  spreadsheet the app writes goes through this module: the yearly report and the
  import template (`download`), the open-data CSV (`csv_text`) and admin's
  django-import-export exports (`export_dataset`, through
  common.spreadsheets.admin_formats). Control characters that XML cannot hold (a
  vertical tab pasted from Word, say) would make xlsx and ods fail: every cell goes
  through common.text.clean_text, the rule stored narratives follow too.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from io import BytesIO
from urllib.parse import quote

import tablib
from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from common.text import clean_text

FORMATS: dict[str, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "csv": "text/csv; charset=utf-8",
}
BOM = "\ufeff"  # UTF-8's byte-order mark, EF BB BF: Excel reads the csv as UTF-8, not Big5
MAX_WIDTH = 60  # characters; longer text wraps
LONG_WIDTH = 40
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
EXCEL_LITERAL = re.compile(r'="((?:[^"]|"")*)"', re.DOTALL)  # ="1-1", a quote inside doubled
SHEET_TITLE_LENGTH = 31  # Excel's limit
SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# Print setup. A4 landscape holds about this many characters of 10-point text across (at
# the columns' widths): a sheet up to twice as wide is fitted to the page's width, a wider
# one would print too small to read and runs on over pages, its header row repeated.
PAGE_WIDTH = 130
FIT_WIDTH = 2 * PAGE_WIDTH


def is_formula_text(value: object) -> bool:
    """Whether a spreadsheet could take this cell for a formula (CWE-1236): the one rule.

    Text starting with = + - @, a tab or a carriage return, except a plain number written
    as text ("-5", "+1.5"), which every spreadsheet reads as that number and nothing more.
    """
    return isinstance(value, str) and value.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(value)


def csv_text(value: object) -> object:
    """A csv cell that Excel cannot take for a formula: a leading apostrophe (OWASP's advice).

    Text that already starts with apostrophes before a formula ("'=A1") gets one more, so
    that `csv_text_read` gives back exactly what was written.
    """
    return "'" + value if isinstance(value, str) and is_formula_text(value.lstrip("'")) else value


def excel_code(value: object) -> object:
    """A code as a csv cell that Excel keeps as text: 1-1 → ="1-1" (Excel's text literal).

    Excel takes 1-1 for 1月1日 and 001 for 1; a formula that is only a quoted string shows
    the string, and is inert (nothing in it is evaluated). Text that is itself formula-like
    or holds a line break is no code: it gets `csv_text`'s apostrophe instead.
    """
    if not isinstance(value, str) or not value or "\n" in value or is_formula_text(value.lstrip("'")):
        return csv_text(value)
    return '="' + value.replace('"', '""') + '"'


def csv_text_read(value: object) -> object:
    """What `csv_text` and `excel_code` did undone, for a csv read back: "'=A1" → "=A1", ="1-1" → 1-1.

    So that a file exported and imported again changes nothing. Only an apostrophe that
    `csv_text` adds goes ("'twas" stays as it is); a cell that is a quoted string and
    nothing else (="1-1", what `excel_code` writes, or what someone typed to keep Excel
    from turning a code into a date) is read as its string.
    """
    if not isinstance(value, str):
        return value
    if value.startswith("'") and is_formula_text(value.lstrip("'")):
        return value[1:]
    literal = EXCEL_LITERAL.fullmatch(value.strip())
    if literal:
        return literal.group(1).replace('""', '"')
    return value


def sheet_title(title: str, number: int = 1) -> str:
    """A sheet name Excel accepts: none of []:*?/\\, at most 31 characters; 工作表1 for none."""
    text = SHEET_TITLE_FORBIDDEN.sub("", str(clean_text(title or ""))).strip().strip("'")
    return text[:SHEET_TITLE_LENGTH] or f"工作表{number}"


@dataclass
class Sheet:
    """One sheet: a zh-Hant title and headers, rows, and which columns are long text,
    percentages or codes (text that must stay text: `excel_code`)."""

    title: str
    headers: list[str]
    rows: list[list[object]]
    long_columns: set[int] = field(default_factory=set)  # 0-based indexes
    percent_columns: set[int] = field(default_factory=set)
    code_columns: set[int] = field(default_factory=set)
    # A second header row under the first (the plan's tables put the years under 年度績效目標值).
    subheader: list[object] | None = None

    @classmethod
    def from_dataset(cls, dataset: tablib.Dataset) -> Sheet:
        return cls(title=dataset.title or "", headers=list(dataset.headers or []), rows=[list(r) for r in dataset])

    def dataset(self, cell=clean_text) -> tablib.Dataset:
        data = tablib.Dataset(headers=self.headers, title=self.title)
        for row in [self.subheader] if self.subheader else []:
            data.append([cell(v) for v in row])
        for row in self.rows:
            data.append([cell(v) for v in row])
        return data

    def column_widths(self) -> list[float]:
        """Each column's width in characters (CJK counting two): the widest cell, within limits."""
        widths = []
        for index, header in enumerate(self.headers):
            widest = max(
                [display_width(str(header))]
                + [
                    display_width(str(r[index]))
                    for r in ([self.subheader, *self.rows] if self.subheader else self.rows)
                    if index < len(r) and r[index] is not None
                ]
            )
            limit = LONG_WIDTH if index in self.long_columns else MAX_WIDTH
            widths.append(max(6, min(widest + 2, limit)))
        return widths


def display_width(text: str) -> int:
    """How many Latin characters wide `text`'s longest line is: CJK (wide) characters count as two."""
    return max(sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line) for line in text.split("\n"))


def render(fmt: str, sheets: list[Sheet]) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    if fmt == "csv":
        return csv_bytes(sheets[0])
    if fmt == "ods":
        return _ods(sheets)
    return _xlsx(sheets)


def csv_bytes(sheet: Sheet) -> bytes:
    """The one csv writer: UTF-8 with a byte-order mark, CRLF line ends, RFC 4180 quoting;
    formula-like text escaped (`csv_text`), codes kept as text (`excel_code`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_text(clean_text(h)) for h in sheet.headers])
    if sheet.subheader:
        writer.writerow([csv_text(clean_text(h)) for h in sheet.subheader])
    for row in sheet.rows:
        writer.writerow(
            [
                excel_code(value) if index in sheet.code_columns else csv_text(value)
                for index, value in enumerate(clean_text(v) for v in row)
            ]
        )
    return (BOM + out.getvalue()).encode("utf-8")


def export_dataset(fmt: str, dataset: tablib.Dataset) -> bytes:
    """A tablib dataset (django-import-export's export) written as `fmt` under the same rules.

    Bytes in every format, the csv with its byte-order mark: common.spreadsheets.admin_formats
    declares its formats binary, and reads a csv back through `reading.decode_csv`.
    """
    return render(fmt, [Sheet.from_dataset(dataset)])


BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
TEXT_FORMAT = "@"  # Excel's "text" number format: what is typed in the cell stays text


def _xlsx_cell(
    sheet, value: object, *, header: bool = False, long: bool = False, percent: bool = False, code: bool = False
):
    value = clean_text(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text, even when it starts with "=": never a formula
    if header:
        cell.font = BOLD
        return cell
    cell.alignment = WRAP if long or (isinstance(value, str) and "\n" in value) else TOP
    if code:
        if value is not None and not isinstance(value, str):
            cell.value, cell.data_type = str(value), "s"
        cell.number_format = TEXT_FORMAT
    elif percent and value is not None:
        cell.number_format = "0.0"
    return cell


def _xlsx_print_setup(sheet, spec: Sheet, widths: list[float]) -> None:
    """A4 landscape, the header row on every page, fitted to the width when it stays readable."""
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE
    if spec.headers:
        sheet.print_title_rows = "1:2" if spec.subheader else "1:1"
    if sum(widths) <= FIT_WIDTH:
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0  # as many pages down as it takes
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.print_options.gridLines = True
    sheet.oddHeader.center.text = "&A"  # the sheet's name
    sheet.oddFooter.center.text = "第 &P 頁，共 &N 頁"


def _xlsx(sheets: list[Sheet]) -> bytes:
    """Bold frozen headers, typed cells, readable widths, wrapped long text, one-place
    percentages, codes as text, set up to print (`_xlsx_print_setup`).

    Written row by row (openpyxl's write-only mode): a city's report is over 300,000
    cells, and building the whole workbook in memory first took twice as long.
    """
    workbook = Workbook(write_only=True)
    for number, spec in enumerate(sheets):
        sheet = workbook.create_sheet(title=sheet_title(spec.title, number + 1))
        widths = spec.column_widths()
        for index, width in enumerate(widths):
            sheet.column_dimensions[get_column_letter(index + 1)].width = width
        sheet.freeze_panes = "A3" if spec.subheader else "A2"
        _xlsx_print_setup(sheet, spec, widths)
        if number == 0 and spec.rows and not spec.subheader:  # the data sheet: filter by department, light …
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(spec.headers))}{len(spec.rows) + 1}"
        sheet.append([_xlsx_cell(sheet, header, header=True) for header in spec.headers])
        if spec.subheader:
            sheet.append([_xlsx_cell(sheet, value, header=True) for value in spec.subheader])
        for row in spec.rows:
            sheet.append(
                [
                    _xlsx_cell(
                        sheet,
                        value,
                        long=index in spec.long_columns,
                        percent=index in spec.percent_columns,
                        code=index in spec.code_columns,
                    )
                    for index, value in enumerate(row)
                ]
            )
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def _ods(sheets: list[Sheet]) -> bytes:
    """tablib's cells (every str a string cell, never a formula; numbers float), in a document
    that names its sheets, sizes its columns and prints on A4 landscape (see the module's
    docstring for what an ods does not get)."""
    from odf import opendocument, style, table
    from odf.namespaces import STYLENS
    from tablib.formats._ods import ODSFormat, bold

    document = opendocument.OpenDocumentSpreadsheet()
    document.automaticstyles.addElement(bold)
    for number, spec in enumerate(sheets):
        widths = spec.column_widths()
        layout = style.PageLayout(name=f"pl{number}")
        properties = {
            "printorientation": "landscape",
            "pagewidth": "29.7cm",
            "pageheight": "21cm",
            "margintop": "1.5cm",
            "marginbottom": "1.5cm",
            "marginleft": "1cm",
            "marginright": "1cm",
        }
        page = style.PageLayoutProperties(**properties)
        if sum(widths) <= FIT_WIDTH:
            # ODF 1.2: one page wide, as many down as it takes (odfpy does not know the attribute).
            page.setAttrNS(STYLENS, "scale-to-X", "1")
        layout.addElement(page)
        document.automaticstyles.addElement(layout)
        master = style.MasterPage(name=f"page{number}", pagelayoutname=layout)
        document.masterstyles.addElement(master)
        table_style = style.Style(name=f"ta{number}", family="table", masterpagename=master)
        table_style.addElement(style.TableProperties(display="true"))
        document.automaticstyles.addElement(table_style)

        sheet = table.Table(name=sheet_title(spec.title, number + 1), stylename=table_style)
        for index, width in enumerate(widths):
            column_style = style.Style(name=f"co{number}_{index}", family="table-column")
            column_style.addElement(style.TableColumnProperties(columnwidth=f"{width * 0.2:.2f}cm"))
            document.automaticstyles.addElement(column_style)
            sheet.addElement(table.TableColumn(stylename=column_style))
        ODSFormat.dset_sheet(spec.dataset(), sheet)  # tablib's cells: see the module's docstring
        document.spreadsheet.addElement(sheet)
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def content_disposition(filename: str, ascii_fallback: str) -> str:
    """attachment; filename="ascii.xlsx"; filename*=UTF-8''%E7%B8%BE….xlsx (RFC 6266, RFC 5987)."""
    fallback = ascii_fallback.encode("ascii", "ignore").decode().replace('"', "").replace("\\", "")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download(fmt: str, sheets: list[Sheet], *, stem: str, ascii_stem: str) -> HttpResponse:
    response = HttpResponse(render(fmt, sheets), content_type=FORMATS[fmt])
    response["Content-Disposition"] = content_disposition(f"{stem}.{fmt}", f"{ascii_stem}.{fmt}")
    response["X-Content-Type-Options"] = "nosniff"
    return response
