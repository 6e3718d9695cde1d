"""Reporting periods: created with their plan, locked and unlocked by the planning office."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from common.text import plain_text
from common.years import to_gregorian
from kpi import access
from kpi.models import UNFINISHED, PeriodAction, PeriodEvent, ProgressReport, ReportingPeriod
from plans.models import PERIODS_PER_YEAR, Plan

# Also the API's refusal of an unlock without a reason (kpi/api/serializers.py).
UNLOCK_NEEDS_REASON = gettext_lazy("A reason is required to unlock a period.")


def period_bounds(year: int, frequency: str, number: int) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the `number`th period of ROC `year` at `frequency` (Q3 of 113: 2024-07-01, 2024-09-30)."""
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
                start, end = period_bounds(year, plan.reporting_frequency, number)
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


def unfinished_reports(period: ReportingPeriod) -> list[ProgressReport]:
    """The period's reports still submitted, awaiting a second review, or returned, by
    department and indicator: what locking it would strand."""
    return list(
        ProgressReport.objects.filter(period=period, status__in=UNFINISHED)
        .select_related("indicator__department_plan__department", "indicator__objective", "indicator__common_goal")
        .order_by(
            "indicator__department_plan__toc_number",
            "-indicator__kind",
            "indicator__objective__number",
            "indicator__common_goal__number",
            "indicator__number",
        )
    )


class UnfinishedReports(ValidationError):
    """Locking was refused: the period still holds reports on their way through review."""

    def __init__(self, period: ReportingPeriod, reports: list[ProgressReport]):
        super().__init__(
            ngettext(
                "%(period)s still has %(count)s report submitted or returned. Finish its review first, or "
                "lock anyway with a reason.",
                "%(period)s still has %(count)s reports submitted or returned. Finish their review first, or "
                "lock anyway with a reason.",
                len(reports),
            )
            % {"period": period.label, "count": len(reports)},
            code="unfinished",
        )
        self.period = period
        self.reports = reports


def _unfinished_record(report: ProgressReport) -> dict:
    return {
        "report": report.pk,
        "department": report.indicator.department_plan.department.name,
        "indicator": f"{report.indicator.code} {report.indicator.name}",
        "status": report.status,
    }


@transaction.atomic
def period_lock(*, period: ReportingPeriod, user, force: bool = False, reason: str = "") -> ReportingPeriod:
    """Lock a period (研考, after its review meeting). Refused with `UnfinishedReports` while
    it holds reports submitted or returned, unless `force` ("lock anyway") with a reason;
    the record then names the reports it left. Those stay on their queues, marked locked."""
    if not access.can_manage_periods(user):
        raise PermissionDenied(_("Only the planning office can lock reporting periods."))
    period = ReportingPeriod.objects.select_for_update().select_related("plan").get(pk=period.pk)
    if period.is_locked:
        raise ValidationError(_("This period is already locked."))
    reason = plain_text(reason)  # as every reason is kept (common.text): a text of control characters is none
    unfinished = unfinished_reports(period)
    if unfinished and not force:
        raise UnfinishedReports(period, unfinished)
    if unfinished and not reason:
        raise ValidationError(
            {"reason": _("A reason is required to lock a period while reports are still submitted or returned.")}
        )
    period.is_locked = True
    period.save(update_fields=["is_locked"])
    PeriodEvent.objects.create(
        period=period,
        action=PeriodAction.LOCKED,
        actor=user,
        reason=reason,
        forced=bool(unfinished),
        unfinished=[_unfinished_record(r) for r in unfinished],
    )
    return period


@transaction.atomic
def period_unlock(*, period: ReportingPeriod, user, reason: str) -> ReportingPeriod:
    if not access.can_manage_periods(user):
        raise PermissionDenied(_("Only the planning office can unlock periods."))
    reason = plain_text(reason)  # as every reason is kept (common.text): a text of control characters is none
    if not reason:
        raise ValidationError({"reason": str(UNLOCK_NEEDS_REASON)})
    period = ReportingPeriod.objects.select_for_update().get(pk=period.pk)
    if not period.is_locked:
        raise ValidationError(_("This period is not locked."))
    period.is_locked = False
    period.save(update_fields=["is_locked"])
    PeriodEvent.objects.create(period=period, action=PeriodAction.UNLOCKED, actor=user, reason=reason)
    return period
