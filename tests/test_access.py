"""Who sees and does what (kpi.access), for each member of the cast, and what it costs in queries."""

import pytest
from django.contrib.auth.models import AnonymousUser

from kpi import access, services
from kpi.models import Evidence, Indicator, ProgressReport, ReportingPeriod, ReportStatus
from plans.models import DepartmentPlan
from tests.factories import (
    CommonIndicatorFactory,
    IndicatorFactory,
    ProgressReportFactory,
    ReportingPeriodFactory,
    StrategicObjectiveFactory,
    UserFactory,
    department_plan_with_kpis,
    kpi_by_code,
    objectives_with_kpis,
    quarters,
    reports_for_indicators,
)

HOME_INDICATORS = 23  # 20 KPIs and 3 common indicators of 都市發展處


@pytest.fixture
def other_indicators(seeded_plan, other_department):
    """民政處's plan is not in the document; give it two KPIs so "everything" differs from "home"."""
    dp = DepartmentPlan.objects.get(plan=seeded_plan, department=other_department)
    return objectives_with_kpis(dp, objectives=1, kpis=2)


@pytest.fixture
def world(cast, other_indicators, seeded_plan, settings, tmp_path):
    """A report with evidence in each department."""
    settings.MEDIA_ROOT = tmp_path
    services.periods_ensure(plan=seeded_plan)
    q1 = ReportingPeriod.objects.get(plan=seeded_plan, year=111, number=1)
    home = services.report_save(indicator=kpi_by_code("1-5"), period=q1, user=cast["staff"], actual="1")
    away = services.report_save(indicator=other_indicators[0], period=q1, user=cast["other_staff"], actual="1")
    for report, user in ((home, cast["staff"]), (away, cast["other_staff"])):
        services.evidence_add(report=report, user=user, url="https://www.klcg.gov.tw/")
    return {"home": home, "away": away}


def departments(qs, path):
    return set(qs.values_list(path, flat=True).distinct())


# --- what each cast member sees ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "view", "report", "review"),
    [
        ("staff", "home", "home", "none"),
        ("other_staff", "away", "away", "none"),
        ("supervisor", "home", "none", "home"),
        ("planner", "all", "none", "all"),
        ("admin", "all", "none", "all"),
        ("anonymous", "none", "none", "none"),
    ],
)
def test_indicators_for(cast, other_indicators, who, view, report, review):
    user = cast[who]
    expected = {
        "home": HOME_INDICATORS,
        "away": len(other_indicators),
        "all": HOME_INDICATORS + len(other_indicators),
        "none": 0,
    }
    assert Indicator.objects.count() == HOME_INDICATORS + len(other_indicators)

    for action, scope in ((access.VIEW, view), (access.REPORT, report), (access.REVIEW, review)):
        assert access.indicators_for(user, action).count() == expected[scope], action


def test_staff_see_their_departments_23_indicators_and_no_others(staff, other_indicators):
    mine = access.indicators_for(staff)
    assert mine.count() == HOME_INDICATORS
    assert departments(mine, "department_plan__department__name") == {"都市發展處"}
    assert not mine.filter(pk__in=[i.pk for i in other_indicators]).exists()


def test_other_staff_see_none_of_the_home_departments(other_staff, home_department):
    assert not access.indicators_for(other_staff).filter(department_plan__department=home_department).exists()


@pytest.mark.parametrize(
    ("who", "view", "review"),
    [
        ("staff", {"home"}, set()),
        ("other_staff", {"away"}, set()),
        ("supervisor", {"home"}, {"home"}),
        ("planner", {"home", "away"}, {"home", "away"}),
        ("admin", {"home", "away"}, {"home", "away"}),
        ("anonymous", set(), set()),
    ],
)
def test_reports_and_evidence_for(cast, world, who, view, review):
    user = cast[who]
    names = {world[k].pk: k for k in ("home", "away")}

    assert {names[r.pk] for r in access.reports_for(user)} == view
    assert {names[r.pk] for r in access.reports_for(user, access.REVIEW)} == review
    assert {names[e.report_id] for e in access.evidence_for(user)} == view
    assert Evidence.objects.count() == 2


@pytest.mark.parametrize(
    ("who", "report", "review", "manage_periods"),
    [
        ("staff", True, False, False),
        ("other_staff", False, False, False),
        ("supervisor", False, True, False),
        ("planner", False, True, True),
        ("admin", False, True, True),
        ("anonymous", False, False, False),
    ],
)
def test_can_report_can_review_matrix(cast, world, who, report, review, manage_periods):
    user = cast[who]
    # The home report was written by staff, so staff may not review it even if they were a reviewer.
    assert access.can_report(user, world["home"].indicator) is report
    assert access.can_review(user, world["home"]) is review
    assert access.can_manage_periods(user) is manage_periods
    assert access.indicators_for(user).filter(pk=world["home"].indicator.pk).exists() is (
        who in ("staff", "supervisor", "planner", "admin")
    )


def test_anonymous_user_objects_are_refused(world):
    anonymous = AnonymousUser()
    assert not access.indicators_for(anonymous).exists()
    assert not access.reports_for(anonymous).exists()
    assert not access.evidence_for(anonymous).exists()
    assert not access.can_report(anonymous, world["home"].indicator)
    assert not access.can_review(anonymous, world["home"])
    assert not access.can_manage_periods(anonymous)


@pytest.mark.parametrize("who", ["staff", "other_staff", "supervisor", "planner", "admin"])
def test_inactive_users_see_nothing(cast, world, who):
    cast[who].is_active = False
    cast[who].save()
    user = type(cast[who]).objects.get(pk=cast[who].pk)  # as the next request loads it

    assert not access.indicators_for(user).exists()
    assert not access.reports_for(user).exists()
    assert not access.reports_for(user, access.REVIEW).exists()
    assert not access.evidence_for(user).exists()
    assert not access.can_report(user, world["home"].indicator)
    assert not access.can_review(user, world["home"])
    assert not access.can_manage_periods(user)
    assert not access.scope(user).is_planning_office


def test_members_of_two_departments_see_both(world, home_department, other_department, other_indicators):
    both = UserFactory(reporter_of=[home_department], reviewer_of=[other_department])

    assert access.indicators_for(both).count() == HOME_INDICATORS + len(other_indicators)
    assert access.indicators_for(both, access.REPORT).count() == HOME_INDICATORS
    assert access.indicators_for(both, access.REVIEW).count() == len(other_indicators)
    assert set(access.reports_for(both)) == {world["home"], world["away"]}
    assert access.department_ids_for(both) == {home_department.pk, other_department.pk}
    assert access.can_review(both, world["away"])
    assert not access.can_review(both, world["home"])  # a reporter there, not a reviewer


def test_department_ids_for(cast, home_department, other_department):
    assert access.department_ids_for(cast["staff"]) == {home_department.pk}
    assert access.department_ids_for(cast["staff"], access.REVIEW) == set()
    assert access.department_ids_for(cast["supervisor"], access.REVIEW) == {home_department.pk}
    assert access.department_ids_for(cast["planner"]) is None  # every department
    assert access.department_ids_for(cast["planner"], access.REPORT) == set()
    assert access.department_ids_for(cast["admin"], access.REVIEW) is None
    assert access.department_ids_for(None) == set()


def test_the_planning_office(cast):
    assert not access.scope(cast["supervisor"]).is_planning_office
    assert access.scope(cast["planner"]).is_planning_office
    assert not access.scope(cast["admin"]).is_planning_office
    assert not access.scope(None).is_planning_office


def test_is_author(cast, world):
    home = world["home"]
    assert access.is_author(cast["staff"], home)
    assert not access.is_author(cast["supervisor"], home)
    assert not access.is_author(cast["planner"], home)


def test_periods_are_readable_by_everyone_signed_in(cast, seeded_plan):
    services.periods_ensure(plan=seeded_plan)
    assert access.periods_for(cast["other_staff"]).count() == 16


# --- query counts ---------------------------------------------------------------------------


def test_the_scope_is_read_once_per_user_object(staff, django_assert_num_queries):
    indicator = kpi_by_code("1-5")  # with its department plan loaded

    with django_assert_num_queries(1):
        for _ in range(5):
            access.indicators_for(staff)
            access.reports_for(staff, access.REVIEW)
            access.evidence_for(staff)
            access.department_ids_for(staff)
            assert access.can_report(staff, indicator)


@pytest.mark.parametrize("who", ["staff", "supervisor", "planner", "admin"])
def test_listing_with_the_related_rows_costs_the_same_however_many(
    cast, seeded_plan, home_department, who, django_assert_num_queries
):
    user = cast[who]
    reporter = UserFactory(reporter_of=[home_department])
    reviewer = UserFactory(reviewer_of=[home_department])
    q1, q2 = quarters(seeded_plan, 111)[:2]
    home = list(Indicator.objects.filter(department_plan__department=home_department))
    reports_for_indicators(home[:2], q1, status=ReportStatus.SUBMITTED, reporter=reporter)

    def listing():
        access.scope(user)  # loaded once per request
        rows = [
            (r.indicator.code, r.indicator.department_plan.department.name, r.period.label, r.get_status_display())
            for r in access.reports_for(user)
        ]
        names = [(i.code, i.department_plan.department.name) for i in access.indicators_for(user)]
        return rows, names

    user._kpi_scope = None
    with django_assert_num_queries(3):
        small, _ = listing()
    reports_for_indicators(home[2:], q1, status=ReportStatus.APPROVED, reporter=reporter, reviewer=reviewer)
    reports_for_indicators(home, q2, status=ReportStatus.DRAFT, reporter=reporter)
    user._kpi_scope = None
    with django_assert_num_queries(3):
        large, _ = listing()
    assert (len(small), len(large)) == (2, 2 * HOME_INDICATORS)


# --- the factories other tests build bulk data with ------------------------------------------------


def test_factories_build_a_department_plan_with_kpis_and_targets(seeded_plan):
    dp = department_plan_with_kpis(objectives=3, kpis=4, plan=seeded_plan)

    indicators = Indicator.objects.filter(department_plan=dp)
    assert indicators.count() == 12
    assert {i.code for i in indicators} >= {"1-1", "3-4"}
    assert all(i.targets.count() == 4 for i in indicators)
    assert sorted(dp.plan.years) == [111, 112, 113, 114]


def test_factory_users_and_reports(seeded_plan):
    dp = department_plan_with_kpis(objectives=1, kpis=2)
    reporter = UserFactory(reporter_of=[dp.department])
    reviewer = UserFactory(reviewer_of=[dp.department])
    planner = UserFactory(planning_office=True)
    admin = UserFactory(admin=True)
    period = ReportingPeriodFactory(plan=dp.plan, year=112, number=2)
    assert ReportingPeriodFactory(plan=dp.plan, year=112, number=2) == period
    assert (str(period.start_date), str(period.end_date)) == ("2023-04-01", "2023-06-30")

    made = reports_for_indicators(
        dp.indicators.all(), period, status=ReportStatus.APPROVED, reporter=reporter, reviewer=reviewer
    )
    assert len(made) == 2
    assert access.indicators_for(reporter, access.REPORT).count() == 2
    assert access.reports_for(reviewer, access.REVIEW).count() == 2
    assert access.can_manage_periods(planner) and admin.is_superuser

    draft = ProgressReportFactory()
    assert draft.status == ReportStatus.DRAFT and access.can_report(draft.created_by, draft.indicator)
    waiting = ProgressReportFactory(submitted=True)
    assert waiting.submitted_by == waiting.created_by
    done = ProgressReportFactory(approved=True)
    assert done.reviewed_by != done.submitted_by
    assert access.can_review(done.reviewed_by, done)
    back = ProgressReportFactory(returned=True, indicator=IndicatorFactory(objective=StrategicObjectiveFactory()))
    assert back.review_comment
    common = CommonIndicatorFactory()
    assert common.code.startswith("共") and common.formula_spec is not None
    assert ProgressReport.objects.count() == 6


def test_department_viewers_is_can_view_department_in_sql(cast, home_department, other_department):
    """The same rule, once per person and once for many people in a query: they must agree."""
    from django.contrib.auth import get_user_model

    for department in (home_department, other_department):
        in_sql = set(get_user_model().objects.filter(access.department_viewers(department.pk)))
        for user in (u for u in cast.values() if u is not None):
            assert (user in in_sql) == access.can_view_department(user, department.pk), (user, department)
