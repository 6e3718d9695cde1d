"""The department dashboard's figures are cached like the public pages (reports.page_cache).

Its content (roll-ups, the tree of KPIs, lights, trends) is built from the plan, its
structure, targets, planned values, periods and the figures of record: exactly what moves
the public version (reports.signals). So it is rendered once per version, day, language,
department, year and filters, for everyone the view lets see the department, and every
change to what it shows is on the very next page. Drafts and submissions move nothing.

The scenario is test_corrections_public's: 1-5 and 2-1 of 都市發展處 approved for 民國113年,
"today" in 114.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse

from kpi.services import target_set
from kpi.services.plan_workbooks import written_in_bulk
from plans.models import DepartmentPlan, StrategicObjective
from reports.models import PublicVersion
from tests.factories import kpi_by_code
from tests.test_corrections_public import (  # noqa: F401 (approved is a fixture, used by every test)
    CODE,
    CORRECTED,
    REASON,
    YEAR,
    _approve,
    _correct,
    _file,
    _reopen,
    approved,
)
from tests.test_public_cache import get as counted_get

pytestmark = pytest.mark.usefixtures("approved")


@pytest.fixture(autouse=True)
def today(settings):
    settings.KPI_TODAY = datetime.date(2025, 3, 10)  # ROC 114: year 113 is over


def url(department, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"year": YEAR, **params}.items())
    return reverse("reports:department", args=[department.pk]) + "?" + query


def get(client, address):
    """The page and the SELECTs it ran."""
    response, selects = counted_get(client, address)
    assert response.status_code == 200
    return response.content.decode(), selects


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def content(body: str) -> str:
    """The figures' block: from the filters to the end of the year table."""
    return re.search(r'<form method="get" class="filters.*</details>\s*</section>', body, re.S).group(0)


def attainment(body: str, indicator) -> str:
    cell = re.search(rf'data-figure="attainment" data-indicator="{indicator.pk}" data-year="{YEAR}">(.*?)</td>', body)
    return re.sub(r"<[^>]+>", "", cell.group(1))


def test_the_figures_are_computed_once_for_everyone_who_may_see_the_department(home_department, supervisor, planner):
    first, cold = get(signed_in(supervisor), url(home_department))
    again, warm = get(signed_in(planner), url(home_department))
    # The planning office's page: its own frame, the supervisor's figures from the cache.
    assert warm < cold - 5
    assert content(again) == content(first)
    assert attainment(again, kpi_by_code(CODE)) == "60%"  # 3 of 5


def test_who_may_not_see_the_department_gets_no_cached_figures(home_department, supervisor, other_staff):
    get(signed_in(supervisor), url(home_department))
    response = signed_in(other_staff).get(url(home_department))
    assert response.status_code == 404


def test_an_approved_correction_shows_at_once(request, home_department, staff, supervisor, planner):
    report = request.getfixturevalue("approved")
    viewer = signed_in(planner)
    body, _ = get(viewer, url(home_department))
    assert attainment(body, kpi_by_code(CODE)) == "60%"

    _reopen(report, planner, REASON)
    body, _ = get(viewer, url(home_department))
    assert attainment(body, kpi_by_code(CODE)) == "60%"  # the figure approved before still counts
    corrected = _correct(report, staff, 4, **CORRECTED)
    body, _ = get(viewer, url(home_department))
    assert attainment(body, kpi_by_code(CODE)) == "60%"  # submitted, not approved yet

    _approve(corrected, supervisor)
    body, _ = get(viewer, url(home_department))
    assert attainment(body, kpi_by_code(CODE)) == "80%"


def test_a_new_report_approved_shows_at_once_and_its_draft_does_not(home_department, periods, staff, supervisor):
    viewer = signed_in(supervisor)
    indicator = kpi_by_code("2-2")
    body, _ = get(viewer, url(home_department))
    assert attainment(body, indicator) == "—"
    _, cold = get(signed_in(staff), url(home_department, light="red"))
    report = _file("2-2", periods[f"{YEAR}Q4"], staff, 1, narrative="說明")
    body, _ = get(viewer, url(home_department))
    assert attainment(body, indicator) == "—"
    _, warm = get(signed_in(staff), url(home_department, light="red"))
    assert warm < cold - 5  # a submission is not a figure of record: the figures stay cached
    _approve(report, supervisor)
    body, _ = get(viewer, url(home_department))
    assert attainment(body, indicator) != "—"


def test_a_revised_target_and_a_renamed_objective_show_at_once(home_department, supervisor, admin_user):
    viewer = signed_in(supervisor)
    get(viewer, url(home_department))
    indicator = kpi_by_code(CODE)
    target_set(indicator=indicator, year=YEAR, value="6", reason="市府核定修正目標。", user=admin_user)
    body, _ = get(viewer, url(home_department))
    assert attainment(body, indicator) == "50%"  # 3 of 6

    objective = StrategicObjective.objects.get(pk=indicator.objective_id)
    objective.name = "OBJECTIVE-RENAMED 市港再生"
    objective.save()
    assert "OBJECTIVE-RENAMED" in get(viewer, url(home_department))[0]


def test_each_filter_and_language_has_its_own_copy(home_department, supervisor):
    viewer = signed_in(supervisor)
    everything, _ = get(viewer, url(home_department))
    red, _ = get(viewer, url(home_department, light="red"))
    assert content(red) != content(everything)
    assert f'id="kpi-{kpi_by_code(CODE).pk}"' in content(red)
    assert f'id="kpi-{kpi_by_code("2-1").pk}"' not in content(red)  # green: filtered out
    viewer.cookies["django_language"] = "en"
    english, _ = get(viewer, url(home_department))
    assert "Department score" in english and "部門" not in content(english).split("<table")[0]


def test_a_plan_workbook_load_moves_the_version():
    """Its new rows are inserted in bulk, with no model signal: the load says so itself."""
    version = PublicVersion.objects.get(pk=1).value
    written_in_bulk.send(sender=DepartmentPlan, department_plan=None)
    assert PublicVersion.objects.get(pk=1).value != version
