"""The periods page (填報期間): periods by year with their state and lock history; the planning
office locks and unlocks them (an unlock needs a reason); a locked period refuses changes."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kpi import queues, services
from kpi.models import PeriodAction, PeriodEvent, ProgressReport, ReportingPeriod
from tests.factories import kpi_by_code

TODAY = datetime.date(2025, 4, 10)


@pytest.fixture(autouse=True)
def today(settings):
    settings.KPI_TODAY = TODAY


def lock_url(period):
    return reverse("kpi:period_lock", args=[period.pk])


def unlock_url(period):
    return reverse("kpi:period_unlock", args=[period.pk])


# --- The page -----------------------------------------------------------------------------


def test_the_page_creates_the_periods_on_first_visit(client, staff, seeded_plan):
    client.force_login(staff)
    response = client.get(reverse("kpi:periods"))
    assert response.status_code == 200
    assert ReportingPeriod.objects.filter(plan=seeded_plan).count() == 16


def test_the_page_shows_periods_by_year_with_roc_dates_and_the_plans_settings(client, staff, periods, seeded_plan):
    client.force_login(staff)
    response = client.get(reverse("kpi:periods"))
    body = response.content.decode()
    assert [year for year, _ in response.context["years"]] == [111, 112, 113, 114]
    assert all(len(ps) == 4 for _, ps in response.context["years"])
    assert "民國111年" in body and "民國114年" in body
    assert "民國114年4月10日" in body  # today
    assert "民國114年1月15日" in body  # 113Q4 is due in the next year: shown in full
    assert "3月17日" in body  # 114Q1 opens 14 days before it ends
    assert seeded_plan.get_reporting_frequency_display() in body
    assert str(seeded_plan.report_due_days) in body
    states = {p.short_label: p.state for _, ps in response.context["years"] for p in ps}
    assert states["114Q1"] == queues.PeriodState.OPEN
    assert states["114Q2"] == queues.PeriodState.NOT_OPEN
    assert states["113Q4"] == queues.PeriodState.PAST_DUE


def test_others_see_the_page_read_only(client, cast, periods):
    for who in ("staff", "other_staff", "supervisor"):
        client.force_login(cast[who])
        body = client.get(reverse("kpi:periods")).content.decode()
        assert lock_url(periods["114Q1"]) not in body, who
        assert 'name="reason"' not in body


def test_the_planning_office_and_admins_get_the_lock_buttons(client, cast, periods, planner):
    services.period_lock(period=periods["112Q4"], user=planner)
    for who in ("planner", "admin"):
        client.force_login(cast[who])
        body = client.get(reverse("kpi:periods")).content.decode()
        assert lock_url(periods["114Q1"]) in body, who
        assert lock_url(periods["113Q4"]) in body
        assert lock_url(periods["114Q2"]) not in body, "a period not yet open has nothing to lock"
        assert unlock_url(periods["112Q4"]) in body
        assert f'for="reason-{periods["112Q4"].pk}"' in body


def test_the_report_counts_follow_what_the_user_may_see(client, staff, other_staff, periods):
    services.report_save(indicator=kpi_by_code("1-5"), period=periods["114Q1"], user=staff, actual="2")
    client.force_login(staff)
    q1 = next(
        p for _, ps in client.get(reverse("kpi:periods")).context["years"] for p in ps if p.short_label == "114Q1"
    )
    assert q1.report_total == 1
    client.force_login(other_staff)
    q1 = next(
        p for _, ps in client.get(reverse("kpi:periods")).context["years"] for p in ps if p.short_label == "114Q1"
    )
    assert q1.report_total == 0


# --- Lock and unlock ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["planner", "admin"])
def test_lock_and_unlock_with_a_reason(client, cast, periods, who):
    period = periods["113Q4"]
    user = cast[who]
    client.force_login(user)

    response = client.post(lock_url(period))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('kpi:periods')}?plan={period.plan_id}#period-{period.pk}"
    period.refresh_from_db()
    assert period.is_locked

    response = client.post(unlock_url(period), {"reason": "都發處補正佐證資料"})
    assert response.status_code == 302
    period.refresh_from_db()
    assert not period.is_locked
    assert list(PeriodEvent.objects.filter(period=period).values_list("action", "actor", "reason")) == [
        (PeriodAction.LOCKED, user.pk, ""),
        (PeriodAction.UNLOCKED, user.pk, "都發處補正佐證資料"),
    ]

    body = client.get(response["Location"]).content.decode()
    assert "都發處補正佐證資料" in body  # the history, with the reason
    assert "已解除" in body or "unlocked" in body.lower()


@pytest.mark.parametrize("reason", ["", "   "])
def test_unlocking_needs_a_reason(client, planner, periods, reason):
    period = periods["113Q4"]
    services.period_lock(period=period, user=planner)
    client.force_login(planner)

    response = client.post(unlock_url(period), {"reason": reason})

    assert response.status_code == 400
    body = response.content.decode()
    assert "解除鎖定必須填寫理由。" in body
    assert f'aria-describedby="reason-error-{period.pk}"' in body
    assert f'id="reason-error-{period.pk}"' in body
    assert 'aria-invalid="true"' in body
    assert f'<div class="message error" role="alert"><a href="#reason-{period.pk}">' in body  # a summary at the top
    period.refresh_from_db()
    assert period.is_locked
    assert PeriodEvent.objects.filter(period=period, action=PeriodAction.UNLOCKED).count() == 0


def test_locking_a_locked_period_says_so(client, planner, periods):
    period = periods["113Q4"]
    services.period_lock(period=period, user=planner)
    client.force_login(planner)
    response = client.post(lock_url(period), follow=True)
    assert "此期間已鎖定。" in response.content.decode()
    assert PeriodEvent.objects.filter(period=period).count() == 1


def test_unlocking_an_open_period_says_so(client, planner, periods):
    client.force_login(planner)
    response = client.post(unlock_url(periods["113Q4"]), {"reason": "測試"}, follow=True)
    assert "此期間未鎖定。" in response.content.decode()


@pytest.mark.parametrize("who", ["staff", "other_staff", "supervisor"])
def test_others_may_not_lock_or_unlock(client, cast, planner, periods, who):
    open_period, locked = periods["113Q4"], periods["112Q4"]
    services.period_lock(period=locked, user=planner)
    client.force_login(cast[who])
    assert client.post(lock_url(open_period)).status_code == 403
    assert client.post(unlock_url(locked), {"reason": "想改"}).status_code == 403
    open_period.refresh_from_db()
    locked.refresh_from_db()
    assert not open_period.is_locked and locked.is_locked
    assert PeriodEvent.objects.count() == 1


def test_lock_and_unlock_are_post_only_and_need_sign_in(client, planner, periods):
    period = periods["113Q4"]
    response = client.post(lock_url(period))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    client.force_login(planner)
    page = client.get(lock_url(period))  # asks for confirmation; nothing is locked
    assert page.status_code == 200 and "鎖定" in page.content.decode()
    assert client.get(unlock_url(period)).status_code == 302  # the unlock form is on the periods page
    period.refresh_from_db()
    assert not period.is_locked
    assert client.post(reverse("kpi:period_lock", args=[999999])).status_code == 404


# --- A locked period refuses changes ------------------------------------------------------


def test_a_locked_period_refuses_report_save(staff, planner, periods):
    period = periods["114Q1"]
    services.period_lock(period=period, user=planner)
    with pytest.raises(ValidationError, match="已鎖定"):
        services.report_save(indicator=kpi_by_code("1-5"), period=period, user=staff, actual="2")
    assert not ProgressReport.objects.exists()


def test_a_locked_period_refuses_the_report_form(client, staff, planner, periods):
    period = periods["114Q1"]
    services.period_lock(period=period, user=planner)
    client.force_login(staff)
    indicator = kpi_by_code("1-5")
    response = client.post(
        reverse("kpi:report", args=[indicator.pk, period.pk]),
        {"action": "save", "version": "0", "actual": "2", "narrative": "測試"},
    )
    assert response.status_code in (200, 400, 403)
    assert not ProgressReport.objects.exists()


def test_unlocking_lets_reports_change_again(staff, planner, periods):
    period = periods["114Q1"]
    services.period_lock(period=period, user=planner)
    services.period_unlock(period=period, user=planner, reason="補件")
    period.refresh_from_db()
    report = services.report_save(indicator=kpi_by_code("1-5"), period=period, user=staff, actual="2")
    assert report.pk


def test_locking_takes_the_period_off_the_work_lists(staff, planner, periods):
    assert len(queues.work_for(staff).overdue) == 23
    services.period_lock(period=periods["113Q4"], user=planner)
    staff.refresh_from_db()
    assert queues.work_for(staff).overdue == []
