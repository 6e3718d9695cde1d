"""Bulk import of progress reports (進度填報批次匯入).

For departments that still keep their figures in spreadsheets: one file of
year-to-date figures for many indicators and periods at once, saved as drafts or
submitted for review. The page (`kpi:report_import`) and `manage.py import_reports`
both call `import_reports`.

The file (xlsx, ods or csv, UTF-8 with or without a BOM or Big5 as Excel saves it; the
header is the first non-blank row, normally row 1)::

    機關 | 編號 | 年度 | 期別 | 累計實績 | 預算數 | 實支數 | 保留數 | 上年度約聘僱員額 |
    本年度約聘僱員額 | 完成學習時數人數 | 現有公務人員人數 | 達成情形說明 | 未達成原因 | 改善措施

- 編號 is the code shown in the app: 1-5 for a KPI, 共1-1 for a common indicator; also
  as Excel's text literal ="1-5" (what the csv template writes, so that Excel keeps it as
  text). A code Excel already turned into a date (a date cell, or 2025/1/5 or 1月5日 in a
  csv Excel saved) is refused, with how to keep the column as text: which code the date
  was cannot be told for sure (1-5 or 5-1, by the computer's date settings).
- 年度 is the ROC year (114); a Gregorian year (2025) is an error, never converted.
- 期別 is the period's number within the year: 1–4 for quarters (also "Q1", "第1季").
- 累計實績 is the year-to-date figure of a KPI. A common indicator leaves it blank and
  fills its formula's inputs instead, in the columns named by the inputs' `column` in
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
2. `apply` runs only when no row has an error. The rows go to
   `services.reports_write` (with `submit`), with the existing reports' versions: the
   rules of the form's `report_save` — permissions, locks, statuses, validation, the
   opening rule, versions and the record (`ReportEvent`) — from the same functions,
   checked under row locks and written in bulk, all inside ONE transaction. If any
   save is refused (someone changed a report or locked a period between the check and
   the save), nothing is written and the row's error is reported.

Reading the file (formats, encodings, limits, row numbers) is
`common.spreadsheets.reading`'s; this module knows what the columns mean.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from common.formatting import roc_year
from common.spreadsheets.reading import (
    FileError,
    Sheet,
    cell_text,
    encoding_note,
    is_blank,
    looks_like_date,
    plain_number,
    read_sheet,
)
from common.wording import join_list, labelled
from common.years import ROC_OFFSET, is_roc_year
from kpi import access, assessments, services
from kpi.formulas import FORMULAS
from kpi.models import Indicator, IndicatorKind, ProgressReport, ReportingPeriod, ReportStatus, Unit, YearlyTarget
from plans.models import Department, DepartmentPlan, ReportingFrequency

# The columns are the file's contract with the departments' spreadsheets and the template
# they download: the plan's own words, the same in every language (not translated).
COL_DEPARTMENT = "機關"
COL_CODE = "編號"
COL_NAME = "指標名稱"
COL_UNIT = "單位"
COL_YEAR = "年度"
COL_PERIOD = "期別"
COL_ACTUAL = "累計實績"
COL_NARRATIVE = "達成情形說明"
COL_SHORTFALL = "未達成原因"
COL_IMPROVEMENT = "改善措施"
# Formula inputs by the words the plan document uses (預算數 …), in FORMULAS' order.
INPUT_COLUMNS: tuple[str, ...] = tuple(dict.fromkeys(i.column for f in FORMULAS.values() for i in f.inputs))
FIELD_COLUMNS = {
    "actual": COL_ACTUAL,
    "narrative": COL_NARRATIVE,
    "shortfall_reason": COL_SHORTFALL,
    "improvement_plan": COL_IMPROVEMENT,
}
TEXT_COLUMNS = {COL_NARRATIVE: "narrative", COL_SHORTFALL: "shortfall_reason", COL_IMPROVEMENT: "improvement_plan"}
REQUIRED_COLUMNS = (COL_DEPARTMENT, COL_CODE, COL_YEAR, COL_PERIOD)
DATA_COLUMNS = (COL_ACTUAL, *INPUT_COLUMNS, *TEXT_COLUMNS)
COLUMNS = (COL_DEPARTMENT, COL_CODE, COL_NAME, COL_UNIT, COL_YEAR, COL_PERIOD, *DATA_COLUMNS)

CREATED, UPDATED, UNCHANGED, SKIPPED = "created", "updated", "unchanged", "skipped"
FREQUENCY_WORD = {
    ReportingFrequency.QUARTERLY: pgettext_lazy("periods of a year", "quarters"),
    ReportingFrequency.HALF_YEARLY: pgettext_lazy("periods of a year", "half-years"),
    ReportingFrequency.MONTHLY: pgettext_lazy("periods of a year", "months"),
}
# What people type in the file (共1-1, 民國114年, 第1季): read as written, in any language.
CODE = re.compile(r"^(共)?\s*(\d{1,4})\s*[-－–—‐]\s*(\d{1,4})$")
YEAR = re.compile(r"^(?:民國)?\s*(\d{1,4})\s*(?:年|年度)?$")
PERIOD = re.compile(r"^(?:[QqHh]|第)?\s*([0-9一二三四五六七八九十]{1,3})\s*(?:季|期|月|半年)?$")
COMMON_EXAMPLE = "共1-1"  # a common indicator's code, as written in the file
CHINESE_DIGITS = {c: n for n, c in enumerate("一二三四五六七八九十", start=1)}


def _code_text(value) -> str:
    """The code cell as text; a date cell (Excel made 1-5 a date) as Excel shows it, 2025/1/5."""
    if isinstance(value, datetime.datetime | datetime.date):
        return f"{value.year}/{value.month}/{value.day}"
    return cell_text(value)


def excel_date_message(text: str) -> str:
    return _(
        "“%(text)s” is a date, not an indicator code: Excel turns a code such as 1-5 into a date. Format the "
        "column as Text (Format Cells → Text), type the codes again (e.g. 1-5) and upload the file again."
    ) % {"text": text}


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
        return plain_number(Decimal(text[:-1].strip().replace(",", "")) / 100)
    except (InvalidOperation, ValueError):
        return text


# --- Checking ---------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    column: str  # the column the error is about, or "" for the row as a whole
    message: str

    def __str__(self):
        return labelled(self.column, self.message) if self.column else self.message


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
    values: dict = field(default_factory=dict)  # what goes to the save (services.ReportWrite)
    clean: services.CleanReport | None = None  # what report_clean made of them
    changes: list[str] = field(default_factory=list)  # labels of the fields that change
    errors: list[RowError] = field(default_factory=list)
    outcome: str = ""  # created / updated / unchanged / skipped
    report: ProgressReport | None = None  # the saved report, once applied

    def error(self, column: str, message: str) -> None:
        self.errors.append(RowError(column, message))

    @property
    def preview(self) -> assessments.Preview | None:
        return self.clean.preview if self.clean else None

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
    encoding: str = ""  # a csv's text encoding (common.spreadsheets.reading.ENCODINGS), else ""
    file_errors: list[str] = field(default_factory=list)
    rows: list[ImportRow] = field(default_factory=list)
    applied: bool = False

    @property
    def error_rows(self) -> list[ImportRow]:
        return [r for r in self.rows if r.errors]

    @property
    def encoding_note(self) -> str:
        """已以 Big5（CP950）編碼讀取檔案。 for a csv; "" for xlsx and ods."""
        return encoding_note(self.encoding)

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
                .prefetch_related(targets, "targets__planned_values")  # the previews read the planned values
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
            department_text=cell_text(cells.get(COL_DEPARTMENT)),
            code_text=_code_text(cells.get(COL_CODE)),
            year_text=cell_text(cells.get(COL_YEAR)),
            period_text=cell_text(cells.get(COL_PERIOD)),
        )
        rows.append((row, cells))
        result.rows.append(row)

    lookups = _Lookups(user, result.rows)
    for row, cells in rows:
        if all(is_blank(cells.get(c)) for c in DATA_COLUMNS):
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
                _("Duplicate of row %(row)s: %(code)s (%(period)s) may appear only once in a file.")
                % {"row": first_row[key], "code": row.indicator.code, "period": row.period.label},
            )
            continue
        first_row[key] = row.number
        row.existing = existing.get(key)
        if not row.errors:
            _validate(row, cells, user=user, submit=submit)

    if not any(r.writes or r.errors for r in result.rows):
        result.file_errors.append(
            _("The file has no figure or text filled in: every row is empty, and there is nothing to import.")
        )
    return result


def _resolve(row: ImportRow, cells: dict, lookups: _Lookups) -> None:
    """Department, year, code and period → the indicator and the period, or errors."""
    department = None
    if not row.department_text:
        row.error(COL_DEPARTMENT, _("Please fill in the department."))
    else:
        department = lookups.department(row.department_text)
        if department is None:
            row.error(
                COL_DEPARTMENT,
                _("There is no department “%(department)s”; write the department's full name, e.g. “%(example)s”.")
                % {"department": row.department_text, "example": "都市發展處"},
            )
        elif not lookups.can_report_department(department.pk):
            row.error(COL_DEPARTMENT, _not_reporter(department))
            return

    year = _year(row)
    department_plan = None
    if department is not None and year is not None:
        plans = lookups.department_plans.get(department.pk, [])
        department_plan = next((dp for dp in plans if dp.plan.contains_year(year)), None)
        if department_plan is None:
            if plans:
                spans = join_list(f"{dp.plan.start_year}–{dp.plan.end_year}" for dp in plans)
                row.error(
                    COL_YEAR,
                    _("ROC year %(year)s is outside the plan period of %(department)s (%(spans)s).")
                    % {"year": year, "department": department.name, "spans": spans},
                )
            else:
                row.error(
                    COL_DEPARTMENT,
                    _("“%(department)s” has no medium-term plan to report on.") % {"department": department.name},
                )

    code = None
    if not row.code_text:
        row.error(
            COL_CODE,
            _("Please fill in the code (e.g. 1-5; a common indicator as %(common)s).") % {"common": COMMON_EXAMPLE},
        )
    else:
        code = _parse_code(row.code_text)
        if code is None and looks_like_date(row.code_text):
            row.error(COL_CODE, excel_date_message(row.code_text))
        elif code is None:
            row.error(
                COL_CODE,
                _("“%(code)s” is not an indicator code; write it as the pages do, e.g. 1-5 or %(common)s.")
                % {"code": row.code_text, "common": COMMON_EXAMPLE},
            )
    if code is not None and department_plan is not None:
        kind, parent_number, number = code
        row.indicator = lookups.indicators.get((department_plan.pk, kind, parent_number, number))
        if row.indicator is None:
            row.error(
                COL_CODE,
                _("%(department)s has no indicator with the code “%(code)s”.")
                % {"department": department.name, "code": row.code_text},
            )

    number = None
    if not row.period_text:
        row.error(COL_PERIOD, _("Please fill in the period (e.g. 1 for the first quarter)."))
    else:
        number = _parse_int(PERIOD, row.period_text)
        if number is None:
            row.error(
                COL_PERIOD,
                _("“%(period)s” is not a period; write a number, e.g. 1 for the first quarter.")
                % {"period": row.period_text},
            )
    if number is not None and department_plan is not None:
        plan = department_plan.plan
        row.period = lookups.periods.get((plan.pk, year, number))
        if row.period is None:
            count = lookups.period_counts.get((plan.pk, year), 0)
            word = FREQUENCY_WORD.get(plan.reporting_frequency) or pgettext_lazy("periods of a year", "periods")
            if count:
                span = _("1–%(count)s (%(unit)s)") % {"count": count, "unit": word}
            else:
                span = _("not created yet")
            row.error(
                COL_PERIOD,
                _("Period “%(period)s” does not exist: the periods of %(year)s are %(span)s.")
                % {"period": row.period_text, "year": roc_year(year), "span": span},
            )
        elif row.period.is_locked:
            row.error(COL_PERIOD, services.locked_message(row.period))

    if row.indicator is not None:
        if not access.can_report(lookups.user, row.indicator):  # the rule itself, not only the prefilter
            row.error(COL_DEPARTMENT, _not_reporter(department))
        name = _squash(cell_text(cells.get(COL_NAME)))
        if name and name != _squash(row.indicator.name):
            row.error(
                COL_NAME,
                _(
                    "Code %(code)s is “%(name)s”, not “%(file_name)s” as in the file; check that codes and "
                    "indicators line up."
                )
                % {"code": row.indicator.code, "name": row.indicator.name, "file_name": cell_text(cells.get(COL_NAME))},
            )


def _not_reporter(department: Department) -> str:
    return _("You may not report on the indicators of “%(department)s”: only that department's reporters may.") % {
        "department": department.name
    }


def _year(row: ImportRow) -> int | None:
    if not row.year_text:
        row.error(COL_YEAR, _("Please fill in the year (an ROC year, e.g. 114)."))
        return None
    year = _parse_int(YEAR, row.year_text)
    if year is None or not is_roc_year(year):
        if year is not None and year > ROC_OFFSET:
            row.error(
                COL_YEAR,
                _("“%(text)s” is a Gregorian year; write the ROC year (Gregorian %(year)s is ROC %(roc)s).")
                % {"text": row.year_text, "year": year, "roc": year - ROC_OFFSET},
            )
        else:
            row.error(
                COL_YEAR,
                _("“%(text)s” is not an ROC year; write an ROC year, e.g. 114.") % {"text": row.year_text},
            )
        return None
    return year


def _validate(row: ImportRow, cells: dict, *, user, submit: bool) -> None:
    """The existing report's status, then the figures through the form's own validation."""
    indicator, period, existing = row.indicator, row.period, row.existing
    if existing is not None and existing.status not in services.EDITABLE_STATUSES:
        label = ReportStatus(existing.status).label
        row.error(
            "",
            _(
                "The report of %(code)s (%(period)s) is now “%(status)s” and can no longer be changed; a "
                "submitted or approved report can be changed only after a reviewer returns it."
            )
            % {"code": indicator.code, "period": period.label, "status": label},
        )
        return

    spec = indicator.formula_spec
    values: dict = {"actual": None, "inputs": None}
    actual_text = cell_text(cells.get(COL_ACTUAL))
    if spec:
        columns = {i.column: i.key for i in spec.inputs}
        if actual_text:
            row.error(
                COL_ACTUAL,
                _(
                    "A common indicator's actual is computed by its formula: leave this column empty and fill in "
                    "%(columns)s instead."
                )
                % {"columns": join_list(columns)},
            )
        values["inputs"] = {key: cell_text(cells.get(column)) for column, key in columns.items()}
        for column in INPUT_COLUMNS:
            if column not in columns and not is_blank(cells.get(column)):
                row.error(
                    column,
                    _("This column is not part of the formula “%(formula)s”; leave it empty.")
                    % {"formula": spec.label},
                )
    else:
        if indicator.unit == Unit.SET and actual_text.endswith("%"):
            actual_text = _percent_to_fraction(actual_text)
        values["actual"] = actual_text or None
        for label in INPUT_COLUMNS:
            if not is_blank(cells.get(label)):
                row.error(
                    label,
                    _(
                        "This column is only for the formulas of common indicators; for a key performance "
                        "indicator leave it empty and fill in %(column)s."
                    )
                    % {"column": COL_ACTUAL},
                )
    for column, name in TEXT_COLUMNS.items():
        values[name] = cell_text(cells.get(column))
    if row.errors:
        return

    try:
        clean = services.report_clean(indicator=indicator, period=period, submitting=submit, **values)
    except ValidationError as exc:
        row.errors.extend(_service_errors(exc, indicator))
        return
    row.values = values
    row.clean = clean
    if existing is None:
        row.outcome = CREATED
        return
    row.changes = [services.FIELD_LABELS[f] for f, v in clean.fields().items() if getattr(existing, f) != v]
    row.outcome = UPDATED if row.changes else UNCHANGED


def _service_errors(exc: ValidationError, indicator: Indicator | None) -> list[RowError]:
    """A service's errors, each under the column it is about."""
    labels = (
        {f"inputs.{i.key}": i.column for i in indicator.formula_spec.inputs}
        if indicator and indicator.formula_spec
        else {}
    )
    if not hasattr(exc, "error_dict"):
        return [RowError("", m) for m in exc.messages]
    errors = []
    for key, messages in exc.message_dict.items():
        column = labels.get(key) or FIELD_COLUMNS.get(key, "" if key == "__all__" else key)
        errors += [RowError(column, m) for m in messages]
    return errors


# --- Writing ----------------------------------------------------------------------


def apply(result: ImportResult, *, user) -> ImportResult:
    """Save every checked row through `services.reports_write` (the form's rules, in bulk), in
    one transaction; all or nothing."""
    if not result.ok or result.dry_run:
        return result
    rows = result.written_rows
    writes = [
        services.ReportWrite(
            indicator=row.indicator,
            period=row.period,
            values=row.values,
            expected_version=row.existing.version if row.existing else None,
            clean=row.clean,
        )
        for row in rows
    ]
    try:
        reports = services.reports_write(user=user, writes=writes, submit=result.submit)
    except services.WritesRefused as refused:
        for position, exc in sorted(refused.errors.items()):
            _refusal(rows[position], exc)
        return result
    for row, report in zip(rows, reports, strict=True):
        row.report = report
    result.applied = True
    return result


def _refusal(row: ImportRow, exc: Exception) -> None:
    """Why the save refused a row that passed the check: the database changed in between."""
    if isinstance(exc, services.ConflictError):
        row.error(
            "",
            _(
                "The report of %(code)s (%(period)s) was updated by %(who)s after the check "
                "(version %(version)s); review their changes and upload again."
            )
            % {"code": row.indicator.code, "period": row.period.label, "who": exc.who, "version": exc.report.version},
        )
    elif isinstance(exc, PermissionDenied):
        row.error(COL_DEPARTMENT, str(exc) or _("You may not report on this indicator."))
    else:
        row.errors.extend(_service_errors(exc, row.indicator))


def import_reports(data: bytes, filename: str, *, user, submit: bool = False, dry_run: bool = False) -> ImportResult:
    """Read, check and (unless `dry_run` or any error) apply a file; never raises for bad input."""
    try:
        sheet = read_sheet(data, filename, required=REQUIRED_COLUMNS)
    except FileError as exc:
        return ImportResult(
            submit=submit, dry_run=dry_run, filename=filename, encoding=exc.encoding, file_errors=[str(exc)]
        )
    result = check(sheet, user=user, submit=submit)
    result.dry_run, result.filename, result.encoding = dry_run, filename, sheet.encoding
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
        by_column = {i.column: inputs.get(i.key, "") for i in spec.inputs} if spec else {}
        rows.append(
            [
                indicator.department_plan.department.name,
                indicator.code,
                indicator.name,
                indicator.unit,
                period.year,
                period.number,
                _number(report.actual) if report and not spec else None,
                *(_number(by_column.get(column)) if column in by_column else None for column in INPUT_COLUMNS),
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
