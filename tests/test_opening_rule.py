"""When a report may be submitted (the rule: `kpi.queues.opens_on`, 14 days before the period
ends), and negative zero, through every surface.

The rule lives in `kpi.services.report_clean` (with `submitting=True`), the path every
submission takes — the form, the grid, the API and the import — so each refuses alike,
naming the ROC date the period opens; drafts may be saved before. Issue #14: as staff,
POST /api/v1/reports/ with submit for 114Q4 was accepted on 2025-10-08 although 114Q4
opens on 2025-12-17.

Negative zero: "-0.0" was stored as -0 and the timeline said 「改為 -0 式」; the one parser
of typed numbers (`common.formatting.parse_number`) reads it as 0.
"""

import datetime
import html
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from common import formatting
from common.formatting import roc_date
from kpi import importers, services
from kpi.models import PlannedValue, ProgressReport, ReportEvent, ReportStatus, YearlyTarget
from tests.factories import kpi_by_code
from tests.test_grid import form_data as grid_data

TODAY = datetime.date(2025, 10, 8)  # 114Q3 (ended 9/30) is open; 114Q4 opens on 2025-12-17
NARRATIVE = "本季依進度辦理。"
HOME = "都市發展處"


@pytest.fixture(autouse=True)
def today(settings):
    settings.KPI_TODAY = TODAY


@pytest.fixture
def q4(periods):
    return periods["114Q4"]


@pytest.fixture
def q3(periods):
    return periods["114Q3"]


def done(code, year=114) -> str:
    """A figure on target for the whole year, so no reason is asked for."""
    return str(kpi_by_code(code).targets.get(year=year).value)


OPENS = datetime.date(2025, 12, 17)  # 114Q4 ends on 12/31


def opening_date() -> str:
    """The ROC date every refusal names (民國114年12月17日)."""
    return roc_date(OPENS)


def test_the_message_names_the_roc_opening_date_and_says_drafts_are_fine(q4):
    message = services.not_open_message(q4)
    assert opening_date() in message
    assert "draft" in message or "草稿" in message


# --- the form --------------------------------------------------------------------------------


def form_post(client, indicator, period, action, **fields):
    data = {"action": action, "version": 0, "narrative": "", "shortfall_reason": "", "improvement_plan": ""}
    data.update({"url": "", "description": "", "actual": ""})
    data.update(fields)
    return client.post(reverse("kpi:report", args=[indicator.pk, period.pk]), data)


def test_the_form_refuses_to_submit_before_the_period_opens(client, staff, q4):
    client.force_login(staff)
    ind = kpi_by_code("1-1")

    response = form_post(client, ind, q4, "submit", actual=done("1-1"), narrative=NARRATIVE)

    assert response.status_code in (200, 400)
    assert opening_date() in html.unescape(response.content.decode())
    assert not ProgressReport.objects.filter(status=ReportStatus.SUBMITTED).exists()


def test_the_form_saves_a_draft_before_the_period_opens(client, staff, q4):
    client.force_login(staff)
    response = form_post(client, kpi_by_code("1-1"), q4, "save", actual=done("1-1"), narrative=NARRATIVE)
    assert response.status_code == 302
    assert ProgressReport.objects.get().status == ReportStatus.DRAFT


def test_the_form_submits_once_the_period_is_open(client, staff, q3):
    client.force_login(staff)
    response = form_post(client, kpi_by_code("1-1"), q3, "submit", actual=done("1-1"), narrative=NARRATIVE)
    assert response.status_code == 302
    assert ProgressReport.objects.get().status == ReportStatus.SUBMITTED


def test_a_saved_draft_cannot_be_submitted_early_either(staff, q4, settings):
    report = services.report_save(
        indicator=kpi_by_code("1-1"), period=q4, user=staff, actual=done("1-1"), narrative=NARRATIVE
    )
    with pytest.raises(ValidationError) as caught:
        services.report_submit(report=report, user=staff, expected_version=report.version)
    assert opening_date() in " ".join(caught.value.messages)
    settings.KPI_TODAY = datetime.date(2025, 12, 17)  # the day it opens
    assert services.report_submit(report=report, user=staff, expected_version=1).status == ReportStatus.SUBMITTED


# --- the grid --------------------------------------------------------------------------------


def test_the_grid_refuses_to_submit_before_the_period_opens(client, staff, home_department, q4):
    client.force_login(staff)
    url = reverse("kpi:grid", args=[home_department.pk, q4.pk])

    response = client.post(
        url, grid_data(client.get(url), "submit", **{"1-1": {"actual": done("1-1"), "narrative": NARRATIVE}})
    )

    assert response.status_code == 400
    assert opening_date() in html.unescape(response.content.decode())
    assert not ProgressReport.objects.exists()
    # Saving the same rows as drafts is fine.
    saved = client.post(
        url, grid_data(client.get(url), "save", **{"1-1": {"actual": done("1-1"), "narrative": NARRATIVE}})
    )
    assert saved.status_code == 302
    assert ProgressReport.objects.get().status == ReportStatus.DRAFT


# --- the API ---------------------------------------------------------------------------------


def api_create(client, period, **fields):
    body = {"indicator": kpi_by_code("1-1").pk, "period": period.pk, **fields}
    return client.post("/api/v1/reports/", body, content_type="application/json")


def test_the_api_refuses_to_submit_before_the_period_opens(client, staff, q4):
    client.force_login(staff)

    response = api_create(client, q4, actual=done("1-1"), narrative=NARRATIVE, submit=True)

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [services.not_open_message(q4)]}
    assert opening_date() in response.json()["non_field_errors"][0]
    assert not ProgressReport.objects.exists()


def test_the_apis_submit_action_refuses_a_draft_before_the_period_opens(client, staff, q4):
    client.force_login(staff)
    draft = api_create(client, q4, actual=done("1-1"), narrative=NARRATIVE)
    assert draft.status_code == 201

    response = client.post(
        f"/api/v1/reports/{draft.json()['id']}/submit/", {"version": 1}, content_type="application/json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]
    assert opening_date() in response.json()["non_field_errors"][0]
    assert ProgressReport.objects.get().status == ReportStatus.DRAFT


def test_the_api_submits_once_the_period_is_open(client, staff, q3):
    client.force_login(staff)
    response = api_create(client, q3, actual=done("1-1"), narrative=NARRATIVE, submit=True)
    assert response.status_code == 201
    assert response.json()["status"] == "submitted"


# --- the import ------------------------------------------------------------------------------


def import_csv(rows, user, *, submit):
    lines = ["機關,編號,年度,期別,累計實績,達成情形說明"] + [",".join(str(c) for c in row) for row in rows]
    return importers.import_reports("\n".join(lines).encode(), "reports.csv", user=user, submit=submit)


def test_the_import_refuses_to_submit_before_the_period_opens(staff, q4):
    result = import_csv([[HOME, "1-1", 114, 4, done("1-1"), NARRATIVE]], staff, submit=True)

    assert not result.applied
    errors = [str(e) for row in result.error_rows for e in row.errors]
    assert len(errors) == 1 and opening_date() in errors[0]
    assert not ProgressReport.objects.exists()


def test_the_import_saves_drafts_before_the_period_opens(staff, q4):
    result = import_csv([[HOME, "1-1", 114, 4, done("1-1"), NARRATIVE]], staff, submit=False)
    assert result.applied
    assert ProgressReport.objects.get(period=q4).status == ReportStatus.DRAFT


# --- negative zero ---------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["-0", "-0.0", " -0.00 ", "-0%", Decimal("-0.0")])
def test_the_parser_reads_negative_zero_as_zero(typed):
    number = formatting.parse_number(typed)
    assert number == 0 and not number.is_signed()


def test_negative_zero_typed_in_the_form_is_stored_and_recorded_as_zero(client, staff, q3):
    client.force_login(staff)
    response = form_post(client, kpi_by_code("1-3"), q3, "save", actual="-0.0", narrative=NARRATIVE)  # 式

    assert response.status_code == 302
    report = ProgressReport.objects.get()
    assert report.actual == 0 and not report.actual.is_signed()
    assert ReportEvent.objects.get().changes["actual"] == [None, "0"]
    page = client.get(reverse("kpi:detail", args=[report.indicator.pk])).content.decode()
    assert "-0 式" not in page  # the timeline said 「改為 -0 式」
    assert "0 式" in page


def test_negative_zero_through_the_api_is_zero(client, staff, q3):
    client.force_login(staff)
    response = client.post(
        "/api/v1/reports/",
        {"indicator": kpi_by_code("1-3").pk, "period": q3.pk, "actual": "-0.0"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["actual"] == 0
    assert not ProgressReport.objects.get().actual.is_signed()
    assert ReportEvent.objects.get().changes["actual"] == [None, "0"]


def test_negative_zero_formula_inputs_are_zero(client, staff, q3):
    client.force_login(staff)
    response = client.post(
        "/api/v1/reports/",
        {
            "indicator": kpi_by_code("共1-1").pk,
            "period": q3.pk,
            "inputs": {"budget": "1000000", "spent": "-0", "reserved": "-0.0"},
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    report = ProgressReport.objects.get()
    assert report.inputs == {"budget": "1000000", "spent": "0", "reserved": "0"}
    assert not report.actual.is_signed()


def test_negative_zero_in_an_import_is_zero(staff, q3):
    result = import_csv([[HOME, "1-3", 114, 3, "-0", NARRATIVE]], staff, submit=False)
    assert result.applied
    assert not ProgressReport.objects.get().actual.is_signed()
    assert ReportEvent.objects.get().changes["actual"] == [None, "0"]


def test_negative_zero_targets_and_planned_values_are_zero(staff, planner, seeded_plan):
    indicator = kpi_by_code("1-3")
    services.target_set(indicator=indicator, year=114, value="-0", user=planner, reason="測試")
    assert not YearlyTarget.objects.get(indicator=indicator, year=114).value.is_signed()
    assert not services.parse_decimal("-0.0", field="planned").is_signed()
    assert not PlannedValue.objects.filter(value__lt=0).exists()
