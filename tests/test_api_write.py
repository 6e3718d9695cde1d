"""API v1, writing: the report form's rules through kpi.services, as HTTP status codes.

ValidationError → 400 with the services' zh-Hant messages per field (the same words as
the form shows), PermissionDenied → 403, ConflictError → 409 with the version now saved
and what changed.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from kpi import services
from kpi.models import Evidence, ProgressReport, ReportEvent, ReportingPeriod, ReportStatus
from plans.models import Membership, Role
from tests.factories import kpi_by_code

API = "/api/v1/"
NARRATIVE = "本季召開市港溝通平台會議 2 場。"
REASON = "港務公司協調會議延期。"
PLAN = "下季加開 1 場。"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def today(settings):
    settings.KPI_TODAY = datetime.date(2023, 8, 10)  # ROC 112


def login(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


def post(client, path, data, **extra):
    return client.post(API + path, data, content_type="application/json", **extra)


def patch(client, path, data):
    return client.patch(API + path, data, content_type="application/json")


def create(client, code, period, **fields):
    return post(client, "reports/", {"indicator": kpi_by_code(code).pk, "period": period.pk, **fields})


def workflow_message(code, period, **values):
    """What kpi.services (and so the report form) says about these values."""
    with pytest.raises(ValidationError) as caught:
        services.report_clean(indicator=kpi_by_code(code), period=period, submitting=True, **values)
    return caught.value.message_dict


# --- Creating ------------------------------------------------------------------------------


def test_staff_create_a_draft(client, staff, periods):
    response = create(login(client, staff), "1-5", periods["112Q2"], actual=2, narrative=NARRATIVE)
    assert response.status_code == 201
    row = response.json()
    assert row["status"] == "draft"
    assert row["version"] == 1
    assert row["actual"] == 2
    assert row["narrative"] == NARRATIVE
    assert row["created_by"]["id"] == staff.pk
    assert [e["action"] for e in row["events"]] == ["created"]
    report = ProgressReport.objects.get(pk=row["id"])
    assert (report.indicator, report.period, report.status) == (kpi_by_code("1-5"), periods["112Q2"], "draft")


def test_create_and_submit_at_once(client, staff, periods):
    response = create(
        login(client, staff), "1-5", periods["112Q2"], actual="2", narrative=NARRATIVE,
        shortfall_reason=REASON, improvement_plan=PLAN, submit=True,
    )  # fmt: skip
    assert response.status_code == 201
    assert response.json()["status"] == "submitted"
    assert response.json()["version"] == 2


def test_a_report_that_exists_is_a_conflict_unless_the_version_matches(client, staff, periods):
    client = login(client, staff)
    first = create(client, "1-5", periods["112Q2"], actual="2", narrative=NARRATIVE).json()
    again = create(client, "1-5", periods["112Q2"], actual="3", narrative=NARRATIVE)
    assert again.status_code == 409
    body = again.json()
    assert body["current_version"] == 1
    assert body["current_status"] == "draft"
    assert body["changes"] == {"actual": {"current": 2, "yours": 3}}
    assert "第 1 版" in body["detail"]
    assert ProgressReport.objects.get(pk=first["id"]).actual == 2
    stale = create(client, "1-5", periods["112Q2"], actual="3", narrative=NARRATIVE, version=0)
    assert stale.status_code == 409
    saved = create(client, "1-5", periods["112Q2"], actual="3", narrative=NARRATIVE, version=1)
    assert saved.status_code == 200
    assert saved.json()["id"] == first["id"]
    assert saved.json()["version"] == 2
    assert saved.json()["actual"] == 3


def test_a_fractional_session_count_is_refused_with_the_forms_message(client, staff, periods):
    response = create(login(client, staff), "1-5", periods["112Q2"], actual="2.5", narrative=NARRATIVE)
    assert response.status_code == 400
    assert response.json() == {"actual": ["以「場」計的實績必須是大於或等於 0 的整數。"]}
    assert (
        response.json()["actual"]
        == workflow_message("1-5", periods["112Q2"], actual="2.5", narrative=NARRATIVE)["actual"]
    )
    assert not ProgressReport.objects.exists()


@pytest.mark.parametrize(
    "code, actual, message",
    [
        ("1-3", "1.5", "以「式」計的實績是完成比例，請填 0 到 1 之間的數字（完成為 1，例如完成一半填 0.5）。"),
        ("1-1", "120", "百分比請填 0 到 100 之間的數字（不含 % 符號亦可）。"),
        ("1-5", "abc", "「abc」不是數字。"),
        ("1-5", "-1", "以「場」計的實績必須是大於或等於 0 的整數。"),
        # More than the column holds (14 digits, 4 after the point): refused, not stored and unreadable.
        ("1-5", "1e20", "數值過大，請確認數字。"),
        ("1-5", "9999999999.99999", "數值過大，請確認數字。"),
    ],
)
def test_figures_are_checked_by_the_unit(client, staff, periods, code, actual, message):
    response = create(login(client, staff), code, periods["112Q2"], actual=actual)
    assert response.status_code == 400
    assert response.json() == {"actual": [message]}


def test_a_submission_needs_everything_the_form_needs(client, staff, periods):
    response = create(login(client, staff), "1-5", periods["112Q2"], actual="1", submit=True)
    assert response.status_code == 400
    expected = workflow_message("1-5", periods["112Q2"], actual="1")
    assert response.json() == expected
    assert set(expected) == {"narrative", "shortfall_reason", "improvement_plan"}
    assert response.json()["narrative"] == ["送出前請填寫達成情形說明。"]
    response = create(login(client, staff), "1-5", periods["112Q2"], submit=True, narrative=NARRATIVE)
    assert response.json() == {"actual": ["請填寫累計實績。"]}


def test_common_indicator_inputs_errors_nest_under_inputs(client, staff, periods, settings):
    settings.KPI_TODAY = datetime.date(2024, 1, 10)  # 112Q4, the year-end report, is open (since 2023-12-17)
    client = login(client, staff)
    response = create(client, "共1-1", periods["112Q4"], inputs={"budget": "abc", "spent": "-1"}, submit=True)
    assert response.status_code == 400
    body = response.json()
    assert body["inputs"] == {
        "budget": ["預算數必須是數字。"],
        "spent": ["實支數不可為負數。"],
        "reserved": ["請填寫保留數。"],
    }
    assert body["narrative"] == ["送出前請填寫達成情形說明。"]
    response = create(client, "共2-1", periods["112Q4"], inputs={"last_year_staff": 10, "this_year_staff": 10.5})
    assert response.json() == {"inputs": {"this_year_staff": ["本年度約聘僱員額必須是整數。"]}}
    response = create(client, "共2-1", periods["112Q4"], inputs={"last_year_staff": 1, "this_year_staff": 10**13})
    assert response.json() == {"inputs": {"non_field_errors": ["數值過大，請確認數字。"]}}
    response = create(
        client, "共1-1", periods["112Q4"], inputs={"budget": 1000000, "spent": "900,000", "reserved": 0},
        narrative=NARRATIVE, submit=True,
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    assert response.json()["actual"] == 10
    assert response.json()["inputs"] == {"budget": "1000000", "spent": "900,000", "reserved": "0"}


def test_a_figure_goes_in_the_field_the_indicator_has(client, staff, periods):
    client = login(client, staff)
    response = create(client, "共1-1", periods["112Q4"], actual="5")
    assert response.status_code == 400
    assert list(response.json()) == ["actual"]
    response = create(client, "1-5", periods["112Q4"], inputs={"budget": "5"})
    assert response.status_code == 400
    assert list(response.json()) == ["inputs"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "indicator"),
        ({"indicator": "x", "period": 1}, "indicator"),
        ({"indicator": 99999999999999999999999, "period": 1}, "indicator"),
        ({"indicator": "INDICATOR", "period": 0}, "period"),
        ({"indicator": "INDICATOR", "period": 999999}, "period"),
        ({"indicator": 999999, "period": "PERIOD"}, "indicator"),
        ({"indicator": "INDICATOR", "period": "PERIOD", "actual": True}, "actual"),
        ({"indicator": "INDICATOR", "period": "PERIOD", "actual": [1]}, "actual"),
        ({"indicator": "INDICATOR", "period": "PERIOD", "actual": "1" * 41}, "actual"),
        ({"indicator": "INDICATOR", "period": "PERIOD", "actual": "1\x00"}, "actual"),
        ({"indicator": "INDICATOR", "period": "PERIOD", "narrative": "a\x00b"}, "narrative"),
        ({"indicator": "INDICATOR", "period": "PERIOD", "inputs": "budget"}, "inputs"),
        ({"indicator": "INDICATOR", "period": "PERIOD", "inputs": {"budget": None}}, "inputs"),
        ({"indicator": "INDICATOR", "period": "PERIOD", "submit": "maybe"}, "submit"),
        ({"indicator": "INDICATOR", "period": "PERIOD", "version": -1}, "version"),
    ],
)
def test_malformed_bodies_are_400_naming_the_field(client, staff, periods, body, field):
    body = {
        k: (kpi_by_code("1-5").pk if v == "INDICATOR" else periods["112Q2"].pk if v == "PERIOD" else v)
        for k, v in body.items()
    }
    response = post(login(client, staff), "reports/", body)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("body", ["[1, 2]", "not json", '"text"', "{"])
def test_bodies_that_are_not_objects_are_400(client, staff, periods, body):
    response = login(client, staff).generic("POST", API + "reports/", body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")


def test_a_period_of_another_plan_is_refused(client, staff, periods, seeded_plan):
    from plans.models import Plan

    other = Plan.objects.create(
        name="下期", start_year=115, end_year=118, edition="草案", published_year=114, published_month=1
    )
    services.periods_ensure(plan=other)
    period = ReportingPeriod.objects.filter(plan=other).first()
    response = create(login(client, staff), "1-5", period, actual="1")
    assert response.status_code == 400
    assert response.json() == {"period": ["填報期間不屬於此指標的計畫。"]}


# --- Who may write -----------------------------------------------------------------------------


def test_anonymous_cannot_write(client, periods):
    assert create(client, "1-5", periods["112Q2"], actual="1").status_code == 401
    assert not ProgressReport.objects.exists()


@pytest.mark.parametrize("user", ["supervisor", "planner", "admin"])
def test_only_reporters_create(client, cast, periods, user):
    response = create(login(client, cast[user]), "1-5", periods["112Q2"], actual="1")
    assert response.status_code == 403
    assert response.json() == {"detail": "你沒有填報此指標的權限。"}
    assert not ProgressReport.objects.exists()


def test_another_departments_staff_cannot_see_the_indicator(client, other_staff, periods):
    response = create(login(client, other_staff), "1-5", periods["112Q2"], actual="1")
    assert response.status_code == 400
    assert list(response.json()) == ["indicator"]


def test_a_locked_period_refuses_writes(client, staff, planner, periods):
    services.period_lock(period=periods["112Q2"], user=planner)
    response = create(login(client, staff), "1-5", periods["112Q2"], actual="1")
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["民國112年第2季已鎖定，不能再修改。如需更正，請洽研考人員解除鎖定。"]
    }


# --- Editing -----------------------------------------------------------------------------------


@pytest.fixture
def draft(staff, periods):
    return services.report_save(
        indicator=kpi_by_code("1-5"), period=periods["112Q2"], user=staff, actual="2", narrative=NARRATIVE
    )


def test_patch_changes_only_the_fields_sent(client, staff, draft):
    response = patch(login(client, staff), f"reports/{draft.pk}/", {"version": 1, "actual": "3"})
    assert response.status_code == 200
    row = response.json()
    assert (row["actual"], row["narrative"], row["version"], row["status"]) == (3, NARRATIVE, 2, "draft")
    assert ReportEvent.objects.filter(report=draft, action="edited").get().changes == {"actual": ["2", "3"]}


def test_patch_and_submit(client, staff, draft):
    response = patch(
        login(client, staff),
        f"reports/{draft.pk}/",
        {"version": 1, "shortfall_reason": REASON, "improvement_plan": PLAN, "submit": True},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "submitted"


def test_patch_needs_the_version(client, staff, draft):
    response = patch(login(client, staff), f"reports/{draft.pk}/", {"actual": "3"})
    assert response.status_code == 400
    assert list(response.json()) == ["version"]


def test_patch_on_a_stale_version_is_a_conflict(client, staff, draft):
    services.report_save(
        indicator=draft.indicator, period=draft.period, user=staff, actual="4", narrative=NARRATIVE, expected_version=1
    )
    response = patch(login(client, staff), f"reports/{draft.pk}/", {"version": 1, "actual": "3"})
    assert response.status_code == 409
    body = response.json()
    assert body["current_version"] == 2
    assert body["changes"] == {"actual": {"current": 4, "yours": 3}}
    assert ProgressReport.objects.get(pk=draft.pk).actual == 4


def test_patch_with_a_bad_figure_is_400(client, staff, draft):
    response = patch(login(client, staff), f"reports/{draft.pk}/", {"version": 1, "actual": "2.5"})
    assert response.status_code == 400
    assert response.json() == {"actual": ["以「場」計的實績必須是大於或等於 0 的整數。"]}


def test_patch_by_someone_who_may_not_report(client, supervisor, other_staff, draft):
    assert patch(login(client, supervisor), f"reports/{draft.pk}/", {"version": 1, "actual": "3"}).status_code == 403
    assert patch(login(client, other_staff), f"reports/{draft.pk}/", {"version": 1, "actual": "3"}).status_code == 404


def test_submitted_reports_cannot_be_edited(client, staff, draft):
    response = post(login(client, staff), f"reports/{draft.pk}/submit/", {"version": 1})
    assert response.status_code == 400  # 1-5 at 2 of 5 by Q2 is behind: the reason and the plan are needed
    assert set(response.json()) == {"shortfall_reason", "improvement_plan"}
    patch(client, f"reports/{draft.pk}/", {"version": 1, "shortfall_reason": REASON, "improvement_plan": PLAN})
    assert post(client, f"reports/{draft.pk}/submit/", {"version": 2}).json()["status"] == "submitted"
    response = patch(client, f"reports/{draft.pk}/", {"version": 3, "actual": "3"})
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["這份填報目前為「待審核」，不能修改。"]}


# --- Review --------------------------------------------------------------------------------------


@pytest.fixture
def submitted(staff, periods):
    return services.report_save(
        indicator=kpi_by_code("1-5"), period=periods["112Q2"], user=staff, actual="3",
        narrative=NARRATIVE, shortfall_reason=REASON, improvement_plan=PLAN, submit=True,
    )  # fmt: skip


def test_approve(client, supervisor, submitted):
    response = post(login(client, supervisor), f"reports/{submitted.pk}/approve/", {"version": 2, "comment": "同意"})
    assert response.status_code == 200
    row = response.json()
    assert (row["status"], row["version"], row["review_comment"]) == ("approved", 3, "同意")
    assert row["reviewed_by"]["id"] == supervisor.pk


def test_return_needs_a_comment(client, supervisor, submitted):
    client = login(client, supervisor)
    response = post(client, f"reports/{submitted.pk}/return/", {"version": 2})
    assert response.status_code == 400
    assert response.json() == {"comment": ["退回時必須填寫意見，讓填報人知道要修正什麼。"]}
    response = post(client, f"reports/{submitted.pk}/return/", {"version": 2, "comment": "請補充會議紀錄。"})
    assert response.status_code == 200
    assert response.json()["status"] == "returned"


def test_review_on_a_stale_version_is_a_conflict(client, supervisor, submitted):
    response = post(login(client, supervisor), f"reports/{submitted.pk}/approve/", {"version": 1})
    assert response.status_code == 409
    assert response.json()["current_version"] == 2
    assert response.json()["changes"] == {"status": {"current": "submitted", "yours": "submitted"}}
    assert ProgressReport.objects.get(pk=submitted.pk).status == ReportStatus.SUBMITTED


@pytest.mark.parametrize("action", ["approve", "return"])
def test_the_author_cannot_review(client, staff, submitted, action):
    Membership.objects.create(user=staff, department=submitted.indicator.department_plan.department, role=Role.REVIEWER)
    response = post(login(client, staff), f"reports/{submitted.pk}/{action}/", {"version": 2, "comment": "自己審"})
    assert response.status_code == 403
    assert response.json() == {"detail": "不能審核自己填寫的報告。"}


@pytest.mark.parametrize("user, code", [("other_staff", 404), ("staff", 403)])
def test_only_reviewers_review(client, cast, submitted, user, code):
    response = post(login(client, cast[user]), f"reports/{submitted.pk}/approve/", {"version": 2})
    assert response.status_code == code


def test_a_draft_cannot_be_approved(client, supervisor, draft):
    response = post(login(client, supervisor), f"reports/{draft.pk}/approve/", {"version": 1})
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["只有待審核的填報可以審核；這份目前為「草稿」。"]}


def test_actions_need_the_version(client, supervisor, submitted):
    response = post(login(client, supervisor), f"reports/{submitted.pk}/approve/", {})
    assert response.status_code == 400
    assert list(response.json()) == ["version"]


# --- Evidence ------------------------------------------------------------------------------------


def upload(client, report, **data):
    return client.post(API + f"reports/{report.pk}/evidence/", data)


def test_upload_a_file(client, staff, draft):
    response = upload(login(client, staff), draft, file=SimpleUploadedFile("紀錄.pdf", PDF), description="會議紀錄")
    assert response.status_code == 201
    row = response.json()
    assert (row["type"], row["original_name"], row["size"], row["description"]) == (
        "file",
        "紀錄.pdf",
        len(PDF),
        "會議紀錄",
    )
    assert row["download_url"].endswith(f"/evidence/{row['id']}/")
    assert client.get(row["download_url"]).status_code == 200
    Evidence.objects.get(pk=row["id"]).file.delete(save=False)


def test_add_a_link(client, staff, draft):
    response = upload(login(client, staff), draft, url="https://www.klcg.gov.tw/")
    assert response.status_code == 201
    assert response.json()["type"] == "link"


@pytest.mark.parametrize(
    "data, field",
    [
        ({"file": ("a.exe", b"MZ")}, "file"),
        ({"file": ("a.pdf", b"not a pdf")}, "file"),
        ({"file": ("a.pdf", b"")}, "file"),
        ({}, "file"),
        ({"url": "not a link"}, "url"),
    ],
)
def test_bad_evidence_is_400(client, staff, draft, data, field):
    if "file" in data:
        data = {"file": SimpleUploadedFile(*data["file"])}
    response = upload(login(client, staff), draft, **data)
    assert response.status_code == 400
    assert field in response.json()
    assert not Evidence.objects.exists()


def test_evidence_needs_report_permission_and_an_editable_report(client, supervisor, staff, submitted):
    assert upload(login(client, supervisor), submitted, url="https://example.org/").status_code == 403
    response = upload(login(client, staff), submitted, url="https://example.org/")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["這份填報目前為「待審核」，不能更改佐證資料。"]}
