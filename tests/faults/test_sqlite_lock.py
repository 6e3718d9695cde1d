"""SQLite, one writer at a time: two saves of the same report at the same moment.

Against gunicorn (2 workers × 4 threads) on a SQLite file, as `make demo` serves it but with
DEBUG off. Two reporters send a PATCH based on the same version at the same moment (a
barrier); the one that gets the write lock first saves (200), the other waits its turn and
then finds the report moved on: a 409 with the version now saved. Never a 500 "database is
locked". When the lock cannot be had in time, the answer is a 503 "someone else is saving".
"""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.utils import translation
from django.utils.translation import gettext

from tests.faults.conftest import only_on_sqlite
from tests.faults.harness import api_session

pytestmark = [pytest.mark.faults, only_on_sqlite]

ROUNDS = 15


def create_report(session, server, pair) -> dict:
    indicator, period = pair
    response = session.post(
        server.url("/api/v1/reports/"), json={"indicator": indicator, "period": period, "actual": 0}, timeout=30
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_two_saves_of_one_version_at_once_give_one_200_and_one_409(sqlite_database, serve):
    path, url, seed = sqlite_database
    server = serve(url)
    alice, bob = (api_session(token) for token in seed["tokens"][:2])
    report = create_report(alice, server, seed["pairs"][0])
    address = server.url(f"/api/v1/reports/{report['id']}/")
    for session in (alice, bob):  # connected before the race: both requests leave at once
        assert session.get(address, timeout=30).status_code == 200
    version = report["version"]
    statuses = []
    for round_ in range(ROUNDS):
        barrier = threading.Barrier(2)
        figures = {"alice": 10 * round_ + 1, "bob": 10 * round_ + 2}

        def save(name, session, version=version, figures=figures, barrier=barrier):
            barrier.wait()
            return name, session.patch(address, json={"version": version, "actual": figures[name]}, timeout=60)

        with ThreadPoolExecutor(2) as pool:
            answers = dict(pool.map(lambda args: save(*args), [("alice", alice), ("bob", bob)]))
        codes = sorted(r.status_code for r in answers.values())
        statuses.append(codes)
        assert codes == [200, 409], [(name, r.status_code, r.text[:300]) for name, r in answers.items()]
        winner = next(name for name, r in answers.items() if r.status_code == 200)
        loser = answers["bob" if winner == "alice" else "alice"]
        assert loser.json()["current_version"] == version + 1
        assert answers[winner].json()["version"] == version + 1
        stored = alice.get(address, timeout=30).json()
        assert (stored["actual"], stored["version"]) == (figures[winner], version + 1)
        version += 1
    # And in the file itself, as the next process to open it sees it.
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version FROM kpi_progressreport WHERE id = ?", [report["id"]]).fetchone() == (
            version,
        )


def test_a_save_that_cannot_get_the_lock_in_time_is_a_503_not_a_500(sqlite_database, serve):
    path, url, seed = sqlite_database
    server = serve(url, SQLITE_TIMEOUT="1")
    alice = api_session(seed["tokens"][0])
    report = create_report(alice, server, seed["pairs"][0])
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock, longer than the app waits
    try:
        response = alice.patch(
            server.url(f"/api/v1/reports/{report['id']}/"), json={"version": report["version"], "actual": 3}, timeout=30
        )
        page = requests.get(server.url("/"), timeout=30)
    finally:
        blocker.rollback()
        blocker.close()
    with translation.override("zh-hant"):
        assert response.status_code == 503, response.text
        assert response.headers["Content-Type"].startswith("application/json")
        assert response.headers["Retry-After"] == "5"
        assert response.json() == {
            "detail": gettext(
                "Someone else is saving at this moment and this request could not wait its turn. "
                "Nothing was saved: send it again in a moment."
            )
        }
        assert page.status_code == 503
        assert '<html lang="zh-Hant-TW">' in page.text
        assert gettext("Someone else is saving") in page.text and "503" in page.text
    # Nothing was saved, and once the lock is free the same save goes through.
    again = alice.patch(
        server.url(f"/api/v1/reports/{report['id']}/"), json={"version": report["version"], "actual": 3}, timeout=30
    )
    assert again.status_code == 200 and again.json()["version"] == report["version"] + 1
