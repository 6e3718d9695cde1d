"""Reading an uploaded spreadsheet (xlsx, ods or csv) into a header and numbered rows.

Free of any app: importers (`kpi.importers`) decide what the columns mean. The file is
xlsx, ods or csv (UTF-8 with or without a BOM, or Big5 as Excel in Taiwan saves it);
the header is the first non-blank row, normally row 1, and every data row keeps its row
number as the spreadsheet shows it.

csv is read through the csv module, xlsx through openpyxl (read-only), ods through
odfpy — the libraries tablib uses, called directly because tablib's loaders drop blank
csv/ods rows (so row numbers would no longer match the spreadsheet), read an ods
number's displayed (rounded) text rather than its value, and lose Excel's percent
format (a cell showing 85% holds 0.85; here it reads as "85%"). Large files are refused
before any work: at most `MAX_FILE_BYTES` bytes, `MAX_UNPACKED_BYTES` unpacked, and
`MAX_ROWS` data rows.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from common.spreadsheets.writing import csv_text_read
from common.wording import join_list

FORMATS = ("xlsx", "ods", "csv")
MAX_ROWS = 5000
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # a zip that unpacks to more is refused unread
MEGABYTE = 1048576


class FileError(Exception):
    """The file as a whole cannot be read or used (wrong type, too large, no header …)."""


@dataclass
class Sheet:
    """A spreadsheet's header and its non-blank data rows, each with its row number as shown."""

    headers: list[str]
    rows: list[tuple[int, list]]


def file_format(name: str) -> str:
    """The format from the file name's extension, or FileError."""
    ext = name.rsplit(".", 1)[-1].lower() if "." in (name or "") else ""
    if ext not in FORMATS:
        if not ext:
            raise FileError(_("Files without an extension are not accepted; upload an xlsx, ods or csv file."))
        if ext == "xls":
            raise FileError(
                _("“.xls” files are not accepted; upload an xlsx, ods or csv file (save an Excel .xls file as .xlsx).")
            )
        raise FileError(_("“.%(ext)s” files are not accepted; upload an xlsx, ods or csv file.") % {"ext": ext})
    return ext


def check_size(size: int) -> None:
    """FileError when a file of `size` bytes is over `MAX_FILE_BYTES`."""
    if size > MAX_FILE_BYTES:
        raise FileError(
            _("The file is %(size)s MB, over the limit of %(limit)s MB; import it in parts.")
            % {"size": f"{size / MEGABYTE:.1f}", "limit": MAX_FILE_BYTES // MEGABYTE}
        )


def read_sheet(data: bytes, name: str, *, required: Iterable[str] = ()) -> Sheet:
    """The file's header and data rows; FileError when it cannot be read or lacks a `required` column.

    Headers are normalised by `header_text` (spaces, a required-marker * and a trailing
    note in brackets go), so `required` names columns as the importer writes them.
    """
    fmt = file_format(name)
    if not data:
        raise FileError(_("The file is empty."))
    check_size(len(data))
    if fmt == "csv":
        rows = _csv_rows(data)
    else:
        _check_zip(data, fmt)
        rows = _xlsx_rows(data) if fmt == "xlsx" else _ods_rows(data)
    with contextlib.closing(rows):
        return _sheet(rows, tuple(required))


def _sheet(rows: Iterator[tuple[int, list]], required: tuple[str, ...]) -> Sheet:
    headers: list[str] | None = None
    data: list[tuple[int, list]] = []
    for number, cells in rows:
        if all(is_blank(c) for c in cells):
            continue
        if headers is None:
            headers = [header_text(c) for c in cells]
            continue
        if len(data) == MAX_ROWS:
            raise FileError(
                _("The file has more than the limit of %(limit)s data rows; import it in parts.")
                % {"limit": f"{MAX_ROWS:,}"}
            )
        data.append((number, list(cells)))
    if headers is None:
        raise FileError(_("The file has no data at all."))
    seen = set()
    for header in headers:
        if header and header in seen:
            raise FileError(
                _("The column “%(column)s” appears twice; each column may appear only once.") % {"column": header}
            )
        seen.add(header)
    missing = [c for c in required if c not in seen]
    if missing:
        raise FileError(
            _(
                "The file lacks required columns: %(columns)s. The first row must hold the column names "
                "(use the downloaded template)."
            )
            % {"columns": join_list(missing)}
        )
    if not data:
        raise FileError(_("The file has only the column names and no data rows."))
    return Sheet(headers=headers, rows=data)


def header_text(value) -> str:
    """累計實績（%） → 累計實績; spaces, line breaks and a required-marker * go."""
    text = re.sub(r"\s+", "", cell_text(value)).lstrip("\ufeff").strip("*＊")
    return re.sub(r"[（(][^（(]*[）)]$", "", text)


def _check_zip(data: bytes, fmt: str) -> None:
    broken = FileError(
        _("Cannot read the %(format)s file: it may be damaged, or its extension may not match its content.")
        % {"format": fmt}
    )
    if not data.startswith(b"PK\x03\x04"):
        raise broken
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise broken from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise FileError(_("The file's content is too large to import; import it in parts."))


def _csv_rows(data: bytes) -> Iterator[tuple[int, list]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            # Excel in Taiwan saves "CSV (逗號分隔)" in Big5 (cp950).
            text = data.decode("cp950")
        except UnicodeDecodeError:
            raise FileError(_("Cannot tell the CSV file's text encoding; save it as “CSV UTF-8”.")) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        # The apostrophe our downloads put before formula-like text goes (writing.csv_text_read).
        yield from ((number, [csv_text_read(cell) for cell in row]) for number, row in enumerate(reader, start=1))
    except csv.Error:
        raise FileError(
            _(
                "The CSV file is malformed near line %(line)s (for example an unpaired quote or a field "
                "that is too long) and cannot be read."
            )
            % {"line": reader.line_num}
        ) from None


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken file
        raise FileError(_("Cannot read the xlsx file: it may be damaged, or it is not an Excel workbook.")) from None
    try:
        sheet = book.active
        if sheet is None or not hasattr(sheet, "iter_rows"):
            raise FileError(_("The xlsx file has no worksheet that can be read."))
        sheet.reset_dimensions()  # some writers record a wrong size; read what is there
        try:
            for number, row in enumerate(sheet.iter_rows(min_row=1), start=1):
                yield number, [_xlsx_value(cell) for cell in row]
        except FileError:
            raise
        except Exception:
            raise FileError(_("Cannot read the xlsx file: it may be damaged.")) from None
    finally:
        book.close()


def _xlsx_value(cell):
    value = cell.value
    if isinstance(value, int | float) and not isinstance(value, bool) and "%" in (cell.number_format or ""):
        # A cell showing 85% holds 0.85: read it as people see it.
        return f"{plain_number(Decimal(str(value)) * 100)}%"
    return value


def _ods_attr(element, name):
    try:
        return element.getAttribute(name)
    except (ValueError, AttributeError):
        return None


def _ods_rows(data: bytes) -> Iterator[tuple[int, list]]:
    from odf import opendocument, table, teletype
    from odf import text as odf_text

    try:
        document = opendocument.load(io.BytesIO(data))
        tables = document.spreadsheet.getElementsByType(table.Table)
    except Exception:  # odfpy raises many kinds for a broken file
        raise FileError(_("Cannot read the ods file: it may be damaged, or it is not a spreadsheet.")) from None
    if not tables:
        raise FileError(_("The ods file has no worksheet that can be read."))

    def value(cell):
        kind = _ods_attr(cell, "valuetype")
        if kind in ("float", "currency", "percentage"):
            raw = _ods_attr(cell, "value")
            try:
                number = Decimal(raw)
            except (InvalidOperation, TypeError):
                number = None
            if number is not None:
                return f"{plain_number(number * 100)}%" if kind == "percentage" else number
        if kind == "date" and _ods_attr(cell, "datevalue"):
            text = _ods_attr(cell, "datevalue")
            with contextlib.suppress(ValueError):
                return datetime.datetime.fromisoformat(text) if "T" in text else datetime.date.fromisoformat(text)
        return "\n".join(teletype.extractText(p) for p in cell.getElementsByType(odf_text.P))

    number = 0
    for row in tables[0].getElementsByType(table.TableRow):
        repeat = int(_ods_attr(row, "numberrowsrepeated") or 1)
        cells, pending_blanks = [], 0
        for cell in row.childNodes:
            if cell.qname[1] not in ("table-cell", "covered-table-cell"):
                continue
            span = int(_ods_attr(cell, "numbercolumnsrepeated") or 1)
            content = value(cell)
            if is_blank(content):
                pending_blanks += span  # trailing blanks can repeat a thousand times: keep them lazy
                continue
            cells.extend([""] * pending_blanks)
            pending_blanks = 0
            cells.extend([content] * min(span, 1000))
        if not cells:
            number += repeat
            continue
        for _repeat in range(repeat):
            number += 1
            yield number, cells


# --- Cells ------------------------------------------------------------------------


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def plain_number(number: Decimal) -> str:
    """Decimal('85.00') → '85'; Decimal('0.50') → '0.5'."""
    normalized = number.normalize()
    return f"{normalized.to_integral_value():f}" if normalized == normalized.to_integral_value() else f"{normalized:f}"


def cell_text(value) -> str:
    """A cell as text: 1.0 → "1", 0.1 → "0.1" (a float's shortest form), Decimal("5.0") → "5"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return plain_number(value) if value.is_finite() else str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value).strip()
