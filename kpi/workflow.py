"""Progress reporting and review: the service functions that carry the rules.

The report form, the review pages, the API and the importers call these, so each
rule (who may act, what a valid figure is, locked periods, conflicting edits, the
record of changes) is written once. Every function is keyword-only, runs in one
transaction and raises `ValidationError` (or its subclasses below) with messages in
zh-Hant that can be shown next to the field they concern.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from common import errors
from common.text import plain_text
from common.years import to_gregorian
from kpi import access
from kpi.attainment import Assessment, Thresholds, assess, expected_to_date
from kpi.formulas import FormulaError
from kpi.formulas import _parse_inputs as parse_formula_inputs
from kpi.models import (
    COUNT_UNITS,
    Accrual,
    Direction,
    EvaluationMethod,
    Evidence,
    Indicator,
    PeriodAction,
    PeriodEvent,
    ProgressReport,
    ReportAction,
    ReportEvent,
    ReportingPeriod,
    ReportStatus,
    Unit,
    YearlyTarget,
)
from kpi.services import parse_decimal
from plans.models import Plan, ReportingFrequency

EDITABLE_STATUSES = {ReportStatus.DRAFT, ReportStatus.RETURNED}
REPORT_FIELDS = ("actual", "inputs", "narrative", "shortfall_reason", "improvement_plan")
FIELD_LABELS = {
    "actual": "累計實績",
    "inputs": "計算數據",
    "narrative": "達成情形說明",
    "shortfall_reason": "未達成原因",
    "improvement_plan": "改善措施",
    "status": "狀態",
}
PERIODS_PER_YEAR = {ReportingFrequency.MONTHLY: 12, ReportingFrequency.QUARTERLY: 4, ReportingFrequency.HALF_YEARLY: 2}


class ConflictError(errors.ConflictError):
    """Someone else saved the report after this copy was opened (see `common.errors`)."""

    def __init__(self, report: ProgressReport, changes: dict[str, tuple]):
        who = report.updated_by.get_full_name() or report.updated_by.get_username()
        when = timezone.localtime(report.updated_at).strftime("%Y-%m-%d %H:%M")
        super().__init__(
            f"這份填報已由 {who} 於 {when} 更新（第 {report.version} 版），你的修改尚未儲存。"
            "請檢視對方的變更後再儲存一次；你輸入的內容已保留在表單中。",
            current_version=report.version,
            current_status=report.status,
            changes=changes,
        )
        self.report = report


# --- Periods ---------------------------------------------------------------------


def _period_bounds(year: int, frequency: str, number: int) -> tuple[datetime.date, datetime.date]:
    g = to_gregorian(year)
    months = 12 // PERIODS_PER_YEAR[frequency]
    first_month = (number - 1) * months + 1
    last_month = first_month + months - 1
    start = datetime.date(g, first_month, 1)
    end = (
        datetime.date(g + 1, 1, 1) if last_month == 12 else datetime.date(g, last_month + 1, 1)
    ) - datetime.timedelta(days=1)
    return start, end


@transaction.atomic
def periods_ensure(*, plan: Plan) -> list[ReportingPeriod]:
    """Create the plan's reporting periods for its frequency (idempotent)."""
    existing = {
        (p.year, p.number): p for p in ReportingPeriod.objects.filter(plan=plan, frequency=plan.reporting_frequency)
    }
    periods = []
    for year in plan.years:
        for number in range(1, PERIODS_PER_YEAR[plan.reporting_frequency] + 1):
            period = existing.get((year, number))
            if period is not None and not period.is_locked:
                # The plan's due-days setting may have changed since: open periods follow it.
                due = period.end_date + datetime.timedelta(days=plan.report_due_days)
                if period.due_date != due:
                    period.due_date = due
                    period.save(update_fields=["due_date"])
            if period is None:
                start, end = _period_bounds(year, plan.reporting_frequency, number)
                period = ReportingPeriod.objects.create(
                    plan=plan,
                    year=year,
                    frequency=plan.reporting_frequency,
                    number=number,
                    start_date=start,
                    end_date=end,
                    due_date=end + datetime.timedelta(days=plan.report_due_days),
                )
            periods.append(period)
    return periods


def fraction_of_year(period: ReportingPeriod) -> Decimal:
    return Decimal(period.number) / Decimal(PERIODS_PER_YEAR[period.frequency])


@transaction.atomic
def period_lock(*, period: ReportingPeriod, user) -> ReportingPeriod:
    if not access.can_manage_periods(user):
        raise PermissionDenied("只有研考人員可以鎖定填報期間。")
    period = ReportingPeriod.objects.select_for_update().get(pk=period.pk)
    if period.is_locked:
        raise ValidationError("此期間已鎖定。")
    period.is_locked = True
    period.save(update_fields=["is_locked"])
    PeriodEvent.objects.create(period=period, action=PeriodAction.LOCKED, actor=user)
    return period


@transaction.atomic
def period_unlock(*, period: ReportingPeriod, user, reason: str) -> ReportingPeriod:
    if not access.can_manage_periods(user):
        raise PermissionDenied("只有研考人員可以解除鎖定。")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "解除鎖定必須填寫理由。"})
    period = ReportingPeriod.objects.select_for_update().get(pk=period.pk)
    if not period.is_locked:
        raise ValidationError("此期間未鎖定。")
    period.is_locked = False
    period.save(update_fields=["is_locked"])
    PeriodEvent.objects.create(period=period, action=PeriodAction.UNLOCKED, actor=user, reason=reason)
    return period


# --- Attainment of a single report ------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """What the form shows before submitting: the figure against the year and the pace."""

    actual: Decimal | None
    year_target: Decimal | None
    year: Assessment
    period_target: Decimal | None  # what the year-to-date figure should be by the period's end
    pace: Assessment
    working: str = ""

    @property
    def needs_explanation(self) -> bool:
        return self.pace.light in ("yellow", "red")


def plan_thresholds(plan: Plan) -> Thresholds:
    return Thresholds(green=plan.green_threshold, yellow=plan.yellow_threshold)


def _target_rows(indicator: Indicator) -> list[YearlyTarget]:
    cache = getattr(indicator, "_prefetched_objects_cache", {})
    targets = cache.get("targets")
    if targets is None:
        targets = YearlyTarget.objects.filter(indicator=indicator)
    return list(targets)


def _targets_by_year(indicator: Indicator) -> dict[int, Decimal]:
    return {t.year: t.value for t in _target_rows(indicator)}


def period_target(indicator: Indicator, period: ReportingPeriod, targets: dict[int, Decimal] | None = None):
    """The year-to-date figure the period should reach: the pro-rated share of the year's
    target for cumulative figures (from last year's level for a % ladder), the full
    target for levels and lower-is-better rates."""
    targets = targets if targets is not None else _targets_by_year(indicator)
    target = targets.get(period.year)
    if target is None:
        return None
    if indicator.accrual == Accrual.LEVEL or indicator.direction == Direction.LOWER:
        return target
    start = Decimal(0)
    if indicator.unit == Unit.PERCENT:
        previous = targets.get(period.year - 1)
        if previous is not None and previous < target:
            start = previous  # a cumulative ladder: 10 → 40 → 70 → 100
    return expected_to_date(target=target, fraction_of_year=fraction_of_year(period), cumulative_from=start)


def not_assessed_reason(
    indicator: Indicator, target: YearlyTarget | None, period: ReportingPeriod | None
) -> str | None:
    """Why a KPI-year is white whatever its figure (不予評估), or None.

    Either an admin excluded the year, or the indicator is judged at year end only (a
    budget surplus means nothing in March) and the figure is not the year's last one.
    Every page, export and the API ask this, so the rule is written once.
    """
    if target is not None and target.excluded_reason.strip():
        return target.excluded_reason.strip()
    if indicator.accrual == Accrual.YEAR_END and period is not None and not period.is_last_of_year:
        return f"年終評估指標，全年數據核定後始評估（目前為{period.label}累計數）"
    return None


def report_preview(
    *, indicator: Indicator, period: ReportingPeriod, actual: Decimal | None, working: str = ""
) -> Preview:
    thresholds = plan_thresholds(period.plan)
    targets = {t.year: t for t in _target_rows(indicator)}
    year_target = targets[period.year].value if period.year in targets else None
    due = period_target(indicator, period, {y: t.value for y, t in targets.items()})
    excluded = not_assessed_reason(indicator, targets.get(period.year), period)
    return Preview(
        actual=actual,
        year_target=year_target,
        year=assess(
            actual=actual,
            target=year_target,
            direction=indicator.direction,
            thresholds=thresholds,
            excluded_reason=excluded,
        ),
        period_target=due,
        pace=assess(
            actual=actual, target=due, direction=indicator.direction, thresholds=thresholds, excluded_reason=excluded
        ),
        working=working,
    )


# --- Validation -------------------------------------------------------------------


# ProgressReport.actual holds 14 digits, 4 of them after the point: a bigger figure is a
# typo, and the database could not store it (PostgreSQL) or read it back (SQLite).
MAX_ACTUAL = Decimal(10) ** 10
TOO_LARGE = "數值過大，請確認數字。"


def fits_actual_column(number: Decimal) -> bool:
    return number.adjusted() < 10 and abs(number.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)) < MAX_ACTUAL


def validate_actual(indicator: Indicator, value) -> Decimal:
    """The unit decides what a year-to-date figure may be."""
    number = parse_decimal(value, field="actual")
    if not fits_actual_column(number):
        raise ValidationError({"actual": TOO_LARGE})
    if indicator.unit in COUNT_UNITS:
        if number < 0 or number != number.to_integral_value():
            raise ValidationError({"actual": f"以「{indicator.unit}」計的實績必須是大於或等於 0 的整數。"})
    elif indicator.unit == Unit.SET:
        if not (0 <= number <= 1):
            raise ValidationError(
                {"actual": "以「式」計的實績是完成比例，請填 0 到 1 之間的數字（完成為 1，例如完成一半填 0.5）。"}
            )
    elif indicator.unit == Unit.PERCENT:
        if indicator.direction == Direction.HIGHER and not (0 <= number <= 100):
            raise ValidationError({"actual": "百分比請填 0 到 100 之間的數字（不含 % 符號亦可）。"})
        if indicator.direction == Direction.LOWER and not (-100 <= number <= 1000):
            raise ValidationError({"actual": "百分比請填 -100 到 1000 之間的數字。"})
    if (
        indicator.evaluation_method == EvaluationMethod.PROGRESS_CONTROL
        and indicator.unit == Unit.PERCENT
        and number > 100
    ):
        raise ValidationError({"actual": "進度不可超過 100%。"})
    return number


@dataclass(frozen=True)
class CleanReport:
    actual: Decimal | None
    inputs: dict
    narrative: str
    shortfall_reason: str
    improvement_plan: str
    preview: Preview


def report_clean(
    *,
    indicator: Indicator,
    period: ReportingPeriod,
    actual=None,
    inputs: dict | None = None,
    narrative: str = "",
    shortfall_reason: str = "",
    improvement_plan: str = "",
    submitting: bool,
) -> CleanReport:
    """Validate what a person entered. Drafts may be incomplete; a submission may not."""
    errors: dict[str, list[str]] = {}
    # Stored without control characters (common.text): the form, the API and the import all pass here.
    narrative, shortfall_reason, improvement_plan = (
        plain_text(narrative),
        plain_text(shortfall_reason),
        plain_text(improvement_plan),
    )
    value, working, clean_inputs = None, "", {}
    spec = indicator.formula_spec
    if spec:
        raw = {k: (v if v is not None else "") for k, v in (inputs or {}).items()}
        clean_inputs = {i.key: str(raw.get(i.key, "")).strip() for i in spec.inputs}
        filled = [i for i in spec.inputs if clean_inputs[i.key]]
        try:
            if submitting or len(filled) == len(spec.inputs):
                result = spec.compute(clean_inputs)
                value, working = result.value, result.working
                if not fits_actual_column(value):
                    errors.setdefault("inputs", []).append(TOO_LARGE)
                    value, working = None, ""
            elif filled:
                # A draft may hold some of the inputs: check the ones typed, compute nothing yet.
                parse_formula_inputs(filled, clean_inputs)
        except FormulaError as exc:
            for key, message in exc.errors.items():
                errors.setdefault(f"inputs.{key}", []).append(message)
    elif actual not in (None, ""):
        try:
            value = validate_actual(indicator, actual)
        except ValidationError as exc:
            errors.setdefault("actual", []).extend(exc.message_dict["actual"])
    elif submitting:
        errors.setdefault("actual", []).append("請填寫累計實績。")

    preview = report_preview(indicator=indicator, period=period, actual=value, working=working)
    if submitting:
        if not narrative:
            errors.setdefault("narrative", []).append("送出前請填寫達成情形說明。")
        if value is not None and preview.needs_explanation:
            if not shortfall_reason:
                errors.setdefault("shortfall_reason", []).append("進度落後（黃燈或紅燈）時必須填寫未達成原因。")
            if not improvement_plan:
                errors.setdefault("improvement_plan", []).append("進度落後（黃燈或紅燈）時必須填寫改善措施。")
    for name, text in (
        ("narrative", narrative),
        ("shortfall_reason", shortfall_reason),
        ("improvement_plan", improvement_plan),
    ):
        if len(text) > 5000:
            errors.setdefault(name, []).append("內容請在 5000 字以內。")
    if errors:
        raise ValidationError(errors)
    return CleanReport(value, clean_inputs, narrative, shortfall_reason, improvement_plan, preview)


# --- Reports ----------------------------------------------------------------------


def _check_period_open(period: ReportingPeriod) -> None:
    # Ask the database, not the copy the caller loaded: the period may have been locked
    # since. The row lock makes a save and a concurrent period_lock take turns, so no
    # change can land in a period after it was locked.
    locked = (
        ReportingPeriod.objects.select_for_update()
        .filter(pk=period.pk)
        .order_by()
        .values_list("is_locked", flat=True)
        .first()
    )
    if period.is_locked or locked:
        raise ValidationError(f"{period.label}已鎖定，不能再修改。如需更正，請洽研考人員解除鎖定。")


def _jsonable(value):
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def _diff(report: ProgressReport, new: dict) -> dict[str, list]:
    return {f: [_jsonable(getattr(report, f)), _jsonable(v)] for f, v in new.items() if getattr(report, f) != v}


@transaction.atomic
def report_save(
    *,
    indicator: Indicator,
    period: ReportingPeriod,
    user,
    actual=None,
    inputs: dict | None = None,
    narrative: str = "",
    shortfall_reason: str = "",
    improvement_plan: str = "",
    expected_version: int | None = None,
    submit: bool = False,
) -> ProgressReport:
    """Create or edit the report for (indicator, period), optionally submitting it.

    `expected_version` is the version the person's form was based on (None for a new
    report). If the report has moved on since, nothing is written and a
    `ConflictError` says what changed.
    """
    if not access.can_report(user, indicator):
        raise PermissionDenied("你沒有填報此指標的權限。")
    if period.plan_id != indicator.department_plan.plan_id:
        raise ValidationError({"period": "填報期間不屬於此指標的計畫。"})
    _check_period_open(period)
    report = (
        ProgressReport.objects.select_for_update(of=("self",))
        .select_related("updated_by")
        .filter(indicator=indicator, period=period)
        .order_by("pk")
        .first()
    )
    if report is not None:
        report.indicator, report.period = indicator, period  # spare _submit reloading them
    clean = report_clean(
        indicator=indicator,
        period=period,
        actual=actual,
        inputs=inputs,
        narrative=narrative,
        shortfall_reason=shortfall_reason,
        improvement_plan=improvement_plan,
        submitting=submit,
    )
    values = {
        "actual": clean.actual,
        "inputs": clean.inputs,
        "narrative": clean.narrative,
        "shortfall_reason": clean.shortfall_reason,
        "improvement_plan": clean.improvement_plan,
    }
    if report is None:
        if expected_version not in (None, 0):
            raise ValidationError("找不到這份填報，可能已被刪除。")
        report = ProgressReport(indicator=indicator, period=period, created_by=user, updated_by=user, **values)
        try:
            with transaction.atomic():
                report.save()
        except IntegrityError:
            # Someone else started this report a moment ago: a conflict, not an error.
            theirs = ProgressReport.objects.select_related("updated_by").get(indicator=indicator, period=period)
            raise ConflictError(
                theirs, {f: (getattr(theirs, f), values[f]) for f in REPORT_FIELDS if getattr(theirs, f) != values[f]}
            ) from None
        ReportEvent.objects.create(
            report=report, action=ReportAction.CREATED, actor=user, changes=_diff(ProgressReport(), values)
        )
    else:
        if expected_version is None or expected_version != report.version:
            raise ConflictError(
                report, {f: (getattr(report, f), values[f]) for f in REPORT_FIELDS if getattr(report, f) != values[f]}
            )
        if report.status not in EDITABLE_STATUSES:
            raise ValidationError(f"這份填報目前為「{report.get_status_display()}」，不能修改。")
        changes = _diff(report, values)
        if changes:
            for f, v in values.items():
                setattr(report, f, v)
            report.version += 1
            report.updated_by = user
            report.save()
            ReportEvent.objects.create(report=report, action=ReportAction.EDITED, actor=user, changes=changes)
    if submit:
        report = _submit(report, user)
    return report


def _submit(report: ProgressReport, user) -> ProgressReport:
    if report.status not in EDITABLE_STATUSES:
        raise ValidationError(f"這份填報目前為「{report.get_status_display()}」，不能送出。")
    # A submission must be complete, whatever was saved as a draft.
    report_clean(
        indicator=report.indicator,
        period=report.period,
        actual=report.actual,
        inputs=report.inputs,
        narrative=report.narrative,
        shortfall_reason=report.shortfall_reason,
        improvement_plan=report.improvement_plan,
        submitting=True,
    )
    action = ReportAction.RESUBMITTED if report.status == ReportStatus.RETURNED else ReportAction.SUBMITTED
    old_status = report.status
    report.status = ReportStatus.SUBMITTED
    report.submitted_by = user
    report.submitted_at = timezone.now()
    report.updated_by = user
    report.version += 1
    report.save()
    ReportEvent.objects.create(
        report=report, action=action, actor=user, changes={"status": [old_status, report.status]}
    )
    return report


def _locked_report(report: ProgressReport, expected_version: int | None) -> ProgressReport:
    current = (
        ProgressReport.objects.select_for_update(of=("self",))
        .select_related("updated_by", "period", "indicator__department_plan")
        .get(pk=report.pk)
    )
    if expected_version is not None and expected_version != current.version:
        raise ConflictError(current, {"status": (current.status, report.status)})
    return current


@transaction.atomic
def report_submit(*, report: ProgressReport, user, expected_version: int | None = None) -> ProgressReport:
    if not access.can_report(user, report.indicator):
        raise PermissionDenied("你沒有填報此指標的權限。")
    report = _locked_report(report, expected_version)
    _check_period_open(report.period)
    return _submit(report, user)


def _review(report: ProgressReport, user, expected_version: int | None) -> ProgressReport:
    report = _locked_report(report, expected_version)
    if access.is_author(user, report):
        raise PermissionDenied("不能審核自己填寫的報告。")
    if not access.can_review(user, report):
        raise PermissionDenied("你沒有審核此指標的權限。")
    _check_period_open(report.period)
    if report.status != ReportStatus.SUBMITTED:
        raise ValidationError(f"只有待審核的填報可以審核；這份目前為「{report.get_status_display()}」。")
    return report


@transaction.atomic
def report_approve(
    *, report: ProgressReport, user, comment: str = "", expected_version: int | None = None
) -> ProgressReport:
    report = _review(report, user, expected_version)
    report.status = ReportStatus.APPROVED
    report.reviewed_by = user
    report.reviewed_at = timezone.now()
    report.review_comment = (comment or "").strip()
    report.version += 1
    report.save()
    ReportEvent.objects.create(
        report=report,
        action=ReportAction.APPROVED,
        actor=user,
        comment=report.review_comment,
        changes={"status": [ReportStatus.SUBMITTED.value, ReportStatus.APPROVED.value]},
    )
    return report


@transaction.atomic
def report_return(*, report: ProgressReport, user, comment: str, expected_version: int | None = None) -> ProgressReport:
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": "退回時必須填寫意見，讓填報人知道要修正什麼。"})
    report = _review(report, user, expected_version)
    report.status = ReportStatus.RETURNED
    report.reviewed_by = user
    report.reviewed_at = timezone.now()
    report.review_comment = comment
    report.version += 1
    report.save()
    ReportEvent.objects.create(
        report=report,
        action=ReportAction.RETURNED,
        actor=user,
        comment=comment,
        changes={"status": [ReportStatus.SUBMITTED.value, ReportStatus.RETURNED.value]},
    )
    return report


# --- Evidence ---------------------------------------------------------------------

# Extension → the bytes such a file starts with. Office Open XML and ODF files are
# ZIP archives; legacy Office files are OLE compound documents.
_ZIP, _OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
EVIDENCE_SIGNATURES = {
    "pdf": (b"%PDF",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "webp": (b"RIFF",),  # and "WEBP" at bytes 8–12, checked below
    "docx": (_ZIP,),
    "xlsx": (_ZIP,),
    "pptx": (_ZIP,),
    "odt": (_ZIP,),
    "ods": (_ZIP,),
    "odp": (_ZIP,),
    "doc": (_OLE,),
    "xls": (_OLE,),
    "ppt": (_OLE,),
}


def validate_evidence_file(upload) -> str:
    """Return the checked extension, or raise a ValidationError saying what is wrong."""
    name = upload.name or ""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in EVIDENCE_SIGNATURES:
        allowed = "、".join(sorted({e.upper() for e in EVIDENCE_SIGNATURES}))
        raise ValidationError({"file": f"不接受「.{ext or '（無副檔名）'}」檔案。可上傳：{allowed}。"})
    limit = settings.EVIDENCE_MAX_BYTES
    if upload.size > limit:
        raise ValidationError({"file": f"檔案大小 {upload.size / 1048576:.1f} MB 超過上限 {limit // 1048576} MB。"})
    if upload.size == 0:
        raise ValidationError({"file": "檔案是空的。"})
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(sig) for sig in EVIDENCE_SIGNATURES[ext]) or (ext == "webp" and head[8:12] != b"WEBP"):
        raise ValidationError({"file": f"檔案內容不是有效的 {ext.upper()} 檔，請確認檔案未損毀且副檔名正確。"})
    return ext


def _check_evidence_editable(report: ProgressReport, user) -> None:
    if not access.can_report(user, report.indicator):
        raise PermissionDenied("你沒有填報此指標的權限。")
    _check_period_open(report.period)
    if report.status not in EDITABLE_STATUSES:
        raise ValidationError(f"這份填報目前為「{report.get_status_display()}」，不能更改佐證資料。")


@transaction.atomic
def evidence_add(*, report: ProgressReport, user, file=None, url: str = "", description: str = "") -> Evidence:
    # Re-read the report (locked): the caller's copy may predate a submission.
    report = (
        ProgressReport.objects.select_for_update(of=("self",))
        .select_related("period", "indicator__department_plan")
        .get(pk=report.pk)
    )
    _check_evidence_editable(report, user)
    url = (url or "").strip()
    if bool(file) == bool(url):
        raise ValidationError({"file": "請上傳一個檔案或填寫一個連結（擇一）。"})
    evidence = Evidence(report=report, url=url, description=(description or "").strip()[:200], uploaded_by=user)
    if file:
        validate_evidence_file(file)
        evidence.original_name = file.name[-255:]
        evidence.size = file.size
        evidence.file = file
    evidence.full_clean(exclude=["file"])
    evidence.save()
    ReportEvent.objects.create(
        report=report, action=ReportAction.EVIDENCE_ADDED, actor=user, comment=evidence.original_name or evidence.url
    )
    return evidence


@transaction.atomic
def evidence_remove(*, evidence: Evidence, user) -> None:
    report = (
        ProgressReport.objects.select_for_update(of=("self",))
        .select_related("period", "indicator__department_plan")
        .get(pk=evidence.report_id)
    )
    _check_evidence_editable(report, user)
    if Evidence.objects.select_for_update().get(pk=evidence.pk).removed_at is not None:
        raise ValidationError("這份佐證資料已經移除。")
    label = evidence.original_name or evidence.url
    evidence.removed_at = timezone.now()
    evidence.removed_by = user
    evidence.save(update_fields=["removed_at", "removed_by"])
    ReportEvent.objects.create(report=report, action=ReportAction.EVIDENCE_REMOVED, actor=user, comment=label)


# --- Actuals ----------------------------------------------------------------------


def approved_actual(indicator: Indicator, year: int) -> ProgressReport | None:
    """The year's actual: its latest approved report."""
    return (
        ProgressReport.objects.filter(indicator=indicator, period__year=year, status=ReportStatus.APPROVED)
        .select_related("period")
        .order_by("-period__end_date")
        .first()
    )
