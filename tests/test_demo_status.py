"""The demo's year in progress reads like a real department's year (issue 11, item 4).

Seeded as `make demo` seeds it (seed_plan, seed_demo_users, seed_demo_reports, today
2025-10-08 as the demo's .env says): on that day 都市發展處's KPIs of 114 are judged on
their period status (the latest approved period, 114Q2, against its planned value) and
show a believable mix of lights; the planned values are a valid ladder, set before that
day; the closed years 111–113 keep the lights they had before planned values existed; and
114Q3 is in review at both of Keelung's stages (初核, then 研考複核).
"""

import datetime
from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from kpi import assessments, planning, queues
from kpi.models import Indicator, IndicatorKind, PlannedStatus, PlannedValue
from plans.demo import DEMO_TODAY  # KPI_TODAY in the demo's .env (scripts/make-local-env.sh)
from plans.models import PERIODS_PER_YEAR, DepartmentPlan

TAIPEI = datetime.timezone(datetime.timedelta(hours=8))
HOME = "都市發展處"

# The year lights of the closed years, KPIs and common indicators apart, as measured on the
# demo before planned values were seeded (seed_demo_reports at 04c0162). Planned values
# must not move a closed year's light: a change here is a change to the demo's history.
CLOSED_YEARS = {
    111: {"kpi": {"green": 16, "yellow": 3, "red": 1}, "common": {"green": 2, "yellow": 1}},
    112: {"kpi": {"green": 16, "yellow": 3, "red": 1}, "common": {"green": 2, "red": 1}},
    113: {"kpi": {"green": 16, "yellow": 3, "red": 1}, "common": {"green": 2, "yellow": 1}},
}


@pytest.fixture
def demo(demo_seeded):
    # Keelung's plan reviews in two stages (the fixture says so): the demo's 初核 and 研考複核.
    # Seeded once for the module (tests/conftest.py: demo_seeded).
    dp = DepartmentPlan.objects.select_related("plan").get(department__name=HOME)
    assert dp.plan.review_stages == 2
    return dp, demo_seeded


def lights_by_kind(results) -> dict[str, dict[str, int]]:
    counts = {"kpi": Counter(), "common": Counter()}
    for r in results:
        counts["kpi" if r.indicator.kind == IndicatorKind.KPI else "common"][str(r.assessment.light)] += 1
    return {kind: dict(c) for kind, c in counts.items()}


def test_the_year_in_progress_shows_a_believable_mix(demo):
    dp, out = demo
    computed = assessments.plan_year_attainment(plan=dp.plan, year=114, department_ids=[dp.department_id])
    results = {r.indicator.code: r for r in computed.for_department(dp.department_id)}
    kpis = [r for r in results.values() if r.indicator.kind == IndicatorKind.KPI]

    # Judged period by period, on the latest approved period: 114Q2 for every KPI.
    assert {(r.status.basis, r.status.period.short_label) for r in results.values()} == {("period", "114Q2")}
    lights = Counter(str(r.assessment.light) for r in kpis if r.assessment.light != "white")
    assessed = sum(lights.values())
    assert {"green", "yellow", "red"} <= set(lights), lights
    assert all(n <= Decimal("0.75") * assessed for n in lights.values()), lights
    assert lights["green"] > lights["yellow"] > lights["red"], lights
    assert f"KPIs now: 達成 {lights['green']}、部分達成 {lights['yellow']}、未達成 {lights['red']}" in out

    # Every KPI that is behind says why and what will be done, in the report that gives its light.
    for r in kpis:
        if r.assessment.light in ("yellow", "red"):
            assert r.report.shortfall_reason and r.report.improvement_plan, r.indicator.code

    # The year-end 共1-1 is white in-year, with its reason; the level 2-3 is judged against its target.
    budget = results["共1-1"]
    assert budget.assessment.light == "white" and budget.status.planned_to_date is None
    assert budget.assessment.reason == assessments.not_assessed_reason(
        budget.indicator, budget.target, budget.report.period
    )
    level = results["2-3"]
    assert level.status.planned_to_date == level.target.value and level.assessment.light == "yellow"
    # On pace on the default straight line (4-1), and behind a plan the department wrote (5-1).
    assert results["4-1"].assessment.light == "green" and results["5-1"].assessment.light == "red"
    assert results["1-2"].status.planned_to_date == Decimal(20)  # slow first half, then building fast


def test_planned_values_are_valid_ladders_set_before_today(demo):
    dp, _ = demo
    rows = list(PlannedValue.objects.filter(target__indicator__department_plan=dp).select_related("target__indicator"))
    assert rows
    per_year = PERIODS_PER_YEAR[dp.plan.reporting_frequency]
    ladders: dict[tuple[int, int], dict[int, Decimal]] = {}
    for row in rows:
        ladders.setdefault((row.target.indicator_id, row.target.year), {})[row.number] = row.value
    indicators = Indicator.objects.in_bulk([indicator_id for indicator_id, _ in ladders])
    targets = {}
    for indicator in Indicator.objects.filter(pk__in=indicators).prefetch_related("targets"):
        targets[indicator.pk] = {t.year: t.value for t in indicator.targets.all()}
    not_straight = 0
    for (indicator_id, year), values in ladders.items():
        indicator = indicators[indicator_id]
        assert planning.ladder_problems(indicator, targets[indicator_id], year, per_year, values) == {}, indicator.code
        defaults = {n: planning.default_value(indicator, targets[indicator_id], year, n, per_year) for n in values}
        not_straight += values != defaults
    # Some KPIs are left at the default; some ladders are not straight lines.
    assert 0 < len(ladders) < dp.indicators.filter(kind=IndicatorKind.KPI).count()
    assert not_straight >= 5

    # Proposed by the department's reporter, confirmed by the planning office, before the demo's today.
    today = datetime.datetime.combine(DEMO_TODAY, datetime.time(), tzinfo=TAIPEI)
    for row in rows:
        assert row.status == PlannedStatus.CONFIRMED
        assert (row.proposed_by.username, row.confirmed_by.username) == ("staff", "planner")
        assert row.proposed_at < row.confirmed_at < today
    history = PlannedValue.history.filter(target__indicator__department_plan=dp)
    assert history.count() == 2 * len(rows)  # proposed, then confirmed
    assert all(h.history_date < today for h in history)
    assert {h.history_user.username for h in history} == {"staff", "planner"}


def test_the_closed_years_keep_their_lights(demo):
    dp, _ = demo
    computed = assessments.plan_years_attainment(plan=dp.plan, years=[111, 112, 113], department_ids=[dp.department_id])
    for year, expected in CLOSED_YEARS.items():
        results = computed[year].for_department(dp.department_id)
        assert {r.status.basis for r in results} == {"year"}
        assert lights_by_kind(results) == expected, year


def test_each_reviewer_has_a_queue(demo):
    """On the demo's today 114Q3 is in review at both stages: the department's reviewer has its
    初核 to give, the planning office its 研考複核, and the reporter a report returned at 研考複核
    and two drafts to finish before the due date."""
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["staff", "supervisor", "planner"])}
    supervisor = queues.work_for(users["supervisor"], today=DEMO_TODAY)
    planner = queues.work_for(users["planner"], today=DEMO_TODAY)
    staff = queues.work_for(users["staff"], today=DEMO_TODAY)

    assert (supervisor.first_review_count, supervisor.second_review_count) == (7, 0)
    assert (planner.first_review_count, planner.second_review_count) == (0, 13)
    assert {r.period.short_label for r in supervisor.to_review + planner.to_review} == {"114Q3"}
    assert not supervisor.locked_review and not planner.locked_review
    assert [(r.indicator.code, r.reviewed_by.username) for r in staff.returned] == [("1-5", "planner")]
    assert sorted(item.indicator.code for item in staff.due if item.report is not None) == ["6-1", "共1-1"]
    assert not staff.overdue
