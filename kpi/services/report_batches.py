"""Many reports at once: all of them, or none.

- `reports_save_many`: one period's rows (the department's grid, 填報總表). Every row goes
  through `report_save` (and so `report_clean`, the locks, the statuses, the versions and
  the record), exactly as the single form's; it only adds the batch — one transaction,
  every row tried so that every error shows at once, and nothing kept if any row is refused.
- `reports_write`: any number of reports of any periods (the import, 批次匯入), read and
  written in bulk — a fixed number of queries, not a few per report — through the same
  rule functions as `report_save`, called in its order (see `kpi.services.reports`).
  `write_reports` is the one place that writes reports in bulk.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from kpi import nav_counts, page_cache, stored
from kpi.models import Indicator, ProgressReport, ReportEvent, ReportingPeriod
from kpi.services import notifications
from kpi.services.reports import (
    REPORT_FIELDS,
    CleanReport,
    ConflictError,
    apply_edit,
    check_edit,
    check_may_report,
    check_new,
    check_period_open,
    check_report_open,
    check_submittable,
    conflict,
    created_event,
    edited_event,
    last_events,
    lock_periods,
    mark_submitted,
    merge_edit,
    new_report,
    report_clean,
    report_save,
    reports_for_update,
)


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


# --- Many reports of many periods at once (the import) ---------------------------------------


@dataclass
class ReportWrite:
    """One report to save: what was typed (raw, as `report_save` takes it) and the version it was based on."""

    indicator: Indicator
    period: ReportingPeriod
    values: dict  # actual or inputs, narrative, shortfall_reason, improvement_plan
    expected_version: int | None = None
    # What `report_clean` made of these values for this indicator and period, when the caller
    # has just asked it (the import's check does, for its messages and previews), so that it
    # is not asked twice; it must have been asked as the write is made (`submitting` = submit).
    clean: CleanReport | None = None


class WritesRefused(Exception):
    """`reports_write` wrote nothing: what stopped each refused write, by its position in the list.

    Each error is what `report_save` would have raised for that write alone:
    `PermissionDenied`, `ValidationError` or `ConflictError`.
    """

    def __init__(self, errors: dict[int, Exception]):
        super().__init__(errors)
        self.errors = errors


@dataclass
class _Write:
    report: ProgressReport
    created: bool
    values: dict
    changes: dict  # of an edit (empty when nothing changed)
    submitted: ReportEvent | None = None


def reports_write(*, user, writes: list[ReportWrite], submit: bool = False) -> list[ProgressReport]:
    """Save (and with `submit`, submit) many reports in one transaction: all of them, or none.

    `report_save`'s rules, in its order and from the same functions — who may report,
    the period's plan, locks, `report_clean` (with the opening rule when submitting),
    versions and conflicts, statuses, the record of changes (`ReportEvent`, an edit
    folded into the same person's edit session), the submission and its notifications —
    but read and written in bulk: a fixed number of queries for any number of reports
    (the notifications: a few per department). Every write is checked before anything
    is written; if any is refused, nothing is and `WritesRefused` says what stopped
    which. The reports are returned in the order of `writes`.
    """
    keys = [(w.indicator.pk, w.period.pk) for w in writes]
    if len(set(keys)) != len(keys):
        raise ValueError("reports_write: the same report twice in one batch")
    if not writes:
        return []
    errors: dict[int, Exception] = {}
    todo: list[_Write] = []
    now = timezone.now()
    with transaction.atomic():
        # Lock what report_save locks, in its order (reports, then periods), for all at once.
        existing = {
            (r.indicator_id, r.period_id): r
            for r in reports_for_update()
            .filter(indicator_id__in={k for k, _ in keys}, period_id__in={p for _, p in keys})
            .order_by("pk")
        }
        locked = lock_periods({w.period.pk: w.period for w in writes}.values())
        for position, w in enumerate(writes):
            try:
                todo.append(_prepare(w, existing.get((w.indicator.pk, w.period.pk)), user, locked, submit, now))
            except PermissionDenied as exc:
                errors[position] = exc
            except ValidationError as exc:  # ConflictError too
                errors[position] = exc
        if errors:
            raise WritesRefused(errors)
        refused = write_reports(todo, user=user, submit=submit, now=now)
        if refused:
            raise WritesRefused({keys.index(key): exc for key, exc in refused.items()})
    return [t.report for t in todo]


def _prepare(w: ReportWrite, report: ProgressReport | None, user, locked: set[int], submit: bool, now) -> _Write:
    """One write checked as `report_save` checks it, and put on its report (nothing saved)."""
    check_may_report(user, w.indicator, w.period)
    if report is not None:
        report.indicator, report.period = w.indicator, w.period
        check_report_open(report, locked)
    else:
        check_period_open(w.period, locked)
    clean = w.clean
    if clean is None or clean.submitting != submit:
        clean = report_clean(indicator=w.indicator, period=w.period, submitting=submit, **w.values)
    values = clean.fields()
    if report is None:
        check_new(w.expected_version)
        write = _Write(new_report(w.indicator, w.period, user, values), created=True, values=values, changes={})
    else:
        check_edit(report, w.expected_version, values)
        write = _Write(report, created=False, values=values, changes=apply_edit(report, user, values))
    if submit:
        check_submittable(write.report, recheck=False)  # cleaned for this submission just above
        write.submitted = mark_submitted(write.report, user, now)
    return write


# What a save or a submission changes on an existing report (for bulk_update).
_SAVED_FIELDS = [*REPORT_FIELDS, "version", "updated_by", "updated_at"]
_SUBMITTED_FIELDS = [
    "status",
    "review_stages",
    "first_reviewed_by",
    "first_reviewed_at",
    "submitted_by",
    "submitted_at",
]


def write_reports(writes: list[_Write], *, user, submit: bool, now) -> dict[tuple[int, int], ConflictError]:
    """The bulk write of checked reports, their record and notifications: every write of
    reports in bulk goes through here (bulk_create and bulk_update send no signals: what
    must follow a report's change of content or status belongs in this function).

    Returns the reports someone else created since the check, by (indicator, period):
    nothing is then written (the caller rolls back).
    """
    created = [w.report for w in writes if w.created]
    edited = [w.report for w in writes if not w.created and (w.changes or w.submitted)]
    if created:
        try:
            with transaction.atomic():
                ProgressReport.objects.bulk_create(created)
        except IntegrityError:
            # Someone else started some of these reports a moment ago: conflicts, not errors.
            values = {(w.report.indicator_id, w.report.period_id): w.values for w in writes if w.created}
            theirs = ProgressReport.objects.select_related("updated_by").filter(
                indicator_id__in={k for k, _ in values}, period_id__in={p for _, p in values}
            )
            conflicts = {
                (r.indicator_id, r.period_id): conflict(r, values[(r.indicator_id, r.period_id)])
                for r in theirs
                if (r.indicator_id, r.period_id) in values
            }
            if not conflicts:
                raise  # not a report someone else started: a fault, not a conflict
            return conflicts
        if any(r.pk is None for r in created):
            raise RuntimeError("bulk_create returned no ids: the database is too old (SQLite < 3.35)")
    if edited:
        for report in edited:
            report.updated_at = now  # auto_now is save()'s, not bulk_update's
        ProgressReport.objects.bulk_update(edited, _SAVED_FIELDS + (_SUBMITTED_FIELDS if submit else []))
    # A submission is the KPI-year's figure awaiting review: its stored assessment moves
    # (drafts move nothing, `kpi.signals.report_moved`).
    stored.touch({(w.report.indicator_id, w.report.period.year) for w in writes if w.submitted is not None})

    # The record: as report_save writes it, entry by entry.
    edits = [w for w in writes if not w.created and w.changes]
    last = (
        {
            e.report_id: e
            for e in ReportEvent.objects.filter(
                pk__in=Subquery(last_events().filter(report=OuterRef("report")).values("pk")[:1]),
                report__in=[w.report for w in edits],
            )
        }
        if edits
        else {}
    )
    events, merged = [], []
    for w in writes:
        if w.created:
            events.append(created_event(w.report, user, w.values))
        elif w.changes:
            previous = last.get(w.report.pk)
            if merge_edit(previous, user, w.changes, now):
                merged.append(previous)
            else:
                events.append(edited_event(w.report, user, w.changes))
        if w.submitted is not None:
            events.append(w.submitted)
    if merged:
        ReportEvent.objects.bulk_update(merged, ["changes"])
    ReportEvent.objects.bulk_create(events)
    nav_counts.bump(nav_counts.departments_of(w.report for w in writes))
    page_cache.indicators_moved(w.report.indicator_id for w in writes)
    if submit:
        notifications.notify_submitted_many(reports=[w.report for w in writes], actor=user)
    return {}
