"""Open data: approved, published attainment per year as JSON and CSV, readable without signing in.

The scenario is test_public's: 民國114年 published, with approved, submitted, draft and
returned reports; 113 holds an approved report but is not published.
"""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from common import formatting
from kpi import units
from kpi.assessments import plan_year_attainment
from kpi.models import ProgressReport, ReportStatus
from plans.models import PublishedYear
from reports import public
from tests.factories import kpi_by_code
from tests.test_public import (  # noqa: F401  (public_scenario: the fixture, used through pytestmark)
    SECRETS,
    UNPUBLISHED,
    YEAR,
    _more_data,
    public_scenario,
    selects,
)

# The published interface: these names and their order must not change (add new ones at the end).
STABLE_FIELDS = [
    "year",
    "year_gregorian",
    "department_id",
    "department",
    "indicator_id",
    "kind",
    "code",
    "goal",
    "objective",
    "dimension",
    "dimension_label",
    "name",
    "measurement_standard",
    "unit",
    "direction",
    "weight",
    "target",
    "original_target",
    "target_revised",
    "actual",
    "attainment",
    "attainment_capped",
    "light",
    "light_label",
    "white_reason",
    "reported_period",
    "approved_at",
    "narrative",
    "shortfall_reason",
    "improvement_plan",
]
# Added with the in-year status (issue #11): in the JSON after the fields above; in the CSV after
# the licence columns, so that no column moves.
STATUS_FIELDS = ["basis", "status_period"]
# Added with corrections (撤銷核定／更正, tests/test_corrections_public.py): after the status fields, in
# both files.
CORRECTION_FIELDS = ["corrected_at", "correction_reason"]
DOCS = Path(settings.BASE_DIR) / "docs" / "open-data.md"
pytestmark = pytest.mark.usefixtures("public_scenario")


def get_json(client, year=YEAR):
    response = client.get(reverse("reports:open_data_json", args=[year]))
    assert response.status_code == 200
    return response, response.json()


def get_csv(client, year=YEAR):
    response = client.get(reverse("reports:open_data_csv", args=[year]))
    assert response.status_code == 200
    return response, response.content


def by_code(document, code):
    return next(i for i in document["indicators"] if i["code"] == code and i["department"] == "都市發展處")


def as_number(value):
    return None if value is None else Decimal(str(value))


# --- JSON -----------------------------------------------------------------------------------


def test_json_is_open_and_carries_its_licence(client):
    response, doc = get_json(client)
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert doc["license"] == {"name": settings.OPEN_DATA_LICENSE["name"], "url": settings.OPEN_DATA_LICENSE["url"]}
    assert doc["license"]["name"] and doc["license"]["url"].startswith("https://")
    assert doc["year"] == 114 and doc["year_gregorian"] == 2025
    assert doc["plan"]["name"] == "基隆市政府中程施政計畫"
    assert (doc["plan"]["start_year"], doc["plan"]["end_year"]) == (111, 114)
    assert doc["thresholds"] == {"green": 100, "yellow": 80}
    for key in ("published_at", "generated_at"):
        assert datetime.datetime.fromisoformat(doc[key]).tzinfo is not None
    published = PublishedYear.objects.get(year=YEAR)
    assert datetime.datetime.fromisoformat(doc["published_at"]) == published.published_at.replace(microsecond=0)
    assert doc["documentation_url"].endswith(reverse("reports:open_data"))


def test_json_field_names_are_stable(client):
    _, doc = get_json(client)
    assert [f.name for f in public.INDICATOR_FIELDS] == STABLE_FIELDS + STATUS_FIELDS + CORRECTION_FIELDS
    for record in doc["indicators"]:
        assert list(record) == STABLE_FIELDS + STATUS_FIELDS + CORRECTION_FIELDS
    assert list(doc) == [
        "plan",
        "year",
        "year_gregorian",
        "published_at",
        "license",
        "generated_at",
        "documentation_url",
        "thresholds",
        "indicators",
        "departments",
        "city",
    ]


def test_json_values_equal_the_attainment_service(client, seeded_plan, home_department):
    _, doc = get_json(client)
    service = plan_year_attainment(plan=seeded_plan, year=YEAR)
    assert len(doc["indicators"]) == len(service.indicators) == 23
    for record in doc["indicators"]:
        result = service.indicators[record["indicator_id"]]
        # Percentages are the service's, rounded as every page shows them (half up, one place).
        assert as_number(record["attainment"]) == formatting.percent_number(result.assessment.raw)
        assert as_number(record["attainment_capped"]) == formatting.percent_number(result.assessment.capped)
        assert record["light"] == result.assessment.light.value
        assert record["light_label"] == result.assessment.light.label
        assert record["white_reason"] == result.assessment.reason
        assert as_number(record["actual"]) == units.as_shown(result.indicator, result.actual)
        assert record["narrative"] == (result.report.narrative if result.report else "")
    city = service.city.rollup
    assert as_number(doc["city"]["score"]) == formatting.percent_number(city.score)
    assert doc["city"]["counts"] == {light.value: n for light, n in city.counts.items()}
    assert doc["city"]["kpi_count"] == 20 and doc["city"]["department_count"] == 1
    home = next(d for d in doc["departments"] if d["department_id"] == home_department.pk)
    assert home["plan_entered"] is True
    assert as_number(home["score"]) == formatting.percent_number(service.departments[home_department.pk].rollup.score)
    assert len(doc["departments"]) == 20
    assert sum(1 for d in doc["departments"] if not d["plan_entered"]) == 19


def test_json_records_read_as_documented(client):
    _, doc = get_json(client)
    r = by_code(doc, "1-5")  # Q1 approved (2 of 5); Q2 submitted
    assert (r["actual"], r["attainment"], r["light"], r["reported_period"]) == (2, 40, "red", "114Q1")
    assert r["narrative"].startswith("PUB-1-5-Q1")
    r = by_code(doc, "1-1")  # 90 of 100: yellow, with the reasons of the same approved report
    assert (r["actual"], r["attainment"], r["attainment_capped"], r["light"]) == (90, 90, 90, "yellow")
    assert r["light_label"] == "部分達成"
    assert r["shortfall_reason"].startswith("PUB-SHORTFALL-1-1") and r["improvement_plan"].startswith("PUB-IMPROVE")
    r = by_code(doc, "5-2")  # 18 of 15: 120% uncapped, 100 capped; green hides the shortfall text
    assert (r["attainment"], r["attainment_capped"], r["light"], r["shortfall_reason"]) == (120, 100, "green", "")
    r = by_code(doc, "6-1")  # Q2 is the latest approved: its figure and its texts
    assert (r["actual"], r["reported_period"]) == (50, "114Q2")
    assert r["narrative"].startswith("PUB-6-1-Q2") and r["shortfall_reason"].startswith("PUB-6-1-Q2-SHORTFALL")
    r = by_code(doc, "4-2")  # the target was revised 2 → 3
    assert (r["target"], r["original_target"], r["target_revised"], r["attainment"]) == (3, 2, True, 100)
    for code in ("2-1", "4-1"):  # a draft, a returned report: nothing approved
        r = by_code(doc, code)
        assert r["actual"] is None and r["attainment"] is None and r["attainment_capped"] is None
        assert (r["light"], r["light_label"], r["white_reason"]) == ("white", "不予評估", "尚無核定實績")
        assert r["narrative"] == r["reported_period"] == r["approved_at"] == ""
    r = by_code(doc, "共3-1")
    assert r["kind"] == "common" and r["goal"] is None and r["dimension"] == "organizational_learning"
    assert r["dimension_label"] == "組織學習" and r["actual"] == 88.71
    r = by_code(doc, "1-3")
    assert r["kind"] == "kpi" and r["goal"] == "繽紛·魅力" and r["objective"] == "市港再生" and r["unit"] == "式"
    assert r["year"] == 114 and r["year_gregorian"] == 2025 and r["direction"] == "higher" and r["weight"] == 1
    assert by_code(doc, "共2-1")["direction"] == "lower"


def test_approved_at_is_the_approval_date(client):
    _, doc = get_json(client)
    report = ProgressReport.objects.get(indicator=kpi_by_code("1-1"), period__year=YEAR, status=ReportStatus.APPROVED)
    assert by_code(doc, "1-1")["approved_at"] == timezone.localtime(report.reviewed_at).date().isoformat()


# --- CSV ------------------------------------------------------------------------------------


def parse_csv(content: bytes) -> list[dict]:
    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark"
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_csv_is_open_utf8_with_bom_and_a_licence_on_every_row(client):
    response, content = get_csv(client)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="kpi-attainment-{YEAR}.csv"'
    assert response["Access-Control-Allow-Origin"] == "*"
    header = next(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert header == STABLE_FIELDS + ["license", "license_url"] + STATUS_FIELDS + CORRECTION_FIELDS
    rows = parse_csv(content)
    assert len(rows) == 23
    for row in rows:
        assert row["license"] == settings.OPEN_DATA_LICENSE["name"]
        assert row["license_url"] == settings.OPEN_DATA_LICENSE["url"]


def test_csv_numbers_are_plain_decimals(client):
    rows = {r["code"]: r for r in parse_csv(get_csv(client)[1]) if r["department"] == "都市發展處"}
    assert (rows["1-1"]["target"], rows["1-1"]["actual"], rows["1-1"]["attainment"]) == ("100", "90", "90")
    assert (rows["5-2"]["attainment"], rows["5-2"]["attainment_capped"]) == ("120", "100")
    assert rows["共3-1"]["actual"] == "88.71"  # a formula's result, to 2 places as its working shows it
    assert rows["4-2"]["target_revised"] == "true" and rows["1-1"]["target_revised"] == "false"
    assert rows["2-1"]["actual"] == rows["2-1"]["attainment"] == ""
    for row in rows.values():
        for name in ("target", "original_target", "actual", "attainment", "attainment_capped", "weight"):
            assert "%" not in row[name] and "," not in row[name] and "E" not in row[name].upper()


def test_csv_and_json_agree(client):
    _, doc = get_json(client)
    rows = parse_csv(get_csv(client)[1])
    assert len(rows) == len(doc["indicators"])
    for row, record in zip(rows, doc["indicators"], strict=True):
        for name in STABLE_FIELDS + STATUS_FIELDS + CORRECTION_FIELDS:
            value = record[name]
            expected = public._cell(Decimal(str(value)) if isinstance(value, float) else value)
            assert row[name] == expected, name


# --- The status: what the light was judged on --------------------------------------------------


def test_a_published_years_lights_are_judged_on_the_year(client, seeded_plan):
    _, doc = get_json(client)
    service = plan_year_attainment(plan=seeded_plan, year=YEAR)
    for record in doc["indicators"]:
        assert (record["basis"], record["status_period"]) == ("year", None)
        result = service.indicators[record["indicator_id"]]
        assert record["light"] == result.status.assessment.light.value == result.year_assessment.light.value
    rows = {r["code"]: r for r in parse_csv(get_csv(client)[1]) if r["department"] == "都市發展處"}
    assert (rows["6-1"]["basis"], rows["6-1"]["status_period"], rows["6-1"]["reported_period"]) == ("year", "", "114Q2")


def test_a_year_published_while_in_progress_says_its_period(client, settings, seeded_plan):
    """Published years have normally ended; should one be published in its course, the files say what its
    lights were judged on, as the pages and the API do."""
    settings.KPI_TODAY = datetime.date(2025, 10, 8)
    _, doc = get_json(client)
    service = plan_year_attainment(plan=seeded_plan, year=YEAR)
    record = by_code(doc, "6-1")  # 50 approved for 114Q2 against the default plan, 70 → 100 by quarters: 85
    assert (record["basis"], record["status_period"], record["reported_period"]) == ("period", "114Q2", "114Q2")
    assert as_number(record["attainment"]) == formatting.percent_number(Decimal(50) / Decimal(85) * 100)
    assert record["attainment"] == 58.8
    assert record["light"] == "red"
    assert by_code(doc, "2-1")["basis"] == "period" and by_code(doc, "2-1")["status_period"] is None
    for record in doc["indicators"]:
        status = service.indicators[record["indicator_id"]].status
        assert record["basis"] == status.basis
        assert record["light"] == status.assessment.light.value
    row = next(r for r in parse_csv(get_csv(client)[1]) if r["code"] == "6-1" and r["department"] == "都市發展處")
    assert (row["basis"], row["status_period"], row["attainment"]) == ("period", "114Q2", "58.8")


# --- Only approved, only published ------------------------------------------------------------


def test_files_hold_no_unapproved_figure(client):
    content = get_json(client)[0].content + get_csv(client)[1]
    for secret in SECRETS:
        assert secret.encode() not in content, secret


@pytest.mark.parametrize("suffix", ["json", "csv"])
@pytest.mark.parametrize("year", [UNPUBLISHED, 111, 115, 2025])
def test_unpublished_year_is_404(client, suffix, year):
    # Written out: reverse() cannot build a Gregorian year's address (<roc_year:…>), which is still a 404.
    assert client.get(f"/open-data/attainment/{year}.{suffix}").status_code == 404


def test_index_lists_published_years_files_and_licence(client):
    response = client.get(reverse("reports:open_data"))
    assert response.status_code == 200
    body = response.content.decode()
    assert reverse("reports:open_data_json", args=[YEAR]) in body
    assert reverse("reports:open_data_csv", args=[YEAR]) in body
    assert reverse("reports:open_data_json", args=[UNPUBLISHED]) not in body
    assert settings.OPEN_DATA_LICENSE["name"] in body and settings.OPEN_DATA_LICENSE["url"] in body
    for name in STABLE_FIELDS + ["license", "license_url"] + STATUS_FIELDS + CORRECTION_FIELDS:
        assert f"<code>{name}</code>" in body


def test_docs_describe_every_field_and_the_licence():
    text = DOCS.read_text(encoding="utf-8")
    for field in public.INDICATOR_FIELDS + public.CSV_EXTRA_FIELDS + public.SUMMARY_FIELDS:
        assert f"`{field.name}`" in text, field.name
    assert settings.OPEN_DATA_LICENSE["name"] in text and settings.OPEN_DATA_LICENSE["url"] in text


@pytest.mark.parametrize("name", ["open_data_json", "open_data_csv"])
def test_file_query_count_is_pinned_and_flat(client, seeded_plan, name):
    url = reverse(f"reports:{name}", args=[YEAR])
    # +1 planned values, +1 the public version (reports.page_cache); rendered, not from the cache
    # (the new data moves the version).
    assert selects(client, url) == 7
    _more_data(seeded_plan, 3)
    _more_data(seeded_plan, 4)
    assert selects(client, url) == 7
