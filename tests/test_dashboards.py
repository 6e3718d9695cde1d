"""The dashboards (city overview, department page) and the KPI page's charts.

Reports are entered through the services (staff reports, the supervisor approves), with
figures worked out by hand for 民國112年:

    1-5  target 5 場,  actual 6   → 120.0% raw, capped 100, 達成 (green)
    1-2  target 100%, actual 85   →  85.0%, 部分達成 (yellow)
    2-3  target 80%,  actual 60   →  75.0%, 未達成 (red)
    5-3  target 40%,  actual 36   →  90.0%, 部分達成 (yellow)

    objective 1 (市港再生): (100 + 85) / 2            = 92.5  yellow; 1 green, 1 yellow, 3 white
    objective 2 (創意城市): 75                         = 75.0  red
    objective 5 (韌性城市): 90                         = 90.0  yellow
    goal 1 (繽紛·魅力, objectives 1 and 2): (100 + 85 + 75) / 3 = 86.6667 → 86.7% yellow
    department: (100 + 85 + 75 + 90) / 4             = 87.5  yellow; 1 green, 2 yellow, 1 red, 16 white
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpi import services
from kpi.assessments import plan_year_attainment, plan_years_attainment
from kpi.attainment import Light
from kpi.models import Indicator, ReportStatus
from tests.factories import UserFactory, kpi_by_code, objectives_with_kpis, reports_for_indicators

YEAR = 112


@pytest.fixture(autouse=True)
def today(settings):
    settings.KPI_TODAY = datetime.date(2024, 1, 20)  # ROC 113: 112 is over


def file(code, period, staff, actual=None, *, approve_by=None, inputs=None):
    """Staff file (and submit) a report through the services, on its due date (a report may be
    submitted once its period opens); the supervisor approves it."""
    with override_settings(KPI_TODAY=period.due_date):
        return _file(code, period, staff, actual, approve_by=approve_by, inputs=inputs)


def _file(code, period, staff, actual, *, approve_by, inputs):
    report = services.report_save(
        indicator=kpi_by_code(code),
        period=period,
        user=staff,
        actual=None if actual is None else str(actual),
        inputs=inputs,
        narrative="依計畫辦理。",
        shortfall_reason="委託案延後。",
        improvement_plan="加強進度管控。",
        submit=True,
    )
    if approve_by is not None:
        report = services.report_approve(report=report, user=approve_by, expected_version=report.version)
    return report


@pytest.fixture
def reported(periods, staff, supervisor):
    q4 = periods[(YEAR, 4)]
    for code, actual in (("1-5", 6), ("1-2", 85), ("2-3", 60), ("5-3", 36)):
        file(code, q4, staff, actual, approve_by=supervisor)


def overview_url(**params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("reports:overview") + (f"?{query}" if query else "")


def department_url(department, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("reports:department", args=[department.pk]) + (f"?{query}" if query else "")


def kpi_url(code, year=YEAR):
    return reverse("kpi:detail", args=[kpi_by_code(code).pk]) + f"?year={year}"


def row_for(data, department):
    return next(r for r in data.rows if r.department.pk == department.pk)


def kpi_rows(page):
    return {r.indicator.code: r for g in page.goals for o in g.objectives for r in o.rows} | {
        r.indicator.code: r for r in page.common_rows
    }


# --- The same figures everywhere ------------------------------------------------------------


# As common.formatting.percent writes them on every page: one place, half up, a whole
# percentage without ".0" (120%, as the public pages always wrote it).
HAND_WORKED = {
    "1-5": (Decimal("120.0000"), Light.GREEN, "120%"),
    "1-2": (Decimal("85.0000"), Light.YELLOW, "85%"),
    "2-3": (Decimal("75.0000"), Light.RED, "75%"),
    "5-3": (Decimal("90.0000"), Light.YELLOW, "90%"),
}


def test_overview_department_page_and_kpi_page_agree(client, planner, home_department, reported):
    client.force_login(planner)

    overview = client.get(overview_url(year=YEAR))
    assert overview.status_code == 200
    row = row_for(overview.context["data"], home_department)
    assert row.rollup.score == Decimal("87.5000")
    assert row.rollup.light == Light.YELLOW
    assert [(c.light, c.count) for c in row.counts] == [
        (Light.GREEN, 1),
        (Light.YELLOW, 2),
        (Light.RED, 1),
        (Light.WHITE, 16),
    ]
    html = overview.content.decode()
    assert "87.5%" in html
    # The city is the pooled roll-up of every KPI: only 都市發展處 has KPIs.
    assert overview.context["data"].city.score == Decimal("87.5000")

    page_response = client.get(department_url(home_department, year=YEAR))
    assert page_response.status_code == 200
    page = page_response.context["page"]
    rows = kpi_rows(page)
    dept_html = page_response.content.decode()
    for code, (raw, light, text) in HAND_WORKED.items():
        assert rows[code].assessment.raw == raw
        assert rows[code].assessment.light == light
        assert text in dept_html
        kpi = client.get(kpi_url(code))
        selected = kpi.context["page"].selected
        assert (selected.assessment.raw, selected.assessment.light) == (raw, light), code
        assert text in kpi.content.decode()
    assert rows["1-5"].assessment.capped == Decimal("100.0000")

    objectives = {o.objective.number: o for g in page.goals for o in g.objectives}
    assert objectives[1].group.rollup.score == Decimal("92.5000")
    assert objectives[1].group.rollup.light == Light.YELLOW
    assert objectives[1].group.rollup.counts == {Light.GREEN: 1, Light.YELLOW: 1, Light.RED: 0, Light.WHITE: 3}
    assert objectives[2].group.rollup.score == Decimal("75.0000")
    assert objectives[2].group.rollup.light == Light.RED
    assert objectives[5].group.rollup.score == Decimal("90.0000")
    goal_1 = next(g for g in page.goals if g.goal and g.goal.number == 1)
    assert goal_1.group.rollup.score == Decimal("86.6667")
    assert "86.7%" in dept_html
    assert page.total.rollup.score == Decimal("87.5000")
    dimensions = {d.key: d.group.rollup.score for d in page.dimensions}
    assert dimensions["business_results"] == Decimal("86.6667")  # 1-2, 1-5, 2-3
    assert dimensions["administrative_efficiency"] == Decimal("90.0000")  # 5-3


def test_the_roll_up_is_a_weighted_mean(client, planner, home_department, reported):
    Indicator.objects.filter(pk=kpi_by_code("1-2").pk).update(weight=Decimal(3))
    client.force_login(planner)
    page = client.get(department_url(home_department, year=YEAR)).context["page"]
    objective_1 = next(o for g in page.goals for o in g.objectives if o.objective.number == 1)
    assert objective_1.group.rollup.score == Decimal("88.7500")  # (100×1 + 85×3) / 4
    assert page.total.rollup.score == Decimal("86.6667")  # (100 + 85×3 + 75 + 90) / 6 = 520 / 6


def test_the_multi_year_service_agrees_with_the_one_year_service(seeded_plan, periods, staff, supervisor, reported):
    file("1-5", periods[(111, 4)], staff, 4, approve_by=supervisor)
    file("1-5", periods[(113, 2)], staff, 3, approve_by=supervisor)
    years = plan_years_attainment(plan=seeded_plan)
    assert list(years) == [111, 112, 113, 114]
    for year, result in years.items():
        alone = plan_year_attainment(plan=seeded_plan, year=year)
        assert {i: r.assessment for i, r in result.indicators.items()} == {
            i: r.assessment for i, r in alone.indicators.items()
        }
        assert result.city.rollup == alone.city.rollup
        assert {k: g.rollup for k, g in result.objectives.items()} == {k: g.rollup for k, g in alone.objectives.items()}
    one_five = kpi_by_code("1-5").pk
    assert years[111].indicators[one_five].assessment.raw == Decimal("80.0000")
    assert years[113].indicators[one_five].report.period.number == 2  # year to date


def test_trend_over_the_plan_years(client, planner, home_department, periods, staff, supervisor, reported):
    file("1-5", periods[(111, 4)], staff, 4, approve_by=supervisor)  # 80% → the department's only score in 111
    client.force_login(planner)
    response = client.get(overview_url(year=YEAR))
    row = row_for(response.context["data"], home_department)
    scores = [(year, rollup.score if rollup else None) for year, rollup in row.trend]
    assert scores == [(111, Decimal("80.0000")), (112, Decimal("87.5000")), (113, None), (114, None)]
    chart = response.context["data"].chart
    assert chart["labels"] == ["民國111年", "民國112年", "民國113年", "民國114年"]
    assert chart["datasets"][0]["data"] == [80.0, 87.5, None, None]
    html = response.content.decode()
    assert 'id="trend-data"' in html and 'data-chart="trend-data"' in html
    assert "民國111年 80%（部分達成）" in html  # the sparkline's text


def test_revised_targets_are_marked(client, planner, home_department, reported, admin_user):
    from kpi.services import target_set

    target_set(indicator=kpi_by_code("1-5"), year=YEAR, value=Decimal(4), reason="配合預算調整", user=admin_user)
    client.force_login(planner)
    response = client.get(department_url(home_department, year=YEAR))
    row = kpi_rows(response.context["page"])["1-5"]
    assert row.result.target.is_revised
    assert row.assessment.raw == Decimal("150.0000")  # 6 of the revised 4
    html = response.content.decode()
    assert 'class="revised"' in html


# --- Who sees what ----------------------------------------------------------------------------


def test_planner_sees_all_twenty_departments_unbuilt_ones_without_a_score(client, planner, reported):
    client.force_login(planner)
    data = client.get(overview_url(year=YEAR)).context["data"]
    assert len(data.rows) == 20
    built = [r for r in data.rows if r.has_kpis]
    assert [r.department.name for r in built] == ["都市發展處"]
    assert all(r.rollup is None for r in data.rows if not r.has_kpis)
    assert data.sees_all


def test_other_staff_sees_only_their_department(client, other_staff, home_department, other_department, reported):
    client.force_login(other_staff)
    response = client.get(overview_url(year=YEAR))
    assert [r.department for r in response.context["data"].rows] == [other_department]
    assert "都市發展處" not in response.content.decode()
    assert client.get(department_url(home_department, year=YEAR)).status_code == 404
    response = client.get(department_url(other_department, year=YEAR))
    assert response.status_code == 200
    assert response.context["page"].kpi_count == 0  # 尚未建檔: no score, no table
    assert "dept-tree" not in response.content.decode()


def test_staff_see_their_own_department(client, staff, home_department, reported):
    client.force_login(staff)
    data = client.get(overview_url(year=YEAR)).context["data"]
    assert [r.department for r in data.rows] == [home_department]
    assert not data.sees_all
    assert client.get(department_url(home_department)).status_code == 200


@pytest.mark.parametrize("name", ["reports:overview", "reports:at_risk"])
def test_anonymous_is_sent_to_sign_in(client, seeded_plan, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_anonymous_department_page_is_sent_to_sign_in(client, home_department):
    response = client.get(department_url(home_department))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_unknown_department_is_404(client, planner):
    client.force_login(planner)
    assert client.get(reverse("reports:department", args=[999999])).status_code == 404


def test_nav_links_for_people_with_a_department(client, cast):
    for who in ("staff", "supervisor", "planner", "admin"):
        client.force_login(cast[who])
        html = client.get(reverse("kpi:home")).content.decode()
        assert reverse("reports:overview") in html, who
        assert reverse("reports:at_risk") in html, who


# --- Filters and years -----------------------------------------------------------------------


def test_default_year_is_the_plan_year_containing_today(client, planner, settings, reported):
    client.force_login(planner)
    assert client.get(overview_url()).context["filters"].year == 113
    settings.KPI_TODAY = datetime.date(2030, 5, 1)  # after the plan: its last year
    assert client.get(overview_url()).context["filters"].year == 114
    assert client.get(overview_url(year="abc")).context["filters"].year == 114
    assert client.get(overview_url(year=99)).context["filters"].year == 114


def test_overview_dimension_filter(client, planner, home_department, other_department, reported):
    client.force_login(planner)
    data = client.get(overview_url(year=YEAR, dimension="administrative_efficiency")).context["data"]
    assert row_for(data, home_department).rollup.score == Decimal("90.0000")  # 5-3 only
    assert data.city.score == Decimal("90.0000")
    data = client.get(overview_url(year=YEAR, dimension="service_effectiveness")).context["data"]
    rollup = row_for(data, home_department).rollup  # 6-1…6-3 have no approved actual: all white
    assert (rollup.score, rollup.light, rollup.counts[Light.WHITE]) == (None, Light.WHITE, 3)
    assert data.city.score is None
    # A department with KPIs, but none in the dimension: no roll-up at all ("No KPIs in this dimension").
    objectives_with_kpis(other_department.department_plans.get(), objectives=1, kpis=2)  # business results
    data = client.get(overview_url(year=YEAR, dimension="service_effectiveness")).context["data"]
    other = row_for(data, other_department)
    assert other.has_kpis and other.rollup is None


def test_overview_light_filter(client, planner, home_department, reported):
    client.force_login(planner)
    data = client.get(overview_url(year=YEAR, light="yellow")).context["data"]
    assert [r.department for r in data.rows] == [home_department]
    assert data.hidden == 19
    data = client.get(overview_url(year=YEAR, light="red")).context["data"]
    assert data.rows == [] and data.hidden == 20
    # An unknown light is ignored.
    assert len(client.get(overview_url(year=YEAR, light="purple")).context["data"].rows) == 20


def test_department_filters_choose_rows_but_keep_the_roll_ups(client, planner, home_department, reported):
    client.force_login(planner)
    page = client.get(department_url(home_department, year=YEAR, light="red")).context["page"]
    shown = [r.indicator.code for g in page.goals for o in g.shown_objectives for r in o.shown_rows]
    assert shown == ["2-3"]
    assert page.total.rollup.score == Decimal("87.5000")  # still the whole department
    assert (page.shown_count, page.kpi_count) == (1, 20)

    page = client.get(department_url(home_department, year=YEAR, dimension="administrative_efficiency")).context["page"]
    shown = [r.indicator.code for g in page.goals for o in g.shown_objectives for r in o.shown_rows]
    assert shown == ["4-1", "4-2", "4-3", "5-1", "5-2", "5-3"]
    assert page.total.rollup.score == Decimal("87.5000")


def test_department_links_each_kpi_to_its_page_for_the_year(client, planner, home_department, reported):
    client.force_login(planner)
    html = client.get(department_url(home_department, year=YEAR)).content.decode()
    assert f'href="{kpi_url("1-5")}"' in html


def test_common_indicators_are_beside_not_inside(
    client, planner, home_department, periods, staff, supervisor, reported
):
    # 共2-1 contract-staff growth 5% against 0%: lower is better → 0%, red; not in the department score.
    file(
        "共2-1",
        periods[(YEAR, 4)],
        staff,
        inputs={"last_year_staff": "20", "this_year_staff": "21"},
        approve_by=supervisor,
    )
    client.force_login(planner)
    page = client.get(department_url(home_department, year=YEAR)).context["page"]
    assert page.total.rollup.score == Decimal("87.5000")
    assert page.common.rollup.counts[Light.RED] == 1
    assert kpi_rows(page)["共2-1"].assessment.light == Light.RED
    data = client.get(overview_url(year=YEAR)).context["data"]
    assert row_for(data, home_department).common.counts[Light.RED] == 1


def test_year_in_progress_shows_pace(client, planner, home_department, periods, staff, supervisor, settings):
    settings.KPI_TODAY = datetime.date(2023, 8, 10)  # 112Q2 is due (15 July), 112Q3 not yet
    file("1-5", periods[(YEAR, 2)], staff, 3, approve_by=supervisor)  # expected 3 (2.5, whole sessions) by Q2: on pace
    client.force_login(planner)
    response = client.get(department_url(home_department, year=YEAR))
    page = response.context["page"]
    assert page.in_progress
    row = kpi_rows(page)["1-5"]
    # The light is THE status: 3 against Q2's planned 3 (2.5, whole sessions), labelled with its period.
    assert row.assessment.raw == Decimal("100.0000") and row.assessment.light == Light.GREEN
    assert row.result.status.label == "112Q2 進度"
    assert row.result.year_assessment.raw == Decimal("60.0000")  # 3 of the year's 5, shown beside as a figure
    assert row.pace.expected == Decimal("3.0000")
    assert not row.pace.behind
    assert row.pace.assessment == row.assessment
    assert kpi_rows(page)["1-1"].pace is None  # nothing approved yet: the at-risk list shows it as not reported
    html = response.content.decode()
    assert "112Q2 進度" in html
    assert 'data-figure="year-ratio"' in html
    assert f'全年 <span data-figure="year-ratio" data-indicator="{row.indicator.pk}" data-year="112">60%</span>' in html
    assert "year-note" not in html  # no banner explaining a mismatch: there is none


# --- No inline script; charts have text alternatives --------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>")


@pytest.mark.parametrize("which", ["overview", "department", "kpi"])
def test_pages_have_no_inline_script_and_charts_have_alternatives(client, planner, home_department, reported, which):
    client.force_login(planner)
    url = {
        "overview": overview_url(year=YEAR),
        "department": department_url(home_department, year=YEAR),
        "kpi": kpi_url("1-5"),
    }[which]
    html = client.get(url).content.decode()
    assert not INLINE_SCRIPT.search(html)
    assert not re.search(r"<[^>]+\son[a-z]+=", html)  # no inline event handlers
    for canvas in re.findall(r"<canvas[^>]*>", html):
        assert 'role="img"' in canvas and "aria-label=" in canvas
    if which != "department":
        assert "vendor/chart.js/chart.umd.js" in html and "js/charts.js" in html
        assert '<details class="chart-table" open>' in html
    for svg in re.findall(r"<svg[^>]*>", html):
        assert 'role="img"' in svg and "aria-label=" in svg


def test_kpi_page_chart_figures(client, planner, periods, staff, supervisor, reported):
    file("1-5", periods[(113, 1)], staff, 2, approve_by=supervisor)
    file("1-5", periods[(113, 2)], staff, 3)  # awaiting review
    client.force_login(planner)
    charts = client.get(kpi_url("1-5", 113)).context["charts"]
    years = {d["style"]: d["data"] for d in charts["years"]["datasets"]}
    assert years["target"] == [5.0, 5.0, 5.0, 5.0]
    assert years["actual"] == [None, 6.0, 2.0, None]  # 113: as of Q1, the latest approved
    periods_chart = {d["style"]: d["data"] for d in charts["periods"]["datasets"]}
    # 1.25, 2.5, 3.75 sessions expected: a count is shown whole, on the chart as in its table.
    assert periods_chart["pace"] == [1.0, 3.0, 4.0, 5.0]
    assert periods_chart["actual"] == [2.0, None, None, None]
    assert periods_chart["pending"] == [None, 3.0, None, None]
    assert periods_chart["target-line"] == [5.0] * 4


# --- Queries: a fixed number, whatever the size ---------------------------------------------------

# The pages' own queries: the plan, the user's memberships, the departments they may view,
# then plan_years_attainment's three (indicators, targets, approved reports), plus, for a
# year in progress, the year's periods and its other reports (overview), or the goals, the
# objectives and the periods (department page). Around them: the session, the user, the
# navigation's counts and the request's transaction. Growth with the data is caught above.
OVERVIEW_MAX_QUERIES = 18
DEPARTMENT_MAX_QUERIES = 18


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _grow(home_department, other_department, seeded_plan, periods):
    """30 more KPIs with approved reports in every year, in two departments."""
    reporter = UserFactory(reporter_of=[home_department, other_department])
    reviewer = UserFactory(reviewer_of=[home_department, other_department])
    made = objectives_with_kpis(home_department.department_plans.get(plan=seeded_plan), objectives=3, kpis=5)
    made += objectives_with_kpis(other_department.department_plans.get(plan=seeded_plan), objectives=3, kpis=5)
    for year in seeded_plan.years:
        reports_for_indicators(
            made, periods[(year, 4)], status=ReportStatus.APPROVED, reporter=reporter, reviewer=reviewer
        )
    return made


@pytest.mark.parametrize("user", ["planner", "supervisor"])
def test_dashboard_query_counts_do_not_grow(
    client, cast, seeded_plan, home_department, other_department, periods, reported, django_assert_max_num_queries, user
):
    client.force_login(cast[user])
    urls = [overview_url(year=YEAR), department_url(home_department, year=YEAR), overview_url(year=114)]
    before = [_count(client, url) for url in urls]
    _grow(home_department, other_department, seeded_plan, periods)
    for url, count in zip(urls, before, strict=True):
        with django_assert_max_num_queries(count):
            assert client.get(url).status_code == 200
    with django_assert_max_num_queries(OVERVIEW_MAX_QUERIES):
        client.get(urls[0])
    with django_assert_max_num_queries(DEPARTMENT_MAX_QUERIES):
        client.get(urls[1])
    data = client.get(urls[0]).context["data"]
    assert data.city.total == 20 + (30 if user == "planner" else 15)


def test_someone_without_a_department_sees_an_empty_dashboard(client, seeded_plan, reported):
    nobody = UserFactory()
    client.force_login(nobody)
    response = client.get(overview_url(year=YEAR))
    assert response.status_code == 200
    assert response.context["data"].rows == []
    html = response.content.decode()
    assert "都市發展處" not in html
    nav = html.split('class="main-nav"')[1].split("</nav>")[0]
    assert reverse("reports:overview") not in nav  # no nav link without a department
