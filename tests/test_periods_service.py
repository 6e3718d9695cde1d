"""Reporting periods: creating them from the plan's frequency, and locking them (kpi.services)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kpi import services
from kpi.models import PeriodAction, PeriodEvent, ReportingPeriod
from plans.models import ReportingFrequency


def d(text):
    return datetime.date.fromisoformat(text)


# --- periods_ensure ----------------------------------------------------------------


def test_quarterly_periods_cover_the_plan_years_with_gregorian_dates(seeded_plan):
    periods = services.periods_ensure(plan=seeded_plan)

    assert len(periods) == 16
    assert [(p.year, p.number) for p in periods] == [(y, q) for y in (111, 112, 113, 114) for q in (1, 2, 3, 4)]
    assert {p.frequency for p in periods} == {ReportingFrequency.QUARTERLY}
    assert ReportingPeriod.objects.filter(plan=seeded_plan).count() == 16


@pytest.mark.parametrize(
    ("year", "number", "start", "end"),
    [
        (111, 1, "2022-01-01", "2022-03-31"),
        (111, 2, "2022-04-01", "2022-06-30"),
        (111, 3, "2022-07-01", "2022-09-30"),
        (111, 4, "2022-10-01", "2022-12-31"),
        (113, 1, "2024-01-01", "2024-03-31"),  # 2024 is a leap year; the quarter still ends on 31 March
        (114, 4, "2025-10-01", "2025-12-31"),
    ],
)
def test_quarter_dates_are_the_gregorian_dates_of_the_roc_year(seeded_plan, year, number, start, end):
    services.periods_ensure(plan=seeded_plan)
    period = ReportingPeriod.objects.get(plan=seeded_plan, year=year, number=number)

    assert (period.start_date, period.end_date) == (d(start), d(end))
    assert period.due_date == d(end) + datetime.timedelta(days=seeded_plan.report_due_days)
    assert not period.is_locked


def test_due_date_follows_the_plans_report_due_days(seeded_plan):
    seeded_plan.report_due_days = 30
    seeded_plan.save()

    services.periods_ensure(plan=seeded_plan)

    q1 = ReportingPeriod.objects.get(plan=seeded_plan, year=111, number=1)
    assert q1.due_date == d("2022-04-30")


def test_periods_ensure_is_idempotent(seeded_plan):
    first = services.periods_ensure(plan=seeded_plan)
    first[0].is_locked = True
    first[0].save()

    second = services.periods_ensure(plan=seeded_plan)

    assert [p.pk for p in second] == [p.pk for p in first]
    assert ReportingPeriod.objects.filter(plan=seeded_plan).count() == 16
    assert second[0].is_locked  # existing periods are kept as they are


@pytest.mark.parametrize(
    ("frequency", "count", "first_end", "last_start"),
    [
        (ReportingFrequency.MONTHLY, 48, "2022-01-31", "2025-12-01"),
        (ReportingFrequency.HALF_YEARLY, 8, "2022-06-30", "2025-07-01"),
        (ReportingFrequency.QUARTERLY, 16, "2022-03-31", "2025-10-01"),
    ],
)
def test_the_plans_frequency_decides_the_periods(seeded_plan, frequency, count, first_end, last_start):
    seeded_plan.reporting_frequency = frequency
    seeded_plan.save()

    periods = services.periods_ensure(plan=seeded_plan)

    assert len(periods) == count
    assert periods[0].start_date == d("2022-01-01")
    assert periods[0].end_date == d(first_end)
    assert periods[-1].start_date == d(last_start)
    assert periods[-1].end_date == d("2025-12-31")
    # Consecutive and without gaps.
    for before, after in zip(periods, periods[1:], strict=False):
        assert after.start_date == before.end_date + datetime.timedelta(days=1)
    assert len(services.periods_ensure(plan=seeded_plan)) == count


def test_february_of_a_leap_year_is_a_whole_month(seeded_plan):
    seeded_plan.reporting_frequency = ReportingFrequency.MONTHLY
    seeded_plan.save()
    services.periods_ensure(plan=seeded_plan)

    monthly = ReportingPeriod.objects.filter(plan=seeded_plan, frequency=ReportingFrequency.MONTHLY)
    feb_113 = monthly.get(year=113, number=2)
    feb_112 = monthly.get(year=112, number=2)

    assert feb_113.end_date == d("2024-02-29")
    assert feb_112.end_date == d("2023-02-28")


@pytest.mark.parametrize(
    ("frequency", "number", "fraction"),
    [
        (ReportingFrequency.QUARTERLY, 1, "0.25"),
        (ReportingFrequency.QUARTERLY, 4, "1"),
        (ReportingFrequency.HALF_YEARLY, 1, "0.5"),
        (ReportingFrequency.MONTHLY, 3, "0.25"),
    ],
)
def test_fraction_of_year(seeded_plan, frequency, number, fraction):
    from decimal import Decimal

    period = ReportingPeriod(plan=seeded_plan, year=111, frequency=frequency, number=number)
    assert period.fraction_of_year == Decimal(fraction)


# --- period_lock / period_unlock -----------------------------------------------------


@pytest.fixture
def q1(seeded_plan):
    services.periods_ensure(plan=seeded_plan)
    return ReportingPeriod.objects.get(plan=seeded_plan, year=111, number=1)


@pytest.mark.parametrize("who", ["planner", "admin"])
def test_the_planning_office_and_admins_lock_and_unlock(cast, q1, who):
    user = cast[who]

    locked = services.period_lock(period=q1, user=user)
    assert locked.is_locked
    q1.refresh_from_db()
    assert q1.is_locked

    unlocked = services.period_unlock(period=q1, user=user, reason="第一季資料更正")
    assert not unlocked.is_locked

    events = list(PeriodEvent.objects.filter(period=q1).values_list("action", "actor__username", "reason"))
    assert events == [
        (PeriodAction.LOCKED, user.username, ""),
        (PeriodAction.UNLOCKED, user.username, "第一季資料更正"),
    ]


@pytest.mark.parametrize("who", ["staff", "other_staff", "supervisor"])
def test_no_one_else_locks_or_unlocks(cast, q1, planner, who):
    with pytest.raises(PermissionDenied):
        services.period_lock(period=q1, user=cast[who])
    services.period_lock(period=q1, user=planner)
    with pytest.raises(PermissionDenied):
        services.period_unlock(period=q1, user=cast[who], reason="想改")

    q1.refresh_from_db()
    assert q1.is_locked
    assert PeriodEvent.objects.filter(period=q1).count() == 1


def test_an_inactive_planner_cannot_lock(q1, planner):
    planner.is_active = False
    planner.save()

    with pytest.raises(PermissionDenied):
        services.period_lock(period=q1, user=planner)


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_unlocking_requires_a_reason(q1, planner, reason):
    services.period_lock(period=q1, user=planner)

    with pytest.raises(ValidationError) as exc:
        services.period_unlock(period=q1, user=planner, reason=reason)

    assert "reason" in exc.value.message_dict
    q1.refresh_from_db()
    assert q1.is_locked
    assert not PeriodEvent.objects.filter(period=q1, action=PeriodAction.UNLOCKED).exists()


def test_locking_twice_or_unlocking_an_open_period_is_refused(q1, planner):
    with pytest.raises(ValidationError):
        services.period_unlock(period=q1, user=planner, reason="測試")
    services.period_lock(period=q1, user=planner)
    with pytest.raises(ValidationError):
        services.period_lock(period=q1, user=planner)
    assert PeriodEvent.objects.filter(period=q1).count() == 1


def test_the_unlock_reason_is_stored_stripped(q1, planner):
    services.period_lock(period=q1, user=planner)
    services.period_unlock(period=q1, user=planner, reason="  補登佐證資料  ")
    assert PeriodEvent.objects.get(action=PeriodAction.UNLOCKED).reason == "補登佐證資料"
