"""`manage.py generate_city`: the synthetic city of the scale benchmark (bench/benchmark.py).

It writes in bulk, bypassing the workflow services, so these tests check that what it
writes is what the services would have written: the shape of 都市發展處, statuses and
versions, the record of each action, targets with their revisions, and figures that
`kpi.services.report_clean` accepts.
"""

from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import F

from kpi import services
from kpi.assessments import plan_year_attainment
from kpi.models import (
    Evidence,
    Indicator,
    IndicatorKind,
    PeriodEvent,
    ProgressReport,
    ReportAction,
    ReportEvent,
    ReportStatus,
    TargetRevision,
    YearlyTarget,
)
from plans.models import DepartmentPlan, Membership, Plan, Role

PLAN = "合成城市中程施政計畫"

# The record each kind of report carries, oldest first.
APPROVED = [ReportAction.CREATED, ReportAction.SUBMITTED, ReportAction.APPROVED]
RETURNED_THEN_APPROVED = [
    ReportAction.CREATED,
    ReportAction.SUBMITTED,
    ReportAction.RETURNED,
    ReportAction.EDITED,
    ReportAction.EVIDENCE_ADDED,
    ReportAction.RESUBMITTED,
    ReportAction.APPROVED,
]


@pytest.fixture
def city(seeded_plan):
    out = StringIO()
    call_command("generate_city", departments=2, stdout=out)
    return Plan.objects.get(name=PLAN), out.getvalue()


def shape(department_plan):
    """(objective number, dimension, goal name, [(KPI number, unit, direction, accrual, original targets)])."""
    out = []
    for objective in department_plan.objectives.select_related("goal").order_by("number"):
        kpis = [
            (
                k.number,
                k.unit,
                k.direction,
                k.accrual,
                [t.original_value for t in k.targets.order_by("year")],
            )
            for k in objective.indicators.order_by("number")
        ]
        out.append((objective.number, objective.dimension, objective.goal.name, kpis))
    commons = [
        (c.common_goal.number, c.formula, c.direction)
        for c in department_plan.indicators.filter(kind=IndicatorKind.COMMON).select_related("common_goal")
    ]
    return out, sorted(commons)


def test_each_department_is_shaped_like_the_urban_development_department(city, seeded_plan):
    plan, output = city
    assert (plan.start_year, plan.end_year) == (111, 114)
    assert "2 departments, 40 KPIs, 6 common indicators" in output
    template = DepartmentPlan.objects.get(plan=seeded_plan, department__name="都市發展處")
    synthetic = list(DepartmentPlan.objects.filter(plan=plan).order_by("toc_number"))
    assert [dp.department.name for dp in synthetic] == ["合成市第001處", "合成市第002處"]
    for dp in synthetic:
        assert dp.goals.count() == 3
        assert dp.objectives.count() == 6
        assert dp.common_goals.count() == 3
        assert shape(dp) == shape(template)
    # The Keelung plan is untouched.
    assert not Indicator.objects.filter(department_plan__plan=seeded_plan, reports__isnull=False).exists()


def test_periods_users_and_locks(city):
    plan, _ = city
    periods = list(plan.periods.order_by("year", "number"))
    assert len(periods) == 16
    assert [p.is_locked for p in periods] == [True] * 12 + [False] * 4
    assert PeriodEvent.objects.filter(period__plan=plan).count() == 12
    users = get_user_model().objects.filter(username__startswith="city-")
    assert sorted(users.values_list("username", flat=True)) == [
        "city-planner",
        "city-r001-1",
        "city-r001-2",
        "city-r002-1",
        "city-r002-2",
        "city-v001",
        "city-v002",
    ]
    # Without --password nobody can sign in as them.
    assert not any(u.has_usable_password() for u in users)
    roles = Counter(Membership.objects.filter(user__in=users).values_list("role", flat=True))
    assert roles == {Role.REPORTER: 4, Role.REVIEWER: 2, Role.PLANNING_OFFICE: 1}


def test_reports_statuses_versions_and_record(city):
    plan, _ = city
    reports = list(
        ProgressReport.objects.filter(period__plan=plan)
        .select_related("period", "indicator__department_plan")
        .prefetch_related("events")
    )
    last = plan.periods.get(year=114, number=4)
    earlier = [r for r in reports if r.period_id != last.pk]
    # Every indicator has an approved report for each of the first 15 quarters.
    assert len(earlier) == 2 * 23 * 15
    assert {r.status for r in earlier} == {ReportStatus.APPROVED}
    current = Counter(r.status for r in reports if r.period_id == last.pk)
    assert sum(current.values()) <= 2 * 23
    reviewers = dict(Membership.objects.filter(role=Role.REVIEWER).values_list("department_id", "user_id"))
    cycles = 0
    for r in reports:
        actions = [e.action for e in sorted(r.events.all(), key=lambda e: (e.at, e.id))]
        times = [e.at for e in sorted(r.events.all(), key=lambda e: (e.at, e.id))]
        assert times == sorted(times)
        assert r.created_at == times[0]
        if r.status == ReportStatus.APPROVED:
            assert r.reviewed_by_id == reviewers[r.indicator.department_plan.department_id]
            assert r.reviewed_by_id != r.submitted_by_id
            assert actions in (APPROVED, RETURNED_THEN_APPROVED)
            assert r.version == (3 if actions == APPROVED else 6)
            cycles += actions == RETURNED_THEN_APPROVED
        elif r.status == ReportStatus.SUBMITTED:
            assert actions == APPROVED[:2] and r.version == 2 and r.reviewed_by_id is None
        elif r.status == ReportStatus.RETURNED:
            assert actions == RETURNED_THEN_APPROVED[:3] and r.version == 3 and r.review_comment
        else:
            assert actions == [ReportAction.CREATED] and r.version == 1 and r.submitted_by_id is None
    assert cycles > 0
    assert Evidence.objects.filter(report__period__plan=plan).count() == cycles
    assert (
        ReportEvent.objects.filter(report__period__plan=plan, action=ReportAction.RETURNED).exclude(comment="").count()
    )


def test_figures_pass_the_services_rules(city):
    plan, _ = city
    reports = (
        ProgressReport.objects.filter(period__plan=plan)
        .exclude(status=ReportStatus.DRAFT)
        .select_related("indicator__department_plan__plan", "period__plan")
        .prefetch_related("indicator__targets")
    )
    behind = 0
    for r in reports:
        clean = services.report_clean(
            indicator=r.indicator,
            period=r.period,
            actual=r.actual,
            inputs=r.inputs,
            narrative=r.narrative,
            shortfall_reason=r.shortfall_reason,
            improvement_plan=r.improvement_plan,
            submitting=True,
        )
        assert clean.actual == r.actual
        behind += clean.preview.needs_explanation
    assert behind > 0


def test_targets_revisions_and_attainment(city):
    plan, _ = city
    targets = YearlyTarget.objects.filter(indicator__department_plan__plan=plan)
    assert targets.count() == 2 * 23 * 4
    seeds = TargetRevision.objects.filter(target__in=targets, source=TargetRevision.Source.SEED)
    assert seeds.count() == targets.count()
    revised = targets.exclude(value=F("original_value"))
    assert revised.exists()
    for target in revised:
        revision = target.revisions.exclude(source=TargetRevision.Source.SEED).get()
        assert (revision.old_value, revision.new_value) == (target.original_value, target.value)
        assert revision.reason and revision.changed_by.username == "city-planner"
    result = plan_year_attainment(plan=plan, year=113)
    assert len(result.departments) == 2
    assert result.city.rollup.score is not None
    assert sum(result.city.rollup.counts.values()) == 40


def test_password_when_asked(seeded_plan):
    call_command("generate_city", departments=1, password="bench-pass-1", stdout=StringIO())
    users = get_user_model().objects.filter(username__startswith="city-")
    assert users.count() == 4
    assert all(u.check_password("bench-pass-1") for u in users)


def test_refuses_to_generate_twice(city):
    with pytest.raises(CommandError, match="already exists"):
        call_command("generate_city", departments=2, stdout=StringIO())
