"""Saves share their period's row lock; locking the period waits for them (PostgreSQL).

Every report of a quarter, in every department, points at the same period row. A save
locks that row (`kpi.services.reports.lock_periods`) so that it and the planning office's
`period_lock` take turns: no change lands in a period after it was locked. The lock is
FOR SHARE, so that saves do not wait for each other: with FOR NO KEY UPDATE every save
in the city waited for the one before it, and the load test's reporters queued for
seconds. Two real transactions on two connections, each in its own thread.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import close_old_connections, connection, transaction

from kpi.services import periods as period_services
from kpi.services.reports import lock_periods

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL only"),
]

WAIT = 1.0  # seconds the first transaction holds its lock


def _hold_share(period, started: threading.Event, release: threading.Event) -> None:
    try:
        with transaction.atomic():
            lock_periods([period])
            started.set()
            release.wait(10)
    finally:
        close_old_connections()
        connection.close()


def _in_thread(fn):
    out = {}

    def run():
        try:
            started = time.perf_counter()
            out["value"] = fn()
            out["seconds"] = time.perf_counter() - started
        except Exception as exc:  # pragma: no cover - reported by the assertion
            out["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def test_two_saves_share_the_period_row(periods):
    period = periods["114Q4"]
    started, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_share, args=(period, started, release))
    holder.start()
    try:
        assert started.wait(10)

        def second_save():
            with transaction.atomic():
                return lock_periods([period])

        thread, out = _in_thread(second_save)
        thread.join(5)
        assert not thread.is_alive(), "a second save waited for the first one's period lock"
        assert "error" not in out
        assert out["value"] == set()  # the period is open
    finally:
        release.set()
        holder.join(10)


def test_locking_the_period_waits_for_a_save_in_progress(periods, planner):
    period = periods["114Q4"]
    started, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_share, args=(period, started, release))
    holder.start()
    try:
        assert started.wait(10)
        thread, out = _in_thread(
            lambda: period_services.period_lock(period=period, user=planner, force=True, reason="x")
        )
        time.sleep(WAIT)
        assert thread.is_alive(), "the period was locked while a save held its row"
    finally:
        release.set()
        holder.join(10)
    thread.join(10)
    assert "error" not in out, out.get("error")
    assert out["value"].is_locked
    # And a save that starts after the lock sees it.
    with transaction.atomic():
        assert lock_periods([period]) == {period.pk}
