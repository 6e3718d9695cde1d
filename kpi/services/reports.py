"""Progress reports: validation, saving, submitting and reviewing (the rules of the workflow).

The report form, the review pages, the API and the importers call these, so each
rule (who may act, what a valid figure is, locked periods, conflicting edits, the
record of changes) is written once. Every function is keyword-only, runs in one
transaction and raises `ValidationError` (or `ConflictError`) with messages in the
active language that can be shown next to the field they concern.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common import dates, errors
from common.formatting import parse_number, roc_date
from common.text import plain_text
from kpi import access, stored, units
from kpi.assessments import Preview, report_preview
from kpi.formulas import FormulaError
from kpi.formulas import _parse_inputs as parse_formula_inputs
from kpi.models import (
    Indicator,
    ProgressReport,
    ReportAction,
    ReportCorrection,
    ReportEvent,
    ReportingPeriod,
    ReportStatus,
)
from kpi.queues import opens_on
from kpi.services import notifications
from kpi.services.targets import parse_decimal

EDITABLE_STATUSES = {ReportStatus.DRAFT, ReportStatus.RETURNED}
MAX_TEXT = 5000  # characters of a narrative, a reason or a measure
# Refusals the API's serializers also give, for a field left out or blank (kpi/api/serializers.py).
RETURN_NEEDS_COMMENT = gettext_lazy(
    "A comment is required when returning a report, so that the reporter knows what to correct."
)
REOPEN_NEEDS_REASON = gettext_lazy("A reason is required to reopen an approved report.")
REPORT_FIELDS = ("actual", "inputs", "narrative", "shortfall_reason", "improvement_plan")
FIELD_LABELS = {
    "actual": gettext_lazy("Year-to-date actual"),
    "inputs": gettext_lazy("Formula inputs"),
    "narrative": gettext_lazy("Progress narrative"),
    "shortfall_reason": gettext_lazy("Reason for shortfall"),
    "improvement_plan": gettext_lazy("Improvement measures"),
    "status": gettext_lazy("Status"),
}


class ConflictError(errors.ConflictError):
    """Someone else saved the report after this copy was opened (see `common.errors`)."""

    def __init__(self, report: ProgressReport, changes: dict[str, tuple]):
        # Who saved it and when, as every message about the conflict names them.
        self.who = who = report.updated_by.get_full_name() or report.updated_by.get_username()
        self.when = when = timezone.localtime(report.updated_at).strftime("%Y-%m-%d %H:%M")
        super().__init__(
            _(
                "This report was updated by %(who)s at %(when)s (version %(version)s); your changes have not "
                "been saved. Review their changes and save again; what you typed is kept in the form."
            )
            % {"who": who, "when": when, "version": report.version},
            current_version=report.version,
            current_status=report.status,
            changes=changes,
        )
        self.report = report


def validate_actual(indicator: Indicator, value) -> Decimal:
    """A year-to-date figure the indicator's unit allows (the rule: `kpi.units`)."""
    return units.check_actual(indicator, parse_decimal(value, field="actual"))


def _as_typed(text: str) -> str:
    """A formula input is kept as typed ("900,000"), except that negative zero is "0", as
    the parser reads it (`common.formatting.parse_number`)."""
    try:
        return "0" if text.startswith("-") and parse_number(text, percent_sign=False).is_zero() else text
    except ValueError:
        return text


@dataclass(frozen=True)
class CleanReport:
    actual: Decimal | None
    inputs: dict
    narrative: str
    shortfall_reason: str
    improvement_plan: str
    preview: Preview
    submitting: bool = False  # checked as a submission (complete, period open) or as a draft

    def fields(self) -> dict:
        """The values to store, by `REPORT_FIELDS`."""
        return {f: getattr(self, f) for f in REPORT_FIELDS}


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
    status: str | None = None,
) -> CleanReport:
    """Validate what a person entered. Drafts may be incomplete; a submission may not, nor may
    it come before its period opens (`not_open_message`).

    `status` is the saved report's (None: a new report). A report that has been submitted
    keeps a figure when it is saved again (`needs_figure`): a returned one may be changed,
    not emptied.

    Every submission passes here (`_submit` checks again what was saved), whichever page,
    the API or the import it comes from, so the rules of submitting are written once.
    """
    errors: dict[str, list[str]] = {}
    keeps_figure = not submitting and status in EDITABLE_STATUSES and needs_figure(status)
    if submitting and not period_has_opened(period):
        errors[NON_FIELD_ERRORS] = [not_open_message(period)]
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
        clean_inputs = {i.key: _as_typed(str(raw.get(i.key, "")).strip()) for i in spec.inputs}
        filled = [i for i in spec.inputs if clean_inputs[i.key]]
        try:
            if submitting or keeps_figure or len(filled) == len(spec.inputs):
                result = spec.compute(clean_inputs)
                value, working = result.value, result.working
                if not units.fits_actual_column(value):
                    errors.setdefault("inputs", []).append(units.too_large())
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
        errors.setdefault("actual", []).append(_("Please fill in the year-to-date actual."))
    if keeps_figure and (len(filled) < len(spec.inputs) if spec else actual in (None, "")):
        errors.setdefault("inputs" if spec else "actual", []).append(keeps_figure_message())

    preview = report_preview(indicator=indicator, period=period, actual=value, working=working)
    if submitting:
        if not narrative:
            errors.setdefault("narrative", []).append(_("Fill in the progress narrative before submitting."))
        if value is not None and preview.needs_explanation:
            if not shortfall_reason:
                errors.setdefault("shortfall_reason", []).append(
                    _("A reason for the shortfall is required when progress is behind (yellow or red).")
                )
            if not improvement_plan:
                errors.setdefault("improvement_plan", []).append(
                    _("Improvement measures are required when progress is behind (yellow or red).")
                )
    for name, text in (
        ("narrative", narrative),
        ("shortfall_reason", shortfall_reason),
        ("improvement_plan", improvement_plan),
    ):
        if len(text) > MAX_TEXT:
            errors.setdefault(name, []).append(_("Keep the text within %(limit)s characters.") % {"limit": MAX_TEXT})
    if errors:
        raise ValidationError(errors)
    return CleanReport(value, clean_inputs, narrative, shortfall_reason, improvement_plan, preview, submitting)


def needs_figure(status: str | None) -> bool:
    """Whether a save must keep a figure on a report of this status (None: not saved yet).

    Only a draft may be without its year-to-date actual (the database's
    `report_submitted_has_actual`). A returned report stays returned when it is saved, and
    turning it back into a draft would lose what returning it means (the reviewer's
    comment to answer, its place on the queues, an open correction): so its figure may be
    changed but not emptied, and the save is refused with a message on the field.
    """
    return status is not None and status != ReportStatus.DRAFT


def keeps_figure_message() -> str:
    return _("A returned report still needs its year-to-date actual: it may be changed, but not left empty.")


def period_has_opened(period: ReportingPeriod) -> bool:
    """Whether reports for the period may be submitted yet: from `kpi.queues.opens_on` (the
    rule, 14 days before the period ends) on. Drafts may be prepared before."""
    return dates.today() >= opens_on(period)


def not_open_message(period: ReportingPeriod) -> str:
    return _(
        "%(period)s opens for submission on %(date)s; until then the report can be saved as a draft but not submitted."
    ) % {"period": period.label, "date": roc_date(opens_on(period))}


def lock_periods(periods: Iterable[ReportingPeriod]) -> set[int]:
    """Lock the periods' rows and say which of them are locked (their ids).

    Ask the database, not the copies the caller loaded: a period may have been locked
    since. The row locks make a save and a concurrent `period_lock` take turns, so no
    change can land in a period after it was locked. Rows are locked in id order, so
    that two batches never wait for each other crosswise.

    On PostgreSQL the lock is FOR SHARE: saves share it with each other (every report of
    a quarter, in every department, points at the same period row) and with the
    foreign-key checks of reports being inserted, and `period_lock`'s FOR UPDATE waits
    for all of them, as they wait for it. A stronger lock (FOR UPDATE or FOR NO KEY
    UPDATE) would make every save in the city wait for the one before it: under the load
    test's 40 reporters that queue held gunicorn's threads for seconds. (FOR UPDATE also
    deadlocked with a save inserting a report of the same period, whose foreign-key check
    waits for the period row: tests/test_backup_consistency.py.) Django's ORM has no FOR
    SHARE, hence the SQL. SQLite has no row locks: every request's transaction there
    starts with BEGIN IMMEDIATE, so writers take turns anyway.
    """
    periods = {p.pk: p for p in periods}
    ids = sorted(periods)
    if connection.vendor == "postgresql" and ids:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, is_locked FROM {ReportingPeriod._meta.db_table} WHERE id = ANY(%s) ORDER BY id FOR SHARE",
                [ids],
            )
            rows = cursor.fetchall()
    else:
        rows = ReportingPeriod.objects.filter(pk__in=ids).order_by("pk").values_list("pk", "is_locked")
    return {pk for pk, is_locked in rows if is_locked} | {pk for pk, p in periods.items() if p.is_locked}


def check_period_open(period: ReportingPeriod, locked: set[int] | None = None) -> None:
    """Refuse a change in a locked period. `locked`: what `lock_periods` said of a batch's
    periods (None: lock and ask for this one)."""
    if locked is None:
        locked = lock_periods([period])
    if period.pk in locked:
        raise ValidationError(locked_message(period))


def check_report_open(report: ProgressReport, locked: set[int] | None = None) -> None:
    """A report may change while its period is open, or while the planning office has it
    reopened for correction (撤銷核定／更正), which a locked period does not stop."""
    if report.correcting:
        return
    check_period_open(report.period, locked)


def locked_message(period: ReportingPeriod) -> str:
    return _(
        "%(period)s is locked and can no longer be changed. To correct it, ask the planning office to unlock it."
    ) % {"period": period.label}


def _jsonable(value):
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def _diff(report: ProgressReport, new: dict) -> dict[str, list]:
    return {f: [_jsonable(getattr(report, f)), _jsonable(v)] for f, v in new.items() if getattr(report, f) != v}


# --- The rules of saving, one function each ---------------------------------------------------
# `report_save` (one report) and `kpi.services.report_batches.reports_write` (many at once:
# the import) both call these, in the same order; only how they read and write differs.


def check_may_report(user, indicator: Indicator, period: ReportingPeriod) -> None:
    """Only the indicator's department's reporters, and only in a period of its plan."""
    if not access.can_report(user, indicator):
        raise PermissionDenied(_("You may not report on this indicator."))
    if period.plan_id != indicator.department_plan.plan_id:
        raise ValidationError({"period": _("The reporting period does not belong to this indicator's plan.")})


def reports_for_update() -> QuerySet[ProgressReport]:
    """Reports locked for a save, with who saved them last (a conflict names them)."""
    return ProgressReport.objects.select_for_update(of=("self",)).select_related("updated_by")


def check_new(expected_version: int | None) -> None:
    """A save based on a report that no longer exists is refused (not recreated)."""
    if expected_version not in (None, 0):
        raise ValidationError(_("This report cannot be found; it may have been deleted."))


def new_report(indicator: Indicator, period: ReportingPeriod, user, values: dict) -> ProgressReport:
    """The report a first save creates (unsaved); `values` as `CleanReport.fields()`."""
    return ProgressReport(indicator=indicator, period=period, created_by=user, updated_by=user, **values)


@functools.cache
def _blank_report() -> ProgressReport:
    """A report as it starts (the fields' defaults): what a new report's first entry compares against.
    Made once: an import makes a thousand first entries."""
    return ProgressReport()


def created_event(report: ProgressReport, user, values: dict) -> ReportEvent:
    """The record's first entry for a new report (unsaved)."""
    return ReportEvent(report=report, action=ReportAction.CREATED, actor=user, changes=_diff(_blank_report(), values))


def conflict(report: ProgressReport, values: dict) -> ConflictError:
    """The report as someone else saved it, and what differs from what this person sent."""
    return ConflictError(
        report, {f: (getattr(report, f), values[f]) for f in REPORT_FIELDS if getattr(report, f) != values[f]}
    )


def check_edit(report: ProgressReport, expected_version: int | None, values: dict) -> None:
    """An edit must be based on the report's current version, and the report still editable."""
    if expected_version is None or expected_version != report.version:
        raise conflict(report, values)
    if report.status not in EDITABLE_STATUSES:
        raise ValidationError(
            _("This report is now “%(status)s” and cannot be changed.") % {"status": report.get_status_display()}
        )
    if needs_figure(report.status) and values["actual"] is None:
        # `report_clean(status=…)` says so with the other errors; values cleaned without the
        # status (an import's, checked before the report was read) are caught here.
        field = "inputs" if report.indicator.formula_spec else "actual"
        raise ValidationError({field: keeps_figure_message()})


def apply_edit(report: ProgressReport, user, values: dict) -> dict[str, list]:
    """Put the values on the report (unsaved), a new version if anything changed; what changed."""
    changes = _diff(report, values)
    if changes:
        for f, v in values.items():
            setattr(report, f, v)
        report.version += 1
        report.updated_by = user
    return changes


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
    `ConflictError` says what changed. (Many at once, as the import saves them:
    `report_batches.reports_write`, through the same rules.)
    """
    check_may_report(user, indicator, period)
    report = reports_for_update().filter(indicator=indicator, period=period).order_by("pk").first()
    if report is not None:
        report.indicator, report.period = indicator, period  # spare _submit reloading them
        check_report_open(report)
    else:
        check_period_open(period)
    clean = report_clean(
        indicator=indicator,
        period=period,
        actual=actual,
        inputs=inputs,
        narrative=narrative,
        shortfall_reason=shortfall_reason,
        improvement_plan=improvement_plan,
        submitting=submit,
        status=report.status if report is not None else None,
    )
    values = clean.fields()
    if report is None:
        check_new(expected_version)
        report = new_report(indicator, period, user, values)
        try:
            with transaction.atomic():
                report.save()
        except IntegrityError:
            # Someone else started this report a moment ago: a conflict, not an error.
            theirs = ProgressReport.objects.select_related("updated_by").get(indicator=indicator, period=period)
            raise conflict(theirs, values) from None
        created_event(report, user, values).save()
    else:
        check_edit(report, expected_version, values)
        changes = apply_edit(report, user, values)
        if changes:
            report.save()
            _record_edit(report, user, changes)
    if submit:
        report = _submit(report, user)
    return report


# Saves of a draft by the same person within this many minutes make one entry on the record
# (autosave saves every few seconds of typing): from the first value to the last.
EDIT_SESSION_MINUTES = 15


def merge_edit(last: ReportEvent | None, user, changes: dict[str, list], now: datetime.datetime) -> bool:
    """Fold an edit into the record's last entry (unsaved) when it is the same person's edit
    session; False: the edit needs an entry of its own (`edited_event`)."""
    recent = now - datetime.timedelta(minutes=EDIT_SESSION_MINUTES)
    if last is None or last.action != ReportAction.EDITED or last.actor_id != user.pk or last.at < recent:
        return False
    merged = dict(last.changes or {})
    for name, (old, new) in changes.items():
        first = merged[name][0] if name in merged else old
        if first == new:
            merged.pop(name, None)  # back where the edit session started
        else:
            merged[name] = [first, new]
    last.changes = merged
    return True


def edited_event(report: ProgressReport, user, changes: dict[str, list]) -> ReportEvent:
    return ReportEvent(report=report, action=ReportAction.EDITED, actor=user, changes=changes)


def last_events() -> QuerySet[ReportEvent]:
    """The ordering that makes an event a report's last."""
    return ReportEvent.objects.order_by("-at", "-id")


def _record_edit(report: ProgressReport, user, changes: dict[str, list]) -> None:
    last = last_events().filter(report=report).first()
    if merge_edit(last, user, changes, timezone.now()):
        last.save(update_fields=["changes"])
        return
    edited_event(report, user, changes).save()


def check_submittable(report: ProgressReport, *, recheck: bool = True) -> None:
    """A submission must be complete, whatever was saved as a draft (`report_clean`'s rules).

    `recheck=False` only when the values on the report were cleaned for this very
    submission a moment ago (`reports_write`): the same check again would find the same.
    """
    if report.status not in EDITABLE_STATUSES:
        raise ValidationError(
            _("This report is now “%(status)s” and cannot be submitted.") % {"status": report.get_status_display()}
        )
    if recheck:
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


def mark_submitted(report: ProgressReport, user, now: datetime.datetime) -> ReportEvent:
    """Put the submission on the report (unsaved); the record's entry for it (unsaved)."""
    action = ReportAction.RESUBMITTED if report.status == ReportStatus.RETURNED else ReportAction.SUBMITTED
    old_status = report.status
    report.status = ReportStatus.SUBMITTED
    # The rule in force now is the one this submission finishes under (see Plan.review_stages).
    report.review_stages = report.period.plan.review_stages
    report.first_reviewed_by, report.first_reviewed_at = None, None
    report.submitted_by = user
    report.submitted_at = now
    report.updated_by = user
    report.version += 1
    return ReportEvent(report=report, action=action, actor=user, changes={"status": [old_status, report.status]})


def _submit(report: ProgressReport, user) -> ProgressReport:
    check_submittable(report)
    event = mark_submitted(report, user, timezone.now())
    report.save()
    event.save()
    notifications.notify_submitted(report=report, actor=user)
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
        raise PermissionDenied(_("You may not report on this indicator."))
    report = _locked_report(report, expected_version)
    check_report_open(report)
    return _submit(report, user)


def _review(report: ProgressReport, user, expected_version: int | None) -> ProgressReport:
    report = _locked_report(report, expected_version)
    if access.is_author(user, report):
        raise PermissionDenied(_("You cannot review a report you wrote."))
    if access.review_stage(report) == 2 and report.first_reviewed_by_id == user.pk:
        raise PermissionDenied(
            _("You passed this report at the first review; the planning office's review must be someone else's.")
        )
    if not access.can_review(user, report):
        raise PermissionDenied(access.review_refusal(user, report))
    check_report_open(report)
    if access.review_stage(report) is None:
        raise ValidationError(
            _("Only submitted reports can be reviewed; this one is “%(status)s”.")
            % {"status": report.get_status_display()}
        )
    return report


def _resolve_correction(report: ProgressReport, user, now) -> dict[str, list]:
    """Close the report's open correction as it is approved again; what changed, for the record."""
    correction = ReportCorrection.objects.select_for_update().get(report=report, resolved_at__isnull=True)
    correction.resolved_by, correction.resolved_at = user, now
    correction.save(update_fields=["resolved_by", "resolved_at"])
    report.correcting = False
    report.corrected_at = now
    report.correction_reason = correction.reason
    return {"actual": [_jsonable(correction.actual), _jsonable(report.actual)]}


@transaction.atomic
def report_approve(
    *, report: ProgressReport, user, comment: str = "", expected_version: int | None = None
) -> ProgressReport:
    """Approve at the stage the report waits for: under one stage, or at the planning
    office's review (研考複核), the figure becomes the period's actual; at the department's
    first review (初核) of a two-stage plan it moves on to the planning office."""
    comment = plain_text(comment or "").strip()
    if len(comment) > MAX_TEXT:
        raise ValidationError({"comment": _("Keep the text within %(limit)s characters.") % {"limit": MAX_TEXT}})
    report = _review(report, user, expected_version)
    now = timezone.now()
    old_status = report.status
    changes: dict[str, list] = {}
    if report.review_stages == 2 and report.status == ReportStatus.SUBMITTED:
        report.status = ReportStatus.FIRST_APPROVED
        report.first_reviewed_by, report.first_reviewed_at = user, now
        action = ReportAction.FIRST_APPROVED
    else:
        report.status = ReportStatus.APPROVED
        report.reviewed_by, report.reviewed_at = user, now
        report.review_comment = comment
        action = ReportAction.APPROVED
        if report.correcting:
            changes.update(_resolve_correction(report, user, now))
    report.version += 1
    report.save()
    changes["status"] = [old_status, report.status]
    ReportEvent.objects.create(report=report, action=action, actor=user, comment=comment, changes=changes)
    notifications.notify_approved(report=report, actor=user, comment=comment)
    return report


class ManyRefused(Exception):
    """`reports_approve` approved nothing: what stopped which report."""

    def __init__(self, errors: list[tuple[ProgressReport, str]]):
        super().__init__(errors)
        self.errors = errors


def reports_approve(
    *, reports: list[ProgressReport], user, comment: str = "", versions: dict[int, int] | None = None
) -> list[ProgressReport]:
    """Approve several reports at once (each at its stage): all of them, or none.

    `versions` (report id → the version the person saw) refuses a report changed since.
    Every report is tried, so that every refusal can be shown at once; then if any was
    refused, nothing is kept and `ManyRefused` lists them.
    """
    versions = versions or {}
    approved, errors = [], []
    with transaction.atomic(), stored.deferred():
        for report in reports:
            try:
                with transaction.atomic():
                    approved.append(
                        report_approve(
                            report=report, user=user, comment=comment, expected_version=versions.get(report.pk)
                        )
                    )
            except ConflictError:
                errors.append((report, _("It was changed by someone else since the list was shown.")))
            except (PermissionDenied, ValidationError) as exc:
                message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                errors.append((report, message))
        if errors:
            raise ManyRefused(errors)
    return approved


@transaction.atomic
def report_return(*, report: ProgressReport, user, comment: str, expected_version: int | None = None) -> ProgressReport:
    """Return a report to its reporter with a comment, at either review stage."""
    comment = plain_text(comment or "").strip()
    if not comment:
        raise ValidationError({"comment": str(RETURN_NEEDS_COMMENT)})
    if len(comment) > MAX_TEXT:
        raise ValidationError({"comment": _("Keep the text within %(limit)s characters.") % {"limit": MAX_TEXT}})
    report = _review(report, user, expected_version)
    old_status = report.status
    report.status = ReportStatus.RETURNED
    report.reviewed_by = user
    report.reviewed_at = timezone.now()
    report.review_comment = comment
    report.first_reviewed_by, report.first_reviewed_at = None, None
    report.version += 1
    report.save()
    ReportEvent.objects.create(
        report=report,
        action=ReportAction.RETURNED,
        actor=user,
        comment=comment,
        changes={"status": [old_status, ReportStatus.RETURNED.value]},
    )
    notifications.notify_returned(report=report, actor=user, comment=comment)
    return report


@transaction.atomic
def report_reopen(*, report: ProgressReport, user, reason: str, expected_version: int | None = None) -> ProgressReport:
    """撤銷核定／更正: the planning office (or an admin) reopens an approved report.

    It goes back to its reporter as returned, with the reason as the comment, and passes
    review again. Until then the figure that had been approved stays the period's actual:
    it is kept in a `ReportCorrection`, which the record keeps for good. A locked period
    does not stop the correction (`check_report_open`).
    """
    if not access.can_reopen(user):
        raise PermissionDenied(_("Only the planning office can reopen an approved report."))
    reason = plain_text(reason or "").strip()
    if not reason:
        raise ValidationError({"reason": str(REOPEN_NEEDS_REASON)})
    if len(reason) > MAX_TEXT:
        raise ValidationError({"reason": _("Keep the text within %(limit)s characters.") % {"limit": MAX_TEXT}})
    report = _locked_report(report, expected_version)
    if report.status != ReportStatus.APPROVED:
        raise ValidationError(
            _("Only an approved report can be reopened for correction; this one is “%(status)s”.")
            % {"status": report.get_status_display()}
        )
    now = timezone.now()
    ReportCorrection.objects.create(
        report=report,
        reason=reason,
        reopened_by=user,
        actual=report.actual,
        inputs=report.inputs,
        narrative=report.narrative,
        shortfall_reason=report.shortfall_reason,
        improvement_plan=report.improvement_plan,
        approved_by_id=report.reviewed_by_id,
        approved_at=report.reviewed_at or now,
    )
    report.status = ReportStatus.RETURNED
    report.correcting = True
    report.reviewed_by, report.reviewed_at, report.review_comment = user, now, reason
    report.first_reviewed_by, report.first_reviewed_at = None, None
    report.version += 1
    report.save()
    ReportEvent.objects.create(
        report=report,
        action=ReportAction.REOPENED,
        actor=user,
        comment=reason,
        changes={
            "status": [ReportStatus.APPROVED.value, ReportStatus.RETURNED.value],
            "approved_actual": [_jsonable(report.actual), None],
        },
    )
    notifications.notify_reopened(report=report, actor=user, reason=reason)
    return report
