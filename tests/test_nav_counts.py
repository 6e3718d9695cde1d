"""The navigation's work counts kept in the cache (kpi.nav_counts): served without a query while
nothing moved them, and after every kind of write that moves them equal to the counts computed
from scratch (`queues.report_counts`, `queues.review_counts`).

"Today" is 民國114年4月10日: 114Q1 is open for reporting, 113Q4 is overdue.
"""

import datetime
from contextlib import contextmanager

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from common import caching
from kpi import queues, services
from kpi.models import Indicator
from tests.factories import kpi_by_code

TODAY = datetime.date(2025, 4, 10)


@pytest.fixture(autouse=True)
def today(settings):
    settings.KPI_TODAY = TODAY


@contextmanager
def committed():
    """As if the block's writes committed: their on-commit callbacks run, and are done (the
    test's own transaction never commits)."""
    start = len(connection.run_on_commit)
    yield
    callbacks = connection.run_on_commit[start:]
    del connection.run_on_commit[start:]
    for _, callback, _ in callbacks:
        callback()


def fresh(user):
    """The user as a new request loads it (memberships read again)."""
    return get_user_model().objects.get(pk=user.pk)


def badge(user):
    """The navigation's counts for `user`, and the queries they cost."""
    with CaptureQueriesContext(connection) as queries:
        work = queues.work_for(user, counts_only=True)
    return (work.indicator_count, work.to_report_count, work.review_counts), len(queries)


def from_scratch(user):
    work = queues.Work(today=TODAY)
    work.indicator_count, work.report_count = queues.report_counts(user, TODAY)
    return work.indicator_count, work.to_report_count


def test_kept_while_nothing_moves_and_right_after_every_write(staff, supervisor, planner, periods):
    reporter = fresh(staff)
    first, _ = badge(reporter)
    again, cost = badge(reporter)
    assert again == first and cost == 0  # kept (the memberships were read with the first)
    assert first[:2] == from_scratch(staff) and first[1] > 0

    q1, q4 = periods["114Q1"], periods["113Q4"]
    kpi = kpi_by_code("2-1")

    def check():
        for person in (staff, supervisor):
            user = fresh(person)
            counts, _ = badge(user)
            assert counts[2] == (queues.review_counts(user) if person is supervisor else None)
            if person is staff:
                assert counts[:2] == from_scratch(user)
            again, cost = badge(fresh(person))
            assert again == counts and cost == 1  # only the new request's memberships

    check()
    with committed():
        report = services.report_save(indicator=kpi, period=q1, user=staff, actual="20", narrative="辦理中。")
    check()  # a report started: one fewer to do
    with committed():
        report = services.report_submit(report=report, user=staff, expected_version=report.version)
    check()  # waiting for the supervisor
    with committed():
        report = services.report_return(report=report, user=supervisor, comment="請補充。")
    check()  # back with the reporter
    with committed():
        services.evidence_add(report=report, user=staff, url="https://example.gov.tw/a", description="照片")
    check()  # an entry of the record
    with committed():
        report.refresh_from_db()
        report = services.report_submit(report=report, user=staff, expected_version=report.version)
    check()  # waiting again
    with committed():
        services.period_lock(period=q4, user=planner, force=True, reason="年度結算")
    check()  # 113Q4's overdue reports are locked: no longer to do
    with committed():
        Indicator.objects.get(pk=kpi_by_code("1-2").pk).delete()
    check()  # one indicator fewer to report on


def test_the_grids_bulk_write_moves_them(staff, periods):
    user = fresh(staff)
    before, _ = badge(user)
    rows = [
        services.BatchRow(
            indicator=kpi_by_code(code),
            values={"actual": "20", "narrative": "完成。", "shortfall_reason": "", "improvement_plan": ""},
            expected_version=None,
        )
        for code in ("2-1", "4-1")
    ]
    with committed():
        services.reports_save_many(user=staff, period=periods["114Q1"], rows=rows, submit=True)
    after, _ = badge(fresh(staff))
    assert after[:2] == from_scratch(staff) and after[1] == before[1] - 2  # two submitted: no longer to do


def test_the_planning_office_is_counted_live(planner, staff, periods):
    """Whoever reviews the whole city is not served from the cache (any report anywhere moves it)."""
    user = fresh(planner)
    queues.work_for(user, counts_only=True)
    _, cost = badge(user)
    assert cost > 0


def test_counts_read_inside_a_write_are_not_kept(staff, periods):
    """A transaction that moved the counts may still roll back: what it reads is not kept."""
    with transaction.atomic():
        services.report_save(
            indicator=kpi_by_code("2-1"),
            period=periods["114Q1"],
            user=staff,
            actual="20",
            narrative="完成。",
            submit=True,
        )
        inside, _ = badge(fresh(staff))
        transaction.set_rollback(True)
    after, cost = badge(fresh(staff))
    assert cost > 1  # computed again, not the count read inside
    assert after[1] == inside[1] + 1 == from_scratch(staff)[1]  # the submission rolled back


def test_the_commit_moves_them_again(staff, periods):
    """Counts another request kept between a write and its commit are not served after the commit."""
    start = len(connection.run_on_commit)
    services.report_save(indicator=kpi_by_code("1-1"), period=periods["114Q1"], user=staff, actual="1")
    pending = connection.run_on_commit[start:]
    del connection.run_on_commit[start:]
    # Another request, before the commit, read the counts without the report and kept them.
    stale, _ = badge(fresh(staff))
    stale_kept, cost = badge(fresh(staff))
    assert cost == 1 and stale_kept == stale
    for _, callback, _ in pending:  # the commit
        callback()
    _, cost = badge(fresh(staff))
    assert cost > 1  # read again


def test_with_the_cache_down_the_counts_are_computed(staff, periods, monkeypatch):
    class Broken:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise ConnectionError("the cache went away")

            return fail

    monkeypatch.setattr(caching, "cache", Broken())
    counts, cost = badge(fresh(staff))
    assert counts[:2] == from_scratch(staff) and cost > 1
    caching.cache_reset()


def test_a_cache_of_one_process_is_not_used(staff, periods, settings):
    """gunicorn's workers do not share a process's own memory: a version moved in one would
    not reach the others, so the counts are computed on every request (the demo's cache)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "nav"}}
    user = fresh(staff)
    badge(user)
    counts, cost = badge(user)
    assert cost > 0 and counts[:2] == from_scratch(staff)
