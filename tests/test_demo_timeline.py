"""The demo's history is coherent: `make demo` (migrate, seed_plan, seed_demo_users,
seed_demo_reports, KPI_TODAY=2025-10-08) writes every timestamp before the demo's today, in
the order a real plan's years bring — the plan entered at its publication (民國111年2月), the
accounts opened, then the reports, their review and record, evidence, locks, the published
years and the planned values of 114 — and /public/ shows the published years 111–113.
"""

import datetime

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.urls import reverse

from common import dates
from kpi.models import Evidence, PlannedValue, ProgressReport, ReportEvent, TargetRevision
from plans.demo import DEMO_JOINED, DEMO_TODAY, TAIPEI, plan_published_at
from plans.models import Plan, PublishedYear

TODAY = datetime.datetime.combine(DEMO_TODAY, datetime.time(), tzinfo=TAIPEI)
PUBLISHED = plan_published_at(111, 2)  # the Keelung plan's publication, as its fixture says


@pytest.fixture
def demo(demo_seeded):
    """`make demo` on an empty database: the suite's session-wide plan (seeded at the real
    date) is removed first, with its record, so that every row here is the demo's own
    (tests/conftest.py: demo_seeded, seeded once for the module)."""
    return demo_seeded


def timestamps():
    """(model, field, value) for every date-and-time column of every row in the database."""
    for model in apps.get_models():
        fields = [f.attname for f in model._meta.concrete_fields if isinstance(f, models.DateTimeField)]
        if not fields:
            continue
        for row in model._default_manager.values_list(*fields):
            for name, value in zip(fields, row, strict=True):
                if value is not None:
                    yield model._meta.label, name, value


def test_every_timestamp_lies_before_the_demos_today(demo):
    seen = list(timestamps())
    labels = {label for label, _, _ in seen}
    # Every kind of seeded row is here: the plan's record and targets, the accounts, the reports
    # with their record, evidence, corrections, locks, planned values and published years.
    assert {
        "kpi.TargetRevision",
        "kpi.HistoricalIndicator",
        "kpi.HistoricalYearlyTarget",
        "kpi.HistoricalPlannedValue",
        "kpi.PlannedValue",
        "plans.HistoricalPlan",
        "plans.PublishedYear",
        "auth.User",
        "kpi.ProgressReport",
        "kpi.ReportEvent",
        "kpi.Evidence",
        "kpi.ReportCorrection",
        "kpi.PeriodEvent",
    } <= labels, labels
    late = [(label, name, value) for label, name, value in seen if value >= TODAY]
    assert not late, late[:10]
    assert min(value for _, _, value in seen) >= PUBLISHED


def test_the_order_a_real_plan_brings(demo):
    # The plan and its targets were entered at the plan's publication, with the reason on record.
    plan_rows = [
        *TargetRevision.objects.values_list("changed_at", flat=True),
        *Plan.history.values_list("history_date", flat=True),
        *apps.get_model("kpi", "HistoricalIndicator").objects.values_list("history_date", flat=True),
        *apps.get_model("kpi", "HistoricalYearlyTarget").objects.values_list("history_date", flat=True),
    ]
    assert plan_rows and set(plan_rows) == {PUBLISHED}
    # Then the demo accounts were opened ...
    joined = set(get_user_model().objects.values_list("date_joined", flat=True))
    assert joined == {DEMO_JOINED} and PUBLISHED < DEMO_JOINED
    # ... before anything was reported, with its evidence.
    first_action = min(ReportEvent.objects.values_list("at", flat=True))
    assert DEMO_JOINED < first_action
    assert first_action.astimezone(TAIPEI).date() > datetime.date(2022, 3, 31)  # after 111Q1 ended
    assert all(DEMO_JOINED < at < TODAY for at in Evidence.objects.values_list("uploaded_at", flat=True))
    # 114Q3's reports in review carry PDFs one can view.
    files = Evidence.objects.exclude(file="")
    assert files.exists() and all(e.viewable for e in files)
    # Each report's record runs forward from its creation.
    for report in ProgressReport.objects.prefetch_related("events"):
        times = [e.at for e in report.events.all()]
        assert times == sorted(times) and times[0] == report.created_at, report
    # Planned values of 114: proposed and confirmed early in 2025, on the record at those moments.
    planned = PlannedValue.objects.all()
    assert planned and all(p.proposed_at < p.confirmed_at < TODAY for p in planned)
    # Each completed year published by the demo admin after its last period was locked.
    published = PublishedYear.objects.order_by("year")
    assert [(p.year, p.published_by.username) for p in published] == [(111, "admin"), (112, "admin"), (113, "admin")]
    for p in published:
        last_lock = p.plan.periods.get(year=p.year, number=4).events.order_by("at").last().at
        assert last_lock < p.published_at < TODAY


def test_the_public_page_shows_111_to_113(demo, client):
    body = client.get(reverse("reports:public_home")).content.decode()
    for year in (111, 112, 113):
        assert reverse("reports:public_year", args=[year]) in body
    assert reverse("reports:public_year", args=[114]) not in body
    assert client.get(reverse("reports:public_year", args=[113])).status_code == 200


def test_the_clock_is_the_real_one_again_after_seeding(demo):
    assert dates._running is None
    from django.utils import timezone

    assert timezone.now() > TODAY  # the real date (this suite runs after the demo's today)


# --- The clock itself ---------------------------------------------------------------------


def test_a_clock_answers_now_and_today_while_it_runs_and_no_longer():
    from django.utils import timezone

    moment = datetime.datetime(2022, 5, 3, 9, 30, tzinfo=TAIPEI)
    clock = dates.Clock(moment, before=DEMO_TODAY)
    real_now = timezone.now
    with clock.running():
        assert timezone.now() == moment and dates.today() == datetime.date(2022, 5, 3)
        later = datetime.datetime(2024, 1, 2, 8, 0, tzinfo=TAIPEI)
        clock.set(later)
        assert timezone.now() == later
        with pytest.raises(ValueError):
            clock.set(TODAY)  # not before the day it must stay before
        with pytest.raises(RuntimeError), dates.Clock(moment).running():
            pass  # one clock at a time
    assert timezone.now is real_now and dates._running is None


def test_a_clock_stops_even_when_the_seeding_fails():
    from django.utils import timezone

    real_now = timezone.now
    with pytest.raises(ZeroDivisionError), dates.Clock(PUBLISHED).running():
        1 / 0  # noqa: B018
    assert timezone.now is real_now and dates._running is None
