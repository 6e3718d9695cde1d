"""A returned report keeps its year-to-date actual (issue #17).

Only a draft may be without a figure (the database's `report_submitted_has_actual`). Emptying
the figure of a returned report and saving it was a 500 that lost what had been typed, on the
form and in the API; every way of saving now refuses it with a field error, keeps the report
as it was saved, and the form shows back everything typed.
"""

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from kpi import services
from kpi.models import ProgressReport, ReportStatus
from tests.factories import kpi_by_code

MESSAGE = "退回的填報仍須填寫累計實績：可以修改，但不能留空。"
TYPED = "已補附簽到表，場次改列第 4 季。"


@pytest.fixture(autouse=True)
def today(settings):
    settings.KPI_TODAY = datetime.date(2023, 9, 20)  # ROC 112, 112Q3 open for submission


def returned(indicator, period, staff, supervisor, **figure) -> ProgressReport:
    report = services.report_save(
        indicator=indicator, period=period, user=staff, narrative="四場", expected_version=0, submit=True, **figure
    )
    return services.report_return(report=report, user=supervisor, comment="請更正場次", expected_version=report.version)


@pytest.fixture
def kpi_report(staff, supervisor, periods):
    return returned(kpi_by_code("1-5"), periods[112, 3], staff, supervisor, actual="4")


def unchanged(report: ProgressReport) -> None:
    saved = ProgressReport.objects.get(pk=report.pk)
    assert (saved.status, saved.actual, saved.narrative, saved.version) == (
        ReportStatus.RETURNED,
        report.actual,
        report.narrative,
        report.version,
    )


def field_errors(body: str, field_id: str) -> str:
    match = re.search(rf'<ul class="errorlist" id="{re.escape(field_id)}_error">(.*?)</ul>', body, re.S)
    return html.unescape(match.group(1)) if match else ""


# --- The service ---------------------------------------------------------------------------


def test_the_service_refuses_to_empty_a_returned_reports_figure(kpi_report, staff):
    with pytest.raises(ValidationError) as caught:
        services.report_save(
            indicator=kpi_report.indicator,
            period=kpi_report.period,
            user=staff,
            actual="",
            narrative=TYPED,
            expected_version=kpi_report.version,
        )
    assert caught.value.message_dict == {"actual": [MESSAGE]}
    unchanged(kpi_report)


def test_a_returned_reports_figure_may_still_change(kpi_report, staff):
    report = services.report_save(
        indicator=kpi_report.indicator,
        period=kpi_report.period,
        user=staff,
        actual="3",
        narrative=TYPED,
        expected_version=kpi_report.version,
    )
    assert (report.status, report.actual, report.narrative) == (ReportStatus.RETURNED, Decimal(3), TYPED)


def test_a_draft_may_still_be_saved_without_a_figure(staff, periods):
    report = services.report_save(
        indicator=kpi_by_code("1-5"), period=periods[112, 3], user=staff, actual="", narrative=TYPED
    )
    assert (report.status, report.actual) == (ReportStatus.DRAFT, None)


def test_a_common_indicators_returned_report_keeps_every_input(staff, supervisor, periods):
    indicator, period = kpi_by_code("共1-1"), periods[112, 3]
    inputs = {"budget": "1000000", "spent": "900000", "reserved": "80000"}
    report = returned(indicator, period, staff, supervisor, inputs=inputs)
    with pytest.raises(ValidationError) as caught:
        services.report_save(
            indicator=indicator,
            period=period,
            user=staff,
            inputs={**inputs, "spent": ""},
            narrative=TYPED,
            expected_version=report.version,
        )
    assert caught.value.message_dict == {"inputs.spent": ["請填寫實支數。"], "inputs": [MESSAGE]}
    unchanged(report)


def test_the_import_refuses_it_too(kpi_report, staff):
    # reports_write checks values cleaned before the report was read: the edit's own check catches it.
    write = services.ReportWrite(
        indicator=kpi_report.indicator,
        period=kpi_report.period,
        values={"actual": "", "narrative": TYPED},
        expected_version=kpi_report.version,
    )
    with pytest.raises(services.WritesRefused) as caught:
        services.reports_write(user=staff, writes=[write])
    assert caught.value.errors[0].message_dict == {"actual": [MESSAGE]}
    unchanged(kpi_report)


# --- The form ---------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["save", "preview"])
def test_the_form_keeps_what_was_typed_and_says_why(client, staff, kpi_report, action):
    client.force_login(staff)
    response = client.post(
        reverse("kpi:report", args=[kpi_report.indicator_id, kpi_report.period_id]),
        {
            "action": action,
            "version": kpi_report.version,
            "actual": "",
            "narrative": TYPED,
            "shortfall_reason": "延至第 4 季",
            "improvement_plan": "第 4 季加開",
            "url": "",
            "description": "",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert MESSAGE in field_errors(body, "id_actual")
    for typed in (TYPED, "延至第 4 季", "第 4 季加開"):
        assert typed in body
    unchanged(kpi_report)


def test_the_forms_autosave_answers_400_with_the_field_error(client, staff, kpi_report):
    client.force_login(staff)
    response = client.post(
        reverse("kpi:report_autosave", args=[kpi_report.indicator_id, kpi_report.period_id]),
        {
            "version": kpi_report.version,
            "actual": "",
            "narrative": TYPED,
            "shortfall_reason": "",
            "improvement_plan": "",
        },
    )
    assert response.status_code == 400
    assert response.json() == {"errors": {"actual": [MESSAGE]}}
    unchanged(kpi_report)


# --- The API ---------------------------------------------------------------------------


@pytest.mark.parametrize("body", [{"actual": None}, {"actual": ""}, {"actual": None, "submit": False}])
def test_the_api_answers_400_with_the_field_error(staff, kpi_report, body):
    client = APIClient()
    client.force_authenticate(staff)
    response = client.patch(
        f"/api/v1/reports/{kpi_report.pk}/", {"version": kpi_report.version, "narrative": TYPED, **body}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"actual": [MESSAGE]}
    unchanged(kpi_report)


def test_the_api_for_a_common_indicator_nests_it_under_inputs(staff, supervisor, periods):
    indicator, period = kpi_by_code("共1-1"), periods[112, 3]
    report = returned(
        indicator, period, staff, supervisor, inputs={"budget": "1000000", "spent": "900000", "reserved": "0"}
    )
    client = APIClient()
    client.force_authenticate(staff)
    response = client.patch(
        f"/api/v1/reports/{report.pk}/",
        {"version": report.version, "inputs": {"budget": "1000000", "spent": "", "reserved": "0"}},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"inputs": {"spent": ["請填寫實支數。"], "non_field_errors": [MESSAGE]}}
    unchanged(report)
