"""Reading an uploaded spreadsheet (xlsx, ods or csv) into a header and numbered rows.

Free of any app: importers (`kpi.importers`) decide what the columns mean. The file is
xlsx, ods or csv; the header is the first non-blank row, normally row 1, and every data
row keeps its row number as the spreadsheet shows it.

A csv's text encoding is `decode_csv`'s, the one rule for every csv import (this
module's `read_sheet`, admin's import through common.spreadsheets.admin_formats):
UTF-8 with or without a byte-order mark, else Big5 as Windows writes it (CP950: what
Excel on a zh-TW Windows saves as "CSV (逗號分隔)"). The sheet says which it read
(`Sheet.encoding`, `encoding_note`: 已以 Big5（CP950）編碼讀取檔案), so a clerk can
tell when a file was not what they thought; bytes that are neither are refused with a
message naming both encodings and the line, never a UnicodeDecodeError. A cell written
as Excel's text literal (="1-1", what our csv downloads write for codes) is read as its
text (common.spreadsheets.writing.csv_text_read).

csv is read through the csv module, xlsx through openpyxl (read-only), ods through
odfpy — the libraries tablib uses, called directly because tablib's loaders drop blank
csv/ods rows (so row numbers would no longer match the spreadsheet), read an ods
number's displayed (rounded) text rather than its value, and lose Excel's percent
format (a cell showing 85% holds 0.85; here it reads as "85%").

Limits (the rule; `check_limits` applies it to a file the admin's import reads through
tablib). A small file can unpack into millions of rows, so the work is bounded, not
only the size:

- before any work: at most `MAX_FILE_BYTES` bytes and `MAX_UNPACKED_BYTES` unpacked;
  an xlsx sheet that *declares* (its dimension) more rows, columns or cells than the
  limits below is refused unread — but the declaration is only a shortcut, the counts
  below are still kept while reading;
- an ods is walked with expat before odfpy builds its document in memory, counting
  row and cell elements against the same limits, and all its elements against
  `MAX_ODS_ELEMENTS` (odfpy's cost is per element);
- while reading: every row read counts against `MAX_SHEET_ROWS`, blank or not (a
  blank row costs as much to read as a full one), every cell against `MAX_CELLS`, a
  row's width against `MAX_COLUMNS`, non-blank rows after the header against
  `MAX_ROWS`, and the time spent against `MAX_READ_SECONDS`.

Each refusal names the limit and says to import in parts.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import re
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.spreadsheets.writing import csv_text_read
from common.wording import join_list

FORMATS = ("xlsx", "ods", "csv")
MAX_ROWS = 5000  # data rows: non-blank rows after the header
MAX_SHEET_ROWS = 2 * MAX_ROWS  # every row read up to the last one, blank or not, the header too
MAX_COLUMNS = 256  # cells in one row, blank ones included (a template has a few dozen columns)
MAX_CELLS = 500_000  # cells read in all, blank ones included: 5,000 rows of 100 columns
# Wall time to read the file, below gunicorn's 60 s (config/gunicorn.conf.py) so that the clerk
# gets this message, not a dropped connection, with time left to check and save the rows. A
# legitimate 5,000-row, 15-column file takes about 4 s as xlsx and 14–22 s as ods (odfpy builds
# the whole document) on a busy 2-core machine.
MAX_READ_SECONDS = 40
# odfpy builds an ods's whole document in memory, about 700 bytes and 60 µs an element (a
# cell is two or three: the cell, its paragraph, a span): more than this many elements in
# its content would take minutes and a gigabyte within the cell limit. A 5,000-row,
# 15-column sheet has about 200,000.
MAX_ODS_ELEMENTS = 400_000
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # a zip that unpacks to more is refused unread
MEGABYTE = 1048576


class FileError(Exception):
    """The file as a whole cannot be read or used (wrong type, too large, no header …).

    `encoding`: a csv's text encoding when it was decoded before the refusal (columns
    missing from a file read as Big5 may mean it was some other encoding), else "".
    """

    encoding = ""


@dataclass
class Sheet:
    """A spreadsheet's header and its non-blank data rows, each with its row number as shown;
    for a csv, the text encoding it was read in (a key of `ENCODINGS`), else ""."""

    headers: list[str]
    rows: list[tuple[int, list]]
    encoding: str = ""

    @property
    def encoding_note(self) -> str:
        return encoding_note(self.encoding)


# --- Text encodings of a csv ---------------------------------------------------------

UTF8, UTF8_BOM, CP950 = "utf-8", "utf-8-sig", "cp950"
# The encodings tried, and how people call them.
ENCODINGS = {
    UTF8_BOM: gettext_lazy("UTF-8 (with BOM)"),
    UTF8: "UTF-8",
    CP950: gettext_lazy("Big5 (CP950)"),
}
UTF8_BOM_BYTES = b"\xef\xbb\xbf"


def decode_csv(data: bytes) -> tuple[str, str]:
    """A csv's bytes as text, and which encoding (a key of `ENCODINGS`) read them; FileError
    when they are neither UTF-8 nor Big5 (CP950).

    UTF-8 first: a Big5 file of Chinese text is practically never valid UTF-8, whereas UTF-8
    text often decodes as Big5 without an error (into nonsense), so the order decides. A
    byte-order mark goes, and says UTF-8 whatever follows it.
    """
    if data.startswith(UTF8_BOM_BYTES):
        body = data[len(UTF8_BOM_BYTES) :]
        try:
            return body.decode(UTF8), UTF8_BOM
        except UnicodeDecodeError as exc:
            raise undecodable(body, exc, tried=[UTF8_BOM]) from None
    try:
        return data.decode(UTF8), UTF8
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode(CP950), CP950
        except UnicodeDecodeError:
            raise undecodable(data, utf8_error, tried=[UTF8, CP950]) from None


def undecodable(data: bytes, error: UnicodeDecodeError, *, tried: list[str]) -> FileError:
    """The refusal of a csv whose bytes are none of the `tried` encodings, naming them and the line."""
    line = data[: error.start].count(b"\n") + 1
    return FileError(
        _(
            "Cannot read the CSV file: line %(line)s has bytes that are not valid %(encodings)s text. "
            "In Excel, use “Save As” and choose “CSV UTF-8 (comma delimited)”, then upload the file again."
        )
        % {
            "line": line,
            "encodings": ENCODINGS[tried[0]]
            if len(tried) == 1
            else _("%(first)s or %(second)s") % {"first": ENCODINGS[tried[0]], "second": ENCODINGS[tried[1]]},
        }
    )


def encoding_note(encoding: str) -> str:
    """已以 Big5（CP950）編碼讀取檔案。 — "" for no encoding (an xlsx or ods)."""
    if not encoding:
        return ""
    return _("The file was read in the %(encoding)s encoding.") % {"encoding": ENCODINGS.get(encoding, encoding)}


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
    """The file's header and data rows; FileError when it cannot be read, is over a limit or
    lacks a `required` column.

    Headers are normalised by `header_text` (spaces, a required-marker * and a trailing
    note in brackets go), so `required` names columns as the importer writes them.
    """
    rows, encoding = _rows(data, file_format(name))
    with contextlib.closing(rows):
        try:
            sheet = _sheet(_counted(rows), tuple(required))
        except FileError as exc:
            exc.encoding = encoding
            raise
    sheet.encoding = encoding
    return sheet


def check_limits(data: bytes, fmt: str) -> str:
    """FileError when the file (of format `fmt`: xlsx, ods or csv) is over a limit or
    cannot be read; reads it as `read_sheet` does and keeps nothing but a csv's encoding
    (a key of `ENCODINGS`; "" for xlsx and ods), for `encoding_note`.

    For importers that read the file with another library (the admin's, through tablib):
    call this first, so that the same limits hold before that library does any work.
    """
    if fmt not in FORMATS:
        raise FileError(_("“.%(ext)s” files are not accepted; upload an xlsx, ods or csv file.") % {"ext": fmt})
    rows, encoding = _rows(data, fmt)
    with contextlib.closing(rows):
        for _row in _counted(rows):
            pass
    return encoding


def _rows(data: bytes, fmt: str) -> tuple[Iterator[tuple[int, list]], str]:
    """The file's rows, and a csv's encoding ("" for xlsx and ods)."""
    if not data:
        raise FileError(_("The file is empty."))
    check_size(len(data))
    if fmt == "csv":
        text, encoding = decode_csv(data)
        return _csv_rows(text), encoding
    _check_zip(data, fmt)
    return (_xlsx_rows(data) if fmt == "xlsx" else _ods_rows(data)), ""


# --- Limits -------------------------------------------------------------------------


def too_many_rows() -> FileError:
    return FileError(
        _(
            "The sheet has more than the limit of %(limit)s rows, counting blank rows; delete the empty rows "
            "below the data, or import it in parts."
        )
        % {"limit": f"{MAX_SHEET_ROWS:,}"}
    )


def too_many_columns() -> FileError:
    return FileError(
        _(
            "The sheet has more than the limit of %(limit)s columns, counting blank ones; delete the unused "
            "columns to the right of the data."
        )
        % {"limit": f"{MAX_COLUMNS:,}"}
    )


def too_many_cells() -> FileError:
    return FileError(
        _(
            "The sheet has more than the limit of %(limit)s cells (rows × columns, counting blank ones); delete "
            "unused rows and columns, or import it in parts."
        )
        % {"limit": f"{MAX_CELLS:,}"}
    )


def too_many_data_rows() -> FileError:
    return FileError(
        _("The file has more than the limit of %(limit)s data rows; import it in parts.") % {"limit": f"{MAX_ROWS:,}"}
    )


def too_complex_ods() -> FileError:
    return FileError(
        _("The ods file is too complex to read (more than %(limit)s elements); save it as xlsx, or import it in parts.")
        % {"limit": f"{MAX_ODS_ELEMENTS:,}"}
    )


def too_slow() -> FileError:
    return FileError(
        _("Reading the file took longer than the limit of %(limit)s seconds; import it in parts.")
        % {"limit": MAX_READ_SECONDS}
    )


class _Budget:
    """What reading one file may still cost: rows, cells and time."""

    def __init__(self, deadline: float | None = None):
        self.deadline = time.monotonic() + MAX_READ_SECONDS if deadline is None else deadline
        self.rows = self.cells = self.elements = 0
        self.width = 0  # of the row being walked (`_check_elements`)

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise too_slow()

    def row(self, width: int) -> None:
        """One more row read, `width` cells wide."""
        self.rows += 1
        if self.rows > MAX_SHEET_ROWS:
            raise too_many_rows()
        self.cell(width)
        self.check_time()

    def cell(self, count: int = 1) -> None:
        self.cells += count
        if self.cells > MAX_CELLS:
            raise too_many_cells()


def _counted(rows: Iterator[tuple[int, list]]) -> Iterator[tuple[int, list]]:
    """`rows`, each counted before it is used, blank ones too. A row's number is its place in
    the sheet, so rows a format skips cheaply (an ods's repeated blank rows) count as well
    when anything follows them."""
    budget = _Budget()
    data_rows = -1  # the first non-blank row is the header
    for number, cells in rows:
        budget.rows = max(budget.rows, number - 1)
        if len(cells) > MAX_COLUMNS:
            raise too_many_columns()
        budget.row(len(cells))
        if not all(is_blank(c) for c in cells):
            data_rows += 1
            if data_rows > MAX_ROWS:
                raise too_many_data_rows()
        yield number, cells


def _sheet(rows: Iterator[tuple[int, list]], required: tuple[str, ...]) -> Sheet:
    headers: list[str] | None = None
    data: list[tuple[int, list]] = []
    for number, cells in rows:
        if all(is_blank(c) for c in cells):
            continue
        if headers is None:
            headers = [header_text(c) for c in cells]
            continue
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


def _broken(fmt: str) -> FileError:
    return FileError(
        _("Cannot read the %(format)s file: it may be damaged, or its extension may not match its content.")
        % {"format": fmt}
    )


def _check_zip(data: bytes, fmt: str) -> None:
    broken = _broken(fmt)
    if not data.startswith(b"PK\x03\x04"):
        raise broken
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise broken from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise FileError(_("The file's content is too large to import; import it in parts."))


def _csv_rows(text: str) -> Iterator[tuple[int, list]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        # What our downloads did to a cell goes: an apostrophe before formula-like text, a
        # code's ="…" (writing.csv_text_read).
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

    _check_elements(data, "xlsx", _xlsx_element)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken file
        raise FileError(_("Cannot read the xlsx file: it may be damaged, or it is not an Excel workbook.")) from None
    try:
        sheet = book.active
        if sheet is None or not hasattr(sheet, "iter_rows"):
            raise FileError(_("The xlsx file has no worksheet that can be read."))
        sheet.reset_dimensions()  # some writers record a wrong size; read what is there
        yield from _xlsx_sheet_rows(sheet)
    finally:
        book.close()


def _check_declared_size(rows: int | None, columns: int | None) -> None:
    """Refuse at once a sheet whose recorded dimension (``<dimension ref="A1:C2000001"/>``) is
    over a limit. Only a shortcut: the dimension may be missing or wrong, so the rows read
    are counted all the same."""
    if rows and rows > MAX_SHEET_ROWS:
        raise too_many_rows()
    if columns and columns > MAX_COLUMNS:
        raise too_many_columns()
    if rows and columns and rows * columns > MAX_CELLS:
        raise too_many_cells()


def _xlsx_sheet_rows(sheet):
    """A read-only worksheet's rows, numbered from 1, as plain values; a damaged file is a FileError."""
    try:
        for number, row in enumerate(sheet.iter_rows(min_row=1), start=1):
            yield number, [_xlsx_value(cell) for cell in row]
    except FileError:
        raise
    except Exception:
        raise FileError(_("Cannot read the xlsx file: it may be damaged.")) from None


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
    from odf import opendocument, table

    _check_elements(data, "ods", _ods_element)
    try:
        document = opendocument.load(io.BytesIO(data))
        tables = document.spreadsheet.getElementsByType(table.Table)
    except Exception:  # odfpy raises many kinds for a broken file
        raise FileError(_("Cannot read the ods file: it may be damaged, or it is not a spreadsheet.")) from None
    if not tables:
        raise FileError(_("The ods file has no worksheet that can be read."))
    yield from _ods_table_rows(tables[0], [])


# --- Walking the XML before the library does ------------------------------------------
#
# openpyxl sizes every sheet when it opens a workbook, and a sheet without a dimension
# element is parsed to its end for that (two million blank rows: 34 s inside
# load_workbook, before any row reaches us); odfpy builds the whole document in memory
# (about 700 bytes an element: two million blank rows took 1.5 GB and half a minute).
# So every part of the zip is first walked with expat, which keeps nothing, counting row
# and cell elements against the limits; only a file within them is handed to the library.
# A part that is not XML (a picture) is skipped: it is no sheet.

_CELL_REF = re.compile(r"([A-Za-z]{1,3})([0-9]{1,9})$")


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def _xlsx_element(budget: _Budget, name: str, attrs: dict) -> None:
    if name == "row":
        # Rows and cells carry their place (r="7", r="AB7"): openpyxl pads the gaps with blanks.
        r = attrs.get("r", "")
        if r.isdigit() and len(r) <= 9:
            budget.rows = max(budget.rows, int(r) - 1)
        budget.width = 0
        budget.row(0)
    elif name == "c":
        ref = _CELL_REF.match(attrs.get("r", ""))
        budget.width = max(budget.width + 1, _column_number(ref.group(1)) if ref else 0)
        if budget.width > MAX_COLUMNS:
            raise too_many_columns()
        budget.cell()
    elif name == "si":
        budget.cell()  # a shared string is there to fill a cell: no more of them than cells
    elif name == "dimension":
        ref = _CELL_REF.match(attrs.get("ref", "").rpartition(":")[2])
        if ref:
            _check_declared_size(int(ref.group(2)), _column_number(ref.group(1)))


def _ods_element(budget: _Budget, name: str, attrs: dict) -> None:
    # A repeated row or cell is one element here; what repeats is counted again as
    # `_ods_rows` yields it (`_counted`).
    budget.elements += 1
    if budget.elements > MAX_ODS_ELEMENTS:
        raise too_complex_ods()
    if name == "table-row":
        budget.width = 0
        budget.row(0)
    elif name in ("table-cell", "covered-table-cell"):
        budget.width += 1
        if budget.width > MAX_COLUMNS:
            raise too_many_columns()
        budget.cell()


def _check_elements(data: bytes, fmt: str, element) -> None:
    """FileError when a part of the zip `data` holds more rows or cells than the limits, as
    `element(budget, local name, attributes)` counts them, or takes too long to walk."""
    from xml.parsers import expat

    deadline = time.monotonic() + MAX_READ_SECONDS
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            budget = _Budget(deadline)  # each sheet has the limits; the time is the file's
            parser = expat.ParserCreate(namespace_separator=" ")
            parser.StartElementHandler = lambda name, attrs, budget=budget: element(
                budget, name.rpartition(" ")[2], attrs
            )
            try:
                with archive.open(info) as part:
                    while chunk := part.read(1 << 16):
                        parser.Parse(chunk, False)
                        budget.check_time()
                    parser.Parse(b"", True)
            except expat.ExpatError:
                budget.check_time()
                continue
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
                raise _broken(fmt) from None


# --- Cells ------------------------------------------------------------------------


# What Excel makes of a code like 1-5 when it takes it for a date, and writes to a csv when the
# file is saved again: 2025/1/5, 2025-01-05, 1/5, 114/1/5, 1月5日, 2025年1月5日, 5-Jan, Jan-05
# (and a date cell's own text, 2025-01-05T00:00:00).
DATE_TEXT = re.compile(
    r"\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?"
    r"|\d{1,2}/\d{1,2}"
    r"|(?:\d{2,4}\s*年\s*)?\d{1,2}\s*月\s*\d{1,2}\s*日?"
    r"|\d{1,2}-[A-Za-z]{3,9}(?:-\d{2,4})?|[A-Za-z]{3,9}-\d{1,4}"
)


def looks_like_date(value) -> bool:
    """Whether a cell is a date or the text of one, as Excel writes a date it made of a code."""
    if isinstance(value, datetime.date):
        return True
    return bool(DATE_TEXT.fullmatch(cell_text(value)))


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


# --- Workbooks of several sheets ------------------------------------------------------
#
# A plan workbook (kpi.plan_workbook) is laid out like the plan document's tables, one
# sheet a table, so it is read whole: every sheet by its name, every row with its number
# as shown, and the merged ranges, which an importer refuses (a merged cell holds its
# value in its first cell only: the rows below it would read as blank). The limits are
# the same as for one sheet, counted for each sheet; the time limit is the file's.


@dataclass
class BookSheet:
    """One sheet of a workbook: its name, its rows (number as shown, cells) and merged ranges ("A4:A8")."""

    title: str
    rows: list[tuple[int, list]]
    merged: list[str]


BOOK_FORMATS = ("xlsx", "ods")


def read_book(data: bytes, name: str) -> list[BookSheet]:
    """Every sheet of an xlsx or ods file, in order; FileError when it cannot be read or is over a limit."""
    fmt = file_format(name)
    if fmt not in BOOK_FORMATS:
        raise FileError(_("A workbook of several sheets is needed: upload an xlsx or ods file, not csv."))
    if not data:
        raise FileError(_("The file is empty."))
    check_size(len(data))
    _check_zip(data, fmt)
    _check_elements(data, fmt, _xlsx_element if fmt == "xlsx" else _ods_element)
    sheets = []
    for title, rows, merged in _xlsx_book(data) if fmt == "xlsx" else _ods_book(data):
        with contextlib.closing(rows):
            kept = [(number, cells) for number, cells in _counted(rows) if not all(is_blank(c) for c in cells)]
        sheets.append(BookSheet(title=title, rows=kept, merged=merged))
    return sheets


def _xlsx_merged(data: bytes, part: str) -> list[str]:
    from xml.parsers import expat

    merged: list[str] = []
    parser = expat.ParserCreate(namespace_separator=" ")

    def start(name, attrs):
        if name.rpartition(" ")[2] == "mergeCell" and attrs.get("ref"):
            merged.append(str(attrs["ref"])[:40])

    parser.StartElementHandler = start
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(part.lstrip("/")) as stream:
            parser.ParseFile(stream)
    except (KeyError, expat.ExpatError, zipfile.BadZipFile, OSError, ValueError):
        raise _broken("xlsx") from None
    return merged


def _xlsx_book(data: bytes):
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken file
        raise FileError(_("Cannot read the xlsx file: it may be damaged, or it is not an Excel workbook.")) from None
    try:
        for sheet in book.worksheets:
            if not hasattr(sheet, "iter_rows"):
                continue  # a chart sheet
            merged = _xlsx_merged(data, sheet._worksheet_path)
            sheet.reset_dimensions()

            yield sheet.title, _xlsx_sheet_rows(sheet), merged
    finally:
        book.close()


def _ods_book(data: bytes):
    from odf import opendocument, table

    try:
        document = opendocument.load(io.BytesIO(data))
        tables = document.spreadsheet.getElementsByType(table.Table)
    except Exception:  # odfpy raises many kinds for a broken file
        raise FileError(_("Cannot read the ods file: it may be damaged, or it is not a spreadsheet.")) from None
    for sheet in tables:
        merged: list[str] = []
        yield str(_ods_attr(sheet, "name") or ""), _ods_table_rows(sheet, merged), merged


def _ods_table_rows(sheet, merged: list[str]) -> Iterator[tuple[int, list]]:
    """`_ods_rows` for one table, noting each merged range (a cell spanning columns or rows)."""
    from odf import table
    from openpyxl.utils import get_column_letter

    number = 0
    for row in sheet.getElementsByType(table.TableRow):
        repeat = int(_ods_attr(row, "numberrowsrepeated") or 1)
        cells, pending_blanks, column = [], 0, 0
        for cell in row.childNodes:
            if cell.qname[1] not in ("table-cell", "covered-table-cell"):
                continue
            span = int(_ods_attr(cell, "numbercolumnsrepeated") or 1)
            across = int(_ods_attr(cell, "numbercolumnsspanned") or 1)
            down = int(_ods_attr(cell, "numberrowsspanned") or 1)
            if (across > 1 or down > 1) and len(merged) < 1000:
                first = f"{get_column_letter(column + 1)}{number + 1}"
                last = f"{get_column_letter(min(column + across, 16384))}{number + down}"
                merged.append(f"{first}:{last}")
            column += span
            content = _ods_value(cell)
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


def _ods_value(cell):
    from odf import teletype
    from odf import text as odf_text

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
