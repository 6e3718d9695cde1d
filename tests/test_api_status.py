"""API v1: the status people see (one function, kpi.assessments.status_of) and the planned values.

"Today" is 民國114年10月8日 (KPI_TODAY 2025-10-08): 114 is in progress, so a KPI with an
approved report is judged on its period status, its latest approved year-to-date actual
against the planned value of its period; 113 has ended and is judged on the year.

The 114 scenario (都市發展處, quarterly, targets as the plan sets them):

- 1-1 (%, cumulative, target 100): the department planned 90 by Q3 (confirmed); 75 approved
  for 114Q3 → period 75 ÷ 90 = 83.3 % yellow; year 75 % red.
- 1-5 (場, cumulative, target 5): default ladder 1, 3, 4, 5; 4 approved for 114Q3 → period
  100 % green; year 80 % yellow.
- 2-3 (%, level, target 80): 80 approved for 114Q2 → the target in every period: green both ways.
- 共1-1 (%, year-end, target 2): 1.5 approved for 114Q3 → white in-year, with the reason.
- 2-1 (no approved report): white, period basis, no period.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kpi.assessments import plan_year_attainment, year_rollup
from kpi.models import PlannedStatus, PlannedValue, ReportStatus, YearlyTarget
from kpi.services import target_set
from tests.factories import kpi_by_code, reports_for_indicators

API = "/api/v1/"
TODAY = datetime.date(2025, 10, 8)


def number(value):
    return None if value is None else Decimal(str(value))


def approve(code, period, actual, staff, supervisor):
    indicator = kpi_by_code(code)
    [report] = reports_for_indicators(
        [indicator], period, status=ReportStatus.APPROVED, reporter=staff, reviewer=supervisor, actual=actual
    )
    return report


def plan_value(code, year, number, value, status=PlannedStatus.PROPOSED):
    target = YearlyTarget.objects.get(indicator=kpi_by_code(code), year=year)
    confirmed = status == PlannedStatus.CONFIRMED
    return PlannedValue.objects.create(
        target=target,
        number=number,
        value=Decimal(value),
        status=status,
        proposed_at=timezone.now(),
        confirmed_at=timezone.now() if confirmed else None,
    )


@pytest.fixture
def in_year(settings, seeded_plan, staff, supervisor, periods):
    settings.KPI_TODAY = TODAY
    plan_value("1-1", 114, 3, "90", PlannedStatus.CONFIRMED)
    approve("1-1", periods["114Q3"], "75", staff, supervisor)
    approve("1-5", periods["114Q2"], "2", staff, supervisor)  # an earlier quarter: the latest one counts
    approve("1-5", periods["114Q3"], "4", staff, supervisor)
    approve("2-3", periods["114Q2"], "80", staff, supervisor)
    approve("共1-1", periods["114Q3"], "1.5", staff, supervisor)
    approve("1-5", periods["113Q3"], "4", staff, supervisor)  # 113 has ended: judged on the year
    return seeded_plan


def attainment(client, user, plan, year, level="indicator"):
    client.force_login(user)
    response = client.get(API + "attainment/", {"plan": plan.pk, "year": year, "level": level})
    assert response.status_code == 200, response.content[:300]
    return response.json()


def rows(body):
    return {row["code"]: row for row in body["indicators"]}


# --- KPI-years -------------------------------------------------------------------------------------


def test_a_kpi_behind_its_planned_value_is_judged_on_its_period(client, planner, in_year, periods):
    row = rows(attainment(client, planner, in_year, 114))["1-1"]
    assert row["basis"] == "period"
    assert row["period"] == {"id": periods["114Q3"].pk, "short_label": "114Q3"}
    assert row["status_label"] == "114Q3 進度"
    assert row["actual"] == 75 and row["target"] == 100
    assert row["planned_to_date"] == 90  # the confirmed planned value, not the straight line's 75
    assert number(row["raw"]) == Decimal("83.3333")
    assert row["status"] == row["light"] == "yellow"
    assert row["light_label"] == "部分達成"
    # The year-basis figures beside it: 75 of 100.
    assert (row["year_raw"], row["year_capped"], row["year_light"]) == (75, 75, "red")


def test_a_kpi_on_pace_is_green_though_short_of_the_years_target(client, planner, in_year):
    row = rows(attainment(client, planner, in_year, 114))["1-5"]
    assert (row["basis"], row["period"]["short_label"], row["actual"]) == ("period", "114Q3", 4)
    assert row["planned_to_date"] == 4  # the default: three quarters of 5 sessions, in whole sessions
    assert (row["raw"], row["capped"], row["status"]) == (100, 100, "green")
    assert (row["year_raw"], row["year_capped"], row["year_light"]) == (80, 80, "yellow")


def test_a_level_kpi_plans_its_target_in_every_period(client, planner, in_year):
    row = rows(attainment(client, planner, in_year, 114))["2-3"]
    assert (row["basis"], row["period"]["short_label"], row["planned_to_date"]) == ("period", "114Q2", 80)
    assert (row["status"], row["raw"], row["year_light"], row["year_raw"]) == ("green", 100, "green", 100)


def test_a_year_end_figure_in_q3_is_white_with_the_reason(client, planner, in_year):
    row = rows(attainment(client, planner, in_year, 114))["共1-1"]
    assert (row["basis"], row["period"]["short_label"]) == ("period", "114Q3")
    assert row["actual"] == 1.5
    assert row["planned_to_date"] is None
    assert (row["status"], row["raw"], row["capped"]) == ("white", None, None)
    assert row["light_label"] == "不予評估"
    assert row["reason"] == "年終評估指標，全年數據核定後始評估（目前為民國114年第3季累計數）"
    assert (row["year_raw"], row["year_light"]) == (None, "white")


def test_a_kpi_with_nothing_approved_yet_has_no_period(client, planner, in_year):
    row = rows(attainment(client, planner, in_year, 114))["2-1"]
    assert (row["basis"], row["period"], row["planned_to_date"], row["status_label"]) == ("period", None, None, "")
    assert (row["status"], row["reason"], row["year_light"]) == ("white", "尚無核定實績", "white")


def test_a_closed_year_is_judged_on_the_year(client, planner, in_year):
    body = attainment(client, planner, in_year, 113)
    row = rows(body)["1-5"]
    assert (row["basis"], row["period"], row["planned_to_date"], row["status_label"]) == ("year", None, None, "")
    assert (row["raw"], row["status"]) == (80, "yellow")
    assert (row["year_raw"], row["year_capped"], row["year_light"]) == (row["raw"], row["capped"], row["status"])
    for row in body["indicators"]:
        assert row["basis"] == "year" and row["period"] is None
        assert (row["year_raw"], row["year_light"]) == (row["raw"], row["light"])


def test_every_row_is_the_status_function(client, planner, in_year):
    body = attainment(client, planner, in_year, 114)
    service = plan_year_attainment(plan=in_year, year=114)
    for row in body["indicators"]:
        result = service.indicators[row["indicator"]]
        assert row["status"] == result.status.assessment.light.value == row["light"]
        assert number(row["raw"]) == result.status.assessment.raw
        assert row["basis"] == result.status.basis
        assert number(row["planned_to_date"]) == result.status.planned_to_date
        assert number(row["year_raw"]) == result.year_assessment.raw
        assert row["year_light"] == result.year_assessment.light.value


def test_english_labels_the_period_in_english(client, planner, in_year):
    client.cookies["django_language"] = "en"
    row = rows(attainment(client, planner, in_year, 114))["1-1"]
    assert row["status_label"] == "114Q3 progress"
    assert row["light_label"] == "Partly met"


# --- Roll-ups -------------------------------------------------------------------------------------


def test_roll_ups_carry_the_status_and_the_year_figures(client, planner, in_year):
    body = attainment(client, planner, in_year, 114, level="objective")
    service = plan_year_attainment(plan=in_year, year=114)
    objective = kpi_by_code("1-1").objective_id
    row = next(r for r in body["groups"] if r["id"] == objective)
    # Statuses: 1-1 83.3333 (yellow), 1-5 100 (green), the rest white → mean 91.6667, yellow.
    assert number(row["score"]) == Decimal("91.6667") and row["light"] == "yellow"
    assert row["counts"] == {"green": 1, "yellow": 1, "red": 0, "white": 3}
    # The year: 1-1 75 (red), 1-5 80 (yellow) → 77.5, red.
    assert number(row["year_score"]) == Decimal("77.5") and row["year_light"] == "red"
    assert row["year_counts"] == {"green": 0, "yellow": 1, "red": 1, "white": 3}
    assert row["basis"] == "period"
    group = service.objectives[objective]
    assert number(row["year_score"]) == year_rollup(group, service.thresholds).score


@pytest.mark.parametrize("level", ["goal", "dimension", "department", "city"])
def test_every_roll_up_level_gives_both(client, planner, in_year, level):
    body = attainment(client, planner, in_year, 114, level=level)
    service = plan_year_attainment(plan=in_year, year=114)
    groups = {"goal": service.goals, "dimension": service.dimensions, "department": service.departments}.get(
        level, {"city": service.city}
    )
    for row, group in zip(body["groups"], groups.values(), strict=True):
        year = year_rollup(group, service.thresholds)
        assert number(row["score"]) == group.rollup.score
        assert number(row["year_score"]) == year.score
        assert row["year_light"] == year.light.value
        assert row["year_counts"] == {light.value: n for light, n in year.counts.items()}
        assert row["basis"] == "period"
    if level == "city":
        [city] = body["groups"]
        assert city["score"] != city["year_score"]


def test_a_closed_years_roll_ups_are_the_year_figures(client, planner, in_year):
    for row in attainment(client, planner, in_year, 113, level="department")["groups"]:
        assert row["basis"] == "year"
        assert (row["year_score"], row["year_light"], row["year_counts"]) == (row["score"], row["light"], row["counts"])


# --- Query counts -----------------------------------------------------------------------------------


def query_count(client, path, **params):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(API + path, params)
    assert response.status_code == 200, response.content[:300]
    return len(captured)


@pytest.mark.parametrize("level", ["indicator", "objective", "city"])
def test_attainment_query_count_does_not_grow_with_planned_values_or_reports(
    client, planner, in_year, staff, supervisor, periods, level, django_assert_max_num_queries
):
    client.force_login(planner)
    params = {"plan": in_year.pk, "year": 114, "level": level}
    before = query_count(client, "attainment/", **params)
    for code in ("1-2", "1-3", "3-2", "5-1", "6-1"):
        for n in (1, 2, 3):
            plan_value(code, 114, n, "0.2" if n == 1 and code in ("1-3",) else str(n * 20))
        approve(code, periods["114Q2"], "30", staff, supervisor)
    assert query_count(client, "attainment/", **params) == before
    # Two savepoints with their releases (the request's transaction), the session and its user, the plan,
    # the user's memberships, and the batch service's four (indicators, targets, planned values, reports).
    with django_assert_max_num_queries(13):
        client.get(API + "attainment/", params)


# --- An indicator's planned values ------------------------------------------------------------------


def detail(client, user, code):
    client.force_login(user)
    response = client.get(API + f"indicators/{kpi_by_code(code).pk}/")
    assert response.status_code == 200, response.content[:300]
    return response.json()


def planned_of(row, year):
    return [(p["period"], p["value"], p["source"], p["status"]) for p in row["planned"] if p["year"] == year]


def test_indicator_lists_default_planned_values_by_accrual(client, staff, seeded_plan):
    row = detail(client, staff, "1-5")
    assert [p["year"] for p in row["planned"]] == [111] * 4 + [112] * 4 + [113] * 4 + [114] * 4
    # Five sessions: a straight line in whole sessions, the last period the target.
    assert planned_of(row, 114) == [(1, 1, "default", None), (2, 3, "default", None), (3, 4, "default", None),
                                    (4, 5, "target", None)]  # fmt: skip
    # A cumulative % ladder starts where last year's target was: 40 → 70.
    assert [p[1] for p in planned_of(detail(client, staff, "5-3"), 113)] == [47.5, 55, 62.5, 70]
    # A level: the target in every period.
    assert [p[1] for p in planned_of(detail(client, staff, "2-3"), 114)] == [80, 80, 80, 80]


def test_a_year_end_figure_plans_nothing_before_year_end(client, staff, seeded_plan):
    row = detail(client, staff, "共1-1")
    assert planned_of(row, 114) == [(1, None, "default", None), (2, None, "default", None),
                                    (3, None, "default", None), (4, 2, "target", None)]  # fmt: skip


def test_indicator_lists_stored_planned_values_with_their_status(client, staff, seeded_plan):
    plan_value("1-5", 114, 1, "2", PlannedStatus.PROPOSED)
    plan_value("1-5", 114, 2, "2", PlannedStatus.CONFIRMED)
    plan_value("1-5", 113, 4, "9")  # never stored in practice; the last period is the target whatever is stored
    row = detail(client, staff, "1-5")
    assert planned_of(row, 114) == [(1, 2, "set", "proposed"), (2, 2, "set", "confirmed"),
                                    (3, 4, "default", None), (4, 5, "target", None)]  # fmt: skip
    assert planned_of(row, 113)[-1] == (4, 5, "target", None)


def test_indicator_detail_query_count_does_not_grow_with_planned_values(
    client, staff, admin_user, seeded_plan, django_assert_max_num_queries
):
    client.force_login(staff)
    path = f"indicators/{kpi_by_code('1-5').pk}/"
    before = query_count(client, path)
    for year in (111, 112, 113, 114):
        for n in (1, 2, 3):
            plan_value("1-5", year, n, str(n), PlannedStatus.CONFIRMED if n == 2 else PlannedStatus.PROPOSED)
    for code in ("1-1", "2-1", "4-1"):  # other indicators' planned values are not read
        plan_value(code, 114, 1, "1")
    target_set(indicator=kpi_by_code("1-5"), year=113, value="6", reason="市府追加活動預算。", user=admin_user)
    target_set(indicator=kpi_by_code("1-5"), year=114, value="7", reason="市府追加活動預算。", user=admin_user)
    assert query_count(client, path) == before
    # Two savepoints with their releases (the request's transaction), the session and its user, the
    # user's memberships, the indicator, its targets, their revisions (with who made them), their
    # planned values.
    with django_assert_max_num_queries(12):
        client.get(API + path)
