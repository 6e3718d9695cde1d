"""The whole city's yearly report at scale (issue #15): a first screen that does not grow with
the city's indicators, each department opened on demand, and downloads prepared in the
background (reports.exports) with a progress page and a link to the file.

The figures themselves (page, print view and files agree) are tests/test_yearly_report.py's.
"""

# ruff: noqa: F811 (the fixtures `filed` and `second_department` are tests/test_yearly_report.py's, imported)

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from kpi.assessments import plan_year_attainment
from reports import exports
from reports.models import ExportStatus, YearlyExport
from reports.tasks import build_yearly_export, remove_old_yearly_exports
from tests.downloads import city_download, city_section
from tests.factories import department_plan_with_kpis
from tests.test_yearly_report import (  # noqa: F401 (fixtures)
    HOME,
    YEAR,
    csv_rows,
    filed,
    grow,
    home_id,
    second_department,
    today,
    url,
)

STATIC = Path(django_settings.BASE_DIR) / "static" / "js" / "yearly-sections.js"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def city_page(client):
    response = client.get(url("reports:yearly", year=YEAR))
    assert response.status_code == 200
    return response


# --- the first screen ------------------------------------------------------------------------


def test_city_page_is_the_summary_and_a_closed_section_per_department(client, planner, filed, second_department):
    client.force_login(planner)
    response = city_page(client)
    html = response.content.decode()
    assert 'class="summary-city"' in html
    assert "data-code=" not in html  # no indicator row on the first screen
    for department_id in (home_id(), second_department.department_id):
        query = f"?year={YEAR}&amp;department={department_id}"
        assert f'data-section-url="{reverse("reports:yearly_section")}{query}"' in html
        assert f'href="{reverse("reports:yearly")}{query}"' in html  # without JavaScript: its own page
    assert html.count('<details class="report-department"') == 2
    assert "js/yearly-sections.js" in html


def test_city_summary_equals_the_python_roll_ups(client, planner, seeded_plan, filed, second_department):
    client.force_login(planner)
    report = city_page(client).context["report"]
    attainment = plan_year_attainment(plan=seeded_plan, year=YEAR)
    assert report.city == attainment.city.rollup
    assert {s.department.id: s.rollup for s in report.sections} == {
        did: g.rollup for did, g in attainment.departments.items()
    }
    assert {s.department.id: s.common_rollup for s in report.sections if s.common_rollup} == {
        did: g.rollup for did, g in attainment.common.items()
    }
    assert report.city.total == 22


def test_city_page_assesses_no_indicator_in_python(client, planner, filed, monkeypatch):
    """The roll-ups come from the stored assessments, summed in SQL."""

    def refuse(**kwargs):
        raise AssertionError("the whole city's first screen assessed every indicator in Python")

    monkeypatch.setattr("reports.yearly.plan_year_attainment", refuse)
    monkeypatch.setattr("reports.yearly.build_yearly_report", refuse)
    client.force_login(planner)
    assert 'class="summary-city"' in city_page(client).content.decode()


def test_a_reader_of_some_departments_sees_their_summary_only(client, staff, filed, second_department):
    client.force_login(staff)
    report = city_page(client).context["report"]
    assert [s.department.name for s in report.sections] == [HOME]
    assert report.city.total == 20


# The request: session, user, plan, memberships, department plans, three grouped roll-up
# queries (city, departments, common indicators), ATOMIC_REQUESTS' savepoints, the
# session's save and the navigation's counts (base.html).
CITY_PAGE_QUERIES = 15


def test_city_page_query_count_is_pinned_and_flat(
    client, seeded_plan, staff, supervisor, planner, periods, filed, django_assert_num_queries
):
    client.force_login(planner)
    path = url("reports:yearly", year=YEAR)
    with django_assert_num_queries(CITY_PAGE_QUERIES):
        small = client.get(path)
    grow(seeded_plan, staff, supervisor, periods, objectives=4, kpis=5)
    department_plan_with_kpis(plan=seeded_plan, objectives=2, kpis=3)
    with django_assert_num_queries(CITY_PAGE_QUERIES):
        large = client.get(path)
    assert large.context["report"].city.total == small.context["report"].city.total + 20 + 6
    # The page grows by a summary row and a closed section per department, not per indicator.
    assert len(large.content) - len(small.content) < 3000


# --- a department, opened -----------------------------------------------------------------------


def test_an_opened_section_is_the_department_tables(client, planner, filed):
    client.force_login(planner)
    html = city_section(client, YEAR, home_id())
    assert "<html" not in html  # a fragment for the page
    assert f'<h2 id="dept-{home_id()}-title">' in html
    assert html.count("data-code=") == 23
    assert 'data-code="共3-1"' in html


def test_a_section_needs_a_department_the_reader_may_view(client, planner, other_staff, filed):
    client.force_login(planner)
    assert client.get(url("reports:yearly_section", year=YEAR)).status_code == 404
    assert client.get(url("reports:yearly_section", year=YEAR, department=999999)).status_code == 404
    bad_year = client.get(url("reports:yearly_section", year=2024, department=home_id()))
    assert bad_year.status_code == 400 and "113" in bad_year.content.decode()
    client.force_login(other_staff)
    assert client.get(url("reports:yearly_section", year=YEAR, department=home_id())).status_code == 404


# session, user, plan, memberships, department plans, the report's queries (6), savepoints
SECTION_QUERIES = 16


def test_section_query_count_is_pinned_and_flat(
    client, seeded_plan, staff, supervisor, planner, periods, filed, django_assert_num_queries
):
    client.force_login(planner)
    path = url("reports:yearly_section", year=YEAR, department=home_id())
    with django_assert_num_queries(SECTION_QUERIES):
        small = client.get(path)
    grow(seeded_plan, staff, supervisor, periods, objectives=4, kpis=5)
    with django_assert_num_queries(SECTION_QUERIES):
        large = client.get(path)
    assert large.content.decode().count("data-code=") == small.content.decode().count("data-code=") + 20


def test_the_section_script_is_local_and_fetches_on_opening():
    script = STATIC.read_text()
    assert "data-section-url" in script and "toggle" in script and "fetch(" in script
    assert "http" not in script  # no outside address, not even in a comment


# --- the whole city's downloads, in the background ---------------------------------------------


def test_the_city_page_asks_for_its_files_with_a_form(client, planner, filed):
    client.force_login(planner)
    html = city_page(client).content.decode()
    assert f'action="{reverse("reports:yearly_export_start")}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    for fmt in ("xlsx", "ods", "csv"):
        assert f'name="format" value="{fmt}"' in html
    own = client.get(url("reports:yearly", year=YEAR, department=home_id())).content.decode()
    assert reverse("reports:yearly_export_start") not in own  # one department: direct links
    assert f"{reverse('reports:yearly_download')}?year={YEAR}&amp;department={home_id()}&amp;format=xlsx" in own


def test_the_old_city_download_address_leads_to_the_form(client, planner, filed):
    client.force_login(planner)
    response = client.get(url("reports:yearly_download", format="xlsx", year=YEAR), follow=True)
    assert response.redirect_chain[0][0] == f"{reverse('reports:yearly')}?year={YEAR}#downloads"
    assert "背景製作" in str(list(response.context["messages"])[0])
    assert not YearlyExport.objects.exists()  # a GET asks for nothing


def test_progress_page_while_waiting_then_the_file(client, planner, filed, media):
    client.force_login(planner)
    asked = client.post(reverse("reports:yearly_export_start"), {"format": "csv", "year": YEAR})
    export = YearlyExport.objects.get()
    assert asked.status_code == 303 and asked["Location"] == reverse("reports:yearly_export", args=[export.pk])
    assert (export.requested_by, export.year, export.format, export.status) == (planner, YEAR, "csv", "queued")

    waiting = client.get(asked["Location"]).content.decode()
    file_url = reverse("reports:yearly_export_file", args=[export.pk])
    assert '<meta http-equiv="refresh" content="2">' in waiting
    assert file_url not in waiting
    assert client.get(file_url).status_code == 404  # not ready

    assert "背景作業程式可能忙碌或已停止" not in waiting
    YearlyExport.objects.filter(pk=export.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=6))
    assert "背景作業程式可能忙碌或已停止" in client.get(asked["Location"]).content.decode()

    build_yearly_export.delay(str(export.pk))  # what the worker does (eager in the tests)
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE and export.rows == 23
    assert Path(export.file.path).parent == media / "exports" / "yearly"
    ready = client.get(asked["Location"]).content.decode()
    assert "http-equiv" not in ready and file_url in ready
    response = client.get(file_url)
    content = b"".join(response.streaming_content)
    if getattr(response, "file_to_stream", None):
        response.file_to_stream.close()
    assert response["Content-Disposition"].endswith("%E5%85%A8%E5%B8%82_113.csv")  # 全市
    own = client.get(url("reports:yearly_download", format="csv", year=YEAR, department=home_id()))
    assert csv_rows(content) == csv_rows(own.content)  # the city here is that one department


def test_a_file_is_built_once_whoever_delivers_the_task_twice(planner, seeded_plan, filed):
    export = exports.yearly_export_request(user=planner, plan=seeded_plan, year=YEAR, fmt="ods")
    assert exports.yearly_export_build(export.pk).status == ExportStatus.DONE
    assert exports.yearly_export_build(export.pk) is None


def test_a_failed_build_says_so_and_offers_to_try_again(client, planner, seeded_plan, filed, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(exports, "build_yearly_report", broken)
    client.force_login(planner)
    export = exports.yearly_export_request(user=planner, plan=seeded_plan, year=YEAR, fmt="xlsx")
    exports.yearly_export_build(export.pk)
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED and "disk full" in export.error and not export.file
    page = client.get(reverse("reports:yearly_export", args=[export.pk])).content.decode()
    assert "檔案製作失敗" in page and "http-equiv" not in page
    assert f'action="{reverse("reports:yearly_export_start")}"' in page
    assert client.get(reverse("reports:yearly_export_file", args=[export.pk])).status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"format": "docx", "year": YEAR}, "xlsx"),  # pdf and odt are the meeting pack's (reports.pack)
        ({"format": "", "year": YEAR}, "xlsx"),
        ({"format": "csv", "year": 2024}, "113"),
        ({"format": "csv", "year": "abc"}, "111"),
    ],
)
def test_a_bad_request_for_a_file_is_refused_with_a_message(client, planner, seeded_plan, data, message):
    client.force_login(planner)
    response = client.post(reverse("reports:yearly_export_start"), data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not YearlyExport.objects.exists()
    assert client.get(reverse("reports:yearly_export_start")).status_code == 405


def test_a_file_is_built_with_what_its_requester_may_view(client, staff, filed, second_department):
    client.force_login(staff)
    _, rows = csv_rows(city_download(client, "csv", YEAR).content)
    assert {r["機關"] for r in rows} == {HOME}


def test_files_are_removed_after_a_day(planner, seeded_plan, filed, media):
    plan = seeded_plan
    old = exports.yearly_export_request(user=planner, plan=plan, year=YEAR, fmt="csv")
    exports.yearly_export_build(old.pk)
    old.refresh_from_db()
    old_path = Path(old.file.path)
    YearlyExport.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(hours=25))
    fresh = exports.yearly_export_request(user=planner, plan=plan, year=YEAR, fmt="csv")
    exports.yearly_export_build(fresh.pk)  # each build clears the old ones too
    fresh.refresh_from_db()
    assert list(YearlyExport.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not old_path.exists() and Path(fresh.file.path).exists()
    YearlyExport.objects.filter(pk=fresh.pk).update(created_at=timezone.now() - datetime.timedelta(days=2))
    assert remove_old_yearly_exports.delay().get() == 1  # hourly on Celery beat
    assert not YearlyExport.objects.exists() and not Path(fresh.file.path).exists()


def test_beat_removes_old_files_hourly():
    entry = django_settings.CELERY_BEAT_SCHEDULE["remove-old-yearly-exports"]
    assert entry["task"] == remove_old_yearly_exports.name == "reports.tasks.remove_old_yearly_exports"
    assert entry["task"] in celery_app.tasks and build_yearly_export.name in celery_app.tasks


def test_a_requester_who_left_gets_no_file(planner, seeded_plan, filed):
    export = exports.yearly_export_request(user=planner, plan=seeded_plan, year=YEAR, fmt="csv")
    get_user_model().objects.filter(pk=planner.pk).update(is_active=False)
    assert exports.yearly_export_build(export.pk).status == ExportStatus.FAILED


# Asking: session, user, plan, memberships, department plans (the year's check), the insert,
# savepoints, the session's save. The file: session, user, the export, savepoints, the session's
# save; the page also the navigation's counts (memberships, work counts, unread notifications).
START_QUERIES, PAGE_QUERIES, FILE_QUERIES = 11, 11, 8
# The build: take the job, read it, the requester, the report (memberships, department plans,
# plan_year_attainment, revisions, evidence), save the row, clear old ones.
BUILD_QUERIES = 13


def test_export_query_counts_are_pinned_and_flat(
    client, seeded_plan, staff, supervisor, planner, periods, filed, django_assert_num_queries
):
    client.force_login(planner)

    def run():
        with django_assert_num_queries(START_QUERIES):
            asked = client.post(reverse("reports:yearly_export_start"), {"format": "xlsx", "year": YEAR})
        export = YearlyExport.objects.get(pk=asked["Location"].split("/")[-2])
        with django_assert_num_queries(BUILD_QUERIES):
            exports.yearly_export_build(export.pk)
        with django_assert_num_queries(PAGE_QUERIES):
            client.get(asked["Location"])
        with django_assert_num_queries(FILE_QUERIES):
            response = client.get(reverse("reports:yearly_export_file", args=[export.pk]))
        b"".join(response.streaming_content)
        if getattr(response, "file_to_stream", None):
            response.file_to_stream.close()
        return YearlyExport.objects.get(pk=export.pk).rows

    small = run()
    grow(seeded_plan, staff, supervisor, periods, objectives=4, kpis=5)
    department_plan_with_kpis(plan=seeded_plan, objectives=2, kpis=3)
    assert run() == small + 20 + 6
