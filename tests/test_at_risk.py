"""The at-risk list (reports:at_risk): KPIs whose status is yellow or red, and overdue reports.

Today is 2023-08-10 (民國112年): 112Q1 (due 15 April) and 112Q2 (due 15 July) are due;
112Q3 (due 15 October) is not due yet. A KPI is judged on THE status (kpi.assessments.
status_of): its latest approved figure against the planned value of that figure's period
(no planned values set here, so the defaults by accrual). Reports go through the services:
staff report, the supervisor approves. Worked by hand:

    1-5  5 場 cumulative, Q2 approved 1      → expected 2.5, 1 < 2.5 × 80% = 2: behind, short 1.5 場, 40.0% red
    2-1  5 場 cumulative, Q2 approved 3      → 3 ≥ 2: on pace, not listed
    2-3  80% level,       Q2 approved 60     → expected the full 80, 60 < 64: behind, short 20%, 75.0% red
    5-3  10 → 40% ladder, Q2 approved 18     → expected 10 + 30 × ½ = 25, 18 < 20: behind, short 7%
    4-1  5 場 cumulative, Q1 approved 0, Q2 submitted 3
                                            → approved 0 of Q1's planned 1 (1.25, whole): red, but the figure
                                              awaiting review (3 of Q2's planned 3) is in step with the plan
    共2-1 lower is better 0%, Q2 approved 5% (20 → 21 staff) → behind (above the target)
    1-1  nothing filed                       → 未填報 (behind), and overdue for 112Q2
    3-1  only a draft for Q2                 → 未填報, and overdue (status: draft)
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpi import services
from kpi.models import ReportStatus
from tests.factories import UserFactory, kpi_by_code, objectives_with_kpis, reports_for_indicators

YEAR = 112


@pytest.fixture(autouse=True)
def today(settings):
    settings.KPI_TODAY = datetime.date(2023, 8, 10)


def file(code, period, user, actual=None, *, approve_by=None, submit=True, inputs=None, reason="委託案延後。"):
    report = services.report_save(
        indicator=kpi_by_code(code),
        period=period,
        user=user,
        actual=None if actual is None else str(actual),
        inputs=inputs,
        narrative="依計畫辦理。",
        shortfall_reason=reason,
        improvement_plan="加強進度管控。" if reason else "",
        submit=submit,
    )
    if approve_by is not None:
        report = services.report_approve(report=report, user=approve_by, expected_version=report.version)
    return report


@pytest.fixture
def reported(periods, staff, supervisor):
    q1, q2 = periods[(YEAR, 1)], periods[(YEAR, 2)]
    file("1-5", q2, staff, 1, approve_by=supervisor)
    file("2-1", q2, staff, 3, approve_by=supervisor, reason="")
    file("2-3", q2, staff, 60, approve_by=supervisor, reason="部分進駐團隊合約到期退租。")
    file("5-3", q2, staff, 18, approve_by=supervisor)
    file("4-1", q1, staff, 0, approve_by=supervisor)
    file("4-1", q2, staff, 3, reason="")  # awaiting review
    file("共2-1", q2, staff, inputs={"last_year_staff": "20", "this_year_staff": "21"}, approve_by=supervisor)
    file("3-1", q2, staff, "0.2", submit=False, reason="")  # a draft


def url(**params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("reports:at_risk") + (f"?{query}" if query else "")


def by_code(rows):
    return {r.indicator.code: r for r in rows}


def test_behind_pace_with_hand_worked_figures(client, supervisor, reported):
    client.force_login(supervisor)
    response = client.get(url(year=YEAR))
    assert response.status_code == 200
    data = response.context["page"].data
    assert data.due_period.number == 2 and data.fraction == Decimal("0.5")
    behind = by_code(data.behind)

    one_five = behind["1-5"]
    assert one_five.pace.expected == Decimal("3.0000")  # half of 5 sessions: 2.5, whole sessions half up
    assert one_five.pace.shortfall == Decimal("2.0000")
    assert one_five.pace.assessment.raw == Decimal("33.3333")
    assert one_five.pace.assessment.light == "red"

    assert "2-1" not in behind  # 3 of an expected 3 (2.5, whole): on pace

    level = behind["2-3"]
    assert level.pace.expected == Decimal("80")  # a level is judged against its full target
    assert level.pace.shortfall == Decimal("20")

    ladder = behind["5-3"]
    assert ladder.pace.expected == Decimal("25.0000")  # 10 + (40 − 10) × ½
    assert ladder.pace.shortfall == Decimal("7.0000")

    lower = behind["共2-1"]
    assert lower.pace.actual == Decimal("5")
    assert lower.pace.behind

    html = response.content.decode()
    assert "部分進駐團隊合約到期退租。" in html  # 未達成原因
    assert "加強進度管控。" in html  # 改善措施
    assert f'href="{reverse("kpi:detail", args=[kpi_by_code("1-5").pk])}?year={YEAR}"' in html


def test_a_newer_report_awaiting_review_is_shown_apart(client, supervisor, reported):
    client.force_login(supervisor)
    data = client.get(url(year=YEAR)).context["page"].data
    assert "4-1" not in by_code(data.behind)
    row = by_code(data.catching_up)["4-1"]
    assert row.approved.actual == Decimal("0") and row.pace.behind and row.pace.label == "112Q1 進度"
    assert row.pending.status == ReportStatus.SUBMITTED and row.pending.actual == Decimal("3")
    assert not row.pending_pace.behind


def test_nothing_filed_is_not_reported(client, supervisor, reported):
    client.force_login(supervisor)
    response = client.get(url(year=YEAR))
    behind = by_code(response.context["page"].data.behind)
    assert behind["1-1"].not_reported
    assert behind["1-1"].pace is None  # no approved figure: no status to show
    assert behind["3-1"].not_reported
    assert behind["3-1"].unfinished.status == ReportStatus.DRAFT
    assert "1-5" in behind and not behind["1-5"].not_reported


def test_overdue_reports_grouped_by_department(client, supervisor, home_department, reported):
    client.force_login(supervisor)
    page = client.get(url(year=YEAR)).context["page"]
    assert [g.department_plan.department for g in page.overdue_groups] == [home_department]
    rows = by_code(page.overdue_groups[0].rows)
    assert rows["1-1"].period.number == 2
    assert rows["1-1"].days_overdue == 26  # 15 July → 10 August
    assert rows["1-1"].latest is None
    assert rows["3-1"].latest.status == ReportStatus.DRAFT
    for filed in ("1-5", "2-1", "2-3", "5-3", "4-1", "共2-1"):  # approved or submitted for Q2
        assert filed not in rows


def test_a_locked_period_is_not_overdue(client, supervisor, planner, periods, reported):
    # 4-1's Q2 report still awaits review: locking the period anyway takes a reason (period_lock).
    services.period_lock(period=periods[(YEAR, 2)], user=planner, force=True, reason="審查會議已結束。")
    client.force_login(supervisor)
    assert client.get(url(year=YEAR)).context["page"].data.overdue == []


def test_before_anything_is_due(client, supervisor, settings, reported):
    settings.KPI_TODAY = datetime.date(2023, 4, 10)  # 112Q1 is due on 15 April
    client.force_login(supervisor)
    data = client.get(url(year=YEAR)).context["page"].data
    assert data.due_period is None
    assert data.overdue == []
    # Reports filed early are still judged at their own period: 1-5's Q2 figure of 1 is behind 2.5.
    assert "1-5" in by_code(data.behind)
    assert "1-1" not in by_code(data.behind)  # nothing was due: not 未填報 yet


def test_a_finished_year_is_judged_on_the_full_target(client, supervisor, periods, staff, reported):
    file("2-1", periods[(111, 4)], staff, 3)  # 111: 3 of 5 → 60%, behind (red at year end)
    client.force_login(supervisor)
    data = client.get(url(year=111)).context["page"].data
    assert data.due_period.number == 4 and data.fraction == 1
    row = by_code(data.behind + data.catching_up)["2-1"]
    assert row.pending.actual == Decimal("3") and row.pending_pace.expected == Decimal("5")


# --- Who sees what ---------------------------------------------------------------------------


def test_other_staff_see_nothing_of_another_department(client, other_staff, reported):
    client.force_login(other_staff)
    response = client.get(url(year=YEAR))
    page = response.context["page"]
    assert [dp.department.name for dp in page.department_plans] == ["民政處"]
    assert page.data.behind == [] and page.data.overdue == []
    assert "都市發展處" not in response.content.decode()


def test_department_filter(client, planner, home_department, other_department, reported):
    client.force_login(planner)
    page = client.get(url(year=YEAR, department=other_department.pk)).context["page"]
    assert page.department_id == other_department.pk
    assert page.data.behind == []
    page = client.get(url(year=YEAR, department=home_department.pk)).context["page"]
    assert "1-5" in by_code(page.data.behind)
    # An unreadable department id shows every department.
    assert len(client.get(url(year=YEAR, department="x")).context["page"].department_plans) == 20


def test_department_filter_cannot_reach_beyond_the_users_scope(client, other_staff, home_department, reported):
    client.force_login(other_staff)
    page = client.get(url(year=YEAR, department=home_department.pk)).context["page"]
    assert page.data.behind == [] and page.data.overdue == []


def test_overview_counts_agree_with_the_list(client, supervisor, home_department, reported):
    client.force_login(supervisor)
    data = client.get(url(year=YEAR)).context["page"].data
    overview = client.get(reverse("reports:overview") + f"?year={YEAR}").context["data"]
    row = next(r for r in overview.rows if r.department == home_department)
    assert (row.behind, row.catching_up, row.overdue) == (len(data.behind), len(data.catching_up), len(data.overdue))


# --- Queries ---------------------------------------------------------------------------------

# The plan, memberships, departments, plan_years_attainment's three, the year's periods and
# its other reports; plus the session, the user, the navigation's counts and the transaction.
AT_RISK_MAX_QUERIES = 18


def test_query_count_does_not_grow(
    client, planner, seeded_plan, home_department, other_department, periods, reported, django_assert_max_num_queries
):
    client.force_login(planner)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url(year=YEAR))
    before = len(ctx.captured_queries)
    reporter = UserFactory(reporter_of=[home_department, other_department])
    reviewer = UserFactory(reviewer_of=[home_department, other_department])
    made = objectives_with_kpis(home_department.department_plans.get(), objectives=3, kpis=5)
    made += objectives_with_kpis(other_department.department_plans.get(), objectives=3, kpis=5)
    reports_for_indicators(
        made[:10], periods[(YEAR, 1)], status=ReportStatus.APPROVED, reporter=reporter, reviewer=reviewer
    )
    reports_for_indicators(made[10:20], periods[(YEAR, 2)], status=ReportStatus.SUBMITTED, reporter=reporter)
    reports_for_indicators(made[20:], periods[(YEAR, 2)], status=ReportStatus.DRAFT, reporter=reporter)
    with django_assert_max_num_queries(before):
        response = client.get(url(year=YEAR))
    assert len(response.context["page"].data.behind) >= 30  # the 30 new KPIs and the seeded ones
    with django_assert_max_num_queries(AT_RISK_MAX_QUERIES):
        client.get(url(year=YEAR))
