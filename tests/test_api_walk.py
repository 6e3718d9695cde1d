"""The whole reporting cycle through API v1 with token authentication.

Staff create and submit a figure; the supervisor returns it with a comment; staff
correct and resubmit it; the supervisor approves it; the attainment endpoint then
shows the approved actual. Every step is the same service the pages call.
"""

import datetime

import pytest
from rest_framework.test import APIClient

from kpi import services
from kpi.models import ProgressReport, ReportingPeriod
from plans.models import Membership, Role
from tests.factories import kpi_by_code

API = "/api/v1/"


@pytest.fixture(autouse=True)
def today(settings):
    settings.KPI_TODAY = datetime.date(2023, 10, 5)  # ROC 112, after the third quarter


@pytest.fixture
def period(seeded_plan):
    services.periods_ensure(plan=seeded_plan)
    return ReportingPeriod.objects.get(plan=seeded_plan, year=112, number=3)


def token_client(username, password) -> APIClient:
    """A client that signs in the way a script would: a token from auth/token/, then the header."""
    anonymous = APIClient()
    response = anonymous.post(API + "auth/token/", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_token_endpoint(staff):
    client = APIClient()
    response = client.post(API + "auth/token/", {"username": "staff", "password": "pw-staff"}, format="json")
    assert response.status_code == 200
    assert set(response.json()) == {"token", "expires"}
    token = response.json()["token"]
    again = client.post(API + "auth/token/", {"username": "staff", "password": "pw-staff"})  # a form works too
    assert again.status_code == 200
    assert again.json()["token"] != token  # each request issues a token of its own
    wrong = client.post(API + "auth/token/", {"username": "staff", "password": "wrong"}, format="json")
    assert wrong.status_code == 400
    assert wrong.json() == {"non_field_errors": ["帳號或密碼不正確。"]}
    assert client.post(API + "auth/token/", {}, format="json").status_code == 400
    assert client.get(API + "auth/token/").status_code == 405


def test_the_token_endpoint_locks_out_like_the_sign_in_page(staff, supervisor, settings):
    client = APIClient()
    for attempt in range(1, settings.AXES_FAILURE_LIMIT + 1):
        response = client.post(API + "auth/token/", {"username": "staff", "password": "guess"}, format="json")
        assert response.status_code == (429 if attempt == settings.AXES_FAILURE_LIMIT else 400)
    # Locked out (django-axes), as on the sign-in page: even the right password gets no token for a while.
    response = client.post(API + "auth/token/", {"username": "staff", "password": "pw-staff"}, format="json")
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    assert set(response.json()) == {"detail"}
    # Another username from the same address is not locked out.
    assert client.post(API + "auth/token/", {"username": "supervisor", "password": "x"}).status_code == 400


def test_report_return_resubmit_approve(staff, supervisor, seeded_plan, period):
    kpi = kpi_by_code("1-5")  # 場, 5 sessions a year: 3 by Q3 is 80% of the 3.75 due
    reporter = token_client("staff", "pw-staff")
    reviewer = token_client("supervisor", "pw-supervisor")

    # Staff create and submit.
    response = reporter.post(
        API + "reports/",
        {
            "indicator": kpi.pk,
            "period": period.pk,
            "actual": 3,
            "narrative": "召開市港溝通平台會議 3 場。",
            "shortfall_reason": "第 4 場延至第 4 季。",
            "improvement_plan": "第 4 季加開。",
            "submit": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    report = response.json()
    assert (report["status"], report["version"]) == ("submitted", 2)
    report_id = report["id"]

    # Not yet an actual: the attainment is white.
    attainment = reviewer.get(API + "attainment/", {"plan": seeded_plan.pk, "year": 112}).json()
    row = next(r for r in attainment["indicators"] if r["indicator"] == kpi.pk)
    assert (row["actual"], row["light"], row["reason"]) == (None, "white", "尚無核定實績")

    # The supervisor sees it waiting for review, and returns it with a comment.
    waiting = reviewer.get(API + "reports/", {"status": "submitted"}).json()
    assert [r["id"] for r in waiting["results"]] == [report_id]
    response = reviewer.post(API + f"reports/{report_id}/return/", {"version": 2}, format="json")
    assert response.status_code == 400
    assert response.json() == {"comment": ["退回時必須填寫意見，讓填報人知道要修正什麼。"]}
    response = reviewer.post(
        API + f"reports/{report_id}/return/", {"version": 2, "comment": "請附會議紀錄並更正場次。"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["version"]) == ("returned", 3)

    # Staff read the comment, correct the figure and resubmit.
    report = reporter.get(API + f"reports/{report_id}/").json()
    assert report["review_comment"] == "請附會議紀錄並更正場次。"
    response = reporter.patch(API + f"reports/{report_id}/", {"version": 2, "actual": 4}, format="json")
    assert response.status_code == 409  # based on the copy before the return
    assert response.json()["current_version"] == 3
    response = reporter.patch(API + f"reports/{report_id}/", {"version": 3, "actual": 4}, format="json")
    assert response.status_code == 200
    assert (response.json()["actual"], response.json()["status"], response.json()["version"]) == (4, "returned", 4)
    response = reporter.post(API + f"reports/{report_id}/submit/", {"version": 4}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["version"]) == ("submitted", 5)

    # Staff cannot approve; the supervisor approves.
    assert reporter.post(API + f"reports/{report_id}/approve/", {"version": 5}, format="json").status_code == 403
    response = reviewer.post(API + f"reports/{report_id}/approve/", {"version": 5, "comment": "同意。"}, format="json")
    assert response.status_code == 200
    report = response.json()
    assert (report["status"], report["version"], report["reviewed_by"]["id"]) == ("approved", 6, supervisor.pk)
    assert [e["action"] for e in report["events"]] == [
        "created",
        "submitted",
        "returned",
        "edited",
        "resubmitted",
        "approved",
    ]
    assert report["events"][2]["comment"] == "請附會議紀錄並更正場次。"

    # 112 is in progress (today is after its Q3): the light is Q3's progress, 4 of the 4
    # sessions planned by then (3.75, whole), green; the full-year ratio, 4 of 5, is 80%.
    for client in (reporter, reviewer):
        attainment = client.get(API + "attainment/", {"plan": seeded_plan.pk, "year": 112}).json()
        row = next(r for r in attainment["indicators"] if r["indicator"] == kpi.pk)
        assert (row["actual"], row["report"], row["raw"], row["light"], row["light_label"]) == (
            4,
            report_id,
            100,
            "green",
            "達成",
        )
        assert (row["basis"], row["planned_to_date"], row["year_raw"], row["year_light"]) == (
            "period",
            4,
            80,
            "yellow",
        )
    objective = reviewer.get(API + "attainment/", {"plan": seeded_plan.pk, "year": 112, "level": "objective"}).json()
    harbour = next(g for g in objective["groups"] if g["id"] == kpi.objective_id)
    assert harbour["counts"] == {"green": 1, "yellow": 0, "red": 0, "white": 4}
    assert harbour["score"] == 100

    # Approved is final: no more edits.
    response = reporter.patch(API + f"reports/{report_id}/", {"version": 6, "actual": 5}, format="json")
    assert response.status_code == 400
    assert ProgressReport.objects.get(pk=report_id).actual == 4


def test_a_supervisor_cannot_approve_their_own_report(supervisor, home_department, period):
    # A supervisor who also reports for the department writes a report ...
    Membership.objects.create(user=supervisor, department=home_department, role=Role.REPORTER)
    client = token_client("supervisor", "pw-supervisor")
    response = client.post(
        API + "reports/",
        {"indicator": kpi_by_code("4-3").pk, "period": period.pk, "actual": 1, "narrative": "完成。", "submit": True},
        format="json",
    )
    assert response.status_code == 201, response.json()
    report = response.json()
    # ... and may not approve it, nor return it.
    for action in ("approve", "return"):
        response = client.post(
            API + f"reports/{report['id']}/{action}/", {"version": report["version"], "comment": "好"}, format="json"
        )
        assert response.status_code == 403
        assert response.json() == {"detail": "不能審核自己填寫的報告。"}
    assert ProgressReport.objects.get(pk=report["id"]).status == "submitted"
