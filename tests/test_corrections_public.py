"""Corrections (撤銷核定／更正) as the public and the other readers of approved figures see them.

The cast files and reviews through kpi.services, as in test_public: staff report 民國113年
(a finished year, published), the supervisor approves. Then the planning office reopens
an approved figure to correct it: until the corrected figure is approved again, the
public pages and the open-data files keep the figure approved before, with its texts,
and say nothing of the correction under way (reports.public, rule 3). Once approved,
the new figure shows, marked 更正 ("Corrected") with the date and the reason, and the
JSON and CSV rows carry `corrected_at` and `correction_reason`; rows never corrected
carry them empty.
"""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from common import formatting
from kpi import services
from kpi.assessments import latest_approved, plan_years_attainment
from kpi.models import ProgressReport, ReportStatus
from plans.models import PublishedYear
from reports import public
from reports.selectors.at_risk import risk_data
from reports.yearly import build_yearly_report
from tests.factories import kpi_by_code

YEAR = 113
CODE = "1-5"  # 5 場 a year, cumulative
OTHER = "2-1"  # approved once, never corrected

ORIGINAL = {
    "narrative": "ORIGINAL-NARRATIVE 辦理平台會議 3 場。",
    "shortfall_reason": "ORIGINAL-SHORTFALL 場地延後。",
    "improvement_plan": "ORIGINAL-IMPROVE 提前預約場地。",
}
CORRECTED = {
    "narrative": "CORRECTED-NARRATIVE 辦理平台會議 4 場。",
    "shortfall_reason": "CORRECTED-SHORTFALL 1 場延至次年。",
    "improvement_plan": "CORRECTED-IMPROVE 提前排定會期。",
}
REASON = "CORRECTION-REASON 漏計 12 月召開之平台會議 1 場。"
SECOND_REASON = "SECOND-REASON-PENDING 會議紀錄日期誤植。"
WORKING = {
    "narrative": "WORKING-SECRET 更正中之說明。",
    "shortfall_reason": "WORKING-SHORTFALL-SECRET",
    "improvement_plan": "WORKING-IMPROVE-SECRET",
}


@pytest.fixture(autouse=True)
def today(settings):
    settings.KPI_TODAY = datetime.date(2025, 3, 10)  # ROC 114: year 113 is over


def _file(code, period, user, actual, **texts):
    return services.report_save(
        indicator=kpi_by_code(code),
        period=period,
        user=user,
        actual=str(actual),
        expected_version=0,
        submit=True,
        **texts,
    )


def _approve(report, user):
    return services.report_approve(report=report, user=user, expected_version=report.version)


def _reopen(report, user, reason):
    report.refresh_from_db()
    return services.report_reopen(report=report, user=user, reason=reason, expected_version=report.version)


def _correct(report, user, actual, *, submit=True, **texts):
    report.refresh_from_db()
    return services.report_save(
        indicator=report.indicator,
        period=report.period,
        user=user,
        actual=str(actual),
        expected_version=report.version,
        submit=submit,
        **texts,
    )


@pytest.fixture
def approved(seeded_plan, periods, staff, supervisor, admin_user):
    """1-5 approved at 3 of 5 (red, with its reasons), 2-1 at 5 of 5; 113 published."""
    report = _approve(_file(CODE, periods[f"{YEAR}Q4"], staff, 3, **ORIGINAL), supervisor)
    _approve(_file(OTHER, periods[f"{YEAR}Q4"], staff, 5, narrative="OTHER-NARRATIVE 辦理 5 場。"), supervisor)
    PublishedYear.objects.create(plan=seeded_plan, year=YEAR, published_by=admin_user)
    return report


def page(client, department):
    response = client.get(reverse("reports:public_department", args=[YEAR, department.pk]))
    assert response.status_code == 200
    return response.content.decode()


def card(body, code):
    """The public card of an indicator of 都市發展處, by its code."""
    pk = kpi_by_code(code).pk
    start = body.index(f'id="kpi-{pk}"')
    return body[start : body.index("</article>", start)]


def json_row(client, code):
    response = client.get(reverse("reports:open_data_json", args=[YEAR]))
    assert response.status_code == 200
    return next(r for r in response.json()["indicators"] if r["indicator_id"] == kpi_by_code(code).pk)


def csv_row(client, code):
    response = client.get(reverse("reports:open_data_csv", args=[YEAR]))
    assert response.status_code == 200
    rows = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
    return next(r for r in rows if r["indicator_id"] == str(kpi_by_code(code).pk))


def public_bytes(client, department) -> bytes:
    urls = [
        reverse("reports:public_home"),
        reverse("reports:public_year", args=[YEAR]),
        reverse("reports:public_department", args=[YEAR, department.pk]),
        reverse("reports:open_data_json", args=[YEAR]),
        reverse("reports:open_data_csv", args=[YEAR]),
    ]
    return b"".join(client.get(url).content for url in urls)


def assert_shows_the_original(client, department):
    body = card(page(client, department), CODE)
    assert 'data-figure="corrected"' not in body and gettext("Corrected") not in body
    for text in ORIGINAL.values():
        assert text in body
    record = json_row(client, CODE)
    assert (record["actual"], record["attainment"], record["light"]) == (3, 60, "red")
    assert record["narrative"] == ORIGINAL["narrative"]
    assert (record["corrected_at"], record["correction_reason"]) == ("", "")
    row = csv_row(client, CODE)
    assert (row["actual"], row["corrected_at"], row["correction_reason"]) == ("3", "", "")


# --- The walk: approved, reopened, corrected, approved again ------------------------------------


def test_a_figure_never_corrected_has_no_mark_and_empty_fields(client, approved, home_department):
    assert_shows_the_original(client, home_department)
    for code in (CODE, OTHER):
        assert json_row(client, code)["corrected_at"] == ""
    document = client.get(reverse("reports:open_data_json", args=[YEAR])).json()
    for record in document["indicators"]:
        assert (record["corrected_at"], record["correction_reason"]) == ("", ""), record["code"]


def test_while_a_correction_is_pending_the_public_keeps_the_approved_figure(
    client, approved, planner, staff, home_department
):
    report = _reopen(approved, planner, REASON)
    assert report.correcting and report.status == ReportStatus.RETURNED
    assert_shows_the_original(client, home_department)
    # The reporter corrects and resubmits: still nothing of it shows.
    resubmitted = _correct(report, staff, 4, **WORKING)
    assert resubmitted.status == ReportStatus.SUBMITTED and resubmitted.correcting
    assert_shows_the_original(client, home_department)
    outputs = public_bytes(client, home_department)
    for secret in (REASON, *WORKING.values()):
        assert secret.encode() not in outputs, secret


def test_the_approved_correction_shows_with_its_date_and_reason(
    client, approved, planner, staff, supervisor, home_department
):
    _correct(_reopen(approved, planner, REASON), staff, 4, **CORRECTED)
    report = _approve(ProgressReport.objects.get(pk=approved.pk), supervisor)
    assert report.status == ReportStatus.APPROVED and not report.correcting
    assert report.corrected_at is not None and report.correction_reason == REASON

    body = page(client, home_department)
    corrected = card(body, CODE)
    assert 'data-figure="corrected"' in corrected
    assert gettext("Corrected") in corrected
    assert formatting.roc_date(report.corrected_at) in corrected
    assert REASON in corrected
    for text in CORRECTED.values():
        assert text in corrected
    for text in ORIGINAL.values():
        assert text not in body  # the figure it replaced is on the internal record only
    other = card(body, OTHER)
    assert 'data-figure="corrected"' not in other and REASON not in other

    record = json_row(client, CODE)
    assert (record["actual"], record["attainment"], record["light"]) == (4, 80, "yellow")
    assert record["narrative"] == CORRECTED["narrative"]
    assert record["correction_reason"] == REASON
    moment = datetime.datetime.fromisoformat(record["corrected_at"])
    assert moment.utcoffset() == datetime.timedelta(hours=8)  # Asia/Taipei
    assert moment == report.corrected_at.replace(microsecond=0)
    assert record["approved_at"] == timezone.localtime(report.reviewed_at).date().isoformat()
    assert (json_row(client, OTHER)["corrected_at"], json_row(client, OTHER)["correction_reason"]) == ("", "")

    row = csv_row(client, CODE)
    assert (row["actual"], row["corrected_at"], row["correction_reason"]) == ("4", record["corrected_at"], REASON)
    other_row = csv_row(client, OTHER)
    assert (other_row["corrected_at"], other_row["correction_reason"]) == ("", "")


def test_a_second_correction_pending_keeps_the_first_ones_date_and_reason(
    client, approved, planner, staff, supervisor, home_department
):
    _correct(_reopen(approved, planner, REASON), staff, 4, **CORRECTED)
    first = _approve(ProgressReport.objects.get(pk=approved.pk), supervisor)
    _correct(_reopen(first, planner, SECOND_REASON), staff, 5, **WORKING)

    corrected = card(page(client, home_department), CODE)
    assert REASON in corrected and formatting.roc_date(first.corrected_at) in corrected
    assert CORRECTED["narrative"] in corrected
    record = json_row(client, CODE)
    assert (record["actual"], record["correction_reason"]) == (4, REASON)
    assert datetime.datetime.fromisoformat(record["corrected_at"]) == first.corrected_at.replace(microsecond=0)
    outputs = public_bytes(client, home_department)
    for secret in (SECOND_REASON, *WORKING.values()):
        assert secret.encode() not in outputs, secret


def test_public_indicator_reads_the_figure_of_record(approved, planner, seeded_plan):
    """The selector itself: a report under correction reaches it as approved, with the old figure,
    and its pending correction does not make it corrected."""
    _reopen(approved, planner, REASON)
    (record,) = latest_approved(years=[YEAR], indicator=approved.indicator).values()
    assert record.pending_correction is not None
    published = PublishedYear.objects.get(plan=seeded_plan, year=YEAR)
    item = next(i for i in public.public_year(published).indicators if i.indicator.pk == approved.indicator_id)
    assert item.report.status == ReportStatus.APPROVED and item.actual == 3
    assert (item.corrected_at, item.correction_reason) == (None, "")


# --- The other readers of approved figures ------------------------------------------------------


def test_the_yearly_report_keeps_the_evidence_of_a_report_under_correction(
    approved, planner, staff, supervisor, seeded_plan, home_department, periods
):
    draft = services.report_save(
        indicator=kpi_by_code("4-1"), period=periods[f"{YEAR}Q4"], user=staff, actual="5", narrative="辦理 5 場。"
    )
    services.evidence_add(report=draft, user=staff, url="https://www.klcg.gov.tw/minutes", description="會議紀錄")
    draft.refresh_from_db()
    report = _approve(services.report_submit(report=draft, user=staff, expected_version=draft.version), supervisor)
    _reopen(report, planner, REASON)

    yearly = build_yearly_report(plan=seeded_plan, year=YEAR, user=supervisor, department=home_department)
    row = next(r for s in yearly.sections for r in s.rows if r.result.indicator.pk == report.indicator_id)
    assert [e.url for e in row.evidence] == ["https://www.klcg.gov.tw/minutes"]  # what backed the figure of record
    assert row.result.actual == 5 and row.result.report.pending_correction is not None


def test_at_risk_counts_a_report_under_correction_as_approved(
    settings, periods, staff, supervisor, planner, seeded_plan
):
    """Reopened for correction, 113Q1's figure still counts (as latest_approved reads it): it is not
    an unfinished draft of the year, nor a newer figure awaiting review."""
    settings.KPI_TODAY = datetime.date(2024, 8, 10)  # ROC 113: Q1 and Q2 are due
    q1 = _approve(_file(CODE, periods[f"{YEAR}Q1"], staff, 0, **ORIGINAL), supervisor)
    _reopen(q1, planner, REASON)
    data = risk_data(seeded_plan, YEAR, plan_years_attainment(plan=seeded_plan, years=[YEAR - 1, YEAR]))
    (overdue,) = [row for row in data.overdue if row.indicator.pk == q1.indicator_id]
    assert overdue.period.number == 2 and overdue.latest is None  # not "113Q1: returned"
    (row,) = [r for r in data.behind + data.catching_up if r.indicator.pk == q1.indicator_id]
    assert row.approved.pk == q1.pk and row.approved.actual == 0
    assert row.pending is None and row.unfinished is None
    # Resubmitted, it is still not a newer figure awaiting review.
    _correct(q1, staff, 2, **WORKING)
    data = risk_data(seeded_plan, YEAR, plan_years_attainment(plan=seeded_plan, years=[YEAR - 1, YEAR]))
    (row,) = [r for r in data.behind + data.catching_up if r.indicator.pk == q1.indicator_id]
    assert row.pending is None and row.approved.actual == 0


def test_the_mark_reads_in_english(client, approved, planner, staff, supervisor, home_department):
    _correct(_reopen(approved, planner, REASON), staff, 4, **CORRECTED)
    report = _approve(ProgressReport.objects.get(pk=approved.pk), supervisor)
    client.cookies["django_language"] = "en"
    corrected = card(page(client, home_department), CODE)
    mark = corrected[corrected.index('data-figure="corrected"') :]
    mark = mark[: mark.index("</span></span>")]
    with translation.override("en"):
        date = formatting.roc_date(report.corrected_at)
    assert "Corrected" in mark and f"on {date}" in mark
    assert not re.search(r"[\u3400-\u9fff]", mark)
    assert f"Why the approved actual was corrected on {date}" in corrected and REASON in corrected
