"""The KPI page's content kept rendered (kpi.page_cache): served from the cache while nothing it
shows has moved, and never once something has.

The main test walks through the quarterly cycle and the planning office's edits; after each write
the page as served must equal the page built from scratch (the cache bypassed), for a reporter,
a reviewer and the planning office. Each step first puts the page in the cache, so a write that
did not move its version would be served stale and fail the comparison.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpi import page_cache, services
from kpi.models import Indicator, PageVersion, YearlyTarget
from kpi.services.comments import report_comment
from plans.models import Department, Membership, Plan, Role

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[A-Za-z0-9]+"')


@pytest.fixture(autouse=True)
def today(settings):
    settings.KPI_TODAY = datetime.date(2023, 8, 10)  # ROC 112, its Q2 open for submission


@pytest.fixture
def kpi(seeded_plan):
    return Indicator.objects.get(objective__number=1, number=5)  # 1-5, 場, target 5 a year


def detail(ind, year=112, **params):
    url = f"{reverse('kpi:detail', args=[ind.pk])}?year={year}"
    return url + "".join(f"&{k}={v}" for k, v in params.items())


def content_of(response) -> str:
    """The page's content (inside the frame), its forms' tokens blanked: they are each visitor's own."""
    body = response.content.decode()
    main = body[body.index('<main id="main"') :]
    return CSRF.sub('name="csrfmiddlewaretoken" value=""', main[: main.index("</main>")])


class Built:
    """Counts the KPI page's content builds (misses); `bypass()` builds every time."""

    def __init__(self, monkeypatch):
        self.count = 0
        self.bypassing = False
        self._monkeypatch = monkeypatch
        fetch = page_cache.fetch

        def counting(key, compute, timeout):
            def build():
                self.count += 1
                return compute()

            return build() if self.bypassing else fetch(key, build, timeout)

        monkeypatch.setattr(page_cache, "fetch", counting)


@pytest.fixture
def built(monkeypatch):
    return Built(monkeypatch)


def served_and_fresh(client, url, built) -> tuple[str, str]:
    served = content_of(client.get(url))
    built.bypassing = True
    try:
        fresh = content_of(client.get(url))
    finally:
        built.bypassing = False
    return served, fresh


def test_a_second_visit_is_served_from_the_cache(client, staff, kpi, built):
    client.force_login(staff)
    first = client.get(detail(kpi))
    assert built.count == 1
    with CaptureQueriesContext(connection) as ctx:
        second = client.get(detail(kpi))
    assert built.count == 1
    assert content_of(first) == content_of(second)
    tables = " ".join(q["sql"] for q in ctx.captured_queries)
    # Nothing of the page's data is read again: only the frame's, the indicator and the versions.
    for table in ("kpi_reportevent", "kpi_progressreport", "kpi_yearlytarget", "kpi_historicalindicator"):
        assert f'"{table}"' not in tables, table
    assert '"kpi_pageversion"' in tables


def test_people_who_may_do_the_same_share_it_and_the_others_do_not(client, staff, supervisor, kpi, periods, built):
    second_reporter = get_user_model().objects.create_user("staff2", password="pw-staff2", first_name="二號")
    Membership.objects.create(user=second_reporter, department=kpi.department_plan.department, role=Role.REPORTER)
    services.report_save(
        indicator=kpi,
        period=periods[112, 2],
        user=staff,
        actual="3",
        narrative="辦理三場",
        shortfall_reason="颱風",
        improvement_plan="補辦",
        expected_version=0,
        submit=True,
    )
    client.force_login(staff)
    mine = client.get(detail(kpi)).content.decode()
    client.force_login(second_reporter)
    theirs = client.get(detail(kpi)).content.decode()
    assert built.count == 1  # the second reporter got the first one's content
    review = reverse("kpi:review", args=[kpi.reports.get().pk])
    assert review not in mine and review not in theirs
    client.force_login(supervisor)
    reviewer = client.get(detail(kpi)).content.decode()
    assert built.count == 2 and review in reviewer  # the reviewer may review it: a content of its own


def test_each_visitor_gets_their_own_csrf_token(client, staff, kpi, periods, built):
    services.report_save(indicator=kpi, period=periods[112, 2], user=staff, actual="1", expected_version=0)
    client.force_login(staff)
    first = client.get(detail(kpi)).content.decode()
    token = client.cookies["csrftoken"].value
    client.logout()
    client.cookies.clear()
    client.force_login(staff)
    second = client.get(detail(kpi)).content.decode()
    assert built.count == 1
    first_tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"', first))
    second_tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"', second))
    assert first_tokens and second_tokens and not first_tokens & second_tokens
    assert client.cookies["csrftoken"].value != token
    # The token served works: the comment form posts.
    report = kpi.reports.get()
    response = client.post(
        reverse("kpi:comment", args=[report.pk]), {"csrfmiddlewaretoken": second_tokens.pop(), "text": "好"}
    )
    assert response.status_code == 302


def _step_writes(kpi, periods, staff, supervisor, planner):
    """The writes of a quarter and of the planning office's edits, each a (name, function)."""
    period = periods[112, 2]
    state = {}

    def save():
        state["report"] = services.report_save(
            indicator=kpi, period=period, user=staff, actual="2", narrative="辦理兩場", expected_version=0
        )

    def evidence():
        services.evidence_add(report=state["report"], user=staff, url="https://example.org/簽到表", description="簽到")

    def submitted(actual: str, narrative: str):
        report = state["report"]
        report.refresh_from_db()
        state["report"] = services.report_save(
            indicator=kpi,
            period=period,
            user=staff,
            actual=actual,
            narrative=narrative,
            shortfall_reason="颱風延期",
            improvement_plan="下季補辦",
            expected_version=report.version,
            submit=True,
        )

    def submit():
        submitted("3", "辦理三場")

    def comment():
        report_comment(report=state["report"], user=supervisor, text="請補充照片")

    def send_back():
        state["report"] = services.report_return(report=state["report"], user=supervisor, comment="請補件")

    def resubmit():
        submitted("4", "辦理四場")

    def approve():
        state["report"] = services.report_approve(report=state["report"], user=supervisor)

    def reopen():
        state["report"] = services.report_reopen(report=state["report"], user=planner, reason="資料更正")

    def revise_target():
        services.target_set(indicator=kpi, year=112, value="6", reason="預算增加", user=planner)

    def plan_values():
        services.planned_values_save(
            user=planner, department_plan=kpi.department_plan, year=112, values={kpi.pk: {1: "1", 2: "3"}}
        )

    def exclude():
        target = YearlyTarget.objects.get(indicator=kpi, year=111)
        target.excluded_reason = "疫情停辦"
        target.save()

    def rename_indicator():
        indicator = Indicator.objects.get(pk=kpi.pk)
        indicator.name = "建立市港溝通平台（更名）"
        indicator.save()

    def lock_period():
        services.period_lock(period=periods[112, 1], user=planner, force=True, reason="季會結束")

    def thresholds():
        plan = Plan.objects.get(pk=kpi.department_plan.plan_id)
        plan.green_threshold = Decimal("95")
        plan.save()

    def rename_person():
        person = get_user_model().objects.get(pk=staff.pk)
        person.first_name, person.last_name = "大明", "王"
        person.save()

    def rename_objective():
        objective = kpi.objective
        objective.name = "市港共榮（更名）"
        objective.save()

    def rename_department():
        department = Department.objects.get(pk=kpi.department_plan.department_id)
        department.name = department.name + "（更名）"
        department.save()

    return [
        (f.__name__, f)
        for f in (
            save,
            evidence,
            submit,
            comment,
            send_back,
            resubmit,
            approve,
            reopen,
            revise_target,
            plan_values,
            exclude,
            rename_indicator,
            lock_period,
            thresholds,
            rename_person,
            rename_objective,
            rename_department,
        )
    ]


def test_every_write_shows_at_once(client, staff, supervisor, planner, kpi, periods, built, settings):
    settings.KPI_TODAY = datetime.date(2023, 7, 10)  # 112Q2 ended: open for submission, 112Q1 lockable
    viewers = {"reporter": staff, "reviewer": supervisor, "planning office": planner}
    stale = []
    for name, write in _step_writes(kpi, periods, staff, supervisor, planner):
        for viewer in viewers.values():  # cached before the write
            client.force_login(viewer)
            client.get(detail(kpi))
        builds = built.count
        for viewer in viewers.values():
            client.force_login(viewer)
            client.get(detail(kpi))
        assert built.count == builds, f"before {name}: served from the cache"
        write()
        for who, viewer in viewers.items():
            client.force_login(viewer)
            served, fresh = served_and_fresh(client, detail(kpi), built)
            if served != fresh:
                stale.append(f"after {name}, the {who}")
    assert not stale, f"served a stale page: {stale}"


def test_the_grids_bulk_write_moves_its_indicators(client, staff, kpi, periods, built):
    client.force_login(staff)
    client.get(detail(kpi))
    rows = [
        services.BatchRow(
            indicator=kpi,
            values={"actual": "2", "narrative": "辦理兩場", "shortfall_reason": "", "improvement_plan": ""},
            expected_version=None,
        )
    ]
    services.reports_save_many(user=staff, period=periods[112, 2], rows=rows)
    served, fresh = served_and_fresh(client, detail(kpi), built)
    assert served == fresh and "辦理兩場" in served


def test_a_sign_in_moves_no_version_a_rename_does(staff, kpi):
    page_cache.everything_moved()
    before = PageVersion.objects.get(scope=page_cache.ALL).value
    person = get_user_model().objects.get(pk=staff.pk)
    person.last_login = datetime.datetime(2023, 8, 10, tzinfo=datetime.UTC)
    person.save(update_fields=["last_login"])
    person.save()  # a directory sign-in saves the whole account, names unchanged
    get_user_model().objects.create_user("newcomer", password="pw-newcomer")
    assert PageVersion.objects.get(scope=page_cache.ALL).value == before
    person.first_name = "小華"
    person.save()
    assert PageVersion.objects.get(scope=page_cache.ALL).value != before


def test_year_record_and_language_have_their_own_content(client, staff, kpi, built):
    client.force_login(staff)
    client.get(detail(kpi, 112))
    client.get(detail(kpi, 113))
    client.get(detail(kpi, 112, record="all"))
    assert built.count == 3
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(detail(kpi, 112)).content.decode()
    assert built.count == 4 and "Targets, actuals and lights by year" in english


def test_the_page_works_without_the_cache(client, staff, kpi, monkeypatch):
    from common import caching

    def broken(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(caching.cache, "get", broken)
    monkeypatch.setattr(caching.cache, "set", broken)
    client.force_login(staff)
    response = client.get(detail(kpi))
    assert response.status_code == 200 and kpi.name in response.content.decode()


def test_a_deletion_from_above_moves_the_owner_once(kpi, django_assert_max_num_queries):
    """Deleting an indicator deletes its targets (and their revisions) without an upsert per row."""
    with CaptureQueriesContext(connection) as ctx:
        Indicator.objects.get(pk=kpi.pk).delete()
    upserts = [q for q in ctx.captured_queries if '"kpi_pageversion"' in q["sql"]]
    assert len(upserts) == 1
