"""Spreadsheet downloads built from tablib datasets: xlsx, ods and csv.

- xlsx and ods keep numbers as numbers (tablib writes int / Decimal cells as numeric),
  so a planning office can sum and sort them; the xlsx gets readable column widths
  (CJK characters count double), wrapped long text and one decimal place for
  percentages.
- csv carries the first sheet only, encoded as UTF-8 with a byte-order mark, which
  is what Excel in Taiwan needs to open Chinese text correctly.
- The file name is sent twice (RFC 6266 / RFC 5987): an ASCII `filename` for old
  clients and the real UTF-8 name in `filename*`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from io import BytesIO
from urllib.parse import quote

import tablib
import tablib.formats
from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

FORMATS: dict[str, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "csv": "text/csv; charset=utf-8",
}
MAX_WIDTH = 60  # characters; longer text wraps
LONG_WIDTH = 40


@dataclass
class Sheet:
    """One sheet: a title, zh-Hant headers, rows, and which columns are long text or percentages."""

    title: str
    headers: list[str]
    rows: list[list[object]]
    long_columns: set[int] = field(default_factory=set)  # 0-based indexes
    percent_columns: set[int] = field(default_factory=set)

    def dataset(self) -> tablib.Dataset:
        data = tablib.Dataset(headers=self.headers, title=self.title)
        for row in self.rows:
            data.append(row)
        return data


def display_width(text: str) -> int:
    """How many Latin characters wide `text` is: CJK (wide) characters count as two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def render(fmt: str, sheets: list[Sheet]) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    if fmt == "csv":
        # Excel opens a UTF-8 CSV as Big5 unless it starts with a BOM.
        return sheets[0].dataset().export("csv").encode("utf-8-sig")
    if fmt == "ods":
        return tablib.Databook([s.dataset() for s in sheets]).export("ods")
    return _xlsx(sheets)


def _xlsx(sheets: list[Sheet]) -> bytes:
    """tablib fills each sheet (bold frozen headers, typed cells); then widths, wrapping and formats.

    Filling an openpyxl workbook through tablib's xlsx format, rather than exporting and
    reading the file back, saves writing and parsing the whole file a second time.
    """
    xlsx = tablib.formats.registry.get_format("xlsx")
    workbook = Workbook()
    workbook.remove(workbook.active)
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    for number, spec in enumerate(sheets):
        sheet = workbook.create_sheet(title=spec.title)
        xlsx.dset_sheet(spec.dataset(), sheet, freeze_panes=True)
        for index, header in enumerate(spec.headers):
            letter = get_column_letter(index + 1)
            widest = max(
                [display_width(str(header))] + [display_width(str(r[index])) for r in spec.rows if r[index] is not None]
            )
            long = index in spec.long_columns
            sheet.column_dimensions[letter].width = max(6, min(widest + 2, LONG_WIDTH if long else MAX_WIDTH))
            for cell in sheet[letter][1:]:
                cell.alignment = wrap if long else top
                if index in spec.percent_columns and cell.value is not None:
                    cell.number_format = "0.0"
        if number == 0 and spec.rows:
            sheet.auto_filter.ref = sheet.dimensions  # the data sheet: filter by department, light …
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
