"""A report's conversation (留言): one service, the KPI page and the API."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kpi import services
from kpi.models import ReportEvent
from kpi.services.reports import MAX_TEXT
from tests.factories import kpi_by_code

API = "/api/v1/"


@pytest.fixture(autouse=True)
def today(settings):
    settings.KPI_TODAY = datetime.date(2025, 4, 10)


@pytest.fixture
def report(periods, staff):
    return services.report_save(
        indicator=kpi_by_code("2-1"), period=periods["114Q1"], user=staff, actual="5", narrative="已辦理。", submit=True
    )


def comments(report):
    return list(ReportEvent.objects.filter(report=report, action="commented").values_list("actor__username", "comment"))


# --- The service ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["staff", "supervisor", "planner", "admin"])
def test_whoever_sees_the_report_may_comment(cast, report, who):
    services.report_comment(report=report, user=cast[who], text="  請確認。 ")
    assert comments(report) == [(cast[who].username, "請確認。")]


def test_another_department_may_not_comment(report, other_staff):
    with pytest.raises(PermissionDenied):
        services.report_comment(report=report, user=other_staff, text="請確認。")
    assert comments(report) == []


@pytest.mark.parametrize("text", ["", "   ", "x" * (MAX_TEXT + 1)])
def test_empty_and_too_long_comments_are_refused(report, supervisor, text):
    with pytest.raises(ValidationError) as refused:
        services.report_comment(report=report, user=supervisor, text=text)
    assert "text" in refused.value.message_dict
    assert comments(report) == []


def test_a_comment_changes_nothing_of_the_report(report, supervisor):
    before = (report.status, report.version)
    services.report_comment(report=report, user=supervisor, text="請確認。")
    report.refresh_from_db()
    assert (report.status, report.version) == before


# --- The KPI page -----------------------------------------------------------------------------


def test_the_thread_shows_under_the_report_card_and_on_the_timeline(client, report, supervisor, staff):
    client.force_login(supervisor)
    response = client.post(reverse("kpi:comment", args=[report.pk]), {"text": "第 2 場的日期？"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#comments-{report.pk}")
    assert comments(report) == [("supervisor", "第 2 場的日期？")]

    client.force_login(staff)
    page = client.get(reverse("kpi:detail", args=[report.indicator_id]) + "?year=114").content.decode()
    card = page.split(f'id="report-{report.pk}"')[1].split("</article>")[0]
    assert f'id="comments-{report.pk}"' in card and "第 2 場的日期？" in card
    record = page.split('id="timeline-title"')[1]
    assert "tl-commented" in record and "第 2 場的日期？" in record


def test_an_empty_comment_from_the_page_is_refused_with_a_message(client, report, supervisor):
    client.force_login(supervisor)
    response = client.post(reverse("kpi:comment", args=[report.pk]), {"text": " "}, follow=True)
    assert comments(report) == []
    assert [str(m) for m in response.context["messages"]]


def test_another_department_gets_404(client, report, other_staff):
    client.force_login(other_staff)
    assert client.post(reverse("kpi:comment", args=[report.pk]), {"text": "？"}).status_code == 404
    assert comments(report) == []


# --- The API ----------------------------------------------------------------------------------


def test_api_lists_and_creates_comments(client, report, supervisor, staff):
    client.force_login(supervisor)
    url = API + f"reports/{report.pk}/comments/"
    response = client.post(url, {"text": "第 2 場的日期？"}, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["text"] == "第 2 場的日期？" and body["author"] == {"id": supervisor.pk, "name": "李主任"}
    assert set(body) == {"id", "author", "text", "created_at"}

    client.force_login(staff)
    listed = client.get(url).json()
    assert [c["text"] for c in listed["results"]] == ["第 2 場的日期？"]
    events = client.get(API + f"reports/{report.pk}/events/").json()["results"]
    assert "commented" in [e["action"] for e in events]


@pytest.mark.parametrize(
    "body", [{}, {"text": ""}, {"text": "  "}, {"text": 5}, {"text": "x" * (MAX_TEXT + 1)}], ids=str
)
def test_api_refuses_bad_comments_with_field_errors(client, report, supervisor, body):
    client.force_login(supervisor)
    response = client.post(API + f"reports/{report.pk}/comments/", body, content_type="application/json")
    assert response.status_code == 400
    assert "text" in response.json()
    assert comments(report) == []


def test_api_hides_other_departments_reports(client, report, other_staff):
    client.force_login(other_staff)
    url = API + f"reports/{report.pk}/comments/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"text": "？"}, content_type="application/json").status_code == 404


def test_api_needs_signing_in(client, report):
    assert client.get(API + f"reports/{report.pk}/comments/").status_code == 401


def test_the_schema_documents_the_comments(client, db, settings):
    settings.API_DOCS_PUBLIC = True
    schema = client.get(API + "schema/?format=json").json()
    path = schema["paths"]["/api/v1/reports/{id}/comments/"]
    assert {"get", "post"} <= set(path)
    assert "201" in path["post"]["responses"] and "400" in path["post"]["responses"]
