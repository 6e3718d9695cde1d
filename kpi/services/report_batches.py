"""Many reports of one period at once (the department's grid, 填報總表): all of them, or none.

One rule per thing: every row goes through `report_save` (and so `report_clean`, the
locks, the statuses, the versions and the record), exactly as the single form's; this
module only adds the batch — one transaction, every row tried so that every error shows
at once, and nothing kept if any row is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kpi import stored
from kpi.models import Indicator, ProgressReport, ReportingPeriod
from kpi.services.reports import REPORT_FIELDS, CleanReport, ConflictError, report_clean, report_save


@dataclass
class BatchRow:
    """One indicator's row of a batch: what was typed, and the version it was based on.

    `report` is the report as the caller read it (None: none yet); it lets a row that
    matches it, at the version the row was based on, be left alone without asking the
    database. `report_save` checks the version again under a row lock.
    """

    indicator: Indicator
    values: dict  # actual or inputs, narrative, shortfall_reason, improvement_plan (raw strings)
    expected_version: int | None
    report: ProgressReport | None = None


@dataclass
class BatchResult:
    saved: list[ProgressReport]  # written as drafts
    submitted: list[ProgressReport]
    unchanged: int


class BatchRefused(Exception):
    """`reports_save_many` wrote nothing: each refused row's error, by indicator id.

    `errors` holds `ValidationError`s (field → messages, as the form shows them) and
    `conflicts` the rows whose report changed since the page was shown (`ConflictError`).
    """

    def __init__(self, errors: dict[int, ValidationError], conflicts: dict[int, ConflictError]):
        super().__init__(errors, conflicts)
        self.errors = errors
        self.conflicts = conflicts


def has_figure(indicator: Indicator, values: dict) -> bool:
    """Whether a row carries a figure: the actual, or any input of a common indicator's formula."""
    if indicator.formula_spec:
        return any(str(v or "").strip() for v in (values.get("inputs") or {}).values())
    return str(values.get("actual") or "").strip() != ""


def _unchanged(report: ProgressReport | None, clean: CleanReport, expected_version: int | None) -> bool:
    """Nothing typed for a row without a report, or exactly the saved report at the version it was based on."""
    typed = {
        "actual": clean.actual,
        "inputs": clean.inputs or {},
        "narrative": clean.narrative,
        "shortfall_reason": clean.shortfall_reason,
        "improvement_plan": clean.improvement_plan,
    }
    if report is None:
        return not any(typed["inputs"].values()) and not any(v for k, v in typed.items() if k != "inputs")
    stored = {f: getattr(report, f) for f in REPORT_FIELDS}
    stored["inputs"] = stored["inputs"] or {}
    return expected_version == report.version and stored == typed


def reports_save_many(*, user, period: ReportingPeriod, rows: list[BatchRow], submit: bool = False) -> BatchResult:
    """Save the rows of one period (a department's grid) as drafts, all of them or none.

    With `submit`, every row that carries a figure (`has_figure`) is submitted, so it must
    be complete (`report_clean`'s rules: the narrative, and when behind plan the reason
    and the measures); the others are saved as drafts. Each row goes through
    `report_save` — permissions, locks, statuses, validation, versions and the record are
    the form's — inside ONE transaction. Every row is tried, so that every error can be
    shown at once; if any row is refused nothing is kept and `BatchRefused` says which
    and why. A row that is unchanged and not to be submitted is left alone.
    """
    errors: dict[int, ValidationError] = {}
    conflicts: dict[int, ConflictError] = {}
    result = BatchResult(saved=[], submitted=[], unchanged=0)
    # Each KPI-year's stored assessment is refreshed once, when every row is saved.
    with transaction.atomic(), stored.deferred():
        for row in rows:
            indicator = row.indicator
            to_submit = submit and has_figure(indicator, row.values)
            if not to_submit:
                # A draft: check it without the database first, and leave an unchanged row alone.
                try:
                    clean = report_clean(indicator=indicator, period=period, submitting=False, **row.values)
                except ValidationError as exc:
                    errors[indicator.pk] = exc
                    continue
                if _unchanged(row.report, clean, row.expected_version):
                    result.unchanged += 1
                    continue
            try:
                with transaction.atomic():
                    report = report_save(
                        indicator=indicator,
                        period=period,
                        user=user,
                        expected_version=row.expected_version,
                        submit=to_submit,
                        **row.values,
                    )
            except ConflictError as exc:
                conflicts[indicator.pk] = exc
            except PermissionDenied as exc:
                errors[indicator.pk] = ValidationError(str(exc) or _("You may not report on this indicator."))
            except ValidationError as exc:
                errors[indicator.pk] = exc
            else:
                (result.submitted if to_submit else result.saved).append(report)
        if errors or conflicts:
            transaction.set_rollback(True)
    if errors or conflicts:
        raise BatchRefused(errors, conflicts)
    return result
