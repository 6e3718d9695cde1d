"""API v1: review stages, corrections, bulk approval and locks (kpi.services through HTTP).

Under two stages a report is filed, passes the department's first review (初核:
`first_approved`) and the planning office's (研考複核: `approved`); either may return it.
The planning office reopens an approved report for correction, and the approved figure
stays the period's actual until the correction is approved. Bulk approval is all or
none; locking a period with unfinished reports is refused unless forced with a reason.
Every refused write is checked to have changed nothing.
"""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kpi import access, services
from kpi.models import PeriodEvent, ProgressReport, ReportCorrection, ReportEvent, ReportingPeriod
from plans.models import DepartmentPlan, Membership, Role
from tests.factories import UserFactory, kpi_by_code, objectives_with_kpis, reports_for_indicators

API = "/api/v1/"
TEXTS = {"narrative": "本季辦理 1 場。", "shortfall_reason": "會議延期。", "improvement_plan": "下季加開。"}


@pytest.fixture(autouse=True)
def today(settings):
    settings.KPI_TODAY = datetime.date(2025, 4, 10)  # ROC 114, after its first quarter


def login(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


def post(client, path, data):
    return client.post(API + path, data, content_type="application/json")


def file_report(user, code, period, actual="1"):
    return services.report_save(
        indicator=kpi_by_code(code), period=period, user=user, actual=actual, submit=True, **TEXTS
    )


def version(report_id):
    return ProgressReport.objects.values_list("version", flat=True).get(pk=report_id)


def row(report_id):
    """Everything a review or a correction could change about a report."""
    return (
        ProgressReport.objects.filter(pk=report_id)
        .values_list(
            "status", "version", "actual", "reviewed_by", "first_reviewed_by", "review_comment", "correcting",
            "corrected_at", "correction_reason",
        )
        .get(),
        ReportEvent.objects.filter(report_id=report_id).count(),
        ReportCorrection.objects.filter(report_id=report_id).count(),
    )  # fmt: skip


def refusal(service, **kwargs):
    """What the service says to this refused call (in a savepoint, so it changes nothing either way)."""
    with pytest.raises((PermissionDenied, ValidationError)) as caught, transaction.atomic():
        service(**kwargs)
    exc = caught.value
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


def attainment_row(client, plan, code, year=114):
    response = client.get(API + "attainment/", {"plan": plan.pk, "year": year})
    assert response.status_code == 200, response.content
    indicator = kpi_by_code(code)
    return next(r for r in response.json()["indicators"] if r["indicator"] == indicator.pk)


# --- Two stages, end to end -------------------------------------------------------------------


def test_the_two_stage_path(client, two_stages, staff, supervisor, planner, periods):
    q1 = periods["114Q1"]
    # Staff file the figure.
    response = post(
        login(client, staff),
        "reports/",
        {"indicator": kpi_by_code("1-5").pk, "period": q1.pk, "actual": 1, "submit": True, **TEXTS},
    )
    assert response.status_code == 201, response.json()
    report = response.json()
    assert (report["status"], report["review_stages"], report["first_reviewed_by"]) == ("submitted", 2, None)
    report_id = report["id"]

    # 初核 returns it with a comment; staff correct and resubmit.
    response = post(
        login(client, supervisor), f"reports/{report_id}/return/", {"version": version(report_id), "comment": "請補件"}
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["first_reviewed_by"]) == ("returned", None)
    response = client.patch(
        API + f"reports/{report_id}/",
        {"version": version(report_id), "actual": 2, "submit": True},
        content_type="application/json",
    )
    assert response.status_code == 403  # the supervisor does not report
    response = login(client, staff).patch(
        API + f"reports/{report_id}/",
        {"version": version(report_id), "actual": 2, "submit": True},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "submitted"

    # 初核 passes it: first_approved, waiting for the planning office; not yet an actual.
    response = post(login(client, supervisor), f"reports/{report_id}/approve/", {"version": version(report_id)})
    assert response.status_code == 200, response.json()
    report = response.json()
    assert report["status"] == "first_approved"
    assert report["status_label"] == ProgressReport(status="first_approved").get_status_display()
    assert report["first_reviewed_by"] == {"id": supervisor.pk, "name": "李主任"}
    assert report["first_reviewed_at"] is not None
    waiting = login(client, planner).get(API + "reports/", {"status": "first_approved"}).json()
    assert [r["id"] for r in waiting["results"]] == [report_id]
    assert attainment_row(client, two_stages, "1-5")["actual"] is None

    # 研考複核 approves it: the figure is the period's actual.
    response = post(client, f"reports/{report_id}/approve/", {"version": version(report_id), "comment": "同意"})
    assert response.status_code == 200, response.json()
    report = response.json()
    assert (report["status"], report["reviewed_by"]["id"], report["first_reviewed_by"]["id"]) == (
        "approved",
        planner.pk,
        supervisor.pk,
    )
    assert [e["action"] for e in report["events"]] == [
        "created",
        "submitted",
        "returned",
        "edited",
        "resubmitted",
        "first_approved",
        "approved",
    ]
    row_ = attainment_row(client, two_stages, "1-5")
    assert (row_["actual"], row_["report"]) == (2, report_id)


def test_the_planning_office_returns_at_the_second_stage(client, two_stages, staff, supervisor, planner, periods):
    report = file_report(staff, "1-5", periods["114Q1"])
    services.report_approve(report=report, user=supervisor)
    response = post(
        login(client, planner), f"reports/{report.pk}/return/", {"version": version(report.pk), "comment": "數據有誤"}
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["first_reviewed_by"]) == ("returned", None)
    # Resubmitted, it starts again at the first review, which is not the planning office's.
    services.report_submit(report=report, user=staff, expected_version=version(report.pk))
    before = row(report.pk)
    response = post(client, f"reports/{report.pk}/approve/", {"version": version(report.pk)})
    assert response.status_code == 403
    assert response.json() == {"detail": access.review_refusal(planner, ProgressReport.objects.get(pk=report.pk))}
    assert row(report.pk) == before


def test_no_one_reviews_both_stages(client, two_stages, staff, admin_user, home_department, periods):
    # An admin may take either review, not both; nor may a reviewer who is also in the planning office.
    both = UserFactory(reviewer_of=[home_department])
    Membership.objects.create(user=both, department=None, role=Role.PLANNING_OFFICE)
    for reviewer, code in ((admin_user, "1-5"), (both, "2-1")):
        report = file_report(staff, code, periods["114Q1"])
        response = post(login(client, reviewer), f"reports/{report.pk}/approve/", {"version": version(report.pk)})
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == "first_approved"
        report.refresh_from_db()
        message = refusal(services.report_approve, report=report, user=reviewer)
        before = row(report.pk)
        for action in ("approve", "return"):
            response = post(
                client, f"reports/{report.pk}/{action}/", {"version": version(report.pk), "comment": "再看一次"}
            )
            assert response.status_code == 403
            assert response.json() == {"detail": message}
            assert row(report.pk) == before


def test_the_second_stage_is_the_planning_offices(client, two_stages, staff, supervisor, home_department, periods):
    report = file_report(staff, "1-5", periods["114Q1"])
    services.report_approve(report=report, user=supervisor)
    report.refresh_from_db()
    colleague = UserFactory(reviewer_of=[home_department])  # a reviewer who did not pass the first review
    before = row(report.pk)
    response = post(login(client, colleague), f"reports/{report.pk}/approve/", {"version": version(report.pk)})
    assert response.status_code == 403
    assert response.json() == {"detail": access.review_refusal(colleague, report)}
    assert row(report.pk) == before


# Who may approve, stage by stage (the plan reviews in two): `submitted` waits for 初核, and
# `first_approved` (passed by the supervisor) for 研考複核.
#              staff  other_staff  supervisor  planner  admin  anonymous
STAGES = {
    "submitted": (403, 404, 200, 403, 200, 401),
    "first_approved": (403, 404, 403, 200, 200, 401),
}
ACTORS = ["staff", "other_staff", "supervisor", "planner", "admin", "anonymous"]
STAGE_CASES = [(stage, actor, codes[i]) for stage, codes in STAGES.items() for i, actor in enumerate(ACTORS)]


@pytest.mark.parametrize(("stage", "actor", "expected"), STAGE_CASES, ids=[f"{s}-{a}" for s, a, _ in STAGE_CASES])
def test_who_reviews_at_each_stage(client, two_stages, cast, periods, stage, actor, expected):
    report = file_report(cast["staff"], "1-5", periods["114Q1"])
    if stage == "first_approved":
        services.report_approve(report=report, user=cast["supervisor"])
    before = row(report.pk)
    response = post(login(client, cast[actor]), f"reports/{report.pk}/approve/", {"version": version(report.pk)})
    assert response.status_code == expected, response.content
    if expected == 200:
        assert response.json()["status"] == ("first_approved" if stage == "submitted" else "approved")
        assert row(report.pk) != before
    else:
        assert row(report.pk) == before


def test_a_report_awaiting_no_review_is_a_400(client, two_stages, staff, supervisor, periods):
    draft = services.report_save(indicator=kpi_by_code("1-5"), period=periods["114Q1"], user=staff, actual="1")
    before = row(draft.pk)
    response = post(login(client, supervisor), f"reports/{draft.pk}/approve/", {"version": 1})
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [refusal(services.report_approve, report=draft, user=supervisor)]}
    assert row(draft.pk) == before


# --- Reopening for correction ----------------------------------------------------------------


@pytest.fixture
def approved(two_stages, staff, supervisor, planner, periods):
    report = file_report(staff, "1-5", periods["114Q1"], actual="2")
    services.report_approve(report=report, user=supervisor)
    return services.report_approve(report=report, user=planner)


def test_reopen_correct_and_approve_again(client, two_stages, staff, supervisor, planner, approved, periods):
    # The period was locked after its review meeting: a correction goes ahead all the same.
    services.period_lock(period=periods["114Q1"], user=planner)
    client = login(client, planner)
    response = post(client, f"reports/{approved.pk}/reopen/", {"reason": "實績誤植", "version": approved.version})
    assert response.status_code == 200, response.json()
    report = response.json()
    assert (report["status"], report["correcting"], report["review_comment"]) == ("returned", True, "實績誤植")
    assert report["corrected_at"] is None
    [correction] = report["corrections"]
    assert correction["reason"] == "實績誤植"
    assert correction["reopened_by"]["id"] == planner.pk
    assert (correction["approved_actual"], correction["approved_by"]["id"]) == (2, planner.pk)
    assert (correction["resolved_by"], correction["resolved_at"]) == (None, None)
    assert report["events"][-1]["action"] == "reopened"

    def figure_of_record():
        row_ = attainment_row(client, two_stages, "1-5")
        return row_["actual"], row_["report"]

    # Staff correct the figure and resubmit; until it is approved again the old figure counts.
    assert figure_of_record() == (2, approved.pk)
    response = login(client, staff).patch(
        API + f"reports/{approved.pk}/",
        {"version": version(approved.pk), "actual": 3, "submit": True},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["actual"], response.json()["status"]) == (3, "submitted")
    assert figure_of_record() == (2, approved.pk)
    response = post(login(client, supervisor), f"reports/{approved.pk}/approve/", {"version": version(approved.pk)})
    assert response.json()["status"] == "first_approved"
    assert figure_of_record() == (2, approved.pk)
    assert login(client, staff).get(API + f"reports/{approved.pk}/").json()["correcting"] is True

    # 研考複核 approves the correction: the new figure counts, the record keeps the old one.
    response = post(login(client, planner), f"reports/{approved.pk}/approve/", {"version": version(approved.pk)})
    assert response.status_code == 200, response.json()
    report = response.json()
    assert (report["status"], report["correcting"], report["correction_reason"]) == ("approved", False, "實績誤植")
    assert report["corrected_at"] is not None
    [correction] = report["corrections"]
    assert correction["approved_actual"] == 2
    assert correction["resolved_by"]["id"] == planner.pk
    assert correction["resolved_at"] is not None
    assert figure_of_record() == (3, approved.pk)


@pytest.mark.parametrize(
    ("actor", "code"), [("staff", 403), ("supervisor", 403), ("other_staff", 404), ("anonymous", 401)]
)
def test_only_the_planning_office_reopens(client, cast, approved, actor, code):
    before = row(approved.pk)
    response = post(login(client, cast[actor]), f"reports/{approved.pk}/reopen/", {"reason": "更正"})
    assert response.status_code == code
    if code == 403:
        assert response.json() == {
            "detail": refusal(services.report_reopen, report=approved, user=cast[actor], reason="更正")
        }
    assert row(approved.pk) == before


def test_reopen_refusals(client, admin_user, staff, approved, periods):
    client = login(client, admin_user)
    before = row(approved.pk)
    # No reason: a field error.
    for body in ({}, {"reason": "  "}, {"reason": "", "version": approved.version}):
        response = post(client, f"reports/{approved.pk}/reopen/", body)
        assert response.status_code == 400
        assert response.json() == {
            "reason": [refusal(services.report_reopen, report=approved, user=admin_user, reason="")]
        }
    # A stale version: 409 with the version now saved.
    response = post(client, f"reports/{approved.pk}/reopen/", {"reason": "更正", "version": approved.version - 1})
    assert response.status_code == 409
    assert response.json()["current_version"] == approved.version
    # Malformed bodies: 400 naming the field.
    for body, field in (({"reason": 5}, "reason"), ({"reason": "x", "version": "3"}, "version")):
        assert list(post(client, f"reports/{approved.pk}/reopen/", body).json()) == [field]
    assert row(approved.pk) == before
    # Only an approved report can be reopened.
    submitted = file_report(staff, "2-1", periods["114Q1"])
    before = row(submitted.pk)
    response = post(client, f"reports/{submitted.pk}/reopen/", {"reason": "更正"})
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [refusal(services.report_reopen, report=submitted, user=admin_user, reason="更正")]
    }
    assert row(submitted.pk) == before


# --- Bulk approval -------------------------------------------------------------------------------


def approve_many(client, *reports, comment=""):
    items = [{"id": r.pk, "version": version(r.pk)} for r in reports]
    return post(client, "reports/approve/", {"reports": items, "comment": comment})


def test_bulk_approve_at_each_stage(client, two_stages, staff, supervisor, planner, periods):
    reports = [file_report(staff, code, periods["114Q1"]) for code in ("2-1", "1-5")]
    response = approve_many(login(client, supervisor), *reports, comment="初核通過")
    assert response.status_code == 200, response.json()
    assert [(r["id"], r["status"]) for r in response.json()] == [(r.pk, "first_approved") for r in reports]
    response = approve_many(login(client, planner), *reports)
    assert response.status_code == 200, response.json()
    assert [(r["id"], r["status"], r["reviewed_by"]["id"]) for r in response.json()] == [
        (r.pk, "approved", planner.pk) for r in reports
    ]


def test_bulk_approve_is_all_or_nothing(client, staff, supervisor, other_staff, other_department, periods):
    q1 = periods["114Q1"]
    submitted = file_report(staff, "2-1", q1)
    draft = services.report_save(indicator=kpi_by_code("1-5"), period=q1, user=staff, actual="1")
    stale = file_report(staff, "4-3", q1)
    # 民政處's, submitted: the supervisor may not see it.
    other_plan = DepartmentPlan.objects.get(plan=q1.plan, department=other_department)
    [elsewhere] = reports_for_indicators(
        objectives_with_kpis(other_plan, objectives=1, kpis=1), q1, status="submitted", reporter=other_staff
    )
    reports = [submitted, draft, stale, elsewhere]
    before = [row(r.pk) for r in reports]
    client = login(client, supervisor)
    items = [{"id": r.pk, "version": version(r.pk)} for r in reports]
    items[2]["version"] -= 1
    items.append({"id": 987654321, "version": 1})
    response = post(client, "reports/approve/", {"reports": items, "comment": "同意"})
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"non_field_errors", "reports"}
    assert list(body["reports"]) == [str(draft.pk), str(stale.pk), str(elsewhere.pk), "987654321"]
    assert body["reports"][str(draft.pk)] == [refusal(services.report_approve, report=draft, user=supervisor)]
    # Not visible and not there read the same: nothing leaks about another department's report.
    assert body["reports"][str(elsewhere.pk)] == body["reports"]["987654321"]
    assert [row(r.pk) for r in reports] == before

    # The author is refused too, whatever else is in the list.
    Membership.objects.create(user=staff, department=submitted.indicator.department_plan.department, role=Role.REVIEWER)
    response = approve_many(login(client, staff), submitted)
    assert response.status_code == 400
    assert response.json()["reports"] == {
        str(submitted.pk): [refusal(services.report_approve, report=submitted, user=staff)]
    }
    assert row(submitted.pk) == before[0]

    # Without the refused ones, the rest go through.
    response = approve_many(login(client, supervisor), submitted, comment="同意")
    assert response.status_code == 200
    assert [(r["id"], r["status"], r["review_comment"]) for r in response.json()] == [
        (submitted.pk, "approved", "同意")
    ]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reports": []},
        {"reports": "12"},
        {"reports": [12]},
        {"reports": [{"id": 1}]},
        {"reports": [{"id": "1", "version": 1}]},
        {"reports": [{"id": True, "version": 1}]},
        {"reports": [{"id": 0, "version": 1}]},
        {"reports": [{"id": 2**63, "version": 1}]},
        {"reports": [{"id": 1, "version": -1}]},
        {"reports": [{"id": 1, "version": 1}, {"id": 1, "version": 2}]},
        {"reports": [{"id": n, "version": 1} for n in range(1, 502)]},
        {"reports": [{"id": 1, "version": 1}], "comment": 5},
    ],
)
def test_malformed_bulk_bodies_are_400_with_flat_field_errors(client, supervisor, body):
    response = post(login(client, supervisor), "reports/approve/", body)
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) <= {"reports", "comment"} and errors
    assert all(isinstance(m, str) for messages in errors.values() for m in messages)
    assert not any("%(" in m or "{{" in m for messages in errors.values() for m in messages)  # formatted


def test_too_many_reports_at_once(client, supervisor):
    response = post(
        login(client, supervisor), "reports/approve/", {"reports": [{"id": n, "version": 1} for n in range(1, 502)]}
    )
    assert response.json() == {"reports": [_("At most %(limit)s reports at a time.") % {"limit": 500}]}


def test_bulk_approve_needs_a_sign_in(client, staff, periods):
    report = file_report(staff, "2-1", periods["114Q1"])
    assert approve_many(client, report).status_code == 401
    assert client.get(API + "reports/approve/").status_code == 401
    assert login(client, staff).get(API + "reports/approve/").status_code == 405


# --- Locks ---------------------------------------------------------------------------------------


def lock_state(period):
    return ReportingPeriod.objects.get(pk=period.pk).is_locked, PeriodEvent.objects.filter(period=period).count()


def test_locking_with_unfinished_reports_is_refused_unless_forced(
    client, two_stages, staff, supervisor, planner, periods
):
    q1 = periods["114Q1"]
    submitted = file_report(staff, "2-1", q1)
    passed = file_report(staff, "1-5", q1)
    services.report_approve(report=passed, user=supervisor)
    client = login(client, planner)
    before = lock_state(q1)

    response = post(client, f"periods/{q1.pk}/lock/", {})
    assert response.status_code == 400
    body = response.json()
    with pytest.raises(services.UnfinishedReports) as caught, transaction.atomic():
        services.period_lock(period=q1, user=planner)
    assert body["detail"] == caught.value.messages[0]
    assert sorted(body["unfinished"], key=lambda r: r["report"]) == sorted(
        [
            {"report": submitted.pk, "department": "都市發展處", "indicator": "2-1 " + submitted.indicator.name,
             "status": "submitted"},
            {"report": passed.pk, "department": "都市發展處", "indicator": "1-5 " + passed.indicator.name,
             "status": "first_approved"},
        ],
        key=lambda r: r["report"],
    )  # fmt: skip
    assert lock_state(q1) == before

    # "Lock anyway" needs a reason.
    response = post(client, f"periods/{q1.pk}/lock/", {"force": True})
    assert response.status_code == 400
    assert list(response.json()) == ["reason"]
    assert lock_state(q1) == before
    response = post(client, f"periods/{q1.pk}/lock/", {"force": "yes", "reason": "審查會議已結束"})
    assert response.status_code == 400
    assert list(response.json()) == ["force"]

    response = post(client, f"periods/{q1.pk}/lock/", {"force": True, "reason": "審查會議已結束"})
    assert response.status_code == 200, response.json()
    assert (response.json()["id"], response.json()["is_locked"]) == (q1.pk, True)
    event = PeriodEvent.objects.get(period=q1)
    assert (event.forced, event.reason, len(event.unfinished)) == (True, "審查會議已結束", 2)

    # Locked already: a 400, nothing added to the record.
    before = lock_state(q1)
    response = post(client, f"periods/{q1.pk}/lock/", {"force": True, "reason": "again"})
    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]
    assert lock_state(q1) == before


def test_unlock_needs_a_reason(client, planner, admin_user, periods):
    q1 = periods["114Q1"]
    client = login(client, admin_user)
    response = post(client, f"periods/{q1.pk}/lock/", {})
    assert response.status_code == 200, response.json()
    assert response.json()["is_locked"] is True
    before = lock_state(q1)
    for body in ({}, {"reason": " "}):
        response = post(client, f"periods/{q1.pk}/unlock/", body)
        assert response.status_code == 400
        assert response.json() == {"reason": [refusal(services.period_unlock, period=q1, user=admin_user, reason="")]}
        assert lock_state(q1) == before
    response = post(client, f"periods/{q1.pk}/unlock/", {"reason": "補正資料"})
    assert response.status_code == 200
    assert response.json()["is_locked"] is False
    # Not locked: a 400, nothing added to the record.
    before = lock_state(q1)
    response = post(client, f"periods/{q1.pk}/unlock/", {"reason": "補正資料"})
    assert response.status_code == 400
    assert lock_state(q1) == before


@pytest.mark.parametrize("actor", ["staff", "other_staff", "supervisor"])
def test_only_the_planning_office_locks_and_unlocks(client, cast, planner, periods, actor):
    q1, q2 = periods["114Q1"], periods["114Q2"]
    services.period_lock(period=q2, user=planner)
    before = lock_state(q1), lock_state(q2)
    client = login(client, cast[actor])
    assert post(client, f"periods/{q1.pk}/lock/", {"force": True, "reason": "x"}).status_code == 403
    assert post(client, f"periods/{q2.pk}/unlock/", {"reason": "x"}).status_code == 403
    assert post(client, "periods/987654321/lock/", {}).status_code == 404
    assert (lock_state(q1), lock_state(q2)) == before


# --- The schema ------------------------------------------------------------------------------------


def test_the_schema_documents_the_new_actions(client, db, settings):
    settings.API_DOCS_PUBLIC = True
    schema = client.get(API + "schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for path in ("reports/approve/", "reports/{id}/reopen/", "periods/{id}/lock/", "periods/{id}/unlock/"):
        assert "post" in paths["/api/v1/" + path]
    assert "first_approved" in paths["/api/v1/reports/{id}/approve/"]["post"]["description"]
    components = schema["components"]["schemas"]
    status = components["Report"]["properties"]["status"]["allOf"][0]["$ref"].rsplit("/", 1)[1]
    assert "first_approved" in components[status]["enum"]
    for field in ("review_stages", "first_reviewed_by", "first_reviewed_at", "correcting", "corrected_at",
                  "correction_reason"):  # fmt: skip
        assert components["Report"]["properties"][field]["readOnly"] is True
    assert "corrections" in components["ReportDetail"]["properties"]
