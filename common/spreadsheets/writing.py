"""Spreadsheet downloads built from tablib datasets: xlsx, ods and csv.

- xlsx and ods keep numbers as numbers (tablib writes int / Decimal cells as numeric),
  so a planning office can sum and sort them; the xlsx gets readable column widths
  (CJK characters count double), wrapped long text and one decimal place for
  percentages.
- csv carries the first sheet only, encoded as UTF-8 with a byte-order mark, which
  is what Excel in Taiwan needs to open Chinese text correctly.
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

from common.text import clean_text

FORMATS: dict[str, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "csv": "text/csv; charset=utf-8",
}
MAX_WIDTH = 60  # characters; longer text wraps
LONG_WIDTH = 40
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


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


def csv_text_read(value: object) -> object:
    """`csv_text` undone, for a csv read back (the import template, admin's export): "'=A1" → "=A1".

    So that a file exported and imported again changes nothing. Only an apostrophe that
    `csv_text` adds goes; "'twas" stays as it is.
    """
    if isinstance(value, str) and value.startswith("'") and is_formula_text(value.lstrip("'")):
        return value[1:]
    return value


@dataclass
class Sheet:
    """One sheet: a title, zh-Hant headers, rows, and which columns are long text or percentages."""

    title: str
    headers: list[str]
    rows: list[list[object]]
    long_columns: set[int] = field(default_factory=set)  # 0-based indexes
    percent_columns: set[int] = field(default_factory=set)
    # A second header row under the first (the plan's tables put the years under 年度績效目標值).
    subheader: list[object] | None = None

    @classmethod
    def from_dataset(cls, dataset: tablib.Dataset) -> Sheet:
        return cls(
            title=dataset.title or "Sheet1", headers=list(dataset.headers or []), rows=[list(r) for r in dataset]
        )

    def dataset(self, cell=clean_text) -> tablib.Dataset:
        data = tablib.Dataset(headers=self.headers, title=self.title)
        for row in [self.subheader] if self.subheader else []:
            data.append([cell(v) for v in row])
        for row in self.rows:
            data.append([cell(v) for v in row])
        return data


def display_width(text: str) -> int:
    """How many Latin characters wide `text` is: CJK (wide) characters count as two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def render(fmt: str, sheets: list[Sheet]) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    if fmt == "csv":
        # Excel opens a UTF-8 CSV as Big5 unless it starts with a BOM.
        return _csv(sheets[0]).encode("utf-8-sig")
    if fmt == "ods":
        # tablib writes every str as a string-typed cell, never a formula (see above).
        return tablib.Databook([s.dataset() for s in sheets]).export("ods")
    return _xlsx(sheets)


def export_dataset(fmt: str, dataset: tablib.Dataset) -> bytes | str:
    """A tablib dataset (django-import-export's export) written as `fmt` under the same rule.

    csv comes back as text, without a byte-order mark: django-import-export encodes it and
    reads it back as it wrote it. xlsx and ods come back as bytes.
    """
    sheet = Sheet.from_dataset(dataset)
    if fmt == "csv":
        return _csv(sheet)
    return render(fmt, [sheet])


def _csv(sheet: Sheet) -> str:
    return sheet.dataset(lambda v: csv_text(clean_text(v))).export("csv")


BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")


def _xlsx_cell(sheet, value: object, *, header: bool = False, long: bool = False, percent: bool = False):
    value = clean_text(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text, even when it starts with "=": never a formula
    if header:
        cell.font = BOLD
        return cell
    cell.alignment = WRAP if long or (isinstance(value, str) and "\n" in value) else TOP
    if percent and value is not None:
        cell.number_format = "0.0"
    return cell


def _xlsx(sheets: list[Sheet]) -> bytes:
    """Bold frozen headers, typed cells, readable widths, wrapped long text, one-place percentages.

    Written row by row (openpyxl's write-only mode): a city's report is over 300,000
    cells, and building the whole workbook in memory first took twice as long.
    """
    workbook = Workbook(write_only=True)
    for number, spec in enumerate(sheets):
        sheet = workbook.create_sheet(title=spec.title)
        headed = [spec.subheader, *spec.rows] if spec.subheader else spec.rows
        for index, header in enumerate(spec.headers):
            widest = max(
                [display_width(str(header))] + [display_width(str(r[index])) for r in headed if r[index] is not None]
            )
            limit = LONG_WIDTH if index in spec.long_columns else MAX_WIDTH
            sheet.column_dimensions[get_column_letter(index + 1)].width = max(6, min(widest + 2, limit))
        sheet.freeze_panes = "A3" if spec.subheader else "A2"
        if number == 0 and spec.rows and not spec.subheader:  # the data sheet: filter by department, light …
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(spec.headers))}{len(spec.rows) + 1}"
        sheet.append([_xlsx_cell(sheet, header, header=True) for header in spec.headers])
        if spec.subheader:
            sheet.append([_xlsx_cell(sheet, value, header=True) for value in spec.subheader])
        for row in spec.rows:
            sheet.append(
                [
                    _xlsx_cell(sheet, value, long=index in spec.long_columns, percent=index in spec.percent_columns)
                    for index, value in enumerate(row)
                ]
            )
    out = BytesIO()
    workbook.save(out)
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
