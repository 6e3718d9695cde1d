"""Bulk import of progress reports (進度填報批次匯入).

For departments that still keep their figures in spreadsheets: one file of
year-to-date figures for many indicators and periods at once, saved as drafts or
submitted for review. The page (`kpi:report_import`) and `manage.py import_reports`
both call `import_reports`.

The file (xlsx, ods or csv, UTF-8 with or without a BOM; the header is the first
non-blank row, normally row 1)::

    機關 | 編號 | 年度 | 期別 | 累計實績 | 預算數 | 實支數 | 保留數 | 上年度約聘僱員額 |
    本年度約聘僱員額 | 完成學習時數人數 | 現有公務人員人數 | 達成情形說明 | 未達成原因 | 改善措施

- 編號 is the code shown in the app: 1-5 for a KPI, 共1-1 for a common indicator.
- 年度 is the ROC year (114); a Gregorian year (2025) is an error, never converted.
- 期別 is the period's number within the year: 1–4 for quarters (also "Q1", "第1季").
- 累計實績 is the year-to-date figure of a KPI. A common indicator leaves it blank and
  fills its formula's inputs instead, in the columns named by the inputs' labels in
  `kpi.formulas.FORMULAS`; the value is computed, as on the form.
- 指標名稱 and 單位 (written by the template) are for the person filling the file in:
  單位 is ignored, and 指標名稱, when filled, must match the code's indicator (a
  guard against rows that were sorted apart from their codes). Other columns are ignored.
- A row with no figure, inputs or text at all is skipped: the template lists every
  indicator, and people fill in the ones they have.

All or nothing, in two steps:

1. `check` reads everything the rows refer to up front, in a fixed number of queries
   (departments, department plans, the user's reportable indicators with their
   targets, periods, existing reports), then checks every row: department, code, year,
   period, lock, permission (`kpi.access`), duplicates within the file, the existing
   report's status, and the figures through `services.report_clean` — the form's
   validation, unchanged. Every error of every row is collected, with the row number
   as the spreadsheet shows it.
2. `apply` runs only when no row has an error. Every row goes through
   `services.report_save` (with `submit`), the form's service, with the existing
   report's current version — so permissions, locks, statuses, validation and the
   record (`ReportEvent`) are exactly the form's — all inside ONE transaction. If any
   save fails (someone changed a report between the check and the save), the
   transaction is rolled back and the row's error is reported: nothing is written.

Reading: csv through the csv module, xlsx through openpyxl (read-only), ods through
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
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Prefetch

from common.years import ROC_OFFSET, is_roc_year
from kpi import access, assessments, services
from kpi.formulas import FORMULAS
from kpi.models import Indicator, IndicatorKind, ProgressReport, ReportingPeriod, ReportStatus, Unit, YearlyTarget
from plans.models import Department, DepartmentPlan, ReportingFrequency

COL_DEPARTMENT = "機關"
COL_CODE = "編號"
COL_NAME = "指標名稱"
COL_UNIT = "單位"
COL_YEAR = "年度"
COL_PERIOD = "期別"
COL_ACTUAL = services.FIELD_LABELS["actual"]  # 累計實績
COL_NARRATIVE = services.FIELD_LABELS["narrative"]  # 達成情形說明
COL_SHORTFALL = services.FIELD_LABELS["shortfall_reason"]  # 未達成原因
COL_IMPROVEMENT = services.FIELD_LABELS["improvement_plan"]  # 改善措施
# Formula inputs by the label the plan document uses (預算數 …), in FORMULAS' order.
INPUT_COLUMNS: tuple[str, ...] = tuple(dict.fromkeys(i.label for f in FORMULAS.values() for i in f.inputs))
TEXT_COLUMNS = {COL_NARRATIVE: "narrative", COL_SHORTFALL: "shortfall_reason", COL_IMPROVEMENT: "improvement_plan"}
REQUIRED_COLUMNS = (COL_DEPARTMENT, COL_CODE, COL_YEAR, COL_PERIOD)
DATA_COLUMNS = (COL_ACTUAL, *INPUT_COLUMNS, *TEXT_COLUMNS)
COLUMNS = (COL_DEPARTMENT, COL_CODE, COL_NAME, COL_UNIT, COL_YEAR, COL_PERIOD, *DATA_COLUMNS)

FORMATS = ("xlsx", "ods", "csv")
MAX_ROWS = 5000
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # a zip that unpacks to more is refused unread

CREATED, UPDATED, UNCHANGED, SKIPPED = "created", "updated", "unchanged", "skipped"
FREQUENCY_WORD = {
    ReportingFrequency.QUARTERLY: "季",
    ReportingFrequency.HALF_YEARLY: "半年",
    ReportingFrequency.MONTHLY: "月",
}
CODE = re.compile(r"^(共)?\s*(\d{1,4})\s*[-－–—‐]\s*(\d{1,4})$")
YEAR = re.compile(r"^(?:民國)?\s*(\d{1,4})\s*(?:年|年度)?$")
PERIOD = re.compile(r"^(?:[QqHh]|第)?\s*([0-9一二三四五六七八九十]{1,3})\s*(?:季|期|月|半年)?$")
CHINESE_DIGITS = {c: n for n, c in enumerate("一二三四五六七八九十", start=1)}


class FileError(Exception):
    """The file as a whole cannot be read or used (wrong type, too large, no header …)."""


# --- Reading ----------------------------------------------------------------------


@dataclass
class Sheet:
    """A spreadsheet's header and its non-blank data rows, each with its row number as shown."""

    headers: list[str]
    rows: list[tuple[int, list]]


def file_format(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in (name or "") else ""
    if ext not in FORMATS:
        hint = "（Excel 的 .xls 請另存為 .xlsx）" if ext == "xls" else ""
        raise FileError(f"不接受「.{ext or '（無副檔名）'}」檔案；請上傳 xlsx、ods 或 csv 檔{hint}。")
    return ext


def read_sheet(data: bytes, name: str) -> Sheet:
    fmt = file_format(name)
    if not data:
        raise FileError("檔案是空的。")
    if len(data) > MAX_FILE_BYTES:
        raise FileError(f"檔案大小 {len(data) / 1048576:.1f} MB 超過上限 {MAX_FILE_BYTES // 1048576} MB；請分批匯入。")
    if fmt == "csv":
        rows = _csv_rows(data)
    else:
        _check_zip(data, fmt)
        rows = _xlsx_rows(data) if fmt == "xlsx" else _ods_rows(data)
    with contextlib.closing(rows):
        return _sheet(rows)


def _sheet(rows: Iterator[tuple[int, list]]) -> Sheet:
    headers: list[str] | None = None
    data: list[tuple[int, list]] = []
    for number, cells in rows:
        if all(_is_blank(c) for c in cells):
            continue
        if headers is None:
            headers = [_header(c) for c in cells]
            continue
        if len(data) == MAX_ROWS:
            raise FileError(f"檔案超過 {MAX_ROWS:,} 列資料的上限；請分批匯入。")
        data.append((number, list(cells)))
    if headers is None:
        raise FileError("檔案中沒有任何資料。")
    seen = set()
    for header in headers:
        if header and header in seen:
            raise FileError(f"欄位「{header}」出現兩次；每個欄位只能有一欄。")
        seen.add(header)
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    if missing:
        raise FileError(f"檔案缺少必要欄位：{'、'.join(missing)}。第一列必須是欄位名稱（請使用下載的範本）。")
    if not data:
        raise FileError("檔案中只有欄位名稱，沒有資料列。")
    return Sheet(headers=headers, rows=data)


def _header(value) -> str:
    """累計實績（%） → 累計實績; spaces, line breaks and a required-marker * go."""
    text = re.sub(r"\s+", "", _text(value)).lstrip("\ufeff").strip("*＊")
    return re.sub(r"[（(][^（(]*[）)]$", "", text)


def _check_zip(data: bytes, fmt: str) -> None:
    broken = FileError(f"無法讀取 {fmt} 檔：檔案可能已損毀，或副檔名與內容不符。")
    if not data.startswith(b"PK\x03\x04"):
        raise broken
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise broken from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise FileError("檔案內容過大，無法匯入；請分批匯入。")


def _csv_rows(data: bytes) -> Iterator[tuple[int, list]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            # Excel in Taiwan saves "CSV (逗號分隔)" in Big5 (cp950).
            text = data.decode("cp950")
        except UnicodeDecodeError:
            raise FileError("無法辨識 CSV 檔的文字編碼；請另存為「CSV UTF-8」。") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error:
        raise FileError(f"CSV 檔第 {reader.line_num} 行附近格式錯誤（例如引號未成對或欄位過長），無法讀取。") from None


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken file
        raise FileError("無法讀取 xlsx 檔：檔案可能已損毀，或不是 Excel 活頁簿。") from None
    try:
        sheet = book.active
        if sheet is None or not hasattr(sheet, "iter_rows"):
            raise FileError("xlsx 檔中沒有可讀取的工作表。")
        sheet.reset_dimensions()  # some writers record a wrong size; read what is there
        try:
            for number, row in enumerate(sheet.iter_rows(min_row=1), start=1):
                yield number, [_xlsx_value(cell) for cell in row]
        except FileError:
            raise
        except Exception:
            raise FileError("無法讀取 xlsx 檔：檔案可能已損毀。") from None
    finally:
        book.close()


def _xlsx_value(cell):
    value = cell.value
    if isinstance(value, int | float) and not isinstance(value, bool) and "%" in (cell.number_format or ""):
        # A cell showing 85% holds 0.85: read it as people see it.
        return f"{_plain(Decimal(str(value)) * 100)}%"
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
        raise FileError("無法讀取 ods 檔：檔案可能已損毀，或不是試算表。") from None
    if not tables:
        raise FileError("ods 檔中沒有可讀取的工作表。")

    def value(cell):
        kind = _ods_attr(cell, "valuetype")
        if kind in ("float", "currency", "percentage"):
            raw = _ods_attr(cell, "value")
            try:
                number = Decimal(raw)
            except (InvalidOperation, TypeError):
                number = None
            if number is not None:
                return f"{_plain(number * 100)}%" if kind == "percentage" else number
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
            if _is_blank(content):
                pending_blanks += span  # trailing blanks can repeat a thousand times: keep them lazy
                continue
            cells.extend([""] * pending_blanks)
            pending_blanks = 0
            cells.extend([content] * min(span, 1000))
        if not cells:
            number += repeat
            continue
        for _ in range(repeat):
            number += 1
            yield number, cells


# --- Cells ------------------------------------------------------------------------


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _plain(number: Decimal) -> str:
    """Decimal('85.00') → '85'; Decimal('0.50') → '0.5'."""
    normalized = number.normalize()
    return f"{normalized.to_integral_value():f}" if normalized == normalized.to_integral_value() else f"{normalized:f}"


def _text(value) -> str:
    """A cell as text: 1.0 → "1", 0.1 → "0.1" (a float's shortest form), Decimal("5.0") → "5"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return _plain(value) if value.is_finite() else str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value).strip()


def _code_text(value) -> str:
    # Typing 1-5 into Excel makes it a date (5 January); read it back as the code.
    if isinstance(value, datetime.datetime | datetime.date):
        return f"{value.month}-{value.day}"
    return _text(value)


def _parse_code(text: str) -> tuple[str, int, int] | None:
    match = CODE.match(text.replace(" ", ""))
    if not match:
        return None
    kind = IndicatorKind.COMMON if match.group(1) else IndicatorKind.KPI
    return kind, int(match.group(2)), int(match.group(3))


def _parse_int(pattern, text: str) -> int | None:
    match = pattern.match(text.replace(" ", ""))
    if not match:
        return None
    digits = match.group(1)
    if digits.isdigit():
        return int(digits)
    if digits in CHINESE_DIGITS:
        return CHINESE_DIGITS[digits]
    if len(digits) == 2 and digits[0] == "十" and digits[1] in CHINESE_DIGITS:  # 十一, 十二
        return 10 + CHINESE_DIGITS[digits[1]]
    return None


def _percent_to_fraction(text: str) -> str:
    """A 式 figure typed as 50% is the fraction 0.5."""
    try:
        return _plain(Decimal(text[:-1].strip().replace(",", "")) / 100)
    except (InvalidOperation, ValueError):
        return text


# --- Checking ---------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    column: str  # the column the error is about, or "" for the row as a whole
    message: str

    def __str__(self):
        return f"{self.column}：{self.message}" if self.column else self.message


@dataclass
class ImportRow:
    number: int  # the row number as the spreadsheet shows it (the header is row 1)
    department_text: str = ""
    code_text: str = ""
    year_text: str = ""
    period_text: str = ""
    indicator: Indicator | None = None
    period: ReportingPeriod | None = None
    existing: ProgressReport | None = None
    values: dict = field(default_factory=dict)  # what goes to report_save
    preview: assessments.Preview | None = None
    changes: list[str] = field(default_factory=list)  # labels of the fields that change
    errors: list[RowError] = field(default_factory=list)
    outcome: str = ""  # created / updated / unchanged / skipped
    report: ProgressReport | None = None  # the saved report, once applied

    def error(self, column: str, message: str) -> None:
        self.errors.append(RowError(column, message))

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    @property
    def writes(self) -> bool:
        return self.outcome in (CREATED, UPDATED, UNCHANGED)


@dataclass
class ImportResult:
    """What a file would do (`check`) or did (`apply`); `applied` says whether anything was written."""

    submit: bool = False
    dry_run: bool = False
    filename: str = ""
    file_errors: list[str] = field(default_factory=list)
    rows: list[ImportRow] = field(default_factory=list)
    applied: bool = False

    @property
    def error_rows(self) -> list[ImportRow]:
        return [r for r in self.rows if r.errors]

    @property
    def error_count(self) -> int:
        return len(self.file_errors) + sum(len(r.errors) for r in self.rows)

    @property
    def ok(self) -> bool:
        return not self.file_errors and not any(r.errors for r in self.rows)

    def _count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    @property
    def created(self) -> int:
        return self._count(CREATED)

    @property
    def updated(self) -> int:
        return self._count(UPDATED)

    @property
    def unchanged(self) -> int:
        return self._count(UNCHANGED)

    @property
    def skipped(self) -> int:
        return self._count(SKIPPED)

    @property
    def submitted(self) -> int:
        return sum(1 for r in self.rows if r.writes) if self.submit else 0

    @property
    def written_rows(self) -> list[ImportRow]:
        return [r for r in self.rows if r.writes]


class _Lookups:
    """Everything the rows refer to, read once: a fixed number of queries for any number of rows."""

    def __init__(self, user, rows: list[ImportRow]):
        self.user = user
        self.departments: dict[str, Department] = {}
        departments = list(Department.objects.all())
        for d in departments:  # short names first, so that a full name wins a clash
            if d.short_name:
                self.departments.setdefault(_squash(d.short_name), d)
        for d in departments:
            self.departments[_squash(d.name)] = d
        wanted = {d.pk for r in rows if (d := self.department(r.department_text))}
        self.reportable = access.department_ids_for(user, access.REPORT)
        department_plans = list(
            DepartmentPlan.objects.filter(department_id__in=wanted).select_related("plan", "department")
        )
        self.department_plans: dict[int, list[DepartmentPlan]] = {}
        for dp in department_plans:
            self.department_plans.setdefault(dp.department_id, []).append(dp)
        reportable_plans = [dp.pk for dp in department_plans if self.can_report_department(dp.department_id)]
        self.indicators: dict[tuple, Indicator] = {}
        if reportable_plans:
            targets = Prefetch("targets", queryset=YearlyTarget.objects.order_by("year"))
            for indicator in (
                access.indicators_for(user, access.REPORT)
                .filter(department_plan_id__in=reportable_plans)
                .prefetch_related(targets)
            ):
                parent = indicator.parent
                key = (
                    indicator.department_plan_id,
                    indicator.kind,
                    parent.number if parent else None,
                    indicator.number,
                )
                self.indicators[key] = indicator
        plans = {dp.plan_id: dp.plan for dp in department_plans}
        periods = list(
            ReportingPeriod.objects.filter(plan_id__in=plans, frequency=F("plan__reporting_frequency")).select_related(
                "plan"
            )
        )
        self.periods = {(p.plan_id, p.year, p.number): p for p in periods}
        self.period_counts = {}
        for p in periods:
            self.period_counts[(p.plan_id, p.year)] = max(self.period_counts.get((p.plan_id, p.year), 0), p.number)

    def department(self, text: str) -> Department | None:
        return self.departments.get(_squash(text)) if text else None

    def can_report_department(self, department_id: int) -> bool:
        return self.reportable is None or department_id in self.reportable

    def load_reports(self, rows: list[ImportRow]) -> dict[tuple[int, int], ProgressReport]:
        indicator_ids = {r.indicator.pk for r in rows if r.indicator and r.period}
        period_ids = {r.period.pk for r in rows if r.indicator and r.period}
        if not indicator_ids:
            return {}
        return {
            (r.indicator_id, r.period_id): r
            for r in ProgressReport.objects.filter(indicator_id__in=indicator_ids, period_id__in=period_ids)
        }


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def check(sheet: Sheet, *, user, submit: bool) -> ImportResult:
    """Check every row against the database without writing anything; collect every error."""
    result = ImportResult(submit=submit)
    index = {h: i for i, h in enumerate(sheet.headers) if h}

    def cells_of(cells: list) -> dict:
        return {c: (cells[index[c]] if index[c] < len(cells) else None) for c in COLUMNS if c in index}

    rows: list[tuple[ImportRow, dict]] = []
    for number, raw in sheet.rows:
        cells = cells_of(raw)
        row = ImportRow(
            number=number,
            department_text=_text(cells.get(COL_DEPARTMENT)),
            code_text=_code_text(cells.get(COL_CODE)),
            year_text=_text(cells.get(COL_YEAR)),
            period_text=_text(cells.get(COL_PERIOD)),
        )
        rows.append((row, cells))
        result.rows.append(row)

    lookups = _Lookups(user, result.rows)
    for row, cells in rows:
        if all(_is_blank(cells.get(c)) for c in DATA_COLUMNS):
            row.outcome = SKIPPED  # nothing filled in: the template lists every indicator
            continue
        _resolve(row, cells, lookups)

    existing = lookups.load_reports(result.rows)
    first_row: dict[tuple[int, int], int] = {}
    for row, cells in rows:
        if row.outcome == SKIPPED or row.indicator is None or row.period is None:
            continue
        key = (row.indicator.pk, row.period.pk)
        if key in first_row:
            row.error(
                "",
                f"與第 {first_row[key]} 列重複：{row.indicator.code}（{row.period.label}）在同一個檔案中只能出現一次。",
            )
            continue
        first_row[key] = row.number
        row.existing = existing.get(key)
        if not row.errors:
            _validate(row, cells, user=user, submit=submit)

    if not any(r.writes or r.errors for r in result.rows):
        result.file_errors.append("檔案中沒有任何已填寫的實績或說明：每一列都是空的，沒有可匯入的資料。")
    return result


def _resolve(row: ImportRow, cells: dict, lookups: _Lookups) -> None:
    """Department, year, code and period → the indicator and the period, or errors."""
    department = None
    if not row.department_text:
        row.error(COL_DEPARTMENT, "請填寫機關。")
    else:
        department = lookups.department(row.department_text)
        if department is None:
            row.error(COL_DEPARTMENT, f"找不到機關「{row.department_text}」；請填寫機關全名，例如「都市發展處」。")
        elif not lookups.can_report_department(department.pk):
            row.error(COL_DEPARTMENT, f"你沒有填報「{department.name}」指標的權限：只有該機關的填報人可以填報。")
            return

    year = _year(row)
    department_plan = None
    if department is not None and year is not None:
        plans = lookups.department_plans.get(department.pk, [])
        department_plan = next((dp for dp in plans if dp.plan.contains_year(year)), None)
        if department_plan is None:
            if plans:
                spans = "、".join(f"{dp.plan.start_year}–{dp.plan.end_year}" for dp in plans)
                row.error(COL_YEAR, f"民國{year}年不在{department.name}的計畫期間（{spans}）內。")
            else:
                row.error(COL_DEPARTMENT, f"「{department.name}」沒有中程施政計畫，無法填報。")

    code = None
    if not row.code_text:
        row.error(COL_CODE, "請填寫編號（例如 1-5；共同性指標如 共1-1）。")
    else:
        code = _parse_code(row.code_text)
        if code is None:
            row.error(COL_CODE, f"「{row.code_text}」不是指標編號；請依畫面上的寫法填寫，例如 1-5 或 共1-1。")
    if code is not None and department_plan is not None:
        kind, parent_number, number = code
        row.indicator = lookups.indicators.get((department_plan.pk, kind, parent_number, number))
        if row.indicator is None:
            row.error(COL_CODE, f"{department.name}沒有編號「{row.code_text}」的指標。")

    number = None
    if not row.period_text:
        row.error(COL_PERIOD, "請填寫期別（例如第1季填 1）。")
    else:
        number = _parse_int(PERIOD, row.period_text)
        if number is None:
            row.error(COL_PERIOD, f"「{row.period_text}」不是期別；請填數字，例如第1季填 1。")
    if number is not None and department_plan is not None:
        plan = department_plan.plan
        row.period = lookups.periods.get((plan.pk, year, number))
        if row.period is None:
            count = lookups.period_counts.get((plan.pk, year), 0)
            word = FREQUENCY_WORD.get(plan.reporting_frequency, "期")
            span = f"1–{count}（{word}）" if count else "尚未建立"
            row.error(COL_PERIOD, f"期別「{row.period_text}」不存在：民國{year}年的期別為 {span}。")
        elif row.period.is_locked:
            row.error(COL_PERIOD, f"{row.period.label}已鎖定，不能再修改。如需更正，請洽研考人員解除鎖定。")

    if row.indicator is not None:
        if not access.can_report(lookups.user, row.indicator):  # the rule itself, not only the prefilter
            row.error(COL_DEPARTMENT, f"你沒有填報「{department.name}」指標的權限：只有該機關的填報人可以填報。")
        name = _squash(_text(cells.get(COL_NAME)))
        if name and name != _squash(row.indicator.name):
            row.error(
                COL_NAME,
                f"編號 {row.indicator.code} 是「{row.indicator.name}」，與檔案中的「{_text(cells.get(COL_NAME))}」不符；"
                "請確認編號與指標是否對齊。",
            )


def _year(row: ImportRow) -> int | None:
    if not row.year_text:
        row.error(COL_YEAR, "請填寫年度（民國年，例如 114）。")
        return None
    year = _parse_int(YEAR, row.year_text)
    if year is None or not is_roc_year(year):
        if year is not None and year > ROC_OFFSET:
            row.error(
                COL_YEAR,
                f"「{row.year_text}」是西元年；年度請填民國年（西元 {year} 年即民國 {year - ROC_OFFSET} 年）。",
            )
        else:
            row.error(COL_YEAR, f"「{row.year_text}」不是民國年；請填民國年，例如 114。")
        return None
    return year


def _validate(row: ImportRow, cells: dict, *, user, submit: bool) -> None:
    """The existing report's status, then the figures through the form's own validation."""
    indicator, period, existing = row.indicator, row.period, row.existing
    if existing is not None and existing.status not in services.EDITABLE_STATUSES:
        label = ReportStatus(existing.status).label
        row.error(
            "",
            f"{indicator.code}（{period.label}）的填報目前為「{label}」，不能再修改；"
            "已送出或已核定的填報須由審核人退回後才能修改。",
        )
        return

    spec = indicator.formula_spec
    values: dict = {"actual": None, "inputs": None}
    actual_text = _text(cells.get(COL_ACTUAL))
    if spec:
        labels = {i.label: i.key for i in spec.inputs}
        if actual_text:
            needed = "、".join(labels)
            row.error(COL_ACTUAL, f"共同性指標的實績由公式計算，此欄請留空，改填{needed}。")
        values["inputs"] = {key: _text(cells.get(label)) for label, key in labels.items()}
        for label in INPUT_COLUMNS:
            if label not in labels and not _is_blank(cells.get(label)):
                row.error(label, f"此欄不屬於「{spec.label}」的公式，請留空。")
    else:
        if indicator.unit == Unit.SET and actual_text.endswith("%"):
            actual_text = _percent_to_fraction(actual_text)
        values["actual"] = actual_text or None
        for label in INPUT_COLUMNS:
            if not _is_blank(cells.get(label)):
                row.error(label, "此欄只用於共同性指標的公式，關鍵績效指標請留空，並填寫累計實績。")
    for column, name in TEXT_COLUMNS.items():
        values[name] = _text(cells.get(column))
    if row.errors:
        return

    try:
        clean = services.report_clean(indicator=indicator, period=period, submitting=submit, **values)
    except ValidationError as exc:
        row.errors.extend(_service_errors(exc, indicator))
        return
    row.values = values
    row.preview = clean.preview
    if existing is None:
        row.outcome = CREATED
        return
    cleaned = {
        "actual": clean.actual,
        "inputs": clean.inputs,
        "narrative": clean.narrative,
        "shortfall_reason": clean.shortfall_reason,
        "improvement_plan": clean.improvement_plan,
    }
    row.changes = [services.FIELD_LABELS[f] for f, v in cleaned.items() if getattr(existing, f) != v]
    row.outcome = UPDATED if row.changes else UNCHANGED


def _service_errors(exc: ValidationError, indicator: Indicator | None) -> list[RowError]:
    """A service's errors, each under the column it is about."""
    labels = (
        {f"inputs.{i.key}": i.label for i in indicator.formula_spec.inputs}
        if indicator and indicator.formula_spec
        else {}
    )
    if not hasattr(exc, "error_dict"):
        return [RowError("", m) for m in exc.messages]
    errors = []
    for key, messages in exc.message_dict.items():
        column = labels.get(key) or services.FIELD_LABELS.get(key, "" if key == "__all__" else key)
        errors += [RowError(column, m) for m in messages]
    return errors


# --- Writing ----------------------------------------------------------------------


class _RollBack(Exception):
    pass


def apply(result: ImportResult, *, user) -> ImportResult:
    """Save every checked row through `services.report_save`, in one transaction; all or nothing."""
    if not result.ok or result.dry_run:
        return result
    try:
        with transaction.atomic():
            for row in result.written_rows:
                try:
                    row.report = services.report_save(
                        indicator=row.indicator,
                        period=row.period,
                        user=user,
                        expected_version=row.existing.version if row.existing else None,
                        submit=result.submit,
                        **row.values,
                    )
                except services.ConflictError as exc:
                    theirs = exc.report
                    who = theirs.updated_by.get_full_name() or theirs.updated_by.get_username()
                    row.error(
                        "",
                        f"{row.indicator.code}（{row.period.label}）的填報在檢查之後已由 {who} 更新"
                        f"（第 {theirs.version} 版）；請確認對方的變更後再上傳一次。",
                    )
                except PermissionDenied as exc:
                    row.error(COL_DEPARTMENT, str(exc) or "你沒有填報此指標的權限。")
                except ValidationError as exc:
                    row.errors.extend(_service_errors(exc, row.indicator))
            if not result.ok:
                raise _RollBack
    except _RollBack:
        for row in result.rows:
            row.report = None
        return result
    result.applied = True
    return result


def import_reports(data: bytes, filename: str, *, user, submit: bool = False, dry_run: bool = False) -> ImportResult:
    """Read, check and (unless `dry_run` or any error) apply a file; never raises for bad input."""
    try:
        sheet = read_sheet(data, filename)
    except FileError as exc:
        return ImportResult(submit=submit, dry_run=dry_run, filename=filename, file_errors=[str(exc)])
    result = check(sheet, user=user, submit=submit)
    result.dry_run, result.filename = dry_run, filename
    return apply(result, user=user)


# --- The template -----------------------------------------------------------------


@dataclass
class Template:
    """The rows of a template file for one period: the user's indicators, drafts filled in."""

    period: ReportingPeriod
    headers: tuple[str, ...]
    rows: list[list]
    left_out: list[tuple[Indicator, ProgressReport]]  # submitted or approved: not importable


def template_for(user, period: ReportingPeriod, department_id: int | None = None) -> Template:
    from kpi.queues import indicator_sort_key

    indicators = access.indicators_for(user, access.REPORT).filter(department_plan__plan_id=period.plan_id)
    if department_id is not None:
        indicators = indicators.filter(department_plan__department_id=department_id)
    indicators = sorted(indicators, key=indicator_sort_key)
    reports = {
        r.indicator_id: r
        for r in ProgressReport.objects.filter(period=period, indicator_id__in=[i.pk for i in indicators])
    }
    rows, left_out = [], []
    for indicator in indicators:
        report = reports.get(indicator.pk)
        if report is not None and report.status not in services.EDITABLE_STATUSES:
            left_out.append((indicator, report))
            continue
        spec = indicator.formula_spec
        inputs = (report.inputs or {}) if report else {}
        by_label = {i.label: inputs.get(i.key, "") for i in spec.inputs} if spec else {}
        rows.append(
            [
                indicator.department_plan.department.name,
                indicator.code,
                indicator.name,
                indicator.unit,
                period.year,
                period.number,
                _number(report.actual) if report and not spec else None,
                *(_number(by_label.get(label)) if label in by_label else None for label in INPUT_COLUMNS),
                report.narrative if report else "",
                report.shortfall_reason if report else "",
                report.improvement_plan if report else "",
            ]
        )
    return Template(period=period, headers=COLUMNS, rows=rows, left_out=left_out)


def _number(value):
    """A stored figure as a spreadsheet number: Decimal('85.0000') → 85, '0.50' → Decimal('0.5')."""
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return value
    if not number.is_finite():
        return value
    normalized = number.normalize()
    return int(normalized) if normalized == normalized.to_integral_value() else normalized
