"""Reporting periods: created with their plan, locked and unlocked by the planning office."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from common.years import to_gregorian
from kpi import access
from kpi.models import PeriodAction, PeriodEvent, ReportingPeriod
from plans.models import PERIODS_PER_YEAR, Plan


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


@transaction.atomic
def period_lock(*, period: ReportingPeriod, user) -> ReportingPeriod:
    if not access.can_manage_periods(user):
        raise PermissionDenied(_("Only the planning office can lock reporting periods."))
    period = ReportingPeriod.objects.select_for_update().get(pk=period.pk)
    if period.is_locked:
        raise ValidationError(_("This period is already locked."))
    period.is_locked = True
    period.save(update_fields=["is_locked"])
    PeriodEvent.objects.create(period=period, action=PeriodAction.LOCKED, actor=user)
    return period


@transaction.atomic
def period_unlock(*, period: ReportingPeriod, user, reason: str) -> ReportingPeriod:
    if not access.can_manage_periods(user):
        raise PermissionDenied(_("Only the planning office can unlock periods."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("A reason is required to unlock a period.")})
    period = ReportingPeriod.objects.select_for_update().get(pk=period.pk)
    if not period.is_locked:
        raise ValidationError(_("This period is not locked."))
    period.is_locked = False
    period.save(update_fields=["is_locked"])
    PeriodEvent.objects.create(period=period, action=PeriodAction.UNLOCKED, actor=user, reason=reason)
    return period
