"""The reporting workflow's services (kpi.services): saving, submitting, reviewing, evidence, actuals.

Periods and locking are in test_periods_service.py; who sees what is in test_access.py.
"""

import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse

from common.text import plain_text
from kpi import access, assessments, services
from kpi.models import (
    Evidence,
    PeriodAction,
    PeriodEvent,
    ProgressReport,
    ReportAction,
    ReportCorrection,
    ReportEvent,
    ReportingPeriod,
)
from kpi.models import ReportStatus as S
from plans.models import DepartmentPlan
from tests.factories import IndicatorFactory, StrategicObjectiveFactory, UserFactory, kpi_by_code

NARRATIVE = "本季召開市港再生標竿計畫平台會議 2 場，討論西二西三倉庫改建。"
REASON = "港務公司與本府協調會議延期至下季召開。"
PLAN = "下季加開 1 場並先行以書面意見交換。"


def events(report):
    return list(ReportEvent.objects.filter(report=report).order_by("at", "id").values_list("action", flat=True))


def save(user, code, period, **kwargs):
    kwargs.setdefault("narrative", NARRATIVE)
    return services.report_save(indicator=kpi_by_code(code), period=period, user=user, **kwargs)


def submitted(staff, periods, code="1-5", label="111Q2", actual="3"):
    return save(staff, code, periods[label], actual=actual, submit=True)


def approved(staff, supervisor, periods, code="1-5", label="111Q2", actual="3"):
    report = submitted(staff, periods, code, label, actual)
    return services.report_approve(report=report, user=supervisor)


# --- report_save: drafts and edits --------------------------------------------------


def test_staff_create_a_draft(staff, periods):
    report = save(staff, "1-5", periods["111Q1"], actual="1")

    assert report.status == S.DRAFT
    assert report.version == 1
    assert report.actual == Decimal(1)
    assert report.narrative == NARRATIVE
    assert (report.created_by, report.updated_by, report.submitted_by) == (staff, staff, None)
    event = ReportEvent.objects.get(report=report)
    assert (event.action, event.actor) == (ReportAction.CREATED, staff)
    assert event.changes == {"actual": [None, "1"], "narrative": ["", NARRATIVE]}


def test_a_draft_may_be_incomplete(staff, periods):
    report = save(staff, "1-5", periods["111Q1"], narrative="")
    assert report.actual is None
    assert report.narrative == ""
    assert report.status == S.DRAFT


def test_editing_records_what_changed_and_bumps_the_version(staff, periods):
    report = save(staff, "1-5", periods["111Q1"], actual="1")

    edited = save(staff, "1-5", periods["111Q1"], actual="2", narrative=NARRATIVE, expected_version=1)

    assert edited.pk == report.pk
    assert edited.version == 2
    assert edited.actual == Decimal(2)
    event = ReportEvent.objects.filter(report=report).last()
    assert (event.action, event.actor) == (ReportAction.EDITED, staff)
    assert event.changes == {"actual": ["1", "2"]}


def test_saving_without_changes_records_nothing(staff, periods):
    save(staff, "1-5", periods["111Q1"], actual="1")

    again = save(staff, "1-5", periods["111Q1"], actual="1.0", expected_version=1)

    assert again.version == 1
    assert events(again) == [ReportAction.CREATED]


def test_text_is_stored_stripped(staff, periods):
    report = save(staff, "1-5", periods["111Q1"], actual="1", narrative=f"  {NARRATIVE}\n")
    assert report.narrative == NARRATIVE


def test_too_long_text_is_refused(staff, periods):
    with pytest.raises(ValidationError) as exc:
        save(staff, "1-5", periods["111Q1"], actual="1", narrative="字" * 5001)
    assert "narrative" in exc.value.message_dict


def test_a_period_of_another_plan_is_refused(staff, periods, seeded_plan):
    from tests.factories import PlanFactory, ReportingPeriodFactory

    foreign = ReportingPeriodFactory(plan=PlanFactory(), year=111, number=1)
    with pytest.raises(ValidationError) as exc:
        save(staff, "1-5", foreign, actual="1")
    assert "period" in exc.value.message_dict


# --- submitting --------------------------------------------------------------------


def test_submitting_needs_an_actual_and_a_narrative(staff, periods):
    with pytest.raises(ValidationError) as exc:
        save(staff, "1-5", periods["111Q4"], narrative="", submit=True)

    assert set(exc.value.message_dict) == {"actual", "narrative"}
    assert not ProgressReport.objects.exists()
    assert not ReportEvent.objects.exists()


def test_submitting_a_saved_draft_checks_it_is_complete(staff, periods):
    draft = save(staff, "1-5", periods["111Q4"], actual="5", narrative="")

    with pytest.raises(ValidationError) as exc:
        services.report_submit(report=draft, user=staff, expected_version=1)

    assert set(exc.value.message_dict) == {"narrative"}
    draft.refresh_from_db()
    assert draft.status == S.DRAFT


def test_submit_from_the_form(staff, periods):
    report = save(staff, "1-5", periods["111Q4"], actual="5", submit=True)

    assert report.status == S.SUBMITTED
    assert report.submitted_by == staff
    assert report.submitted_at is not None
    assert report.version == 2
    assert events(report) == [ReportAction.CREATED, ReportAction.SUBMITTED]
    assert ReportEvent.objects.get(report=report, action=ReportAction.SUBMITTED).changes == {
        "status": ["draft", "submitted"]
    }


def test_submit_a_saved_draft(staff, periods):
    draft = save(staff, "1-5", periods["111Q4"], actual="5")

    report = services.report_submit(report=draft, user=staff, expected_version=1)

    assert report.status == S.SUBMITTED
    assert events(report) == [ReportAction.CREATED, ReportAction.SUBMITTED]


def test_a_submitted_report_cannot_be_edited_or_submitted_again(staff, periods):
    report = submitted(staff, periods)

    with pytest.raises(ValidationError):
        save(staff, "1-5", periods["111Q2"], actual="4", expected_version=report.version)
    with pytest.raises(ValidationError):
        services.report_submit(report=report, user=staff, expected_version=report.version)
    report.refresh_from_db()
    assert report.actual == Decimal(3)


# --- pace: when 未達成原因 and 改善措施 are required --------------------------------------


@pytest.mark.parametrize(
    ("code", "label", "actual", "expected", "light"),
    [
        # 1-5: 5 場 a year, cumulative: by Q2 half of 5 is 2.5, paced in whole sessions: 3.
        ("1-5", "111Q2", "3", "3", "green"),
        ("1-5", "111Q2", "2", "3", "red"),  # 66.7%
        ("1-5", "111Q1", "1", "1", "green"),  # a quarter of 5 is 1.25: 1 session
        ("1-5", "111Q3", "3", "4", "red"),  # 75% of 4 (3.75)
        ("1-5", "111Q4", "4", "5", "yellow"),
        ("1-5", "111Q4", "5", "5", "green"),
        # 2-3: occupancy 80%, a level: the full target all year.
        ("2-3", "111Q1", "70", "80", "yellow"),  # 87.5%
        ("2-3", "111Q1", "80", "80", "green"),
        ("2-3", "111Q1", "60", "80", "red"),  # 75%
        # 5-3: a cumulative ladder 10 → 40 → 70 → 100; 112 starts from 10, so Q2 expects 25.
        ("5-3", "112Q2", "25", "25", "green"),
        ("5-3", "112Q2", "20", "25", "yellow"),  # 80%
        ("5-3", "112Q2", "19", "25", "red"),  # 76%
        ("5-3", "111Q2", "5", "5", "green"),  # the first rung starts from 0
        # 3-2: 80% in 111, then 100% in 112: 112 starts from 80.
        ("3-2", "112Q1", "85", "85", "green"),
        # 1-1: 100% every year is not a ladder: each year starts from 0.
        ("1-1", "112Q1", "25", "25", "green"),
        # 1-3: one 式; half done by Q2.
        ("1-3", "111Q2", "0.5", "0.5", "green"),
        ("1-3", "111Q2", "0.4", "0.5", "yellow"),
    ],
)
def test_pace(periods, settings, code, label, actual, expected, light):
    # While its year is in progress, a figure is judged against its period's planned value (by default here).
    settings.KPI_TODAY = periods[label].end_date
    preview = assessments.report_preview(indicator=kpi_by_code(code), period=periods[label], actual=Decimal(actual))

    assert preview.period_target == Decimal(expected)
    assert preview.pace.light == light
    assert preview.needs_explanation == (light in ("yellow", "red"))


def test_the_year_assessment_is_against_the_full_target(periods, settings):
    settings.KPI_TODAY = periods["111Q2"].end_date
    preview = assessments.report_preview(indicator=kpi_by_code("1-5"), period=periods["111Q2"], actual=Decimal(3))
    assert preview.year_target == Decimal(5)
    assert preview.year.raw == Decimal("60.0000")
    assert preview.pace.raw == Decimal("100.0000")  # 3 of the 3 sessions expected by Q2


@pytest.mark.parametrize(
    ("code", "label", "actual", "required"),
    [
        ("1-5", "111Q2", "2", True),
        ("1-5", "111Q2", "3", False),
        ("2-3", "111Q1", "70", True),
        ("2-3", "111Q1", "85", False),
        ("5-3", "112Q2", "20", True),
        ("5-3", "112Q2", "25", False),
    ],
)
def test_a_yellow_or_red_pace_needs_reasons_and_measures(staff, periods, code, label, actual, required):
    if required:
        with pytest.raises(ValidationError) as exc:
            save(staff, code, periods[label], actual=actual, submit=True)
        assert set(exc.value.message_dict) == {"shortfall_reason", "improvement_plan"}
        assert not ProgressReport.objects.exists()
        report = save(
            staff, code, periods[label], actual=actual, shortfall_reason=REASON, improvement_plan=PLAN, submit=True
        )
    else:
        report = save(staff, code, periods[label], actual=actual, submit=True)
    assert report.status == S.SUBMITTED


def test_a_draft_behind_pace_may_leave_the_reasons_for_later(staff, periods):
    report = save(staff, "1-5", periods["111Q2"], actual="1")
    assert report.status == S.DRAFT


# --- units -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "value", "ok"),
    [
        ("1-5", "0", True),  # 場
        ("1-5", "3", True),
        ("1-5", "3.0", True),
        ("1-5", "2.5", False),
        ("1-5", "-1", False),
        ("5-2", "1.5", False),  # 件
        ("5-2", "12", True),
        ("4-3", "1", True),  # 處
        ("4-3", "0.5", False),
        ("1-3", "0.5", True),  # 式: the completed fraction
        ("1-3", "1", True),
        ("1-3", "1.2", False),
        ("1-3", "-0.1", False),
        ("2-3", "100", True),  # % statistics, higher is better
        ("2-3", "100.5", False),
        ("2-3", "-1", False),
        ("2-3", "85%", True),
        ("1-1", "100", True),  # % progress control
        ("1-1", "101", False),
        ("1-1", "abc", False),
        ("1-1", "1,000", False),
    ],
)
def test_unit_rules(staff, periods, code, value, ok):
    if ok:
        report = save(staff, code, periods["111Q1"], actual=value)
        assert report.actual is not None
    else:
        with pytest.raises(ValidationError) as exc:
            save(staff, code, periods["111Q1"], actual=value)
        assert set(exc.value.message_dict) == {"actual"}
        assert not ProgressReport.objects.exists()


def test_validate_actual_for_lower_is_better_percentages(seeded_plan):
    growth = kpi_by_code("共2-1")
    assert services.validate_actual(growth, "-5") == Decimal(-5)
    assert services.validate_actual(growth, "150") == Decimal(150)
    with pytest.raises(ValidationError):
        services.validate_actual(growth, "-101")


# --- common indicators: computed from inputs ------------------------------------------


def test_budget_surplus_is_computed_from_its_inputs_and_the_inputs_are_kept(staff, periods):
    inputs = {"budget": "1,000,000", "spent": "950000", "reserved": "20000"}

    report = save(staff, "共1-1", periods["111Q4"], inputs=inputs, actual="99", submit=True)

    assert report.actual == Decimal("3.0000")  # (1,000,000 − 970,000) ÷ 1,000,000; the typed actual is ignored
    assert report.inputs == inputs
    assert report.status == S.SUBMITTED


def test_contract_staff_growth_above_zero_is_red_and_needs_reasons(staff, periods):
    inputs = {"last_year_staff": "10", "this_year_staff": "11"}
    with pytest.raises(ValidationError) as exc:
        save(staff, "共2-1", periods["111Q4"], inputs=inputs, submit=True)
    assert set(exc.value.message_dict) == {"shortfall_reason", "improvement_plan"}

    report = save(
        staff, "共2-1", periods["111Q4"], inputs=inputs, shortfall_reason=REASON, improvement_plan=PLAN, submit=True
    )
    assert report.actual == Decimal("10.0000")


def test_learning_hours_ratio(staff, periods):
    report = save(
        staff, "共3-1", periods["111Q4"], inputs={"completed_staff": "45", "current_staff": "50"}, submit=True
    )
    assert report.actual == Decimal("90.0000")


def test_formula_errors_name_the_input(staff, periods):
    with pytest.raises(ValidationError) as exc:
        save(staff, "共1-1", periods["111Q4"], inputs={"budget": "0", "spent": "0", "reserved": "0"})
    assert set(exc.value.message_dict) == {"inputs.budget"}

    with pytest.raises(ValidationError) as exc:
        save(staff, "共1-1", periods["111Q4"], inputs={"budget": "100", "spent": "abc", "reserved": "0"})
    assert set(exc.value.message_dict) == {"inputs.spent"}


def test_submitting_a_common_indicator_needs_every_input(staff, periods):
    with pytest.raises(ValidationError) as exc:
        save(staff, "共1-1", periods["111Q4"], inputs={"budget": "1000000"}, submit=True)
    assert set(exc.value.message_dict) == {"inputs.spent", "inputs.reserved"}


def test_a_draft_may_hold_some_of_the_inputs(staff, periods):
    report = save(staff, "共1-1", periods["111Q4"], inputs={"budget": "1000000"})

    assert report.actual is None
    assert report.inputs == {"budget": "1000000", "spent": "", "reserved": ""}

    done = save(
        staff,
        "共1-1",
        periods["111Q4"],
        inputs={"budget": "1000000", "spent": "950000", "reserved": "20000"},
        expected_version=report.version,
        submit=True,
    )
    assert done.actual == Decimal(3)


def test_a_draft_with_a_mistyped_input_is_refused(staff, periods):
    with pytest.raises(ValidationError) as exc:
        save(staff, "共1-1", periods["111Q4"], inputs={"budget": "一百萬"})
    assert set(exc.value.message_dict) == {"inputs.budget"}


# --- conflicting edits ---------------------------------------------------------------


@pytest.fixture
def colleague(home_department):
    return UserFactory(username="colleague", first_name="張同事", reporter_of=[home_department])


def test_a_stale_edit_is_refused_with_the_changes_and_writes_nothing(staff, colleague, periods):
    save(staff, "1-5", periods["111Q2"], actual="1")
    save(colleague, "1-5", periods["111Q2"], actual="2", narrative="同事更新的說明。", expected_version=1)

    with pytest.raises(services.ConflictError) as exc:
        save(staff, "1-5", periods["111Q2"], actual="3", narrative=NARRATIVE, expected_version=1)

    error = exc.value
    assert set(error.changes) == {"actual", "narrative"}
    assert error.changes["actual"] == (Decimal(2), Decimal(3))
    assert error.changes["narrative"] == ("同事更新的說明。", NARRATIVE)
    assert "張同事" in error.messages[0] and "第 2 版" in error.messages[0]
    report = ProgressReport.objects.get()
    assert (report.version, report.actual, report.updated_by) == (2, Decimal(2), colleague)
    assert events(report) == [ReportAction.CREATED, ReportAction.EDITED]


def test_a_stale_submit_is_refused(staff, colleague, periods):
    draft = save(staff, "1-5", periods["111Q2"], actual="3")
    save(colleague, "1-5", periods["111Q2"], actual="4", expected_version=1)

    with pytest.raises(services.ConflictError):
        services.report_submit(report=draft, user=staff, expected_version=1)
    with pytest.raises(services.ConflictError):
        save(staff, "1-5", periods["111Q2"], actual="3", expected_version=1, submit=True)

    assert ProgressReport.objects.get().status == S.DRAFT


def test_two_people_starting_the_same_new_report(staff, colleague, periods):
    save(colleague, "1-5", periods["111Q2"], actual="2")

    # The staff member's form was opened before the report existed (no version).
    with pytest.raises(services.ConflictError) as exc:
        save(staff, "1-5", periods["111Q2"], actual="3")

    assert exc.value.changes == {"actual": (Decimal(2), Decimal(3))}
    assert ProgressReport.objects.get().actual == Decimal(2)


def test_a_version_for_a_report_that_does_not_exist(staff, periods):
    with pytest.raises(ValidationError):
        save(staff, "1-5", periods["111Q2"], actual="3", expected_version=4)
    assert not ProgressReport.objects.exists()


def test_a_stale_review_is_refused(staff, colleague, supervisor, periods):
    report = submitted(staff, periods)
    services.report_return(report=report, user=supervisor, comment="請補充會議紀錄。")

    with pytest.raises(services.ConflictError):
        services.report_approve(report=report, user=supervisor, expected_version=report.version - 1)


# --- locked periods -------------------------------------------------------------------


def test_a_locked_period_refuses_every_change(staff, supervisor, planner, periods, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    q1, q2, q3 = periods["111Q1"], periods["111Q2"], periods["111Q3"]
    draft = save(staff, "1-5", q1, actual="1")
    evidence = services.evidence_add(report=draft, user=staff, url="https://www.klcg.gov.tw/")
    waiting = save(staff, "1-5", q2, actual="3", submit=True)
    for period in (q1, q2, q3):
        services.period_lock(period=period, user=planner, force=True, reason="審查會議已結束")

    with pytest.raises(ValidationError):
        save(staff, "1-5", q1, actual="2", expected_version=draft.version)
    with pytest.raises(ValidationError):
        save(staff, "1-4", q3, actual="1")  # not even a new one
    with pytest.raises(ValidationError):
        services.report_submit(report=draft, user=staff)
    with pytest.raises(ValidationError):
        services.report_approve(report=waiting, user=supervisor)
    with pytest.raises(ValidationError):
        services.report_return(report=waiting, user=supervisor, comment="請修正")
    with pytest.raises(ValidationError):
        services.evidence_add(report=draft, user=staff, url="https://www.klcg.gov.tw/")
    with pytest.raises(ValidationError):
        services.evidence_remove(evidence=evidence, user=staff)

    assert ProgressReport.objects.count() == 2
    assert ProgressReport.objects.get(pk=waiting.pk).status == S.SUBMITTED
    assert Evidence.objects.get().removed_at is None

    services.period_unlock(period=q2, user=planner, reason="主管會議後補審")
    assert services.report_approve(report=waiting, user=supervisor).status == S.APPROVED


# --- who may report ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["other_staff", "supervisor", "planner", "admin"])
def test_only_the_departments_staff_report(cast, periods, who):
    with pytest.raises(PermissionDenied):
        save(cast[who], "1-5", periods["111Q1"], actual="1")
    assert not ProgressReport.objects.exists()


@pytest.mark.parametrize("who", ["other_staff", "supervisor"])
def test_only_the_departments_staff_submit(cast, staff, periods, who):
    draft = save(staff, "1-5", periods["111Q1"], actual="1")
    with pytest.raises(PermissionDenied):
        services.report_submit(report=draft, user=cast[who])


def test_an_inactive_reporter_cannot_report(staff, periods):
    staff.is_active = False
    staff.save()
    with pytest.raises(PermissionDenied):
        save(staff, "1-5", periods["111Q1"], actual="1")


# --- review ----------------------------------------------------------------------------


def test_the_supervisor_approves(staff, supervisor, periods):
    report = submitted(staff, periods)

    done = services.report_approve(report=report, user=supervisor, comment=" 同意 ", expected_version=report.version)

    assert done.status == S.APPROVED
    assert done.reviewed_by == supervisor
    assert done.reviewed_at is not None
    assert done.review_comment == "同意"
    assert done.version == report.version + 1
    event = ReportEvent.objects.filter(report=report).last()
    assert (event.action, event.actor, event.comment) == (ReportAction.APPROVED, supervisor, "同意")
    assert event.changes == {"status": ["submitted", "approved"]}


def test_staff_cannot_approve_their_own_report(staff, periods):
    report = submitted(staff, periods)
    with pytest.raises(PermissionDenied):
        services.report_approve(report=report, user=staff)
    with pytest.raises(PermissionDenied):
        services.report_return(report=report, user=staff, comment="退回自己")
    assert ProgressReport.objects.get().status == S.SUBMITTED


def test_a_reviewer_who_edited_the_report_cannot_approve_it(staff, supervisor, home_department, periods):
    deputy = UserFactory(username="deputy", reporter_of=[home_department], reviewer_of=[home_department])
    draft = save(staff, "1-5", periods["111Q2"], actual="2")
    save(deputy, "1-5", periods["111Q2"], actual="3", expected_version=draft.version)
    report = services.report_submit(report=draft, user=staff)
    # Neither created_by, updated_by nor submitted_by is the deputy any more: only the record knows.
    assert deputy.pk not in (report.created_by_id, report.updated_by_id, report.submitted_by_id)

    assert access.is_author(deputy, report)
    assert not access.can_review(deputy, report)
    with pytest.raises(PermissionDenied):
        services.report_approve(report=report, user=deputy)

    assert services.report_approve(report=report, user=supervisor).status == S.APPROVED


def test_a_reviewer_who_is_also_a_reporter_may_review_what_others_wrote(staff, home_department, periods):
    deputy = UserFactory(username="deputy", reporter_of=[home_department], reviewer_of=[home_department])
    report = submitted(staff, periods)
    assert services.report_approve(report=report, user=deputy).reviewed_by == deputy


@pytest.mark.parametrize("who", ["planner", "admin"])
def test_the_planning_office_and_admins_review_any_department(cast, other_department, seeded_plan, periods, who):
    dp = DepartmentPlan.objects.get(plan=seeded_plan, department=other_department)
    indicator = IndicatorFactory(objective=StrategicObjectiveFactory(department_plan=dp, number=1), number=1)
    report = services.report_save(
        indicator=indicator,
        period=periods["111Q4"],
        user=cast["other_staff"],
        actual="4",
        narrative="辦理戶政講習 4 場。",
        submit=True,
    )

    assert services.report_approve(report=report, user=cast[who]).status == S.APPROVED


@pytest.mark.parametrize("who", ["other_staff", "other_reviewer"])
def test_other_departments_cannot_review(cast, other_department, staff, periods, who):
    user = cast.get(who) or UserFactory(username="other_reviewer", reviewer_of=[other_department])
    report = submitted(staff, periods)
    with pytest.raises(PermissionDenied):
        services.report_approve(report=report, user=user)
    with pytest.raises(PermissionDenied):
        services.report_return(report=report, user=user, comment="請修正")


@pytest.mark.parametrize("comment", ["", "   ", None])
def test_returning_needs_a_comment(staff, supervisor, periods, comment):
    report = submitted(staff, periods)
    with pytest.raises(ValidationError) as exc:
        services.report_return(report=report, user=supervisor, comment=comment)
    assert "comment" in exc.value.message_dict
    assert ProgressReport.objects.get().status == S.SUBMITTED


def test_return_edit_resubmit_approve(staff, supervisor, periods):
    report = save(staff, "1-5", periods["111Q4"], actual="5", submit=True)

    returned = services.report_return(report=report, user=supervisor, comment="請上傳第 5 場會議紀錄。")
    assert returned.status == S.RETURNED
    assert returned.review_comment == "請上傳第 5 場會議紀錄。"
    assert ReportEvent.objects.get(action=ReportAction.RETURNED).comment == "請上傳第 5 場會議紀錄。"

    edited = save(
        staff,
        "1-5",
        periods["111Q4"],
        actual="5",
        narrative=NARRATIVE + "已補會議紀錄。",
        expected_version=returned.version,
    )
    assert edited.status == S.RETURNED  # still returned until it is sent again
    services.evidence_add(report=edited, user=staff, url="https://www.klcg.gov.tw/")
    resubmitted = services.report_submit(report=edited, user=staff, expected_version=edited.version)
    assert resubmitted.status == S.SUBMITTED
    done = services.report_approve(report=resubmitted, user=supervisor)

    assert done.status == S.APPROVED
    assert events(done) == [
        ReportAction.CREATED,
        ReportAction.SUBMITTED,
        ReportAction.RETURNED,
        ReportAction.EDITED,
        ReportAction.EVIDENCE_ADDED,
        ReportAction.RESUBMITTED,
        ReportAction.APPROVED,
    ]


def test_resubmitting_from_the_form_records_resubmitted(staff, supervisor, periods):
    report = save(staff, "1-5", periods["111Q4"], actual="5", submit=True)
    returned = services.report_return(report=report, user=supervisor, comment="請補充說明")

    again = save(
        staff,
        "1-5",
        periods["111Q4"],
        actual="5",
        narrative=NARRATIVE + "（補充）",
        expected_version=returned.version,
        submit=True,
    )

    assert again.status == S.SUBMITTED
    assert events(again)[-2:] == [ReportAction.EDITED, ReportAction.RESUBMITTED]


@pytest.mark.parametrize("status", ["draft", "returned", "approved"])
def test_only_submitted_reports_are_reviewed(staff, supervisor, periods, status):
    if status == "draft":
        report = save(staff, "1-5", periods["111Q2"], actual="3")
    elif status == "returned":
        report = services.report_return(report=submitted(staff, periods), user=supervisor, comment="請修正")
    else:
        report = approved(staff, supervisor, periods)

    with pytest.raises(ValidationError):
        services.report_approve(report=report, user=supervisor)
    with pytest.raises(ValidationError):
        services.report_return(report=report, user=supervisor, comment="請修正")
    assert ProgressReport.objects.get().status == status


def test_an_approved_report_cannot_be_edited(staff, supervisor, periods):
    report = approved(staff, supervisor, periods)
    with pytest.raises(ValidationError):
        save(staff, "1-5", periods["111Q2"], actual="4", expected_version=report.version)


def test_the_database_refuses_a_report_approved_by_its_submitter(staff, supervisor, periods):
    report = approved(staff, supervisor, periods)

    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressReport.objects.filter(pk=report.pk).update(reviewed_by=staff)


def test_the_database_refuses_an_approved_report_without_a_reviewer(staff, periods):
    report = submitted(staff, periods)

    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressReport.objects.filter(pk=report.pk).update(status=S.APPROVED)


# --- the year's actual (kpi.assessments.latest_approved) -----------------------------


def test_the_years_actual_is_its_latest_approved_report(staff, supervisor, periods):
    indicator = kpi_by_code("1-5")

    def approved_actual(indicator, year):
        return assessments.latest_approved(years=[year], indicator=indicator).get((indicator.id, year))

    assert approved_actual(indicator, 111) is None

    approved(staff, supervisor, periods, label="111Q2", actual="3")
    q3 = approved(staff, supervisor, periods, label="111Q3", actual="4")
    save(staff, "1-5", periods["111Q4"], actual="5", submit=True)  # waiting: does not count
    approved(staff, supervisor, periods, label="112Q1", actual="2")  # another year

    actual = approved_actual(indicator, 111)
    assert actual.pk == q3.pk
    assert actual.actual == Decimal(4)
    assert approved_actual(indicator, 112).actual == Decimal(2)
    assert approved_actual(indicator, 113) is None
    assert approved_actual(kpi_by_code("1-4"), 111) is None


def test_a_later_quarter_wins_whatever_the_order_of_approval(staff, supervisor, periods):
    q3 = submitted(staff, periods, label="111Q3", actual="4")
    q2 = submitted(staff, periods, label="111Q2", actual="3")
    services.report_approve(report=q3, user=supervisor)
    services.report_approve(report=q2, user=supervisor)

    indicator = kpi_by_code("1-5")
    assert assessments.latest_approved(years=[111], indicator=indicator)[(indicator.id, 111)].pk == q3.pk


# --- evidence -----------------------------------------------------------------------------

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
ZIP = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def draft(staff, periods):
    return save(staff, "1-5", periods["111Q2"], actual="3")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("會議紀錄.pdf", PDF),
        ("現場照片.PNG", PNG),
        ("成果報告.docx", ZIP),
        ("簽到表.odt", ZIP),
        ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"),
    ],
)
def test_evidence_files_that_are_what_they_say(staff, draft, media, name, content):
    evidence = services.evidence_add(
        report=draft, user=staff, file=SimpleUploadedFile(name, content), description=" 第二季會議紀錄 "
    )

    assert evidence.pk
    assert evidence.original_name == name
    assert evidence.size == len(content)
    assert evidence.description == "第二季會議紀錄"
    assert evidence.uploaded_by == staff
    assert evidence.file.name.startswith("evidence/")
    assert (media / evidence.file.name).read_bytes() == content
    event = ReportEvent.objects.get(report=draft, action=ReportAction.EVIDENCE_ADDED)
    assert (event.actor, event.comment) == (staff, name)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("script.js", b"alert(1)"),
        ("README", b"%PDF-1.4\n"),  # no extension
        ("會議紀錄.pdf", b"MZ\x90\x00 not a pdf at all"),  # wrong magic bytes
        ("照片.png", PDF),
        ("報告.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1legacy"),  # an OLE .doc renamed .docx
        ("空白.pdf", b""),
    ],
)
def test_evidence_files_that_are_refused(staff, draft, media, name, content):
    with pytest.raises(ValidationError) as exc:
        services.evidence_add(report=draft, user=staff, file=SimpleUploadedFile(name, content))

    assert "file" in exc.value.message_dict
    assert not Evidence.objects.exists()
    assert not any(media.rglob("*.*"))
    assert not ReportEvent.objects.filter(action=ReportAction.EVIDENCE_ADDED).exists()


def test_evidence_over_the_size_limit_is_refused(staff, draft, media, settings):
    settings.EVIDENCE_MAX_BYTES = len(PDF) - 1

    with pytest.raises(ValidationError) as exc:
        services.evidence_add(report=draft, user=staff, file=SimpleUploadedFile("大檔.pdf", PDF))
    assert "file" in exc.value.message_dict

    settings.EVIDENCE_MAX_BYTES = len(PDF)
    assert services.evidence_add(report=draft, user=staff, file=SimpleUploadedFile("剛好.pdf", PDF)).pk


def test_evidence_is_a_file_or_a_link_not_both_nor_neither(staff, draft, media):
    with pytest.raises(ValidationError):
        services.evidence_add(
            report=draft, user=staff, file=SimpleUploadedFile("a.pdf", PDF), url="https://www.klcg.gov.tw/"
        )
    with pytest.raises(ValidationError):
        services.evidence_add(report=draft, user=staff)
    with pytest.raises(ValidationError):
        services.evidence_add(report=draft, user=staff, url="   ")
    assert not Evidence.objects.exists()


def test_a_link_alone_is_evidence(staff, draft):
    evidence = services.evidence_add(report=draft, user=staff, url=" https://www.klcg.gov.tw/tw/News.html ")

    assert evidence.url == "https://www.klcg.gov.tw/tw/News.html"
    assert not evidence.file
    assert ReportEvent.objects.get(action=ReportAction.EVIDENCE_ADDED).comment == evidence.url


@pytest.mark.parametrize("url", ["javascript:alert(1)", "not a link", "file:///etc/passwd"])
def test_a_link_must_be_a_web_address(staff, draft, url):
    with pytest.raises(ValidationError):
        services.evidence_add(report=draft, user=staff, url=url)
    assert not Evidence.objects.exists()


def test_removing_evidence_hides_it_but_keeps_the_file(staff, draft, media):
    evidence = services.evidence_add(report=draft, user=staff, file=SimpleUploadedFile("會議紀錄.pdf", PDF))
    path = media / evidence.file.name

    services.evidence_remove(evidence=evidence, user=staff)

    evidence.refresh_from_db()
    assert evidence.removed_at is not None
    assert evidence.removed_by == staff
    assert path.read_bytes() == PDF
    event = ReportEvent.objects.get(action=ReportAction.EVIDENCE_REMOVED)
    assert (event.actor, event.comment) == (staff, "會議紀錄.pdf")


def test_evidence_cannot_be_removed_twice(staff, draft):
    evidence = services.evidence_add(report=draft, user=staff, url="https://www.klcg.gov.tw/")
    services.evidence_remove(evidence=evidence, user=staff)

    with pytest.raises(ValidationError):
        services.evidence_remove(evidence=evidence, user=staff)
    assert ReportEvent.objects.filter(action=ReportAction.EVIDENCE_REMOVED).count() == 1


def test_evidence_is_fixed_once_the_report_is_submitted(staff, supervisor, draft, media):
    evidence = services.evidence_add(report=draft, user=staff, url="https://www.klcg.gov.tw/")
    stale = ProgressReport.objects.get(pk=draft.pk)  # a copy loaded before the report was submitted
    services.report_submit(report=draft, user=staff)

    with pytest.raises(ValidationError):
        services.evidence_add(report=stale, user=staff, url="https://www.klcg.gov.tw/")
    with pytest.raises(ValidationError):
        services.evidence_remove(evidence=evidence, user=staff)
    assert Evidence.objects.count() == 1
    assert Evidence.objects.get().removed_at is None


@pytest.mark.parametrize("who", ["other_staff", "supervisor", "planner"])
def test_only_the_departments_staff_handle_evidence(cast, staff, draft, who):
    evidence = services.evidence_add(report=draft, user=staff, url="https://www.klcg.gov.tw/")
    with pytest.raises(PermissionDenied):
        services.evidence_add(report=draft, user=cast[who], url="https://www.klcg.gov.tw/")
    with pytest.raises(PermissionDenied):
        services.evidence_remove(evidence=evidence, user=cast[who])


# --- seed_demo_reports -------------------------------------------------------------------


def test_seed_demo_reports_refuses_outside_demo_mode(seeded_plan, settings):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError):
        call_command("seed_demo_reports")
    assert not ProgressReport.objects.exists()


DEMO_TODAY = datetime.datetime(2025, 10, 8, tzinfo=ZoneInfo("Asia/Taipei"))  # KPI_TODAY in the demo's .env


def test_seed_demo_reports(seeded_plan, settings, capsys):
    """On a plan of one review stage (the suite's default): the department's reviewer approves."""
    settings.DEMO_MODE = True
    assert seeded_plan.review_stages == 1

    call_command("seed_demo_reports")

    department = "都市發展處"
    reports = ProgressReport.objects.filter(indicator__department_plan__department__name=department)
    by_status = {s: reports.filter(status=s).count() for s in S.values}
    # 111–113 every quarter and 114Q1–Q2 approved; 114Q3: 20 waiting for review, one returned,
    # two drafts; nothing waits for a second review under one stage.
    assert by_status == {"approved": 23 * 14, "submitted": 20, "first_approved": 0, "returned": 1, "draft": 2}
    assert ProgressReport.objects.count() == reports.count()
    assert set(reports.values_list("review_stages", flat=True)) == {1}
    approved = reports.filter(status=S.APPROVED)
    assert set(approved.values_list("first_reviewed_by", "reviewed_by__username").distinct()) == {(None, "supervisor")}
    # Every quarter of 111–113 and 114Q1 approved; 114Q4 empty.
    for year in (111, 112, 113):
        assert reports.filter(period__year=year, status=S.APPROVED).count() == 23 * 4
        # One returned, resubmitted and approved report per year, to show the timeline; 113Q4 of
        # 5-2 also resubmitted after its correction.
        assert ReportEvent.objects.filter(report__period__year=year, action=ReportAction.RETURNED).count() == 1
        resubmitted = ReportEvent.objects.filter(report__period__year=year, action=ReportAction.RESUBMITTED)
        assert resubmitted.count() == (2 if year == 113 else 1)
    assert not reports.filter(period__year=114, period__number=4).exists()
    # The correction passes the one review again.
    correction = ReportCorrection.objects.get()
    assert correction.resolved_at and correction.resolved_by.username == "supervisor"
    assert correction.report.reviewed_by.username == "supervisor" and correction.report.first_reviewed_by is None
    # No one approved what they wrote; every yellow or red report explains itself.
    for report in reports.exclude(status=S.DRAFT).select_related("indicator", "period__plan"):
        assert report.narrative
        assert report.reviewed_by_id != report.submitted_by_id or report.reviewed_by_id is None
        preview = assessments.report_preview(indicator=report.indicator, period=report.period, actual=report.actual)
        if preview.needs_explanation:
            assert report.shortfall_reason and report.improvement_plan
    lights = [
        assessments.report_preview(indicator=r.indicator, period=r.period, actual=r.actual).year.light
        for r in reports.filter(status=S.APPROVED, period__number=4).select_related("indicator", "period__plan")
    ]
    assert lights.count("green") > len(lights) / 2
    assert "yellow" in lights and "red" in lights
    # Common indicators carry their inputs.
    common = reports.filter(indicator__kind="common", status=S.APPROVED)
    assert common.exists() and all(r.inputs for r in common)
    # 111–113 are locked by the planning office.
    locked = ReportingPeriod.objects.filter(plan=seeded_plan, is_locked=True)
    assert sorted({p.year for p in locked}) == [111, 112, 113] and locked.count() == 12
    assert PeriodEvent.objects.filter(action=PeriodAction.LOCKED, actor__username="planner").count() == 12
    out = capsys.readouterr().out
    assert "都市發展處 (one review stage: supervisor approves)" in out
    assert "20 submitted (waiting for review)" in out and "first_approved" not in out
    assert "1 returned (by supervisor)" in out

    before = (ProgressReport.objects.count(), ReportEvent.objects.count())
    call_command("seed_demo_reports")
    assert (ProgressReport.objects.count(), ReportEvent.objects.count()) == before
    assert "already" in capsys.readouterr().out

    # Deterministic: seeded again from nothing, the same figures, statuses and texts.
    def figures():
        return list(
            ProgressReport.objects.order_by("indicator_id", "period_id").values_list("actual", "status", "narrative")
        )

    first = figures()
    ReportEvent.objects.all().delete()
    Evidence.objects.all().delete()
    ProgressReport.objects.all().delete()
    ReportingPeriod.objects.update(is_locked=False)
    call_command("seed_demo_reports")
    assert figures() == first


def test_seed_demo_reports_on_two_stages(two_stages, settings, client):
    """On Keelung's two review stages, as `make demo` seeds it: 初核 by the department's reviewer,
    then 研考複核 by the planning office, both on the record; the year in progress shows both queues."""
    settings.DEMO_MODE = True
    out = io.StringIO()

    call_command("seed_demo_reports", stdout=out)

    reports = ProgressReport.objects.filter(indicator__department_plan__department__name="都市發展處")
    approved = reports.filter(status=S.APPROVED)
    assert approved.count() == 23 * 14
    # Every approved report passed 初核 by supervisor, then 研考複核 by planner: two people.
    assert set(
        approved.values_list("review_stages", "first_reviewed_by__username", "reviewed_by__username").distinct()
    ) == {(2, "supervisor", "planner")}
    assert not approved.filter(first_reviewed_at__gte=F("reviewed_at")).exists()
    # Each one's record shows both reviews, 初核 before 研考複核.
    reviews: dict[int, list[tuple[str, str]]] = {}
    for report_id, action, actor in (
        ReportEvent.objects.filter(report__in=approved, action__in=[ReportAction.FIRST_APPROVED, ReportAction.APPROVED])
        .order_by("at", "id")
        .values_list("report_id", "action", "actor__username")
    ):
        reviews.setdefault(report_id, []).append((action, actor))
    assert len(reviews) == approved.count()
    assert all(r[-2:] == [("first_approved", "supervisor"), ("approved", "planner")] for r in reviews.values())

    # 114Q3 on the demo's today: both queues, one returned at 研考複核, two drafts; 114Q4 empty.
    q3 = reports.filter(period__year=114, period__number=3)
    assert {s: q3.filter(status=s).count() for s in S.values} == {
        "draft": 2,
        "submitted": 7,  # waiting for 初核
        "first_approved": 13,  # objectives 1–4, waiting for 研考複核
        "returned": 1,
        "approved": 0,
    }
    assert set(q3.filter(status=S.FIRST_APPROVED).values_list("first_reviewed_by__username", flat=True)) == {
        "supervisor"
    }
    returned = q3.get(status=S.RETURNED)
    assert returned.indicator.code == "1-5" and returned.reviewed_by.username == "planner" and returned.review_comment
    assert list(returned.events.values_list("action", "actor__username")) == [
        ("created", "staff"),
        ("submitted", "staff"),
        ("first_approved", "supervisor"),
        ("returned", "planner"),
    ]
    assert reports.filter(period__year=114, period__number__in=[1, 2], status=S.APPROVED).count() == 2 * 23
    assert not reports.filter(period__year=114, period__number=4).exists()

    # The correction: 113Q4 of 5-2 reopened by planner (資料來源更新), corrected by staff, and
    # approved again through both stages, in its locked period.
    correction = ReportCorrection.objects.select_related("report__indicator", "report__period").get()
    report = correction.report
    assert (report.indicator.code, report.period.short_label) == ("5-2", "113Q4")
    assert report.period.is_locked
    assert correction.reason.startswith("資料來源更新")
    assert (correction.reopened_by.username, correction.resolved_by.username) == ("planner", "planner")
    assert correction.approved_by.username == "planner"  # the approval it withdrew
    assert report.status == S.APPROVED and not report.correcting
    assert report.corrected_at == correction.resolved_at and report.correction_reason == correction.reason
    assert report.actual == correction.actual + 1
    assert (report.first_reviewed_by.username, report.reviewed_by.username) == ("supervisor", "planner")
    assert list(report.events.filter(at__gte=correction.reopened_at).values_list("action", "actor__username")) == [
        ("reopened", "planner"),
        ("evidence_added", "staff"),
        ("edited", "staff"),
        ("resubmitted", "staff"),
        ("first_approved", "supervisor"),
        ("approved", "planner"),
    ]
    assert report.events.get(action=ReportAction.REOPENED).comment == correction.reason
    # The KPI page's record shows it.
    client.force_login(get_user_model().objects.get(username="planner"))
    page = client.get(reverse("kpi:detail", args=[report.indicator_id]) + "?year=113")
    assert correction.reason in page.content.decode()

    # Every period of 111–113 locked by the planning office, none forced: nothing was left unfinished.
    locks = PeriodEvent.objects.filter(action=PeriodAction.LOCKED)
    assert sorted(locks.values_list("period__year", "period__number")) == [
        (y, n) for y in (111, 112, 113) for n in (1, 2, 3, 4)
    ]
    assert set(locks.values_list("actor__username", "forced")) == {("planner", False)}
    assert ReportingPeriod.objects.filter(plan=two_stages, is_locked=True).count() == 12

    # Everything happened before the demo's today, and no report before its quarter ended.
    times = [
        *ReportEvent.objects.values_list("at", flat=True),
        *PeriodEvent.objects.values_list("at", flat=True),
        *Evidence.objects.values_list("uploaded_at", flat=True),
        *ReportCorrection.objects.values_list("reopened_at", flat=True),
        *ReportCorrection.objects.values_list("resolved_at", flat=True),
    ]
    for field in ("created_at", "updated_at", "submitted_at", "first_reviewed_at", "reviewed_at", "corrected_at"):
        times += [t for t in reports.values_list(field, flat=True) if t is not None]
    assert times and max(times) < DEMO_TODAY
    assert not ReportEvent.objects.filter(at__date__lte=F("report__period__end_date")).exists()
    # Each period locked after its reports' review; only the correction came after the lock.
    for period_id, locked_at in locks.values_list("period_id", "at"):
        assert not ReportEvent.objects.filter(report__period_id=period_id, at__gt=locked_at).exclude(report=report)
    assert correction.reopened_at > locks.get(period=report.period).at

    text = out.getvalue()
    assert "two review stages: 初核 by supervisor, then 研考複核 by planner" in text
    assert "7 submitted (waiting for 初核), 13 first_approved (waiting for 研考複核), 1 returned (by planner)" in text
    assert "Corrected after approval: 113Q4 5-2 (reopened by planner, approved again:" in text


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  已完成。 ", "已完成。"),
        ("第一行\x0b第二行", "第一行\n第二行"),  # Word's manual line break
        ("甲\u2028乙\x0c丙", "甲\n乙\n丙"),
        ("NUL\x00 and bell\x07 and DEL\x7f", "NUL and bell and DEL"),
        ("表格\t分隔\r\n換行", "表格\t分隔\r\n換行"),  # tabs and the browser's line breaks stay
        (None, ""),
    ],
)
def test_plain_text(typed, stored):
    assert plain_text(typed) == stored
