"""The department's grid (填報總表): one period's reports of every indicator on one page.

The service (`services.reports_save_many`): all or nothing, every row's errors at once,
conflicts per row, behind-plan rows need their texts, locks and statuses, permissions.
The page (`kpi:grid`): what it shows, what it keeps after a refusal, its read-only rows,
who may open it, and its query counts, which do not grow with the number of indicators.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpi import services
from kpi.models import Indicator, ProgressReport, ReportEvent, ReportStatus
from plans.models import DepartmentPlan
from tests.factories import kpi_by_code, objectives_with_kpis

TODAY = datetime.date(2025, 10, 8)  # 114Q3 ended on 9/30: open, due soon
GRID_GET_MAX_QUERIES = 19  # +1: the inbox's unread count in the navigation
GRID_POST_MAX_QUERIES = 41  # two rows written (report_save: ~10 each, the KPI page version twice), then the redirect


@pytest.fixture
def q3(settings, periods):
    settings.KPI_TODAY = TODAY
    return periods["114Q3"]


@pytest.fixture
def url(q3, home_department):
    return reverse("kpi:grid", args=[home_department.pk, q3.pk])


def _department_indicators(department):
    return Indicator.objects.filter(department_plan__department=department, department_plan__plan__start_year=111)


def _row(code, *, version=None, report=None, **values):
    indicator = kpi_by_code(code)
    values.setdefault("narrative", "")
    return services.BatchRow(
        indicator=indicator,
        values=values,
        expected_version=version if version is not None else (report.version if report else 0),
        report=report,
    )


def done(code, year=114) -> str:
    """A figure on target: the year's target itself."""
    return str(kpi_by_code(code).targets.get(year=year).value)


def _planned_q3(code, q3):
    indicator = kpi_by_code(code)
    return services.report_clean(indicator=indicator, period=q3, submitting=False, actual=None).preview.period_target


def form_data(response, action="save", **typed):
    """What the browser would send back: every editable input as the page shows it, then `typed`
    (code → {field: value})."""
    data = {"action": action}
    for row in response.context["rows"]:
        if not row.editable:
            continue
        data[f"{row.prefix}-version"] = str(row.version)
        data[f"{row.prefix}-shown"] = row.shown
        for cell in row.cells:
            data[cell.name] = cell.value
        for name, value in row.texts.items():
            data[f"{row.prefix}-{name}"] = value
        for name, value in typed.get(row.indicator.code, {}).items():
            data[f"{row.prefix}-{name}"] = value
    return data


# --- The service ----------------------------------------------------------------------------


def test_save_many_writes_every_row_as_a_draft(staff, q3):
    result = services.reports_save_many(
        user=staff,
        period=q3,
        rows=[_row("1-1", actual="1", narrative="已辦理。"), _row("1-2", actual="2"), _row("1-3")],
    )
    assert len(result.saved) == 2 and not result.submitted
    assert result.unchanged == 1  # nothing typed for 1-3: no report
    saved = ProgressReport.objects.filter(period=q3)
    assert {r.indicator.code for r in saved} == {"1-1", "1-2"}
    assert {r.status for r in saved} == {ReportStatus.DRAFT}
    assert ReportEvent.objects.filter(report__in=saved).count() == 2


def test_one_bad_row_writes_nothing_and_every_row_says_what_is_wrong(staff, q3):
    rows = [_row("1-1", actual="1"), _row("1-2", actual="abc"), _row("1-5", actual="1.5"), _row("2-1", actual="3")]
    with pytest.raises(services.BatchRefused) as refused:
        services.reports_save_many(user=staff, period=q3, rows=rows)
    errors = refused.value.errors
    assert set(errors) == {kpi_by_code("1-2").pk, kpi_by_code("1-5").pk}
    assert all("actual" in e.message_dict for e in errors.values())
    assert not ProgressReport.objects.filter(period=q3).exists()
    assert not ReportEvent.objects.exists()


def test_a_row_behind_plan_needs_its_reason_and_measures_to_be_submitted(staff, q3):
    assert _planned_q3("1-5", q3) > 0
    rows = [
        _row("1-5", actual="0", narrative="因颱風延期。"),
        _row("1-1", actual=str(kpi_by_code("1-1").targets.get(year=114).value), narrative="已完成。"),
    ]
    with pytest.raises(services.BatchRefused) as refused:
        services.reports_save_many(user=staff, period=q3, rows=rows, submit=True)
    (indicator_id, exc), *others = refused.value.errors.items()
    assert not others and indicator_id == kpi_by_code("1-5").pk
    assert set(exc.message_dict) == {"shortfall_reason", "improvement_plan"}
    assert not ProgressReport.objects.filter(period=q3).exists()

    rows[0].values.update(shortfall_reason="颱風停班。", improvement_plan="10月補辦。")
    result = services.reports_save_many(user=staff, period=q3, rows=rows, submit=True)
    assert len(result.submitted) == 2
    assert set(ProgressReport.objects.filter(period=q3).values_list("status", flat=True)) == {ReportStatus.SUBMITTED}


def test_submit_sends_the_rows_with_a_figure_and_keeps_the_others_as_drafts(staff, q3):
    done = str(kpi_by_code("1-1").targets.get(year=114).value)
    rows = [_row("1-1", actual=done, narrative="已辦理。"), _row("1-2", narrative="尚待統計。")]
    result = services.reports_save_many(user=staff, period=q3, rows=rows, submit=True)
    assert [r.indicator.code for r in result.submitted] == ["1-1"]
    assert [r.indicator.code for r in result.saved] == ["1-2"]


def test_a_row_changed_by_someone_else_is_a_conflict_and_nothing_is_written(staff, q3, django_user_model):
    colleague = django_user_model.objects.get(pk=staff.pk)  # another session of the department
    report = services.report_save(indicator=kpi_by_code("1-1"), period=q3, user=staff, actual="1")
    seen = report.version
    services.report_save(indicator=kpi_by_code("1-1"), period=q3, user=colleague, actual="2", expected_version=seen)
    rows = [_row("1-1", version=seen, report=report, actual="3"), _row("1-2", actual="2")]
    with pytest.raises(services.BatchRefused) as refused:
        services.reports_save_many(user=staff, period=q3, rows=rows)
    conflict = refused.value.conflicts[kpi_by_code("1-1").pk]
    assert conflict.report.version == seen + 1
    assert conflict.changes["actual"][1] is not None
    assert not refused.value.errors
    assert not ProgressReport.objects.filter(period=q3, indicator=kpi_by_code("1-2")).exists()
    assert ProgressReport.objects.get(period=q3, indicator=kpi_by_code("1-1")).actual == 2


def test_a_locked_period_refuses_every_row(staff, planner, q3):
    services.period_lock(period=q3, user=planner)
    with pytest.raises(services.BatchRefused) as refused:
        services.reports_save_many(user=staff, period=q3, rows=[_row("1-1", actual="1")])
    assert refused.value.errors[kpi_by_code("1-1").pk].messages == [services.locked_message(q3)]
    assert not ProgressReport.objects.filter(period=q3).exists()


def test_a_submitted_report_cannot_change_through_the_batch(staff, q3):
    report = services.report_save(
        indicator=kpi_by_code("1-1"), period=q3, user=staff, actual=done("1-1"), narrative="已辦理。", submit=True
    )
    with pytest.raises(services.BatchRefused) as refused:
        services.reports_save_many(
            user=staff, period=q3, rows=[_row("1-1", report=report, actual="2", narrative="改。")]
        )
    assert kpi_by_code("1-1").pk in refused.value.errors
    assert ProgressReport.objects.get(pk=report.pk).actual == report.actual


@pytest.mark.parametrize("who", ["other_staff", "supervisor", "planner", "admin"])
def test_only_the_departments_reporters_may_save_many(cast, q3, who):
    with pytest.raises(services.BatchRefused) as refused:
        services.reports_save_many(user=cast[who], period=q3, rows=[_row("1-1", actual="1")])
    assert kpi_by_code("1-1").pk in refused.value.errors
    assert not ProgressReport.objects.exists()


# --- The page -------------------------------------------------------------------------------


def test_the_grid_shows_every_indicator_the_reporter_may_report(client, staff, url, home_department):
    client.force_login(staff)
    response = client.get(url)
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r.indicator.pk for r in rows] and {r.indicator.pk for r in rows} == set(
        _department_indicators(home_department).values_list("pk", flat=True)
    )
    assert len(rows) == 23
    html = response.content.decode()
    one_five = next(r for r in rows if r.indicator.code == "1-5")
    assert one_five.year_target == 5
    assert one_five.outlook.period_target is not None  # the planned value of 114Q3
    assert f'name="{one_five.prefix}-actual"' in html
    common = next(r for r in rows if r.indicator.formula_spec)
    assert len(common.cells) == len(common.indicator.formula_spec.inputs)
    assert 'src="/static/js/grid.js"' in html or "js/grid" in html
    assert "<script>" not in html  # CSP: no inline script


def test_the_grid_shows_the_last_approved_figure(client, staff, supervisor, url, periods):
    q2 = periods["114Q2"]
    report = services.report_save(
        indicator=kpi_by_code("1-5"), period=q2, user=staff, actual=done("1-5"), narrative="已辦理。"
    )
    report = services.report_submit(report=report, user=staff)
    services.report_approve(report=report, user=supervisor)
    client.force_login(staff)
    row = next(r for r in client.get(url).context["rows"] if r.indicator.code == "1-5")
    assert row.last_approved.actual == 5 and row.last_approved.period == q2


def test_saving_the_grid_writes_the_typed_rows(client, staff, url, q3):
    client.force_login(staff)
    page = client.get(url)
    data = form_data(page, **{"1-1": {"actual": "1", "narrative": "已辦理 1 場。"}, "1-2": {"actual": "2"}})
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == url
    assert set(
        ProgressReport.objects.filter(period=q3).values_list("indicator__objective__number", "indicator__number")
    ) == {
        (1, 1),
        (1, 2),
    }
    # Saving the same page again changes nothing.
    again = client.post(url, form_data(client.get(url)))
    assert again.status_code == 302
    assert ReportEvent.objects.count() == 2


def test_a_refused_row_shows_its_error_beside_its_field_and_keeps_what_was_typed(client, staff, url, q3):
    client.force_login(staff)
    page = client.get(url)
    data = form_data(page, **{"1-1": {"actual": "1", "narrative": "好"}, "1-2": {"actual": "abc"}})
    response = client.post(url, data)
    assert response.status_code == 400
    assert not ProgressReport.objects.filter(period=q3).exists()
    html = response.content.decode()
    bad = kpi_by_code("1-2")
    assert re.search(rf'id="g-{bad.pk}-actual"[^>]*value="abc"[^>]*aria-invalid="true"', html)
    assert f'id="err-{bad.pk}-actual"' in html
    good = kpi_by_code("1-1")
    assert re.search(rf'id="g-{good.pk}-actual"[^>]*value="1"', html)  # the rest of the typing is kept


def test_submitting_a_row_behind_plan_asks_for_the_reason_and_measures(client, staff, url, q3):
    client.force_login(staff)
    data = form_data(client.get(url), action="submit", **{"1-5": {"actual": "0", "narrative": "延期。"}})
    response = client.post(url, data)
    assert response.status_code == 400
    row = next(r for r in response.context["rows"] if r.indicator.code == "1-5")
    assert set(row.errors) == {"shortfall_reason", "improvement_plan"}
    assert row.needs_explanation
    html = response.content.decode()
    pk = row.indicator.pk
    assert f'id="err-{pk}-shortfall_reason"' in html and f'id="err-{pk}-improvement_plan"' in html
    assert not ProgressReport.objects.exists()


def test_a_conflicting_row_shows_both_versions_and_saves_on_the_second_try(client, staff, url, q3):
    indicator = kpi_by_code("1-1")
    services.report_save(indicator=indicator, period=q3, user=staff, actual="1", narrative="第一版。")
    client.force_login(staff)
    page = client.get(url)
    report = ProgressReport.objects.get(indicator=indicator, period=q3)
    services.report_save(
        indicator=indicator,
        period=q3,
        user=staff,
        actual="2",
        narrative="同事的版本。",
        expected_version=report.version,
    )
    data = form_data(page, **{"1-1": {"actual": "3", "narrative": "我的版本。"}, "1-2": {"actual": "2"}})
    response = client.post(url, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "同事的版本。" in html and "我的版本。" in html
    assert 'class="conflict-panel"' in html
    row = next(r for r in response.context["rows"] if r.indicator.pk == indicator.pk)
    assert row.version == report.version + 1
    assert not ProgressReport.objects.filter(indicator=kpi_by_code("1-2"), period=q3).exists()

    # Saving again on purpose (the page now carries the current version) goes through.
    response = client.post(url, form_data(response))
    assert response.status_code == 302
    assert ProgressReport.objects.get(indicator=indicator, period=q3).narrative == "我的版本。"
    assert ProgressReport.objects.filter(indicator=kpi_by_code("1-2"), period=q3).exists()


def test_a_locked_period_is_read_only(client, staff, planner, url, q3):
    services.period_lock(period=q3, user=planner)
    client.force_login(staff)
    response = client.get(url)
    assert response.status_code == 200
    assert all(not r.editable and r.not_editable == "locked" for r in response.context["rows"])
    html = response.content.decode()
    assert 'name="action"' not in html and "<textarea" not in html
    # A page shown before the lock still sends the row: refused with the lock's message.
    pk = kpi_by_code("1-1").pk
    response = client.post(url, {"action": "save", f"{pk}-version": "0", f"{pk}-actual": "1"})
    assert response.status_code == 400
    assert services.locked_message(q3) in response.content.decode()
    assert not ProgressReport.objects.exists()


def test_submitted_and_approved_rows_are_read_only_with_their_status(client, staff, url, q3):
    report = services.report_save(
        indicator=kpi_by_code("1-1"), period=q3, user=staff, actual=done("1-1"), narrative="已辦理。", submit=True
    )
    client.force_login(staff)
    page = client.get(url)
    row = next(r for r in page.context["rows"] if r.indicator.pk == report.indicator_id)
    assert row.not_editable == "status" and row.report.status == ReportStatus.SUBMITTED
    assert f'name="{report.indicator_id}-actual"' not in page.content.decode()
    data = form_data(page)
    data[f"{report.indicator_id}-actual"] = "9"
    client.post(url, data)
    assert ProgressReport.objects.get(pk=report.pk).actual == report.actual


@pytest.mark.parametrize(
    ("who", "status"), [("other_staff", 404), ("supervisor", 403), ("planner", 403), ("admin", 403)]
)
def test_only_the_departments_reporters_open_the_grid(client, cast, url, who, status):
    client.force_login(cast[who])
    assert client.get(url).status_code == status
    assert client.post(url, {"action": "save"}).status_code == status


def test_my_updates_and_the_kpi_list_link_to_the_grid(client, staff, url, q3, seeded_plan, home_department):
    client.force_login(staff)
    assert url in client.get(reverse("kpi:my_updates")).content.decode()
    assert url in client.get(reverse("kpi:department_plan", args=[seeded_plan.pk, home_department.pk])).content.decode()


def test_the_single_form_returns_to_the_grid(client, staff, url, q3):
    client.force_login(staff)
    indicator = kpi_by_code("1-1")
    form_url = reverse("kpi:report", args=[indicator.pk, q3.pk])
    assert f'name="next" value="{url}"' in client.get(form_url, {"next": url}).content.decode()
    response = client.post(form_url, {"action": "save", "version": "0", "actual": "1", "next": url})
    assert response.status_code == 302 and response["Location"] == url
    other = kpi_by_code("1-2")
    response = client.post(
        reverse("kpi:report", args=[other.pk, q3.pk]),
        {"action": "save", "version": "0", "actual": "1", "next": "https://evil.example/"},
    )
    assert response.status_code == 302 and not response["Location"].startswith("https://evil")


# --- Query counts ---------------------------------------------------------------------------


def _count(client, method, url, data=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, data) if method == "post" else client.get(url)
    assert response.status_code in (200, 302), response.status_code
    return len(queries)


def test_the_grid_costs_the_same_queries_however_many_indicators(
    client, staff, url, q3, home_department, django_assert_max_num_queries
):
    # Some reports already: a draft and an approved one of last quarter.
    services.report_save(indicator=kpi_by_code("1-1"), period=q3, user=staff, actual="1")
    client.force_login(staff)
    with django_assert_max_num_queries(GRID_GET_MAX_QUERIES):
        client.get(url)
    get_before = _count(client, "get", url)
    post_before = _count(
        client, "post", url, form_data(client.get(url), **{"1-2": {"actual": "1"}, "1-3": {"narrative": "草稿。"}})
    )

    department_plan = DepartmentPlan.objects.get(department=home_department, plan=q3.plan)
    objectives_with_kpis(department_plan, objectives=3, kpis=5)
    client.get(url)  # warm
    with django_assert_max_num_queries(GRID_GET_MAX_QUERIES):
        response = client.get(url)
    assert len(response.context["rows"]) == 23 + 15
    assert _count(client, "get", url) == get_before
    data = form_data(client.get(url), **{"1-4": {"actual": "1"}, "2-1": {"narrative": "草稿。"}})
    with django_assert_max_num_queries(GRID_POST_MAX_QUERIES):
        response = client.post(url, data)
    assert response.status_code == 302
    data = form_data(client.get(url), **{"2-2": {"actual": "1"}, "2-3": {"narrative": "草稿。"}})
    assert _count(client, "post", url, data) == post_before


def test_rows_the_form_did_not_send_are_left_alone(client, staff, url, q3):
    draft = services.report_save(indicator=kpi_by_code("1-2"), period=q3, user=staff, actual="2", narrative="草稿。")
    client.force_login(staff)
    pk = kpi_by_code("1-1").pk
    response = client.post(url, {"action": "save", f"{pk}-version": "0", f"{pk}-actual": "1"})
    assert response.status_code == 302
    assert ProgressReport.objects.get(pk=draft.pk).version == draft.version
    assert ProgressReport.objects.filter(period=q3).count() == 2


def test_saving_drafts_leaves_a_row_nobody_touched_alone_even_if_it_changed_meanwhile(client, staff, url, q3):
    indicator = kpi_by_code("1-2")
    draft = services.report_save(indicator=indicator, period=q3, user=staff, actual="1", narrative="第一版。")
    client.force_login(staff)
    page = client.get(url)
    services.report_save(
        indicator=indicator, period=q3, user=staff, actual="2", narrative="同事的版本。", expected_version=draft.version
    )
    response = client.post(url, form_data(page, **{"1-1": {"actual": "1"}}))
    assert response.status_code == 302
    assert ProgressReport.objects.get(pk=draft.pk).narrative == "同事的版本。"
    assert ProgressReport.objects.filter(indicator=kpi_by_code("1-1"), period=q3).exists()


def test_after_a_refusal_the_rows_typed_before_are_saved_with_the_fix(client, staff, url, q3):
    client.force_login(staff)
    refused = client.post(url, form_data(client.get(url), **{"1-1": {"actual": "1"}, "1-2": {"actual": "abc"}}))
    assert refused.status_code == 400
    response = client.post(url, form_data(refused, **{"1-2": {"actual": "2"}}))
    assert response.status_code == 302
    assert set(ProgressReport.objects.filter(period=q3).values_list("actual", flat=True)) == {1, 2}


def test_a_row_submitted_meanwhile_shows_the_conflict_and_becomes_read_only(client, staff, url, q3):
    indicator = kpi_by_code("1-1")
    draft = services.report_save(indicator=indicator, period=q3, user=staff, actual=done("1-1"), narrative="已完成。")
    client.force_login(staff)
    page = client.get(url)
    services.report_submit(report=draft, user=staff)
    response = client.post(url, form_data(page, **{"1-1": {"narrative": "我改寫的說明。"}}))
    assert response.status_code == 400
    row = next(r for r in response.context["rows"] if r.indicator.pk == indicator.pk)
    assert row.conflict and row.not_editable == "status"
    assert row.texts["narrative"] == "已完成。"  # the row shows the report as saved ...
    assert "我改寫的說明。" in response.content.decode()  # ... and the panel what was typed
    assert f'name="{indicator.pk}-narrative"' not in response.content.decode()
