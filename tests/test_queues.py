"""Work queues (kpi.queues): what each person has to report, fix and review, the pages that
show it (My updates, the review queue), the navigation counts, and their query counts.

"Today" is fixed at 民國114年4月10日 (2025-04-10): the first quarter of 114 is open (it
opened on 3月17日 and is due on 4月15日) and the fourth quarter of 113 (due 114年1月15日)
is overdue unless locked.
"""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpi import access, queues, services
from kpi.models import Indicator, ProgressReport, ReportStatus
from kpi.templatetags.kpi_tags import percent, roc_date, roc_datetime, roc_month_day
from plans.models import DepartmentPlan, Membership, Role
from tests.factories import UserFactory, kpi_by_code, objectives_with_kpis, reports_for_indicators

TODAY = datetime.date(2025, 4, 10)
INDICATORS = 23  # 20 KPIs and 3 common indicators of 都市發展處
NARRATIVE = "本季依進度辦理完成。"


@pytest.fixture(autouse=True)
def today(settings):
    settings.KPI_TODAY = TODAY
    return TODAY


def save(user, code, period, submit=False, **kwargs):
    kwargs.setdefault("narrative", NARRATIVE)
    kwargs.setdefault("actual", "20")  # every count KPI used here has a target of at most 15
    return services.report_save(indicator=kpi_by_code(code), period=period, user=user, submit=submit, **kwargs)


def keys(items):
    return [(i.indicator.code, i.period.short_label) for i in items]


def report_keys(reports):
    return [(r.indicator.code, r.period.short_label) for r in reports]


# --- The rule: when a period is due -------------------------------------------------------


def test_a_period_opens_fourteen_days_before_it_ends(periods):
    q1 = periods["114Q1"]
    assert queues.opens_on(q1) == datetime.date(2025, 3, 17)
    assert queues.period_state(q1, datetime.date(2025, 3, 16)) == queues.PeriodState.NOT_OPEN
    assert queues.period_state(q1, datetime.date(2025, 3, 17)) == queues.PeriodState.OPEN
    assert queues.period_state(q1, datetime.date(2025, 4, 15)) == queues.PeriodState.OPEN
    assert queues.period_state(q1, datetime.date(2025, 4, 16)) == queues.PeriodState.PAST_DUE
    services.period_lock(period=q1, user=UserFactory(admin=True))
    q1.refresh_from_db()
    assert queues.period_state(q1, datetime.date(2025, 4, 16)) == queues.PeriodState.LOCKED


def test_staff_with_nothing_filed_have_last_years_q4_overdue_and_this_q1_due(staff, periods):
    work = queues.work_for(staff)

    assert work.can_report and not work.can_review
    assert {i.period.short_label for i in work.overdue} == {"113Q4"}
    assert {i.period.short_label for i in work.due} == {"114Q1"}
    assert len(work.overdue) == len(work.due) == INDICATORS
    assert work.to_report_count == 2 * INDICATORS
    assert work.overdue[0].days_overdue == (TODAY - datetime.date(2025, 1, 15)).days
    assert work.due[0].days_left == 5
    assert [i.indicator.code for i in work.due[:3]] == ["1-1", "1-2", "1-3"]
    assert work.due[-1].indicator.code == "共3-1"


@pytest.mark.parametrize(
    ("day", "overdue", "due"),
    [
        ("2025-03-16", {"113Q4"}, set()),  # 114Q1 opens tomorrow
        ("2025-03-17", {"113Q4"}, {"114Q1"}),
        ("2025-04-15", {"113Q4"}, {"114Q1"}),  # due today
        ("2025-04-16", {"113Q4", "114Q1"}, set()),
        ("2025-06-16", {"113Q4"}, {"114Q2"}),  # Q2's year-to-date figure supersedes Q1's
        ("2025-12-20", {"113Q4"}, {"114Q4"}),
        ("2026-02-01", {"114Q4"}, set()),  # 113 is no longer looked at; 115 is beyond the plan
        ("2022-03-20", set(), {"111Q1"}),  # the plan's first quarter; 110 is before the plan
    ],
)
def test_which_periods_are_asked_for(staff, periods, settings, day, overdue, due):
    settings.KPI_TODAY = datetime.date.fromisoformat(day)
    work = queues.work_for(staff)
    assert {i.period.short_label for i in work.overdue} == overdue
    assert {i.period.short_label for i in work.due} == due


def test_a_locked_period_asks_for_nothing(staff, planner, periods):
    services.period_lock(period=periods["113Q4"], user=planner)
    work = queues.work_for(staff)
    assert work.overdue == []
    assert len(work.due) == INDICATORS


def test_if_the_latest_open_period_is_locked_the_year_asks_for_nothing(staff, planner, periods, settings):
    settings.KPI_TODAY = datetime.date(2025, 6, 20)
    services.period_lock(period=periods["114Q2"], user=planner)
    assert queues.work_for(staff).due == []


# --- Items in each state -----------------------------------------------------------------


@pytest.fixture
def reports(staff, supervisor, periods):
    """Reports of 都市發展處 in every state, written by staff and reviewed by the supervisor."""
    q4, q1 = periods["113Q4"], periods["114Q1"]
    made = {
        "draft": save(staff, "1-5", q1),
        "submitted": save(staff, "2-1", q1, submit=True),
        "approved": services.report_approve(report=save(staff, "4-1", q4, submit=True), user=supervisor),
        "returned": services.report_return(
            report=save(staff, "4-2", q4, submit=True), user=supervisor, comment="請補附會議紀錄。"
        ),
        "old_submitted": save(staff, "5-2", q4, submit=True),
    }
    return made


def test_staff_items_in_every_state(staff, reports):
    work = queues.work_for(staff)

    # A draft still needs submitting; submitted and approved reports are done.
    assert ("1-5", "114Q1") in keys(work.due)
    assert next(i for i in work.due if i.indicator.code == "1-5").report == reports["draft"]
    assert ("2-1", "114Q1") not in keys(work.due)
    assert ("4-1", "113Q4") not in keys(work.overdue)
    # A returned report is listed once, under 退回待修正, with the reviewer's comment.
    assert ("4-2", "113Q4") not in keys(work.overdue)
    assert report_keys(work.returned) == [("4-2", "113Q4")]
    assert work.returned[0].review_comment == "請補附會議紀錄。"
    assert sorted(report_keys(work.submitted)) == [("2-1", "114Q1"), ("5-2", "113Q4")]
    assert len(work.overdue) == INDICATORS - 3
    assert len(work.due) == INDICATORS - 1
    assert work.to_report_count == (INDICATORS - 3) + (INDICATORS - 1) + 1
    assert work.to_review == []


def test_reviewers_see_submitted_reports_they_may_review_oldest_first(cast, reports):
    for who in ("supervisor", "planner", "admin"):
        work = queues.work_for(cast[who])
        assert work.can_review
        assert report_keys(work.to_review) == [("2-1", "114Q1"), ("5-2", "113Q4")], who
        assert work.to_review_count == 2
        assert work.own_awaiting == []
        assert work.to_report_count == 0, "reviewers, the planning office and admins do not report"


def test_staff_of_another_department_have_nothing_to_do(other_staff, reports):
    work = queues.work_for(other_staff)
    assert work.can_report and not work.can_review
    assert work.is_empty
    assert work.submitted == []


def test_anonymous_has_no_work():
    from django.contrib.auth.models import AnonymousUser

    work = queues.work_for(AnonymousUser())
    assert work.is_empty and not work.can_report and not work.can_review


def test_a_returned_report_in_a_period_locked_anyway_stays_listed_as_locked(staff, planner, reports, periods):
    services.period_lock(period=periods["113Q4"], user=planner, force=True, reason="審查會議已結束")
    work = queues.work_for(staff)
    assert work.returned == []  # nothing to fix until it is unlocked: not counted as work
    assert [r.pk for r in work.returned_locked] == [reports["returned"].pk]
    assert work.to_report_count == len(work.overdue) + len(work.due)


def test_submitted_reports_in_a_period_locked_anyway_stay_on_the_queue_as_locked(supervisor, planner, reports, periods):
    services.period_lock(period=periods["113Q4"], user=planner, force=True, reason="審查會議已結束")
    work = queues.work_for(supervisor)
    assert report_keys(work.to_review) == [("2-1", "114Q1")]
    assert report_keys(work.locked_review) == [("5-2", "113Q4")]
    assert work.to_review_count == 1


@pytest.fixture
def colleague(home_department):
    """Reports on and reviews 都市發展處."""
    user = UserFactory(username="colleague", first_name="張同仁")
    Membership.objects.create(user=user, department=home_department, role=Role.REPORTER)
    Membership.objects.create(user=user, department=home_department, role=Role.REVIEWER)
    return user


def test_reports_you_wrote_are_kept_apart_from_those_you_may_review(staff, colleague, periods):
    q1 = periods["114Q1"]
    save(colleague, "1-5", q1, submit=True)  # created and submitted by the colleague
    edited = save(staff, "2-1", q1)
    edited = save(colleague, "2-1", q1, actual="19", expected_version=edited.version)  # the colleague edits…
    services.report_submit(report=edited, user=staff, expected_version=edited.version)  # …staff submit
    save(staff, "4-1", q1, submit=True)  # not touched by the colleague

    work = queues.work_for(colleague)

    assert report_keys(work.to_review) == [("4-1", "114Q1")]
    assert sorted(report_keys(work.own_awaiting)) == [("1-5", "114Q1"), ("2-1", "114Q1")]
    # Only the record says the colleague edited 2-1: created_by, updated_by and submitted_by are staff.
    report = ProgressReport.objects.get(indicator=kpi_by_code("2-1"), period=q1)
    assert {report.created_by, report.updated_by, report.submitted_by} == {staff}


def test_whoever_added_evidence_is_an_author_on_every_surface(client, cast, colleague, periods):
    """One rule (access.authored_by): evidence edits count, in the queue, on the KPI page and
    in the review service alike, so nobody is offered a review the service then refuses."""
    q1 = periods["114Q1"]
    report = save(cast["staff"], "1-5", q1)
    services.evidence_add(report=report, user=colleague, url="https://example.gov.tw/minutes", description="紀錄")
    report.refresh_from_db()
    report = services.report_submit(report=report, user=cast["staff"], expected_version=report.version)

    work = queues.work_for(colleague, today=q1.end_date)
    assert report.pk in {r.pk for r in work.own_awaiting}
    assert report.pk not in {r.pk for r in work.to_review}
    assert queues.work_for(colleague, today=q1.end_date, counts_only=True).to_review_count == 0
    assert access.is_author(colleague, report)
    assert not access.can_review(colleague, report)

    client.force_login(colleague)
    page = client.get(reverse("kpi:detail", args=[report.indicator_id]), {"year": q1.year})
    assert reverse("kpi:review", args=[report.pk]) not in page.content.decode()
    with pytest.raises(PermissionDenied):
        services.report_approve(report=report, user=colleague)
    # The supervisor, who wrote nothing, may review it everywhere.
    assert report.pk in {r.pk for r in queues.work_for(cast["supervisor"], today=q1.end_date).to_review}
    client.force_login(cast["supervisor"])
    page = client.get(reverse("kpi:detail", args=[report.indicator_id]), {"year": q1.year})
    assert reverse("kpi:review", args=[report.pk]) in page.content.decode()


def test_the_authorship_annotation_agrees_with_the_rule_asked_alone(cast, colleague, periods):
    q1, q4 = periods["114Q1"], periods["113Q4"]
    save(colleague, "1-5", q1, submit=True)
    draft = save(cast["staff"], "2-1", q1)
    save(colleague, "2-1", q1, actual="18", expected_version=draft.version, submit=True)
    save(cast["staff"], "4-1", q4, submit=True)
    for user in [*(u for u in cast.values() if u), colleague]:
        for report in queues.reviewable_reports(user):
            asked = ProgressReport.objects.filter(pk=report.pk).filter(access.authored_by(user)).exists()
            assert access.is_author(user, report) == asked, (user, report)
    assert access.is_author(colleague, ProgressReport.objects.get(indicator=kpi_by_code("2-1"), period=q1))
    assert access.is_author(cast["staff"], ProgressReport.objects.get(indicator=kpi_by_code("2-1"), period=q1))


# --- My updates ---------------------------------------------------------------------------


def test_my_updates_requires_sign_in(client, db):
    response = client.get(reverse("kpi:my_updates"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_my_updates_for_staff(client, staff, reports, periods):
    client.force_login(staff)
    response = client.get(reverse("kpi:my_updates"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "民國114年4月10日" in body  # today
    assert "民國114年4月15日" in body  # Q1's due date
    assert "民國114年1月15日" in body  # Q4's due date
    assert "請補附會議紀錄。" in body
    q1 = periods["114Q1"]
    assert reverse("kpi:report", args=[kpi_by_code("1-5").pk, q1.pk]) in body
    assert reverse("kpi:report", args=[kpi_by_code("4-2").pk, periods["113Q4"].pk]) in body
    assert 'id="overdue"' in body and 'id="due"' in body and 'id="returned"' in body
    assert 'id="to-review"' not in body


def test_my_updates_for_the_supervisor_lists_what_waits_for_review(client, supervisor, reports):
    client.force_login(supervisor)
    body = client.get(reverse("kpi:my_updates")).content.decode()
    assert 'id="to-review"' in body
    assert 'id="overdue"' not in body
    assert reverse("kpi:review_queue") in body
    assert reverse("kpi:detail", args=[kpi_by_code("2-1").pk]) in body


def test_my_updates_empty_state(client, other_staff, reports):
    client.force_login(other_staff)
    response = client.get(reverse("kpi:my_updates"))
    assert response.status_code == 200
    body = response.content.decode()
    assert response.context["work"].is_empty
    assert response.context["work"].indicator_count == 0
    assert "have not been entered yet" in body or "尚未" in body  # 民政處's plan has no indicators yet
    assert 'id="overdue"' not in body


# --- Review queue -------------------------------------------------------------------------


def test_review_queue_lists_what_the_user_may_review(client, supervisor, reports):
    client.force_login(supervisor)
    response = client.get(reverse("kpi:review_queue"))
    assert response.status_code == 200
    body = response.content.decode()
    rows = response.context["rows"]
    assert [(r.report.indicator.code, r.report.period.short_label) for r in rows] == [
        ("2-1", "114Q1"),
        ("5-2", "113Q4"),
    ]
    assert rows[0].preview.year.raw is not None
    # Each row opens the review page (which asks for confirmation) and can be ticked for bulk approval.
    assert body.count("?action=approve&amp;next=/review/") == 2
    assert body.count("?action=return&amp;next=/review/") == 2
    assert reverse("kpi:review", args=[reports["submitted"].pk]) in body
    assert f'name="report" value="{reports["submitted"].pk}"' in body
    assert f'action="{reverse("kpi:review_bulk")}"' in body
    assert "王小明" in body  # the submitter


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"year": "114"}, [("2-1", "114Q1")]),
        ({"year": "113"}, [("5-2", "113Q4")]),
        ({"period": "Q4"}, [("5-2", "113Q4")]),
        # Not a department the supervisor reviews: left out (the page says so, see below), not an empty page.
        ({"department": "other"}, [("2-1", "114Q1"), ("5-2", "113Q4")]),
        ({"year": "abc"}, [("2-1", "114Q1"), ("5-2", "113Q4")]),  # nonsense is ignored
    ],
)
def test_review_queue_filters(
    client, supervisor, reports, periods, home_department, other_department, params, expected
):
    params = dict(params)
    if params.get("period") == "Q4":
        params["period"] = str(periods["113Q4"].pk)
    if params.get("department") == "other":
        params["department"] = str(other_department.pk)
    client.force_login(supervisor)
    response = client.get(reverse("kpi:review_queue"), params)
    assert [(r.report.indicator.code, r.report.period.short_label) for r in response.context["rows"]] == expected


def test_review_queue_department_filter(client, planner, reports, home_department):
    client.force_login(planner)
    response = client.get(reverse("kpi:review_queue"), {"department": home_department.pk})
    assert len(response.context["rows"]) == 2
    assert response.context["departments"] == [(home_department.pk, home_department.name)]


def test_a_pure_reporter_gets_an_explanation_not_an_error(client, staff, reports):
    client.force_login(staff)
    response = client.get(reverse("kpi:review_queue"))
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert "no review role" in response.content.decode() or "審核" in response.content.decode()
    assert 'value="approve"' not in response.content.decode()


def test_own_reports_are_listed_without_actions(client, colleague, periods):
    save(colleague, "1-5", periods["114Q1"], submit=True)
    client.force_login(colleague)
    response = client.get(reverse("kpi:review_queue"))
    assert response.context["rows"] == []
    assert report_keys(response.context["own"]) == [("1-5", "114Q1")]
    assert 'value="approve"' not in response.content.decode()


def test_approving_from_the_queue_returns_to_the_queue(client, supervisor, reports):
    client.force_login(supervisor)
    report = reports["submitted"]
    response = client.post(
        reverse("kpi:review", args=[report.pk]),
        {"action": "approve", "comment": "", "version": report.version, "next": reverse("kpi:review_queue")},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("kpi:review_queue")
    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED
    assert queues.work_for(supervisor).to_review_count == 1


# --- Navigation ---------------------------------------------------------------------------


def test_navigation_counts_and_current_page(client, staff, supervisor, reports):
    client.force_login(staff)
    body = client.get(reverse("kpi:my_updates")).content.decode()
    count = (INDICATORS - 3) + (INDICATORS - 1) + 1
    assert f'<span class="nav-count" aria-hidden="true">{count}</span>' in body
    assert f'href="{reverse("kpi:my_updates")}" aria-current="page"' in body
    assert reverse("kpi:review_queue") not in body  # no review role, no link
    assert reverse("kpi:periods") in body

    client.force_login(supervisor)
    body = client.get(reverse("kpi:home")).content.decode()
    assert '<span class="nav-count" aria-hidden="true">2</span>' in body
    assert f'href="{reverse("kpi:home")}" aria-current="page"' in body
    assert f'href="{reverse("kpi:review_queue")}"' in body


def test_no_navigation_work_for_anonymous_visitors(client, seeded_plan):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "kpi_work" not in response.context
    assert "nav-count" not in response.content.decode()


# --- Query counts -------------------------------------------------------------------------


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.fixture
def more_data(staff, supervisor, periods, home_department, seeded_plan):
    """Another 12 KPIs for 都市發展處, with reports in every state for both open periods."""

    def add():
        dp = DepartmentPlan.objects.get(plan=seeded_plan, department=home_department)
        made = objectives_with_kpis(dp, objectives=3, kpis=4)
        reports_for_indicators(made[:3], periods["114Q1"], status="draft", reporter=staff)
        reports_for_indicators(made[3:6], periods["114Q1"], status="submitted", reporter=staff)
        reports_for_indicators(made[6:9], periods["113Q4"], status="returned", reporter=staff, reviewer=supervisor)
        reports_for_indicators(made[9:], periods["113Q4"], status="submitted", reporter=staff)
        return made

    return add


# Counted per request: 2 savepoints (ATOMIC_REQUESTS), the session and the user, the sliding
# session's save (a savepoint pair and an UPDATE: SESSION_SAVE_EVERY_REQUEST), then the work:
# memberships, reportable indicators, periods and reports (staff); memberships, reports to
# review and their targets (reviewers).
# +1 for the inbox's unread count in the navigation (one indexed COUNT, issue #13).
MY_UPDATES_MAX_QUERIES = 12
# The review queue: the same, plus one for the evidence each row lists and one for the
# review stages the plans use; and, since it is counted and sliced in the database rather
# than loading every waiting report (issue #15: 2,302 rows at N = 500), two for the filter
# choices (departments, periods) and one for the page of rows, the counts being the
# navigation's (one query, not a list). A filtered page counts its own (one more: see
# test_review_queue_pages), and the reports listed apart (own, locked) cost one more only
# when there are any.
REVIEW_QUEUE_MAX_QUERIES = MY_UPDATES_MAX_QUERIES + 5
# The plan list page's own 2 queries, plus the same work queries for the navigation counts,
# plus the inbox's unread count.
NAV_MAX_QUERIES = 14


@pytest.mark.parametrize("who", ["staff", "supervisor", "planner", "admin"])
def test_my_updates_query_count_does_not_grow(client, cast, reports, more_data, who, django_assert_max_num_queries):
    client.force_login(cast[who])
    url = reverse("kpi:my_updates")
    before = count_queries(client, url)
    more_data()
    with django_assert_max_num_queries(MY_UPDATES_MAX_QUERIES):
        response = client.get(url)
    after = count_queries(client, url)
    assert after == before, f"{who}: {before} → {after} queries"
    assert Indicator.objects.count() > INDICATORS
    if who == "staff":
        assert response.context["work"].to_report_count > 45


@pytest.mark.parametrize("who", ["staff", "supervisor", "planner"])
def test_review_queue_query_count_does_not_grow(client, cast, reports, more_data, who, django_assert_max_num_queries):
    client.force_login(cast[who])
    url = reverse("kpi:review_queue")
    before = count_queries(client, url)
    more_data()
    with django_assert_max_num_queries(REVIEW_QUEUE_MAX_QUERIES):
        client.get(url)
    assert count_queries(client, url) == before


@pytest.mark.parametrize("who", ["staff", "supervisor", "planner"])
def test_navigation_counts_cost_a_fixed_number_of_queries(client, cast, periods, more_data, who):
    """The plan list page plus the counts: the counts add the same few queries however much
    work there is — from none at all to plenty."""
    client.force_login(cast[who])
    url = reverse("kpi:home")
    before = count_queries(client, url)
    more_data()
    assert count_queries(client, url) == before <= NAV_MAX_QUERIES


def test_the_selector_runs_once_per_request(client, staff, reports, monkeypatch):
    calls = []
    original = queues.work_for
    monkeypatch.setattr(queues, "work_for", lambda user, today=None: calls.append(user) or original(user, today))
    client.force_login(staff)
    client.get(reverse("kpi:my_updates"))  # the page and the navigation both read it
    assert len(calls) == 1


def test_work_for_in_a_fixed_number_of_queries(staff, supervisor, reports, more_data, django_assert_max_num_queries):
    for user in (staff, supervisor):
        user = type(user).objects.get(pk=user.pk)  # a fresh user: memberships not yet read
        with django_assert_max_num_queries(5):
            queues.work_for(user)
    more_data()
    for user in (staff, supervisor):
        user = type(user).objects.get(pk=user.pk)
        with django_assert_max_num_queries(5):
            queues.work_for(user)


# --- Template filters ---------------------------------------------------------------------


def test_roc_date_filters():
    assert roc_date(datetime.date(2025, 4, 15)) == "民國114年4月15日"
    assert roc_date(None) == ""
    assert roc_month_day(datetime.date(2025, 4, 5)) == "4月5日"
    moment = datetime.datetime(2025, 4, 14, 16, 30, tzinfo=datetime.UTC)  # 00:30 on the 15th in Taipei
    assert roc_date(moment) == "民國114年4月15日"
    assert roc_datetime(moment) == "民國114年4月15日 00:30"
    from decimal import Decimal

    assert percent(Decimal("85.5000")) == "85.5%"
    assert percent(Decimal("100.0000")) == "100%"
    assert percent(None) == "—"


def test_navigation_counts_reviews_in_the_database_and_agrees_with_the_queue(rf, cast, reports):
    from kpi import queues

    for who in ["staff", "supervisor", "planner", "admin"]:
        user = type(cast[who]).objects.get(pk=cast[who].pk)
        full = queues.work_for(user)
        light = queues.work_for(user, counts_only=True)
        assert light.to_review_count == full.to_review_count
        assert light.to_report_count == full.to_report_count
        assert light.to_review == [] and light.review_counts is not None or not full.can_review
        assert light.second_review_count == full.second_review_count


def test_the_navigations_report_count_agrees_with_the_lists_on_any_day(
    staff, supervisor, planner, admin_user, periods, reports, more_data
):
    """`report_counts` (the badge on every page) counts in the database what `work_for` lists:
    before, during and after each period, with a returned report in a locked period, and one
    reopened for correction there."""
    more_data()
    days = [datetime.date(2024, 12, 20), TODAY, datetime.date(2025, 7, 20), datetime.date(2025, 12, 28)]

    def agree():
        for day in days:
            full = queues.work_for(staff, today=day)
            light = queues.work_for(staff, today=day, counts_only=True)
            assert light.to_report_count == full.to_report_count, day
            assert light.indicator_count == full.indicator_count
            assert light.overdue == light.due == light.returned == []

    agree()
    assert queues.work_for(staff).to_report_count > 0
    services.period_lock(period=periods["113Q4"], user=planner, force=True, reason="年度結算")
    agree()  # the returned reports of 113Q4 are locked now: no longer to do
    approved = reports["approved"]
    reopened = services.report_reopen(
        report=ProgressReport.objects.get(pk=approved.pk), user=planner, reason="數字誤植"
    )
    services.report_return(
        report=services.report_save(
            indicator=approved.indicator,
            period=approved.period,
            user=staff,
            submit=True,
            actual="9",
            narrative="更正",
            expected_version=reopened.version,
        ),
        user=supervisor,
        comment="再確認",
    )
    agree()  # returned while correcting, in a locked period: to do again
