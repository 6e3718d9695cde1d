"""Review stages (初核, 研考複核), corrections (撤銷核定／更正) and safe locks: the rules
in the services, the queues and the pages (the API's are in tests/test_api_review_stages.py,
the browser walks in tests/browser/test_review_cycle.py)."""

import copy

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from kpi import access, assessments, queues, services
from kpi.models import (
    PeriodEvent,
    ProgressReport,
    ReportAction,
    ReportCorrection,
    ReportEvent,
    ReportStatus,
)
from kpi.seeding import load_fixture, seed_plan
from kpi.selectors.indicator_page import indicator_page, page_viewer
from plans.models import Plan
from tests.factories import kpi_by_code

S = ReportStatus
NARRATIVE = "本季依計畫辦理。"


def submit(staff, period, code="1-5", actual="3"):
    return services.report_save(
        indicator=kpi_by_code(code),
        period=period,
        user=staff,
        actual=actual,
        narrative=NARRATIVE,
        shortfall_reason="部分場次延後辦理。",
        improvement_plan="下季補辦。",
        submit=True,
    )


def figure(report):
    """The period's actual as every surface reads it (the figure of record)."""
    found = assessments.latest_approved(years=[report.period.year], indicator=report.indicator)
    record = found.get((report.indicator_id, report.period.year))
    return record.actual if record is not None else None


# --- The setting ------------------------------------------------------------------------


def test_keelung_reviews_in_two_stages(db):
    document = copy.deepcopy(load_fixture())
    assert document["plan"]["review_stages"] == 2
    document["plan"]["name"] = "基隆市政府中程施政計畫（測試）"
    plan, _ = seed_plan(document)
    assert plan.review_stages == 2
    assert Plan.objects.get(pk=plan.pk).get_review_stages_display() == "兩階段：機關初核，再由研考複核"


def test_the_database_refuses_a_third_stage(seeded_plan):
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.filter(pk=seeded_plan.pk).update(review_stages=3)


# --- Two stages -------------------------------------------------------------------------


def test_two_stages_first_the_department_then_the_planning_office(two_stages, staff, supervisor, planner, periods):
    report = submit(staff, periods["111Q2"])
    assert report.review_stages == 2
    report = services.report_approve(report=report, user=supervisor, comment="初核通過")
    assert report.status == S.FIRST_APPROVED
    assert (report.first_reviewed_by, report.reviewed_by) == (supervisor, None)
    assert figure(report) is None  # only the last stage's approval makes it the actual
    report = services.report_approve(report=report, user=planner)
    assert report.status == S.APPROVED and report.reviewed_by == planner
    assert figure(report) == 3
    actions = list(ReportEvent.objects.filter(report=report).values_list("action", flat=True))
    assert actions[-2:] == [ReportAction.FIRST_APPROVED, ReportAction.APPROVED]
    assert ReportEvent.objects.get(report=report, action=ReportAction.FIRST_APPROVED).comment == "初核通過"


def test_either_stage_returns_and_a_resubmission_starts_again(two_stages, staff, supervisor, planner, periods):
    report = services.report_approve(report=submit(staff, periods["111Q2"]), user=supervisor)
    with pytest.raises(ValidationError) as refused:
        services.report_return(report=report, user=planner, comment="  ")
    assert "comment" in refused.value.message_dict
    report = services.report_return(report=report, user=planner, comment="請附上研考會議紀錄。")
    assert report.status == S.RETURNED and report.first_reviewed_by is None
    report = services.report_save(
        indicator=report.indicator,
        period=report.period,
        user=staff,
        actual="3",
        narrative="補附紀錄。",
        expected_version=report.version,
        submit=True,
    )
    assert report.status == S.SUBMITTED  # from the first stage again
    assert ReportEvent.objects.filter(report=report, action=ReportAction.RETURNED).get().changes == {
        "status": [S.FIRST_APPROVED.value, S.RETURNED.value]
    }


def test_no_one_reviews_the_same_report_at_both_stages(two_stages, staff, admin_user, planner, periods):
    report = services.report_approve(report=submit(staff, periods["111Q2"]), user=admin_user)
    assert report.status == S.FIRST_APPROVED
    assert not access.can_review(admin_user, report)
    with pytest.raises(PermissionDenied, match="初核"):
        services.report_approve(report=report, user=admin_user)
    assert ProgressReport.objects.get(pk=report.pk).status == S.FIRST_APPROVED
    # …and the database refuses it whatever the code does.
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressReport.objects.filter(pk=report.pk).update(status=S.APPROVED, reviewed_by=admin_user)
    assert services.report_approve(report=report, user=planner).status == S.APPROVED


def test_each_stage_has_its_reviewers(two_stages, staff, supervisor, planner, periods):
    report = submit(staff, periods["111Q2"])
    with pytest.raises(PermissionDenied) as refused:
        services.report_approve(report=report, user=planner)
    assert str(refused.value) == access.review_refusal(planner, report)
    report = services.report_approve(report=report, user=supervisor)
    assert not access.can_review(supervisor, report)
    with pytest.raises(PermissionDenied):
        services.report_return(report=report, user=supervisor, comment="再看一次")
    assert ProgressReport.objects.get(pk=report.pk).status == S.FIRST_APPROVED


def test_one_stage_lets_the_department_or_the_planning_office_approve(staff, supervisor, planner, periods):
    assert services.report_approve(report=submit(staff, periods["111Q2"]), user=planner).status == S.APPROVED
    assert services.report_approve(report=submit(staff, periods["111Q3"]), user=supervisor).status == S.APPROVED


def test_a_report_finishes_under_the_rule_it_was_submitted_under(seeded_plan, staff, supervisor, planner, periods):
    under_one = submit(staff, periods["111Q2"])
    Plan.objects.filter(pk=seeded_plan.pk).update(review_stages=2)
    under_two = submit(staff, periods["111Q3"])
    assert (under_one.review_stages, under_two.review_stages) == (1, 2)
    assert services.report_approve(report=under_one, user=supervisor).status == S.APPROVED
    Plan.objects.filter(pk=seeded_plan.pk).update(review_stages=1)
    assert services.report_approve(report=under_two, user=supervisor).status == S.FIRST_APPROVED
    assert services.report_approve(report=under_two, user=planner).status == S.APPROVED


def test_changing_the_stages_in_admin_explains_the_reports_in_flight(client, seeded_plan, admin_user, staff, periods):
    from tests.test_history import post_change

    submit(staff, periods["111Q2"])
    client.force_login(admin_user)
    response = post_change(client, Plan, seeded_plan, review_stages="2", change_reason="依府內審核流程改為兩階段")
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Plan.objects.get(pk=seeded_plan.pk).review_stages == 2
    text = " ".join(str(m) for m in client.get(response["Location"]).context["messages"])
    assert "兩階段" in text and "1 筆已送出的填報" in text


# --- Queues -----------------------------------------------------------------------------


def test_queues_by_stage_and_the_navigation_agrees(two_stages, staff, supervisor, planner, admin_user, periods):
    first = submit(staff, periods["111Q2"])
    second = services.report_approve(report=submit(staff, periods["111Q3"]), user=supervisor)
    supervisor_work, planner_work = queues.work_for(supervisor), queues.work_for(planner)
    assert [r.pk for r in supervisor_work.to_review] == [first.pk]
    assert [r.pk for r in planner_work.to_review] == [second.pk]
    admin_work = queues.work_for(admin_user)
    assert {r.pk for r in admin_work.to_review} == {first.pk, second.pk}
    for user, work in ((supervisor, supervisor_work), (planner, planner_work), (admin_user, admin_work)):
        light = queues.work_for(user, counts_only=True)
        assert (light.first_review_count, light.second_review_count) == (
            work.first_review_count,
            work.second_review_count,
        )
    assert (planner_work.first_review_count, planner_work.second_review_count) == (0, 1)


def test_the_queue_page_shows_the_second_stage_to_the_planning_office(
    client, two_stages, staff, supervisor, planner, periods
):
    report = services.report_approve(report=submit(staff, periods["111Q3"]), user=supervisor)
    client.force_login(planner)
    body = client.get(reverse("kpi:review_queue") + "?stage=2").content.decode()
    assert "研考複核" in body and f'value="{report.pk}"' in body and "李主任" in body  # the first reviewer
    nav = client.get(reverse("kpi:my_updates")).content.decode()
    assert 'href="/review/?stage=2"' in nav


def test_the_review_page_says_why_there_is_nothing_to_do(client, two_stages, staff, supervisor, periods):
    report = services.report_approve(report=submit(staff, periods["111Q3"]), user=supervisor)
    client.force_login(supervisor)
    response = client.get(reverse("kpi:review", args=[report.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "這份填報由您初核通過" in body and 'name="action"' not in body


# --- Bulk approval ----------------------------------------------------------------------


def test_bulk_approval_confirms_once_and_approves_all(client, staff, supervisor, periods):
    reports = [submit(staff, periods["111Q2"]), submit(staff, periods["111Q2"], code="2-1", actual="5")]
    client.force_login(supervisor)
    ids = [r.pk for r in reports]
    page = client.get(reverse("kpi:review_bulk"), {"report": ids})
    assert page.status_code == 200 and "確定核定 2 筆填報" in page.content.decode()
    assert not ProgressReport.objects.filter(pk__in=ids, status=S.APPROVED).exists()
    data = {"report": ids, "confirm": "1", "comment": "同意"} | {f"version-{r.pk}": r.version for r in reports}
    response = client.post(reverse("kpi:review_bulk"), data)
    assert response.status_code == 302
    assert ProgressReport.objects.filter(pk__in=ids, status=S.APPROVED).count() == 2


def test_bulk_approval_is_all_or_nothing(client, staff, supervisor, home_department, periods):
    from plans.models import Membership, Role

    fine = submit(staff, periods["111Q2"])
    Membership.objects.create(user=supervisor, department=home_department, role=Role.REPORTER)
    own = submit(supervisor, periods["111Q2"], code="2-1", actual="5")  # the supervisor wrote this one
    client.force_login(supervisor)
    response = client.post(reverse("kpi:review_bulk"), {"report": [fine.pk, own.pk], "confirm": "1"})
    assert response.status_code == 400
    assert "不能審核自己填寫的報告" in response.content.decode()
    assert set(ProgressReport.objects.filter(pk__in=[fine.pk, own.pk]).values_list("status", flat=True)) == {
        S.SUBMITTED
    }


# --- Corrections ------------------------------------------------------------------------


@pytest.fixture
def approved(staff, supervisor, planner, periods):
    """114's Q2 report of 1-5, approved, in a period the planning office has locked since."""
    report = services.report_approve(report=submit(staff, periods["113Q4"], actual="5"), user=supervisor)
    services.period_lock(period=periods["113Q4"], user=planner)
    return report


def test_only_the_planning_office_reopens_and_a_reason_is_required(approved, staff, supervisor, planner):
    for user in (staff, supervisor):
        with pytest.raises(PermissionDenied):
            services.report_reopen(report=approved, user=user, reason="更正")
    with pytest.raises(ValidationError) as refused:
        services.report_reopen(report=approved, user=planner, reason=" ")
    assert "reason" in refused.value.message_dict
    assert not ReportCorrection.objects.exists()
    assert ProgressReport.objects.get(pk=approved.pk).status == S.APPROVED


def test_a_correction_keeps_the_approved_figure_until_it_is_approved_again(approved, staff, supervisor, planner):
    report = services.report_reopen(report=approved, user=planner, reason="資料來源更新，應為 4 場。")
    assert (report.status, report.correcting) == (S.RETURNED, True)
    # The reporter corrects it in the locked period: a correction is the one change a lock allows.
    report = services.report_save(
        indicator=report.indicator,
        period=report.period,
        user=staff,
        actual="4",
        narrative="依更正後資料辦理 4 場。",
        shortfall_reason="原訂場次因颱風取消。",
        improvement_plan="延至次年補辦。",
        expected_version=report.version,
        submit=True,
    )
    assert report.status == S.SUBMITTED and report.actual == 4
    assert figure(report) == 5  # what had been approved still counts
    year = assessments.plan_year_attainment(plan=report.period.plan, year=113)
    assert year.indicators[report.indicator_id].actual == 5
    page = indicator_page(report.indicator, 113, page_viewer(planner, report.indicator, 113))
    row = next(r for r in page.periods if r.period.pk == report.period_id)
    assert row.correcting and row.actual_of_record == 5 and row.report.actual == 4
    reopened = next(e for e in page.timeline if e.action == ReportAction.REOPENED)
    assert "5 場" in reopened.note and reopened.comment == "資料來源更新，應為 4 場。"

    report = services.report_approve(report=report, user=supervisor)
    assert report.status == S.APPROVED and not report.correcting
    assert report.correction_reason == "資料來源更新，應為 4 場。" and report.corrected_at is not None
    assert figure(report) == 4
    correction = ReportCorrection.objects.get(report=report)
    assert (correction.actual, correction.approved_by, correction.resolved_by) == (5, supervisor, supervisor)
    approval = ReportEvent.objects.filter(report=report, action=ReportAction.APPROVED).last()
    assert approval.changes["actual"] == ["5", "4"]


def test_a_report_read_as_its_figure_of_record_cannot_be_saved(approved, planner):
    services.report_reopen(report=approved, user=planner, reason="更正")
    record = assessments.latest_approved(years=[113], indicator=approved.indicator)[(approved.indicator_id, 113)]
    assert record.pending_correction["reason"] == "更正"
    with pytest.raises(RuntimeError):
        record.save()


def test_nothing_else_in_a_locked_period_changes_during_a_correction(approved, staff, planner, periods):
    services.report_reopen(report=approved, user=planner, reason="更正")
    with pytest.raises(ValidationError, match="已鎖定"):
        submit(staff, periods["113Q4"], code="2-1", actual="5")


def test_the_reopen_page_asks_for_a_reason(client, approved, planner):
    client.force_login(planner)
    url = reverse("kpi:reopen", args=[approved.pk])
    assert "更正原因（必填）" in client.get(url).content.decode()
    response = client.post(url, {"reason": "", "version": approved.version})
    assert response.status_code == 400 and "撤銷核定必須填寫更正原因" in response.content.decode()
    assert ProgressReport.objects.get(pk=approved.pk).status == S.APPROVED
    response = client.post(url, {"reason": "資料來源更新", "version": approved.version})
    assert response.status_code == 302
    assert ProgressReport.objects.get(pk=approved.pk).correcting


# --- Safe locks -------------------------------------------------------------------------


def test_locking_with_unfinished_reports_is_refused_then_forced(staff, supervisor, planner, periods):
    period = periods["111Q2"]
    waiting = submit(staff, period)
    returned = services.report_return(
        report=submit(staff, period, code="2-1", actual="5"), user=supervisor, comment="請補件"
    )
    with pytest.raises(services.UnfinishedReports) as refused:
        services.period_lock(period=period, user=planner)
    assert {r.pk for r in refused.value.reports} == {waiting.pk, returned.pk}
    with pytest.raises(ValidationError) as no_reason:
        services.period_lock(period=period, user=planner, force=True)
    assert "reason" in no_reason.value.message_dict
    period.refresh_from_db()
    assert not period.is_locked and not PeriodEvent.objects.filter(period=period).exists()

    services.period_lock(period=period, user=planner, force=True, reason="審查會議已結束，其餘另案處理")
    event = PeriodEvent.objects.get(period=period)
    assert event.forced and {row["report"] for row in event.unfinished} == {waiting.pk, returned.pk}
    assert {row["department"] for row in event.unfinished} == {"都市發展處"}


def test_the_lock_page_lists_the_unfinished_reports(client, staff, planner, periods):
    period = periods["111Q2"]
    submit(staff, period)
    client.force_login(planner)
    page = client.get(reverse("kpi:period_lock", args=[period.pk])).content.decode()
    assert "都市發展處" in page and "1-5" in page and "仍要鎖定" in page
    refused = client.post(reverse("kpi:period_lock", args=[period.pk]))
    assert refused.status_code == 400 and "仍有 1 筆填報" in refused.content.decode()
    no_reason = client.post(reverse("kpi:period_lock", args=[period.pk]), {"force": "1"})
    assert no_reason.status_code == 400 and 'aria-invalid="true"' in no_reason.content.decode()
    period.refresh_from_db()
    assert not period.is_locked
    done = client.post(reverse("kpi:period_lock", args=[period.pk]), {"force": "1", "reason": "會議結束"})
    assert done.status_code == 302
    period.refresh_from_db()
    assert period.is_locked


# --- A GET on an action address ---------------------------------------------------------


@pytest.mark.urls("tests.urls_action")
def test_a_get_on_an_action_address_gets_a_page_not_a_blank_405(client, staff):
    client.force_login(staff)
    response = client.get("/test-only/acts/")
    assert response.status_code == 405 and response["Allow"] == "POST"
    body = response.content.decode()
    assert "這個網址只接受表單送出" in body and "資料沒有任何變更" in body
    assert client.post("/test-only/acts/").content == b"done"
