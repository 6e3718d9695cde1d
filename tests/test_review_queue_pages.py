"""The review queue a page at a time (issue #15): filters by department, year, period and
stage, validated and kept in every link; counted and sliced in the database; the totals
agree with the navigation's counts; the filter choices and rows stay within what the user
may review; bulk approval from any page; a query count that does not grow with the city.

"Today" is 民國114年4月10日, as in test_queues. The page size is made small here (3) so
that a handful of reports spans several pages.
"""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpi import access, queues
from kpi.models import ProgressReport, ReportStatus
from kpi.views import queues as queue_views
from plans.models import DepartmentPlan, Membership, Role
from tests.factories import UserFactory, objectives_with_kpis, reports_for_indicators

PER_PAGE = 3
URL = "/review/"


@pytest.fixture(autouse=True)
def small_pages(settings, monkeypatch):
    settings.KPI_TODAY = datetime.date(2025, 4, 10)
    monkeypatch.setattr(queue_views, "QUEUE_PER_PAGE", PER_PAGE)


@pytest.fixture
def waiting(seeded_plan, staff, other_staff, periods, home_department, other_department):
    """Submitted reports: 4 of 都市發展處 in 114Q1 and 3 in 113Q4, and 2 of the other department in 114Q1."""
    home = objectives_with_kpis(
        DepartmentPlan.objects.get(plan=seeded_plan, department=home_department), objectives=1, kpis=7
    )
    other = objectives_with_kpis(
        DepartmentPlan.objects.get(plan=seeded_plan, department=other_department), objectives=1, kpis=2
    )
    made = {
        "home_q1": reports_for_indicators(home[:4], periods["114Q1"], status="submitted", reporter=staff),
        "home_q4": reports_for_indicators(home[4:], periods["113Q4"], status="submitted", reporter=staff),
        "other_q1": reports_for_indicators(other, periods["114Q1"], status="submitted", reporter=other_staff),
    }
    return made


def shown(response):
    return [row.report.pk for row in response.context["rows"]]


def warnings(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def every_page(client, params=None):
    """The rows of every page, following the page's own "next" link."""
    pks, url = [], URL + "?" + "&".join(f"{k}={v}" for k, v in (params or {}).items())
    for _ in range(20):
        response = client.get(url)
        assert response.status_code == 200
        pks += shown(response)
        page = response.context["page"]
        if not page.next_href:
            return pks, page
        url = URL + page.next_href
    raise AssertionError("the pages never end")


def test_the_planning_office_sees_the_queue_a_page_at_a_time(client, planner, waiting):
    client.force_login(planner)
    response = client.get(URL)
    page = response.context["page"]
    assert (page.number, page.count, page.num_pages) == (1, 9, 3)
    assert len(shown(response)) == PER_PAGE
    body = response.content.decode()
    assert 'href="?page=2"' in body and 'href="?page=3"' in body and 'aria-current="page"' in body
    # Every waiting report once, oldest first, across the pages.
    pks, last = every_page(client)
    everything = ProgressReport.objects.filter(status=ReportStatus.SUBMITTED).order_by("submitted_at", "id")
    assert pks == list(everything.values_list("pk", flat=True))
    assert last.number == 3 and not last.next_href and last.previous_href == "?page=2"


def test_page_two_holds_the_next_rows(client, planner, waiting):
    client.force_login(planner)
    first = shown(client.get(URL))
    second = client.get(URL, {"page": "2"})
    assert second.context["page"].number == 2
    assert len(shown(second)) == PER_PAGE and not set(shown(second)) & set(first)


def test_a_page_past_the_last_shows_the_last_and_says_so(client, planner, waiting):
    client.force_login(planner)
    response = client.get(URL, {"page": "99"})
    assert response.status_code == 200
    assert response.context["page"].number == 3
    assert shown(response) == shown(client.get(URL, {"page": "3"}))
    assert any("99" in m for m in warnings(response))


@pytest.mark.parametrize("bad", ["abc", "0", "-1", "2.5", "²"])
def test_a_bad_page_number_shows_the_first_page_and_says_so(client, planner, waiting, bad):
    client.force_login(planner)
    response = client.get(URL, {"page": bad})
    assert response.status_code == 200
    assert response.context["page"].number == 1
    assert shown(response) == shown(client.get(URL))
    assert len(warnings(response)) == 1


def test_filters_narrow_the_rows_and_the_total_in_the_database(client, planner, waiting, periods, other_department):
    client.force_login(planner)
    by_department = client.get(URL, {"department": other_department.pk})
    assert set(shown(by_department)) == {r.pk for r in waiting["other_q1"]}
    assert by_department.context["page"].count == 2
    by_period, _last = every_page(client, {"period": periods["113Q4"].pk})
    assert set(by_period) == {r.pk for r in waiting["home_q4"]}
    by_year = client.get(URL, {"year": "113"})
    assert by_year.context["page"].count == 3
    both = client.get(URL, {"department": other_department.pk, "period": periods["113Q4"].pk})
    assert shown(both) == [] and both.context["page"].count == 0
    assert "No report matches these filters" in both.content.decode() or "篩選" in both.content.decode()


def test_every_link_keeps_the_filters(client, planner, waiting, periods, home_department):
    client.force_login(planner)
    response = client.get(URL, {"department": home_department.pk, "page": "2"})
    page = response.context["page"]
    assert (page.count, page.num_pages, page.number) == (7, 3, 2)
    for href in (page.previous_href, page.next_href, *[link.href for link in page.links if link.number]):
        query = parse_qs(urlsplit(href).query)
        assert query["department"] == [str(home_department.pk)], href
    assert parse_qs(urlsplit(page.next_href).query)["page"] == ["3"]
    assert "page" not in parse_qs(urlsplit(page.previous_href).query)  # page 1 is the plain address
    body = response.content.decode()
    assert f'href="?department={home_department.pk}&amp;page=3"' in body
    # A report opened from this page comes back to this page, filters and all.
    assert response.context["next_url"] == f"{URL}?department={home_department.pk}&page=2"


def test_a_stage_link_keeps_the_other_filters(client, two_stages, planner, admin_user, waiting, supervisor, periods):
    second = waiting["home_q4"]
    ProgressReport.objects.filter(pk__in=[r.pk for r in second]).update(
        status=ReportStatus.FIRST_APPROVED, review_stages=2, first_reviewed_by=supervisor
    )
    ProgressReport.objects.exclude(pk__in=[r.pk for r in second]).update(review_stages=2)
    client.force_login(admin_user)  # admins take either stage
    response = client.get(URL, {"year": "113"})
    stages = {s["stage"]: s for s in response.context["stages"]}
    assert stages[access.SECOND]["href"] == "?year=113&stage=2"
    assert stages[access.SECOND]["count"] == 3
    only_second = client.get(URL + stages[access.SECOND]["href"])
    assert set(shown(only_second)) == {r.pk for r in second}
    assert [s["stage"] for s in only_second.context["sections"]] == [access.SECOND]
    assert only_second.context["all_stages_href"] == "?year=113"
    # Unfiltered, the first stage comes before the second across the pages.
    pks, _last = every_page(client)
    stages_in_order = [access.review_stage(ProgressReport.objects.get(pk=pk)) for pk in pks]
    assert stages_in_order == sorted(stages_in_order) and len(pks) == 9


def test_a_stage_on_other_pages_says_so_and_links_to_it(client, two_stages, admin_user, waiting, supervisor):
    ProgressReport.objects.filter(pk__in=[r.pk for r in waiting["home_q4"]]).update(
        status=ReportStatus.FIRST_APPROVED, review_stages=2, first_reviewed_by=supervisor
    )
    client.force_login(admin_user)
    body = client.get(URL).content.decode()  # page 1: first-stage reports only
    assert '<a href="?stage=2">' in body


def test_a_supervisor_chooses_among_and_sees_only_their_departments(
    client, supervisor, waiting, home_department, other_department
):
    client.force_login(supervisor)
    response = client.get(URL)
    assert response.context["departments"] == [(home_department.pk, home_department.name)]
    assert f'<option value="{other_department.pk}"' not in response.content.decode()
    assert f'<option value="{home_department.pk}"' in response.content.decode()
    pks, _last = every_page(client)
    assert set(pks) == {r.pk for r in waiting["home_q1"] + waiting["home_q4"]}
    # Asking for another department's reports leaves the filter out, and says so.
    asked = client.get(URL, {"department": other_department.pk})
    assert asked.context["chosen"]["department"] is None
    assert set(shown(asked)) <= {r.pk for r in waiting["home_q1"] + waiting["home_q4"]}
    assert asked.context["page"].count == 7
    assert len(warnings(asked)) == 1 and other_department.name not in warnings(asked)[0]


def test_periods_offered_are_those_with_reports_waiting(client, supervisor, waiting, periods):
    client.force_login(supervisor)
    response = client.get(URL)
    assert [p.short_label for p in response.context["periods"]] == ["113Q4", "114Q1"]
    assert response.context["years"] == [113, 114]
    asked = client.get(URL, {"period": periods["112Q1"].pk})  # nothing waits there
    assert asked.context["chosen"]["period"] is None and len(warnings(asked)) == 1


@pytest.mark.parametrize("who", ["supervisor", "planner", "admin"])
def test_the_total_agrees_with_the_navigation(client, cast, waiting, who):
    user = cast[who]
    client.force_login(user)
    response = client.get(URL)
    fresh = type(user).objects.get(pk=user.pk)
    assert response.context["page"].count == queues.work_for(fresh).to_review_count
    assert response.context["page"].count == queues.work_for(fresh, counts_only=True).to_review_count
    body = client.get(reverse("kpi:home")).content.decode()
    assert f'<span class="nav-count" aria-hidden="true">{response.context["page"].count}</span>' in body
    pks, _last = every_page(client)
    assert len(pks) == len(set(pks)) == response.context["page"].count


def test_reports_written_by_the_reviewer_are_counted_apart_and_listed_up_to_a_limit(
    client, seeded_plan, home_department, periods, monkeypatch
):
    both = UserFactory(username="both")
    Membership.objects.create(user=both, department=home_department, role=Role.REPORTER)
    Membership.objects.create(user=both, department=home_department, role=Role.REVIEWER)
    made = objectives_with_kpis(
        DepartmentPlan.objects.get(plan=seeded_plan, department=home_department), objectives=1, kpis=3
    )
    reports_for_indicators(made, periods["114Q1"], status="submitted", reporter=both)
    monkeypatch.setattr(queue_views, "QUEUE_ASIDE_LIMIT", 2)
    client.force_login(both)
    response = client.get(URL)
    assert response.context["page"].count == 0
    assert response.context["counts"].own == 3
    assert len(response.context["own"]) == 2 and response.context["own_more"] == 1


def test_bulk_approval_from_page_two_returns_to_page_two(client, supervisor, waiting, home_department):
    client.force_login(supervisor)
    url = f"{URL}?department={home_department.pk}&page=2"
    page_two = client.get(url)
    ticked = shown(page_two)
    assert len(ticked) == PER_PAGE
    body = page_two.content.decode()
    for pk in ticked:
        assert f'name="report" value="{pk}"' in body
    assert f'name="next" value="{URL}?department={home_department.pk}&amp;page=2"' in body
    versions = {f"version-{r.pk}": r.version for r in ProgressReport.objects.filter(pk__in=ticked)}
    response = client.post(reverse("kpi:review_bulk"), {"report": ticked, "confirm": "1", "next": url, **versions})
    assert response.status_code == 302 and response["Location"] == url
    assert ProgressReport.objects.filter(pk__in=ticked, status=ReportStatus.APPROVED).count() == PER_PAGE
    after = client.get(response["Location"])
    assert after.context["page"].count == 4 and after.context["page"].number == 2
    assert not set(shown(after)) & set(ticked)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# The unfiltered queue reuses the navigation's counts; a filtered one counts its own (one more).
FILTERED_MAX_QUERIES = 18  # test_queues.REVIEW_QUEUE_MAX_QUERIES + 1


@pytest.mark.parametrize("who", ["supervisor", "planner"])
def test_a_filtered_page_costs_the_same_queries_however_big_the_city(
    client, cast, seeded_plan, home_department, periods, staff, waiting, who, django_assert_max_num_queries
):
    client.force_login(cast[who])
    url = f"{URL}?department={home_department.pk}&year=114&page=2"
    before = count_queries(client, url)
    more = objectives_with_kpis(
        DepartmentPlan.objects.get(plan=seeded_plan, department=home_department), objectives=2, kpis=6
    )
    reports_for_indicators(more, periods["114Q1"], status="submitted", reporter=staff)
    with django_assert_max_num_queries(FILTERED_MAX_QUERIES):
        response = client.get(url)
    assert response.context["page"].count == 16
    assert count_queries(client, url) == before


def test_a_stage_the_reviewer_does_not_give_says_so(client, two_stages, supervisor, waiting):
    client.force_login(supervisor)  # a department's reviewer gives the first review only
    response = client.get(URL, {"stage": "2"})
    assert response.status_code == 200
    assert response.context["sections"] == [] and shown(response) == []
    body = response.content.decode()
    assert "You give no review at this stage" in body or "階段" in body
    assert 'href="?"' in body  # back to every stage


def test_a_report_opened_from_a_page_past_the_last_comes_back_to_the_last(client, planner, waiting):
    client.force_login(planner)
    response = client.get(URL, {"page": "99", "year": "114"})
    assert response.context["page"].number == 2
    assert response.context["next_url"] == f"{URL}?year=114&page=2"
    assert client.get(URL).context["next_url"] == URL
