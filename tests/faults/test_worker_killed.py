"""A gunicorn worker killed (SIGKILL: the OOM killer, an operator) in the middle of a save.

The save is caught inside its transaction: the test holds a lock on the reports' record table
(kpi_reportevent) from its own connection, so the save has updated the report row and then
waits to write its record entry. The worker handling it is found through the database (the
waiting session's client port is a socket of that worker) and killed. Then: the client got no
answer, nothing of the save is in the database, gunicorn has a new worker, the same save sent
again goes through, and a save based on the old version is a 409.
"""

from __future__ import annotations

import os
import signal
import threading

import pytest
import requests

from tests.faults.conftest import only_on_postgresql
from tests.faults.harness import api_session, wait_until

pytestmark = [pytest.mark.faults, only_on_postgresql]


def query(cluster, database, sql, params=()):
    conn = cluster.connect(database)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()
    finally:
        conn.close()


def saved(cluster, database, report_id):
    """The report's version and figure, and its record, as committed."""
    report = query(cluster, database, "SELECT version, actual FROM kpi_progressreport WHERE id = %s", [report_id])
    record = query(
        cluster, database, "SELECT action FROM kpi_reportevent WHERE report_id = %s ORDER BY at, id", [report_id]
    )
    return report[0], [action for (action,) in record]


def test_a_worker_killed_mid_save_leaves_nothing_and_the_retry_and_version_check_hold(pg_database, serve):
    cluster, database, url, seed = pg_database
    server = serve(url)
    token = seed["tokens"][0]
    indicator, period = seed["pairs"][0]
    api = api_session(token)
    created = api.post(
        server.url("/api/v1/reports/"), json={"indicator": indicator, "period": period, "actual": 1}, timeout=30
    )
    assert created.status_code == 201, created.text
    report_id = created.json()["id"]
    address = server.url(f"/api/v1/reports/{report_id}/")
    before = saved(cluster, database, report_id)
    assert before[0][0] == 1 and before[1] == ["created"]
    workers = server.worker_pids()

    blocker = cluster.connect(database, autocommit=False)
    blocker.cursor().execute("LOCK TABLE kpi_reportevent IN SHARE MODE")  # reads pass, writes wait
    outcome = {}

    def save():
        try:
            outcome["response"] = api_session(token).patch(address, json={"version": 1, "actual": 7}, timeout=60)
        except requests.RequestException as exc:
            outcome["error"] = exc

    client = threading.Thread(target=save)
    client.start()
    try:
        backend, port = wait_until(
            lambda: query(
                cluster,
                database,
                "SELECT pid, client_port FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
                [database],
            ),
            30,
            what="the save to wait for the lock",
        )[0]
        # Caught mid-write: it has updated the report row already (a row-exclusive lock on it).
        assert query(
            cluster,
            database,
            "SELECT 1 FROM pg_locks WHERE pid = %s AND relation = 'kpi_progressreport'::regclass "
            "AND mode = 'RowExclusiveLock' AND granted",
            [backend],
        )
        worker = server.worker_with_local_port(port)
        assert worker in workers
        os.kill(worker, signal.SIGKILL)
        client.join(30)
    finally:
        blocker.rollback()
        blocker.close()
    assert not client.is_alive()
    assert "response" not in outcome, outcome["response"].text[:300]
    assert isinstance(outcome["error"], requests.ConnectionError)

    # The killed worker's session ends (its client is gone) and its transaction with it.
    wait_until(
        lambda: not query(cluster, database, "SELECT 1 FROM pg_stat_activity WHERE pid = %s", [backend]),
        30,
        what="the killed worker's database session to end",
    )
    assert saved(cluster, database, report_id) == before
    # gunicorn's master has started a worker in its place.
    wait_until(lambda: len(server.worker_pids()) == 2 and worker not in server.worker_pids(), 30, what="a new worker")

    retry = api.patch(address, json={"version": 1, "actual": 7}, timeout=30)
    assert (retry.status_code, retry.json()["version"], retry.json()["actual"]) == (200, 2, 7)
    stale = api.patch(address, json={"version": 1, "actual": 8}, timeout=30)
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    (version, actual), record = saved(cluster, database, report_id)
    assert (version, actual, record) == (2, 7, ["created", "edited"])
