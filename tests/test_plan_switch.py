"""Which plan a page shows: ?plan= (the switcher), else the plan in force on today's date.

Nothing assumes 111–114: with 115–118 rolled over (no targets, no reports) every main
page, the public pages and the API answer for both plans; the dashboards open on the
plan in force (KPI_TODAY in 2026 → 115–118, in 2025 → 111–114); year bounds are the
plan's; links keep a plan chosen with the switcher.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpi.models import Indicator, IndicatorKind
from kpi.services.rollover import plan_rollover
from plans.models import DepartmentPlan, Plan, PublishedYear
from plans.selectors import plan_choice, plan_in_force
from tests.test_dashboards import DEPARTMENT_MAX_QUERIES, OVERVIEW_MAX_QUERIES

API = "/api/v1/"
IN_2025 = datetime.date(2025, 10, 8)
IN_2026 = datetime.date(2026, 3, 1)


@pytest.fixture
def new_plan(seeded_plan):
    return plan_rollover(source=seeded_plan, start_year=115, end_year=118).plan


@pytest.fixture
def in_2026(settings):
    settings.KPI_TODAY = IN_2026


@pytest.fixture
def in_2025(settings):
    settings.KPI_TODAY = IN_2025


def _plan(name, start, end):
    return Plan.objects.create(
        name=name, start_year=start, end_year=end, edition="x", published_year=start, published_month=1
    )


# --- The plan in force: one rule ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (datetime.date(2022, 1, 1), "111"),  # the first day of 111–114
        (datetime.date(2025, 12, 31), "111"),  # its last day
        (datetime.date(2026, 1, 1), "115"),  # 115–118 from its first day
        (datetime.date(2031, 6, 1), "115"),  # after every plan: the latest that started
        (datetime.date(2019, 6, 1), "111"),  # before every plan: the first to come
    ],
)
def test_the_plan_in_force_is_the_one_of_todays_roc_year(seeded_plan, new_plan, today, expected):
    assert str(plan_in_force(today=today).start_year) == expected


def test_between_plans_the_latest_that_started_is_in_force(seeded_plan):
    later = _plan("後期", 117, 120)  # 115–116 covered by no plan
    assert plan_in_force(today=datetime.date(2026, 6, 1)) == seeded_plan
    assert plan_in_force(today=datetime.date(2028, 6, 1)) == later


def test_no_plan_no_plan_in_force():
    assert plan_in_force(plans=[]) is None


def test_the_plan_in_force_follows_kpi_today(seeded_plan, new_plan, settings):
    settings.KPI_TODAY = IN_2026
    assert plan_in_force() == new_plan
    settings.KPI_TODAY = IN_2025
    assert plan_in_force() == seeded_plan


def test_a_bad_plan_parameter_falls_back_with_a_message(seeded_plan, new_plan, in_2026, client, planner):
    client.force_login(planner)
    for raw in ("abc", "999999", "-1", "1" * 30):
        response = client.get(reverse("reports:overview"), {"plan": raw})
        assert response.status_code == 200
        assert response.context["plan"] == new_plan
        messages = [str(m) for m in response.context["messages"]]
        assert any("不是" in m or "is not a plan" in m for m in messages), messages


def test_the_choice_keeps_the_other_parameters_and_drops_the_plans_own(seeded_plan, new_plan, in_2026):
    request = RequestFactory().get(
        "/", {"plan": seeded_plan.pk, "year": 112, "department": 7, "page": 2, "light": "red"}
    )
    choice = plan_choice(request)
    assert choice.plan == seeded_plan and choice.in_force == new_plan and not choice.is_in_force
    assert choice.kept == [("department", "7"), ("light", "red")]
    assert choice.params == {"plan": seeded_plan.pk} and choice.query_suffix == f"&plan={seeded_plan.pk}"


# --- The dashboards open on the plan in force ------------------------------------------------------


def test_in_2026_the_dashboard_opens_on_115_118(seeded_plan, new_plan, in_2026, client, planner):
    client.force_login(planner)
    response = client.get(reverse("reports:overview"))
    assert response.status_code == 200
    assert response.context["plan"] == new_plan and response.context["filters"].year == 115
    assert response.context["years"] == [115, 116, 117, 118]


def test_in_2025_the_dashboard_opens_on_111_114(seeded_plan, new_plan, in_2025, client, planner):
    client.force_login(planner)
    response = client.get(reverse("reports:overview"))
    assert response.context["plan"] == seeded_plan and response.context["filters"].year == 114


def test_a_year_outside_the_plan_is_bounded_by_the_plan(seeded_plan, new_plan, in_2026, client, planner):
    client.force_login(planner)
    response = client.get(reverse("reports:overview"), {"year": 113})  # 113 is 111–114's, not 115–118's
    assert response.context["plan"] == new_plan and response.context["filters"].year == 115
    response = client.get(reverse("reports:overview"), {"year": 113, "plan": seeded_plan.pk})
    assert response.context["plan"] == seeded_plan and response.context["filters"].year == 113


def test_the_home_page_lists_the_plan_in_force_first(seeded_plan, new_plan, client, planner, settings):
    client.force_login(planner)
    settings.KPI_TODAY = IN_2025
    assert list(client.get(reverse("kpi:home")).context["plans"]) == [seeded_plan, new_plan]
    settings.KPI_TODAY = IN_2026
    response = client.get(reverse("kpi:home"))
    assert list(response.context["plans"]) == [new_plan, seeded_plan]
    assert "現行計畫" in response.content.decode() or "In force" in response.content.decode()


# --- The switcher ----------------------------------------------------------------------------------


def test_the_switcher_lists_both_plans_and_keeps_the_other_parameters(
    seeded_plan, new_plan, in_2026, client, planner, home_department
):
    client.force_login(planner)
    body = client.get(
        reverse("reports:department", args=[home_department.pk]), {"dimension": "business_results"}
    ).content.decode()
    switcher = body[body.index('class="plan-switcher"') : body.index("</form>", body.index('class="plan-switcher"'))]
    assert f'<option value="{seeded_plan.pk}"' in switcher and f'<option value="{new_plan.pk}" selected' in switcher
    assert '<input type="hidden" name="dimension" value="business_results">' in switcher
    assert 'name="year"' not in switcher  # a year of one plan is not a year of the other


def test_no_switcher_with_one_plan(seeded_plan, client, planner):
    client.force_login(planner)
    assert "plan-switcher" not in client.get(reverse("reports:overview")).content.decode()


def test_links_keep_a_plan_that_is_not_in_force(seeded_plan, new_plan, in_2026, client, planner, home_department):
    client.force_login(planner)
    old = client.get(reverse("reports:overview"), {"plan": seeded_plan.pk, "year": 113}).content.decode()
    assert f"{reverse('reports:department', args=[home_department.pk])}?year=113&amp;plan={seeded_plan.pk}" in old
    assert f'<input type="hidden" name="plan" value="{seeded_plan.pk}">' in old
    yearly = client.get(
        reverse("reports:yearly"), {"plan": seeded_plan.pk, "year": 113, "department": home_department.pk}
    ).content.decode()
    assert f"format=xlsx&amp;plan={seeded_plan.pk}" in yearly or f"plan={seeded_plan.pk}&amp;format=xlsx" in yearly
    # The plan in force needs no parameter: its addresses are as they always were.
    current = client.get(reverse("reports:overview")).content.decode()
    assert "plan=" not in current.split('class="plan-switcher"')[0]
    assert f'{reverse("reports:department", args=[home_department.pk])}?year=115"' in current


def test_the_yearly_report_follows_the_plan(seeded_plan, new_plan, in_2026, client, planner, home_department):
    client.force_login(planner)
    default = client.get(reverse("reports:yearly"))
    assert default.status_code == 200 and default.context["plan"] == new_plan
    assert default.context["report"].year == 115
    old = client.get(reverse("reports:yearly"), {"plan": seeded_plan.pk, "year": 112})
    assert old.context["plan"] == seeded_plan and old.context["report"].year == 112
    # A year of the other plan: back to the chosen plan's default year, with the plan's own bounds.
    bounced = client.get(reverse("reports:yearly"), {"year": 112}, follow=True)
    assert bounced.redirect_chain[0][0].endswith("?year=115")
    assert any("115" in str(m) and "118" in str(m) for m in bounced.context["messages"])
    kept = client.get(reverse("reports:yearly"), {"year": 119, "plan": seeded_plan.pk})
    assert kept.status_code == 302 and kept["Location"].endswith(f"?year=114&plan={seeded_plan.pk}")


def test_the_whole_citys_file_is_of_the_chosen_plan(seeded_plan, new_plan, in_2026, client, planner):
    from reports.models import YearlyExport

    client.force_login(planner)
    response = client.post(
        reverse("reports:yearly_export_start"), {"format": "csv", "year": 113, "plan": seeded_plan.pk}
    )
    assert response.status_code == 303
    export = YearlyExport.objects.order_by("-created_at").first()
    assert (export.plan_id, export.year) == (seeded_plan.pk, 113)
    page = client.get(response["Location"]).content.decode()
    assert f"?year=113&amp;plan={seeded_plan.pk}" in page
    refused = client.post(reverse("reports:yearly_export_start"), {"format": "csv", "year": 113})
    assert refused.status_code == 400  # 113 is not a year of the plan in force


# --- Every main page works for a plan with no targets and no reports, and for 111–114 --------------


def _pages(plan, home_department, indicator, year):
    p = {"plan": plan.pk}
    return [
        (reverse("kpi:home"), {}),
        (reverse("reports:overview"), p),
        (reverse("reports:overview"), {**p, "year": year, "light": "red", "dimension": "business_results"}),
        (reverse("reports:department", args=[home_department.pk]), {**p, "year": year}),
        (reverse("reports:at_risk"), {**p, "year": year}),
        (reverse("reports:yearly"), {**p, "year": year}),
        (reverse("reports:yearly"), {**p, "year": year, "department": home_department.pk}),
        (reverse("reports:yearly_print"), {**p, "year": year, "department": home_department.pk}),
        (reverse("reports:yearly_download"), {**p, "year": year, "department": home_department.pk, "format": "csv"}),
        (reverse("reports:yearly_download"), {**p, "year": year, "department": home_department.pk, "format": "xlsx"}),
        (reverse("kpi:detail", args=[indicator.pk]), {"year": year}),
        (reverse("kpi:department_plan", args=[plan.pk, home_department.pk]), {}),
        (reverse("kpi:planning", args=[plan.pk, home_department.pk, year]), {}),
        (reverse("kpi:planning_index"), {}),
        (reverse("kpi:review_queue"), {}),
        (reverse("kpi:periods"), p),
    ]


def _api(plan, year):
    p = {"plan": plan.pk}
    return [
        ("plans/", {"year": year}),
        ("departments/", p),
        ("department-plans/", p),
        ("goals/", p),
        ("objectives/", p),
        ("common-goals/", p),
        ("indicators/", p),
        ("periods/", {**p, "year": year}),
        ("reports/", p),
        ("attainment/", {**p, "year": year}),
    ]


@pytest.mark.parametrize("which", ["new", "old"])
def test_every_main_page_works_for_both_plans(
    seeded_plan, new_plan, in_2026, client, planner, staff, home_department, which
):
    plan, year = (new_plan, 115) if which == "new" else (seeded_plan, 113)
    indicator = Indicator.objects.filter(
        department_plan__plan=plan, department_plan__department=home_department
    ).first()
    client.force_login(planner)
    for url, params in _pages(plan, home_department, indicator, year):
        response = client.get(url, params)
        assert response.status_code == 200, (url, params, response.status_code)
        if url.startswith(("/reports/", "/dashboard")) and "format" not in params:
            assert response.context["plan"] == plan, url
    for path, params in _api(plan, year):
        response = client.get(API + path, params)
        assert response.status_code == 200, (path, params, response.content[:300])
    client.force_login(staff)
    assert client.get(reverse("kpi:my_updates")).status_code == 200


def test_a_plan_without_targets_says_so_in_zh_hant(seeded_plan, new_plan, in_2026, client, planner, home_department):
    client.force_login(planner)
    overview = client.get(reverse("reports:overview"))
    assert overview.context["plan"] == new_plan
    data = overview.context["data"]
    assert data.city.score is None  # nothing to score: no targets, no reports
    body = overview.content.decode()
    assert "115" in body and "不予評估" in body
    department = client.get(reverse("reports:department", args=[home_department.pk])).content.decode()
    assert "不予評估" in department
    planning = client.get(reverse("kpi:planning", args=[new_plan.pk, home_department.pk, 115])).content.decode()
    assert "本年度未訂目標值" in planning or "No target this year" in planning
    # The API has every new indicator, each with no target yet.
    listed = client.get(API + "indicators/", {"plan": new_plan.pk}).json()
    assert len(listed) == Indicator.objects.filter(department_plan__plan=new_plan).count()
    assert all(not row["targets"] for row in listed)
    attainment = client.get(API + "attainment/", {"plan": new_plan.pk, "year": 115}).json()
    assert attainment["plan"] == new_plan.pk


def test_the_api_narrows_indicators_to_a_plan_and_refuses_a_bad_one(seeded_plan, new_plan, client):
    every = client.get(API + "indicators/").json()
    old = client.get(API + "indicators/", {"plan": seeded_plan.pk}).json()
    new = client.get(API + "indicators/", {"plan": new_plan.pk}).json()
    assert len(old) + len(new) == len(every) and len(old) == len(new)
    bad = client.get(API + "indicators/", {"plan": "abc"})
    assert bad.status_code == 400 and "plan" in bad.json()


def test_the_public_pages_and_open_data_serve_each_plans_published_years(
    seeded_plan, new_plan, in_2026, client, admin_user, home_department
):
    assert client.get(reverse("reports:public_home")).status_code == 200  # nothing published yet
    PublishedYear.objects.create(plan=seeded_plan, year=114, published_by=admin_user)
    PublishedYear.objects.create(plan=new_plan, year=115, published_by=admin_user)
    for year in (114, 115):
        for url in (
            reverse("reports:public_year", args=[year]),
            reverse("reports:public_department", args=[year, home_department.pk]),
            reverse("reports:open_data_json", args=[year]),
            reverse("reports:open_data_csv", args=[year]),
        ):
            assert client.get(url).status_code == 200, url
    home = client.get(reverse("reports:public_home"))
    assert home.status_code == 200 and home.context["plan"] == new_plan
    assert client.get(reverse("reports:open_data")).status_code == 200


# --- Queries: the plan switcher costs nothing -------------------------------------------------------


def _count(client, url, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


def test_the_dashboards_queries_do_not_grow_with_a_second_plan(
    seeded_plan, client, planner, home_department, settings, django_assert_max_num_queries
):
    """Choosing among plans is the one query that found the plan before; a year in progress of
    115–118 reads what a year in progress of 111–114 read."""
    client.force_login(planner)
    overview, department = reverse("reports:overview"), reverse("reports:department", args=[home_department.pk])
    settings.KPI_TODAY = IN_2025  # 114 in progress, one plan
    client.get(overview)
    in_progress = {url: _count(client, url, {}) for url in (overview, department)}
    settings.KPI_TODAY = IN_2026  # 114 over, one plan
    ended = {url: _count(client, url, {"year": 113}) for url in (overview, department)}
    new = plan_rollover(source=seeded_plan, start_year=115, end_year=118).plan
    for url in (overview, department):
        with django_assert_max_num_queries(in_progress[url]):
            assert client.get(url).context["plan"] == new  # 115 in progress
        with django_assert_max_num_queries(ended[url]):
            assert client.get(url, {"plan": seeded_plan.pk, "year": 113}).context["plan"] == seeded_plan
    with django_assert_max_num_queries(OVERVIEW_MAX_QUERIES):
        client.get(overview, {"plan": seeded_plan.pk, "year": 113})
    with django_assert_max_num_queries(DEPARTMENT_MAX_QUERIES):
        client.get(department, {"plan": seeded_plan.pk, "year": 113})


def test_the_kpis_of_the_new_plan_are_kpis_of_its_own(seeded_plan, new_plan):
    old = DepartmentPlan.objects.get(plan=seeded_plan, department__name="都市發展處")
    new = DepartmentPlan.objects.get(plan=new_plan, department__name="都市發展處")
    assert (
        Indicator.objects.filter(department_plan=new, kind=IndicatorKind.KPI).count()
        == Indicator.objects.filter(department_plan=old, kind=IndicatorKind.KPI).count()
    )
