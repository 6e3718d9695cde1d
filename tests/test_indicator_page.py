"""The KPI page (kpi:detail): who sees it, what it shows, and that its query count stays flat."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpi import access, selectors, services
from kpi.models import Indicator, ProgressReport, ReportEvent
from kpi.services import target_set
from plans.models import Membership, Role


@pytest.fixture(autouse=True)
def today(settings):
    settings.KPI_TODAY = datetime.date(2023, 8, 10)  # ROC 112


@pytest.fixture
def kpi(seeded_plan):
    return Indicator.objects.get(objective__number=1, number=5)  # 1-5, 場, target 5 a year


def detail(ind, year=None):
    url = reverse("kpi:detail", args=[ind.pk])
    return f"{url}?year={year}" if year else url


def approve(report, user):
    return services.report_approve(report=report, user=user, expected_version=report.version)


def submitted_report(ind, period, user, actual, narrative="說明", **extra):
    return services.report_save(
        indicator=ind,
        period=period,
        user=user,
        actual=str(actual),
        narrative=narrative,
        expected_version=0,
        submit=True,
        **extra,
    )


# --- Who sees it ----------------------------------------------------------------


@pytest.mark.parametrize("user", ["staff", "supervisor", "planner", "admin"])
def test_visible_to_the_department_and_the_planning_office(client, cast, kpi, user):
    client.force_login(cast[user])
    response = client.get(detail(kpi))
    assert response.status_code == 200
    assert kpi.name in response.content.decode()


def test_other_department_gets_404(client, other_staff, kpi):
    client.force_login(other_staff)
    assert client.get(detail(kpi)).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, kpi):
    response = client.get(detail(kpi))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_unknown_indicator_is_404(client, staff, seeded_plan):
    client.force_login(staff)
    assert client.get(reverse("kpi:detail", args=[999999])).status_code == 404


# --- What it shows --------------------------------------------------------------


def test_shows_the_indicators_columns_and_breadcrumbs(client, staff, kpi):
    client.force_login(staff)
    body = client.get(detail(kpi)).content.decode()
    for text in (
        "1-5",
        kpi.name,
        kpi.measurement_standard,
        kpi.get_evaluation_arrangement_display(),
        kpi.get_evaluation_method_display(),
        kpi.get_unit_display(),
        kpi.get_direction_display(),
        "都市發展處",
        "1. 市港再生",
        reverse("kpi:department_plan", args=[kpi.department_plan.plan_id, kpi.department_plan.department_id]),
    ):
        assert str(text) in body, text
    assert "<script>" not in body


@pytest.mark.parametrize(
    ("day", "year"),
    [(datetime.date(2023, 8, 10), 112), (datetime.date(2030, 1, 1), 114), (datetime.date(2020, 6, 1), 111)],
)
def test_default_year_is_todays_plan_year_clamped(client, staff, kpi, settings, day, year):
    settings.KPI_TODAY = day
    client.force_login(staff)
    response = client.get(detail(kpi))
    assert response.context["page"].year == year


def test_year_parameter_selects_the_year(client, staff, kpi):
    client.force_login(staff)
    assert client.get(detail(kpi, 113)).context["page"].year == 113
    assert client.get(detail(kpi, 999)).context["page"].year == 112  # outside the plan: default
    assert client.get(detail(kpi) + "?year=abc").context["page"].year == 112


def test_year_table_uses_the_latest_approved_report(client, staff, supervisor, kpi, periods):
    for number, actual in ((1, 2), (2, 3), (3, 4), (4, 6)):
        approve(submitted_report(kpi, periods[111, number], staff, actual), supervisor)
    # 112: Q1 approved, Q2 only submitted: the year's actual is Q1's.
    approve(submitted_report(kpi, periods[112, 1], staff, 2), supervisor)
    submitted_report(kpi, periods[112, 2], staff, 5)
    client.force_login(staff)
    response = client.get(detail(kpi, 112))
    rows = {row.year: row for row in response.context["page"].years}
    assert rows[111].actual == Decimal(6)
    assert rows[111].assessment.raw == Decimal("120.0000")
    assert rows[112].actual == Decimal(2)
    assert rows[112].actual_report.period.number == 1
    assert rows[113].actual is None and rows[113].assessment.light == "white"
    body = response.content.decode()
    assert "120%" in body  # common.formatting.percent: a whole percentage reads whole
    assert "達成" in body and "未達成" in body  # 111 green, 112 red (2 of 5)
    assert "尚無核定實績" in body  # why 113 is white


def test_a_revised_target_shows_both_values_and_the_revision(client, staff, planner, kpi, periods):
    target_set(indicator=kpi, year=113, value="6", reason="研考會議決議調高", user=planner)
    client.force_login(staff)
    body = client.get(detail(kpi, 113)).content.decode()
    assert "6 場" in body
    assert "原訂目標值" in body and "5 場" in body
    assert "研考會議決議調高" in body
    assert "planner" in body  # who revised it


def test_period_rows_show_status_and_actions_for_staff(client, staff, supervisor, planner, kpi, periods):
    approve(submitted_report(kpi, periods[112, 1], staff, 2), supervisor)
    submitted_report(kpi, periods[112, 2], staff, 3, shortfall_reason="原因", improvement_plan="措施")
    services.report_save(indicator=kpi, period=periods[112, 3], user=staff, actual="3", expected_version=0)
    services.period_lock(period=periods[112, 4], user=planner)
    client.force_login(staff)
    response = client.get(detail(kpi, 112))
    rows = response.context["page"].periods
    assert [row.status for row in rows] == ["approved", "submitted", "draft", ""]
    assert [row.can_edit for row in rows] == [False, False, True, False]  # Q4 is locked
    body = response.content.decode()
    assert reverse("kpi:report", args=[kpi.pk, periods[112, 3].pk]) in body
    assert 'action="' + reverse("kpi:review", args=[rows[1].report.pk]) not in body  # staff cannot review
    assert "已鎖定" in body


def test_reviewer_gets_approve_and_return_forms(client, staff, supervisor, kpi, periods):
    report = submitted_report(kpi, periods[112, 2], staff, 3, shortfall_reason="原因", improvement_plan="措施")
    client.force_login(supervisor)
    body = client.get(detail(kpi, 112)).content.decode()
    review_url = reverse("kpi:review", args=[report.pk])
    # Approve and return each open the review page, which asks for confirmation.
    assert f'href="{review_url}?action=approve"' in body and f'href="{review_url}?action=return"' in body
    page = client.get(f"{review_url}?action=approve").content.decode()
    assert body.count(f'action="{review_url}"') == 0 and page.count(f'action="{review_url}"') == 2
    assert 'name="action" value="approve"' in page and 'name="action" value="return"' in page
    assert f'name="version" value="{report.version}"' in page
    assert "required" in page
    # The report's texts are shown for the review.
    assert "原因" in body and "措施" in body


def test_an_author_gets_no_review_forms(client, staff, supervisor, home_department, kpi, periods):
    Membership.objects.create(user=supervisor, department=home_department, role=Role.REPORTER)
    report = services.report_save(
        indicator=kpi, period=periods[112, 2], user=supervisor, actual="3", expected_version=0
    )
    services.report_save(
        indicator=kpi,
        period=periods[112, 2],
        user=staff,
        actual="3",
        narrative="說明",
        shortfall_reason="原因",
        improvement_plan="措施",
        expected_version=report.version,
        submit=True,
    )
    client.force_login(supervisor)
    body = client.get(detail(kpi, 112)).content.decode()
    assert reverse("kpi:review", args=[report.pk]) not in body


def test_reviewable_ids_agree_with_access(staff, supervisor, planner, admin_user, home_department, kpi, periods):
    """The page's one-pass reviewer check says what access.can_review says, for every case."""
    Membership.objects.create(user=supervisor, department=home_department, role=Role.REPORTER)
    a = submitted_report(kpi, periods[112, 1], staff, 2)
    b = services.report_save(indicator=kpi, period=periods[112, 2], user=supervisor, actual="3", expected_version=0)
    b = services.report_save(
        indicator=kpi,
        period=periods[112, 2],
        user=staff,
        actual="3",
        narrative="說明",
        shortfall_reason="原因",
        improvement_plan="措施",
        expected_version=b.version,
        submit=True,
    )
    reports = list(ProgressReport.objects.select_related("indicator__department_plan"))
    for user in (staff, supervisor, planner, admin_user):
        user = get_user_model().objects.get(pk=user.pk)  # a fresh scope
        expected = {r.pk for r in reports if access.can_review(user, r)}
        assert selectors.reviewable_report_ids(user, kpi, 112) == expected, user
    assert {a.pk, b.pk} == {r.pk for r in reports}


def test_latest_report_texts_and_evidence_links(client, staff, kpi, periods, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from django.core.files.uploadedfile import SimpleUploadedFile

    report = services.report_save(
        indicator=kpi,
        period=periods[112, 2],
        user=staff,
        actual="3",
        narrative="辦理三場座談",
        shortfall_reason="颱風延期",
        improvement_plan="下季補辦",
        expected_version=0,
    )
    evidence = services.evidence_add(
        report=report, user=staff, file=SimpleUploadedFile("簽到表.pdf", b"%PDF-1.4 test"), description="簽到表"
    )
    client.force_login(staff)
    body = client.get(detail(kpi, 112)).content.decode()
    for text in ("辦理三場座談", "颱風延期", "下季補辦", "簽到表.pdf"):
        assert text in body
    assert reverse("kpi:evidence_download", args=[evidence.pk]) in body


def test_timeline_records_every_change_readably(client, staff, supervisor, planner, kpi, periods):
    report = services.report_save(
        indicator=kpi, period=periods[112, 2], user=staff, actual="1", narrative="第一版", expected_version=0
    )
    report = services.report_save(
        indicator=kpi,
        period=periods[112, 2],
        user=staff,
        actual="3",
        narrative="第二版",
        shortfall_reason="原因",
        improvement_plan="措施",
        expected_version=report.version,
        submit=True,
    )
    services.report_return(report=report, user=supervisor, comment="請補簽到表", expected_version=report.version)
    target_set(indicator=kpi, year=112, value="6", reason="調高目標", user=planner)
    services.period_lock(period=periods[112, 2], user=planner, force=True, reason="審查會議已結束，退回案件另案處理")
    client.force_login(staff)
    response = client.get(detail(kpi, 112))
    timeline = response.context["page"].timeline
    assert [e.at for e in timeline] == sorted((e.at for e in timeline), reverse=True)
    kinds = [(e.kind, e.action) for e in timeline]
    assert kinds[:5] == [
        ("period", "locked"),
        ("target", "target_revised"),
        ("report", "returned"),
        ("report", "submitted"),
        ("report", "edited"),
    ]
    edited = timeline[4]
    assert {(c.label, c.old, c.new) for c in edited.changes} >= {
        ("累計實績", "1 場", "3 場"),
        ("達成情形說明", "第一版", "第二版"),
    }
    body = response.content.decode()
    assert "請補簽到表" in body
    assert "調高目標" in body
    assert "累計實績" in body and "1 場" in body and "3 場" in body
    assert "王小明" in body and "李主任" in body


def _fill(kpi, periods, staff, supervisor, keys):
    """A report in each (year, number) period: edited, submitted, returned, resubmitted and mostly approved."""
    for year, number in keys:
        period = periods[year, number]
        report = services.report_save(
            indicator=kpi, period=period, user=staff, actual=str(number), narrative="a", expected_version=0
        )
        report = services.report_save(
            indicator=kpi,
            period=period,
            user=staff,
            actual=str(number + 1),
            narrative="b",
            shortfall_reason="r",
            improvement_plan="p",
            expected_version=report.version,
            submit=True,
        )
        report = services.report_return(report=report, user=supervisor, comment="c", expected_version=report.version)
        report = services.report_save(
            indicator=kpi,
            period=period,
            user=staff,
            actual=str(number + 1),
            narrative="b2",
            shortfall_reason="r",
            improvement_plan="p",
            expected_version=report.version,
            submit=True,
        )
        if number < 4:
            approve(report, supervisor)


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


# The page's queries: the session, the user, their memberships, the indicator, its targets,
# their revisions, the year's periods, the year's reports, the people who acted on them (one
# query for all five columns: common.people), their evidence, the events, the period events,
# the record of changes of the indicator, of its targets and of its plan (kpi.history), the
# status rule's two (planned values and the latest approved reports, beside the targets already
# loaded: kpi.assessments.indicator_inputs), plus the navigation's counts and the request's
# savepoint. Growth with data is caught above it.
# +1 for the inbox's unread count in the navigation (one indexed COUNT, issue #13).
MAX_QUERIES = 26


@pytest.mark.parametrize("user", ["staff", "supervisor", "planner"])
def test_query_count_does_not_grow_with_reports_and_events(
    client, cast, kpi, periods, django_assert_max_num_queries, user, settings
):
    settings.KPI_TODAY = datetime.date(2026, 1, 10)  # every period of 111–114 open, so each can be submitted
    staff, supervisor = cast["staff"], cast["supervisor"]
    client.force_login(cast[user])
    url = detail(kpi, 112)
    first = [(112, 1), (112, 4)]  # one approved and one submitted report, so every kind of row is there
    _fill(kpi, periods, staff, supervisor, first)
    few = _count(client, url)
    _fill(
        kpi,
        periods,
        staff,
        supervisor,
        [(y, n) for y in (111, 112, 113, 114) for n in (1, 2, 3, 4) if (y, n) not in first],
    )
    assert ReportEvent.objects.filter(report__indicator=kpi).count() > 80
    with django_assert_max_num_queries(few):
        response = client.get(url)
    page = response.context["page"]
    assert len(page.timeline) > 80
    assert len([c for c in page.cards if c.can_review]) == (1 if user != "staff" else 0)  # 112Q4 is submitted
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(url)


def test_the_reports_people_come_from_one_query_of_their_own(client, cast, kpi, periods, settings):
    """Who saved, submitted and approved each report is read by id afterwards (common.people):
    joining auth_user once per column cost PostgreSQL more planning than running the query."""
    settings.KPI_TODAY = datetime.date(2026, 1, 10)
    staff, supervisor = cast["staff"], cast["supervisor"]
    _fill(kpi, periods, staff, supervisor, [(112, 1), (112, 2)])  # 112Q2 submitted, 112Q1 approved
    client.force_login(cast["planner"])
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(detail(kpi, 112))
    body = response.content.decode()
    assert "王小明" in body and "李主任" in body  # the reporter and the approver, on the cards
    report_queries = [q["sql"] for q in ctx.captured_queries if 'FROM "kpi_progressreport"' in q["sql"]]
    assert report_queries and not any('"auth_user"' in sql for sql in report_queries)
    assert (
        sum(1 for q in ctx.captured_queries if q["sql"].lstrip().startswith('SELECT "auth_user"')) == 2
    )  # signed-in, people


def test_a_long_record_shows_its_latest_entries_and_the_whole_on_request(client, staff, supervisor, kpi, periods):
    from kpi.services.comments import report_comment
    from kpi.views.reporting import RECORD_SHOWN

    report = services.report_save(
        indicator=kpi, period=periods[112, 2], user=staff, actual="1", narrative="第一版", expected_version=0
    )
    for n in range(RECORD_SHOWN + 5):
        report_comment(report=report, user=supervisor if n % 2 else staff, text=f"第{n + 1}則討論")
    client.force_login(staff)
    response = client.get(detail(kpi, 112))
    whole = len(response.context["page"].timeline)
    assert whole >= RECORD_SHOWN + 6  # the plan's targets, the report's creation, the comments
    body = response.content.decode().split('id="timeline-title"')[1]  # the record (the card has the thread too)
    assert body.count('<li class="tl tl-') == RECORD_SHOWN
    assert f"第{RECORD_SHOWN + 5}則討論" in body and "第1則討論<" not in body  # newest first
    assert f"另有 {whole - RECORD_SHOWN} 筆較早的紀錄未顯示。" in body
    everything = client.get(detail(kpi, 112) + "&record=all").content.decode().split('id="timeline-title"')[1]
    assert everything.count('<li class="tl tl-') == whole and "第1則討論<" in everything
    assert "較早的紀錄未顯示" not in everything
