"""PostgreSQL restarted, or down, while people save: a clear 503, nothing half-written, and the
service back by itself when the database is.

gunicorn as in production (config/gunicorn.conf.py, DEBUG off, 2 workers × 4 threads, kept-open
database connections) against a private PostgreSQL cluster (tests/faults/harness.py) that the
test stops and starts; the shared PostgreSQL of the suite is never touched.
"""

from __future__ import annotations

import collections
import re
import threading
import time
from decimal import Decimal

import pytest
import requests
from django.utils import translation
from django.utils.translation import gettext

from tests.faults.conftest import only_on_postgresql
from tests.faults.harness import api_session, wait_until

pytestmark = [pytest.mark.faults, only_on_postgresql]

CLIENTS = 20
REPORTS_PER_CLIENT = 2
UNAVAILABLE = (
    "The service is briefly unavailable: the database is not answering. Try again in a minute; "
    "if you were saving, check first whether the save went through."
)


def unavailable_detail() -> str:
    with translation.override("zh-hant"):
        return gettext(UNAVAILABLE)


class Reporter(threading.Thread):
    """One person saving their reports over and over through the API, as a script would.

    It knows what it saved (the answers it got); when an answer is a 503 or no answer, it
    reads the report back (retrying until the service answers) and finds either all of that
    save or none of it. Every fourth save is sent with a stale version, which must be a 409."""

    def __init__(self, server, token, pairs, stop: threading.Event):
        super().__init__(daemon=True)
        self.server, self.session, self.pairs, self.stop = server, api_session(token), pairs, stop
        self.reports: dict[tuple[int, int], dict | None] = {tuple(pair): None for pair in pairs}
        self.answers: list[tuple[float, str, object]] = []  # (sent, method, status or exception name)
        self.problems: list[str] = []
        self.saves = 0

    def acknowledged(self, after: float = 0) -> int:
        return sum(1 for sent, _, status in self.answers if sent > after and status in (200, 201))

    def statuses(self) -> set:
        return {status for _, _, status in self.answers}

    def send(self, method, path, body=None):
        sent = time.monotonic()
        try:
            response = self.session.request(method, self.server.url(path), json=body, timeout=60)
        except requests.RequestException as exc:
            self.answers.append((sent, method, type(exc).__name__))
            return None
        self.answers.append((sent, method, response.status_code))
        if response.status_code == 503:
            if response.json() != {"detail": unavailable_detail()}:
                self.problems.append(f"503 without the clear message: {response.text[:300]}")
        elif response.status_code >= 500:
            self.problems.append(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response

    def read_back(self, pair) -> dict | None:
        """The report as stored now, asked until the service answers."""
        indicator, period = pair
        while True:
            response = self.send("GET", f"/api/v1/reports/?indicator={indicator}&period={period}")
            if response is not None and response.status_code == 200:
                results = response.json()["results"]
                return results[0] if results else None
            time.sleep(0.2)

    def run(self):
        try:
            while not self.stop.is_set():
                for pair in self.reports:
                    self.save(pair)
        except Exception as exc:  # a failed assumption is reported, not lost in the thread
            self.problems.append(f"{type(exc).__name__}: {exc}")

    def save(self, pair):
        self.saves += 1
        known = self.reports[pair]
        if known is None:
            figure = self.saves
            response = self.send(
                "POST", "/api/v1/reports/", {"indicator": pair[0], "period": pair[1], "actual": figure}
            )
            if response is not None and response.status_code == 201:
                self.reports[pair] = {"id": response.json()["id"], "version": 1, "actual": figure}
                return
            stored = self.read_back(pair)
            if stored is not None and (Decimal(str(stored["actual"])), stored["version"]) != (figure, 1):
                self.problems.append(f"create of {pair} half there: {stored}")
            self.reports[pair] = stored and {"id": stored["id"], "version": 1, "actual": figure}
            return
        path = f"/api/v1/reports/{known['id']}/"
        if self.saves % 4 == 0 and known["version"] > 1:
            response = self.send("PATCH", path, {"version": known["version"] - 1, "actual": known["actual"] + 1000})
            if response is not None and response.status_code != 503:
                if response.status_code != 409 or response.json()["current_version"] != known["version"]:
                    self.problems.append(f"a stale version was not a 409: {response.status_code} {response.text[:200]}")
            return
        figure = known["actual"] + 1
        response = self.send("PATCH", path, {"version": known["version"], "actual": figure})
        if response is not None and response.status_code == 200:
            body = response.json()
            if (body["version"], Decimal(str(body["actual"]))) != (known["version"] + 1, figure):
                self.problems.append(f"200 that says otherwise: {body}")
            known.update(version=known["version"] + 1, actual=figure)
            return
        if response is not None and response.status_code != 503:
            self.problems.append(f"PATCH {path}: {response.status_code} {response.text[:200]}")
        stored = self.read_back(pair)
        state = (stored["version"], Decimal(str(stored["actual"])))
        if state == (known["version"] + 1, figure):
            known.update(version=known["version"] + 1, actual=figure)  # it went through before the failure
        elif state != (known["version"], known["actual"]):
            self.problems.append(f"{pair} neither before nor after the failed save: {stored} vs {known}")


def stored_reports(cluster, database) -> dict[int, tuple]:
    conn = cluster.connect(database)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT id, indicator_id, period_id, version, actual FROM kpi_progressreport")
            reports = {row[0]: row[1:] for row in cur.fetchall()}
            cur.execute("SELECT report_id, action, changes FROM kpi_reportevent ORDER BY at, id")
            events = collections.defaultdict(list)
            for report_id, action, changes in cur.fetchall():
                events[report_id].append((action, changes))
    finally:
        conn.close()
    return reports, events


def test_a_database_restart_while_20_people_save(pg_database, serve, record_property):
    cluster, database, url, seed = pg_database
    # Kept-open connections (CONN_MAX_AGE) are the harder case: each must notice the restart.
    server = serve(url + "?conn_max_age=60")
    stop = threading.Event()
    pairs = seed["pairs"]
    reporters = [
        Reporter(server, seed["tokens"][n], pairs[n * REPORTS_PER_CLIENT : (n + 1) * REPORTS_PER_CLIENT], stop)
        for n in range(CLIENTS)
    ]

    def everyone(condition) -> bool:
        problems = [p for r in reporters for p in r.problems]
        assert problems == [], problems[:5]  # stop at the first wrong answer, do not wait on
        return all(condition(r) for r in reporters)

    started = time.monotonic()
    for reporter in reporters:
        reporter.start()
    try:
        # Everyone busy saving (the machine may be slow: count saves, not seconds) ...
        wait_until(lambda: everyone(lambda r: r.acknowledged() >= 3), 180, what="everyone to save")
        down = time.monotonic()
        cluster.stop("fast")  # every session ended, mid-transaction or not
        time.sleep(3)
        cluster.start()
        up = time.monotonic()
        # ... and saving again after the restart, a stale copy among their saves.
        wait_until(
            lambda: everyone(lambda r: r.acknowledged(after=up) >= 3 and 409 in r.statuses()),
            180,
            what="everyone to save again",
        )
    finally:
        stop.set()
    for reporter in reporters:
        reporter.join(90)
    assert not any(r.is_alive() for r in reporters)

    answers = [a for r in reporters for a in r.answers]
    counts = collections.Counter(status if isinstance(status, int) else "no answer" for _, _, status in answers)
    saves = collections.Counter(status for _, method, status in answers if method != "GET")
    record_property("answers", dict(counts))
    print(
        f"restart run: all answers {dict(counts)}, saves alone {dict(saves)}, "
        f"in {time.monotonic() - started:.1f} s, database down {up - down:.1f} s"
    )
    assert [p for r in reporters for p in r.problems] == []
    assert set(counts) <= {200, 201, 409, 503}, counts  # never a 500, never no answer at all
    assert counts[503] > 0, "the restart was not felt: no 503 at all"
    assert counts[409] > 0 and counts[200] > 0 and counts[201] > 0
    # Back by itself: no 503 for a request sent once the database was up (a second's grace).
    late = [a for a in answers if a[0] > up + 1 and a[2] == 503]
    assert late == []

    # The database holds exactly what was acknowledged, each report with its record.
    reports, events = stored_reports(cluster, database)
    known = {k["id"]: (pair, k) for r in reporters for pair, k in r.reports.items() if k is not None}
    assert set(reports) == set(known)
    for report_id, (indicator, period, version, actual) in reports.items():
        pair, k = known[report_id]
        assert ((indicator, period), version, actual) == (pair, k["version"], k["actual"])
        record = events[report_id]
        assert record[0][0] == "created"
        # Saves by one person within minutes make one "edited" entry, from the first value to the last.
        last_value = record[-1][1]["actual"][1]
        assert Decimal(last_value) == actual, (report_id, record)
        assert [action for action, _ in record] == (["created"] if version == 1 else ["created", "edited"])
    assert set(events) <= set(reports)  # no record of a save that is not there


def login(server, username, password) -> requests.Session:
    session = requests.Session()
    page = session.get(server.url("/accounts/login/"), timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        server.url("/accounts/login/"),
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": server.url("/accounts/login/")},
        timeout=30,
    )
    assert response.status_code == 200 and "/accounts/login/" not in response.url, response.url
    return session


def test_with_the_database_down_people_get_a_clear_503_and_then_the_service_again(pg_database, serve):
    cluster, database, url, seed = pg_database
    server = serve(url)
    browser = login(server, "reporter0", "pw-reporter0")
    api = api_session(seed["tokens"][0])
    assert browser.get(server.url("/"), timeout=30).status_code == 200

    cluster.stop("fast")
    try:
        page = browser.get(server.url("/"), timeout=30)
        answer = api.get(server.url("/api/v1/reports/"), timeout=30)
        health = requests.get(server.url("/healthz"), timeout=30)
    finally:
        cluster.start()
    assert page.status_code == 503 and page.headers["Retry-After"] == "60"
    assert page.headers["Content-Type"].startswith("text/html")
    assert '<html lang="zh-Hant-TW">' in page.text
    with translation.override("zh-hant"):
        assert gettext("Service briefly unavailable") in page.text
    assert "psycopg" not in page.text and "Connection refused" not in page.text
    assert (answer.status_code, answer.json()) == (503, {"detail": unavailable_detail()})
    assert health.status_code == 503

    # The database is back: the same gunicorn serves again, the person still signed in.
    assert browser.get(server.url("/"), timeout=30).status_code == 200
    assert api.get(server.url("/api/v1/reports/"), timeout=30).status_code == 200
    assert requests.get(server.url("/healthz"), timeout=30).json() == {"status": "ok", "database": "ok"}


def test_after_a_restart_while_nobody_was_saving_the_first_save_goes_through(pg_database, serve):
    # One worker thread with a kept-open connection that the restart has cut: without a health
    # check (CONN_HEALTH_CHECKS) the first request after the restart would fail on it.
    cluster, database, url, seed = pg_database
    server = serve(url + "?conn_max_age=600", workers=1, threads=1)
    api = api_session(seed["tokens"][0])
    indicator, period = seed["pairs"][0]
    created = api.post(
        server.url("/api/v1/reports/"), json={"indicator": indicator, "period": period, "actual": 1}, timeout=30
    )
    assert created.status_code == 201
    cluster.restart("fast")
    response = api.patch(server.url(f"/api/v1/reports/{created.json()['id']}/"), json={"version": 1, "actual": 2})
    assert response.status_code == 200, response.text
