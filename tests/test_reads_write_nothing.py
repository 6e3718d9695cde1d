"""Reading never writes: periods exist from their plan's creation (kpi.signals), and no GET
request or check-only import step inserts, updates or deletes a row."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpi import services
from kpi.models import Indicator, ReportingPeriod
from plans.models import Plan, ReportingFrequency
from tests.factories import kpi_by_code

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


def writes(context: CaptureQueriesContext) -> list[str]:
    # Sessions are the framework's; everything else would be the app writing on a read.
    return [q["sql"] for q in context.captured_queries if WRITE.match(q["sql"]) and "django_session" not in q["sql"]]


def test_a_new_plan_has_its_periods_at_once(db):
    plan = Plan.objects.create(
        name="測試計畫", start_year=115, end_year=118, edition="核定版", published_year=115, published_month=2
    )

    periods = ReportingPeriod.objects.filter(plan=plan)
    assert periods.count() == 16
    assert {p.year for p in periods} == {115, 116, 117, 118}


def test_changing_the_frequency_or_due_days_updates_the_periods(seeded_plan):
    q1 = ReportingPeriod.objects.get(plan=seeded_plan, year=114, number=1, frequency=ReportingFrequency.QUARTERLY)
    seeded_plan.report_due_days = 20
    seeded_plan.save()
    q1.refresh_from_db()
    assert q1.due_date == q1.end_date + datetime.timedelta(days=20)

    seeded_plan.reporting_frequency = ReportingFrequency.HALF_YEARLY
    seeded_plan.save()
    halves = ReportingPeriod.objects.filter(plan=seeded_plan, frequency=ReportingFrequency.HALF_YEARLY)
    assert halves.count() == 8


def test_a_locked_periods_due_date_stays_as_it_was(seeded_plan, planner, periods):
    locked = services.period_lock(period=periods["113Q4"], user=planner)
    seeded_plan.report_due_days = 30
    seeded_plan.save()

    assert ReportingPeriod.objects.get(pk=locked.pk).due_date == locked.due_date


@pytest.fixture
def pages(seeded_plan, periods):
    kpi = kpi_by_code("1-5")
    department_id = kpi.department_plan.department_id
    return [
        reverse("kpi:home"),
        reverse("kpi:department_plan", args=[seeded_plan.pk, department_id]),
        reverse("kpi:detail", args=[kpi.pk]),
        reverse("kpi:report", args=[kpi.pk, periods["114Q1"].pk]),
        reverse("kpi:my_updates"),
        reverse("kpi:review_queue"),
        reverse("kpi:periods"),
        reverse("kpi:report_import"),
        reverse("reports:overview"),
        reverse("reports:department", args=[department_id]),
        reverse("reports:at_risk"),
        reverse("reports:yearly"),
    ]


@pytest.mark.parametrize("who", ["staff", "supervisor", "planner"])
def test_get_requests_write_nothing(client, cast, pages, who, settings):
    settings.KPI_TODAY = datetime.date(2025, 4, 10)
    client.force_login(cast[who])
    client.get(reverse("kpi:home"))  # the session is written once, at sign-in's first request
    for url in pages:
        with CaptureQueriesContext(connection) as context:
            response = client.get(url)
        # The report form and import are the reporter's: others are refused, and write nothing either.
        reporters_only = "/report/" in url or url == reverse("kpi:report_import")
        assert response.status_code == (403 if who != "staff" and reporters_only else 200), url
        assert writes(context) == [], url


def test_a_check_only_import_writes_nothing(client, staff, periods):
    from tests.test_report_import import good_row, home_indicators, upload

    client.force_login(staff)
    client.get(reverse("kpi:report_import"))
    rows = [good_row(indicator) for indicator in home_indicators()[:3]]
    with CaptureQueriesContext(connection) as context:
        response = upload(client, rows, check_only=True)
    assert response.status_code == 200
    assert writes(context) == []
    assert not Indicator.objects.filter(reports__isnull=False).exists()
