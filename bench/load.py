"""The load test: 50 users with a think time of 1 s for 5 minutes against gunicorn and PostgreSQL.

    .venv/bin/python bench/load.py                              # 50 users, 1 s think time, 300 s, N = 20 city
    .venv/bin/python bench/load.py --city 500                   # the same against the N = 500 city
    .venv/bin/python bench/load.py --users 10 --duration 30     # a quick check of the script

Run bench/benchmark.py first: it leaves the databases kpi_bench_<N>. This script

1. copies kpi_bench_<N> into kpi_load_<N> (so the benchmark's data stay as generated and
   every load run starts from the same state), and publishes the public year there;
2. starts gunicorn as deployed (config/gunicorn.conf.py: its workers, threads and keep-alive,
   unless --workers/--threads say otherwise) on 127.0.0.1 only, with bench/settings.py (DEBUG
   off, kept-open database connections), on a free port, and waits until it answers;
3. signs every simulated user in through the real login form (sessions, CSRF), then
   for --duration seconds lets them work, each in its own thread, with a think time of
   half to one and a half --think seconds between actions:
   - reporters (two per department: city-r###-1 and city-r###-2) read (the city overview, their
     department's page, a KPI page, the indicator API, the public city page) and write: they
     open the report form of one of their department's open 114Q4 reports, read its CSRF
     token and version, and POST "save draft" (or, one time in five, "submit") with a new figure;
   - the other users (reviewers, the planning office) only read, the review queue too;
   two reporters share each department, so some writes collide: the service refuses
   the second one with its conflict panel, which is counted as expected behaviour;
4. stops gunicorn, then checks that no write was lost: no two saves of a report were
   acknowledged (302) from the same version; every acknowledged save is in the database —
   its "created"/"edited" event carries the value sent, by that user, or the same
   person's next save folded it into the same entry of the record (one entry per edit
   session, kpi.services.reports) — and every report holds the value of the last
   acknowledged save, with the version that save produced;
5. prints requests/s, p50/p95/p99 per kind of request and overall, the error count and
   the goals of issue #15 (p95 under 500 ms, 0 errors, 0 lost writes), and (unless
   --no-doc) writes them into docs/performance.md between the `load:start/end` markers.

Loopback only, bounded: at most --users threads (200), at most --duration seconds of
load (600), plus sign-in and a 30 s grace for requests in flight; gunicorn is always
stopped. Standard library only (http.client); gunicorn comes from requirements.txt.
"""

from __future__ import annotations

import argparse
import datetime
import html
import http.client
import os
import random
import re
import resource
import runpy
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.benchmark import (  # noqa: E402
    DOC,
    PG_HOST,
    PG_PORT,
    PG_USER,
    PUBLIC_YEAR,
    USER_PASSWORD,
    Server,
    bench_env,
    free_port,
    publish,
)

START, END = "<!-- load:start -->", "<!-- load:end -->"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')
YEAR, QUARTER = 114, 4
P95_GOAL_MS = 500  # issue #15: the 50-user load with think time at p95 under 500 ms, 0 errors, 0 lost writes


# --- Database copy and server ---------------------------------------------------------------


def copy_database(source: str, target: str) -> None:
    import psycopg2

    conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [source])
            if cur.fetchone() is None:
                raise SystemExit(f"No database {source}: run bench/benchmark.py first.")
            cur.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
            # The source must have no other connections while it is copied.
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [source],
            )
            cur.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
    finally:
        conn.close()


def cpu_seconds(server_group: int) -> tuple[float, float]:
    """(CPU seconds used so far by gunicorn's processes, busy CPU seconds of the whole machine).

    PostgreSQL's share is what the machine used beyond gunicorn and the simulated users: its
    backends cannot be summed one by one, because a kept-open connection is replaced after
    DB_CONN_MAX_AGE and the exited backend's time leaves /proc with it."""
    tick = os.sysconf("SC_CLK_TCK")
    gunicorn = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == server_group:  # the process group gunicorn was started in
            # utime + stime, and cutime + cstime: the workers gunicorn has recycled
            # (max_requests) and reaped are counted in the master's children's time.
            gunicorn += sum(int(v) for v in fields[11:15]) / tick
    # user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    busy = (sum(values) - values[3] - values[4]) / tick
    return gunicorn, busy


# --- What the users work on --------------------------------------------------------------------


@dataclass
class Slot:
    """An open report slot of 114Q4: indicator × period, with what a valid figure looks like."""

    indicator_id: int
    period_id: int
    unit: str
    department_id: int


@dataclass
class Person:
    username: str
    department_id: int | None
    writes: bool
    slots: list[Slot] = field(default_factory=list)
    kpis: list[int] = field(default_factory=list)


def plan_work(database: str, users: int, seed: int) -> tuple[list[Person], list[int], int]:
    """Who signs in and what they may touch, read from the copied database through Django."""
    os.environ.update(bench_env(database))
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from kpi.models import Indicator, IndicatorKind, ProgressReport, ReportingPeriod, ReportStatus
    from plans.models import Membership, Plan, Role

    publish(Plan.objects.get())  # the public city page exists for PUBLIC_YEAR
    period = ReportingPeriod.objects.get(year=YEAR, number=QUARTER)
    kpis = list(
        Indicator.objects.filter(kind=IndicatorKind.KPI).values_list("id", "unit", "department_plan__department_id")
    )
    taken = dict(ProgressReport.objects.filter(period=period).values_list("indicator_id", "status"))
    open_statuses = {None, ReportStatus.DRAFT, ReportStatus.RETURNED}
    slots: dict[int, list[Slot]] = defaultdict(list)
    kpis_of: dict[int, list[int]] = defaultdict(list)
    for indicator_id, unit, department_id in kpis:
        kpis_of[department_id].append(indicator_id)
        if taken.get(indicator_id) in open_statuses:
            slots[department_id].append(Slot(indicator_id, period.id, unit, department_id))
    reporters = defaultdict(list)
    for username, department_id in (
        Membership.objects.filter(role=Role.REPORTER, user__username__startswith="city-r")
        .order_by("department__department_plans__toc_number", "user__username")
        .values_list("user__username", "department_id")
    ):
        reporters[department_id].append(username)
    # Writers: both reporters of the first departments (so pairs share a department), 4 in 5 users.
    writers_wanted = users * 4 // 5
    people: list[Person] = []
    for department_id, names in reporters.items():
        for name in names:
            if len(people) < writers_wanted:
                people.append(Person(name, department_id, True, list(slots[department_id]), kpis_of[department_id]))
    readers = list(
        get_user_model()
        .objects.filter(username__startswith="city-v")
        .order_by("username")
        .values_list("username", "memberships__department_id")
    )
    rng = random.Random(seed)
    everyone = [k for ks in kpis_of.values() for k in ks]
    people.append(Person("city-planner", None, False, [], rng.sample(everyone, min(50, len(everyone)))))
    for username, department_id in readers:
        if len(people) >= users:
            break
        people.append(Person(username, department_id, False, [], kpis_of[department_id]))
    departments = sorted(kpis_of)
    return people[:users], departments, period.id


class Figures:
    """Distinct numbers for the figures users type, shared by every thread."""

    def __init__(self):
        self.n, self.lock = 0, threading.Lock()

    def __next__(self) -> int:
        with self.lock:
            self.n += 1
            return self.n


# --- A simulated user ---------------------------------------------------------------------------------


@dataclass
class Sample:
    kind: str
    status: int
    seconds: float
    outcome: str  # ok, conflict, refused, error


@dataclass
class Write:
    username: str
    indicator_id: int
    period_id: int
    value: str
    expected_version: int
    submit: bool


class Browser:
    """One person's HTTP session: cookies kept by hand (they are Secure: HTTPS ends at the proxy)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, str, dict]:
        headers = {
            "X-Forwarded-Proto": "https",
            "Host": f"127.0.0.1:{self.port}",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "Accept-Encoding": "identity",
        }
        data = None
        if body is not None:
            data = urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://127.0.0.1:{self.port}"
            headers["Referer"] = f"https://127.0.0.1:{self.port}{path}"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive connection the server closed: reconnect once (nothing was processed).
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                if "expires=Thu, 01 Jan 1970" in value or val == '""':
                    self.cookies.pop(key.strip(), None)
                else:
                    self.cookies[key.strip()] = val.strip()
        return response.status, text, dict(response.getheaders())


class User(threading.Thread):
    def __init__(self, person: Person, port: int, departments: list[int], seed: int, think: float, counter):
        super().__init__(daemon=True, name=person.username)
        self.person, self.port, self.departments = person, port, departments
        self.rng = random.Random(f"{seed}-{person.username}")
        self.think = think
        self.counter = counter  # a shared source of distinct figures
        self.samples: list[Sample] = []
        self.writes: list[Write] = []
        self.failures: list[str] = []
        self.deadline = 0.0
        self.browser = Browser(port)

    def timed(self, kind: str, method: str, path: str, body=None) -> tuple[int, str, dict, float]:
        """(status, text, headers, seconds); status 0 after a transport error, already recorded."""
        started = time.perf_counter()
        try:
            status, text, headers = self.browser.request(method, path, body)
        except Exception as exc:  # a transport error is an error, not a crash of the test
            self.record(kind, 0, time.perf_counter() - started, "error", f"{path}: {exc!r}")
            return 0, "", {}, 0.0
        return status, text, headers, time.perf_counter() - started

    def record(self, kind, status, elapsed, outcome, detail=""):
        self.samples.append(Sample(kind, status, elapsed, outcome))
        if outcome == "error":
            self.failures.append(f"{kind}: {status} {detail}"[:300])

    def login(self) -> bool:
        status, text, _, _ = self.timed("login form", "GET", "/accounts/login/")
        token = TOKEN.search(text)
        if status != 200 or not token:
            self.failures.append(f"login form: {status}")
            return False
        status, _, headers, elapsed = self.timed(
            "sign in",
            "POST",
            "/accounts/login/",
            {"csrfmiddlewaretoken": token.group(1), "username": self.person.username, "password": USER_PASSWORD},
        )
        if status == 0:
            return False
        ok = status == 302 and "/accounts/login" not in headers.get("Location", "")
        self.record("sign in", status, elapsed, "ok" if ok else "error")
        return ok

    def read(self, kind: str, path: str):
        status, _, _, elapsed = self.timed(kind, "GET", path)
        if status:
            self.record(kind, status, elapsed, "ok" if status == 200 else "error", path)

    def forget(self, slot: Slot) -> None:
        if slot in self.person.slots:
            self.person.slots.remove(slot)

    def value_for(self, slot: Slot) -> str:
        n = next(self.counter)
        if slot.unit == "%":
            return f"{40 + (n % 600000) / 10000:.4f}"  # 40–100, a new figure every time
        if slot.unit == "式":
            return f"{(n % 9999 + 1) / 10000:.4f}"
        return str(n + 100)

    def write(self):
        if not self.person.slots:
            return self.read("KPI page", f"/kpi/{self.rng.choice(self.person.kpis)}/?year={YEAR}")
        slot = self.rng.choice(self.person.slots)
        path = f"/kpi/{slot.indicator_id}/periods/{slot.period_id}/report/"
        status, text, _, elapsed = self.timed("report form", "GET", path)
        if status == 0:
            return
        if status != 200:
            return self.record("report form", status, elapsed, "error", path)
        self.record("report form", status, elapsed, "ok")
        if "is-read-only" in text:
            # Submitted by the other reporter of the department meanwhile: no longer open.
            self.forget(slot)
            return
        token, version = TOKEN.search(text), VERSION.search(text)
        if not token or not version:
            return self.record("save", status, 0, "error", f"no token/version in {path}")
        submit = self.rng.random() < 0.2
        value = self.value_for(slot)
        body = {
            "csrfmiddlewaretoken": token.group(1),
            "version": version.group(1),
            "actual": value,
            "narrative": f"負載測試：{self.person.username} 更新累計實績為 {value}。",
            "shortfall_reason": "負載測試：進度說明。",
            "improvement_plan": "負載測試：改善措施。",
            "url": "",
            "description": "",
            "action": "submit" if submit else "save",
        }
        kind = "submit" if submit else "save"
        status, text, headers, elapsed = self.timed(kind, "POST", path, body)
        if status == 0:
            return
        if status == 302:
            self.record(kind, status, elapsed, "ok")
            self.writes.append(
                Write(self.person.username, slot.indicator_id, slot.period_id, value, int(version.group(1)), submit)
            )
            if submit:
                self.forget(slot)
        elif status == 200 and "conflict-panel" in text:
            self.record(kind, status, elapsed, "conflict")
        elif status == 200 and ("error-summary" in text or "is-read-only" in text):
            # Refused by the rules (e.g. the other reporter submitted it a moment ago): expected, not lost.
            message = re.search(r'<section class="error-summary".*?<ul>(.*?)</ul>', text, re.S)
            detail = html.unescape(re.sub(r"<[^>]+>", " ", message.group(1)).strip()) if message else "read-only"
            self.record(kind, status, elapsed, "refused", detail)
            if "不能" in detail or detail == "read-only":
                self.forget(slot)
        else:
            self.record(kind, status, elapsed, "error", f"{path} {text[:200]!r}")

    def act(self):
        roll = self.rng.random()
        department = self.person.department_id or self.rng.choice(self.departments)
        kpi = self.rng.choice(self.person.kpis) if self.person.kpis else None
        if self.person.writes and roll < 0.35:
            return self.write()
        roll = self.rng.random()
        if roll < 0.15:
            return self.read("overview", f"/dashboard/?year={YEAR}")
        if roll < 0.40:
            return self.read("department page", f"/dashboard/departments/{department}/?year={YEAR}")
        if roll < 0.70 and kpi:
            return self.read("KPI page", f"/kpi/{kpi}/?year={YEAR}")
        if roll < 0.80:
            return self.read("indicator API", f"/api/v1/indicators/?department={department}")
        if roll < 0.90 and not self.person.writes:
            return self.read("review queue", "/review/")
        return self.read("public city page", f"/public/{PUBLIC_YEAR}/")

    def run(self):
        while time.monotonic() < self.deadline:
            self.act()
            if self.think:
                # Think time between actions: `think` seconds on average, half to one and a half of it.
                time.sleep(self.rng.uniform(0.5 * self.think, 1.5 * self.think))


# --- Checking that nothing was lost -------------------------------------------------------------------


def verify(writes: list[Write]) -> dict:
    from decimal import Decimal

    from kpi.models import ProgressReport, ReportAction, ReportEvent, ReportStatus

    problems = []
    by_slot: dict[tuple[int, int], list[Write]] = defaultdict(list)
    for w in writes:
        by_slot[(w.indicator_id, w.period_id)].append(w)
    reports = {
        (r.indicator_id, r.period_id): r
        for r in ProgressReport.objects.filter(
            indicator_id__in={k for k, _ in by_slot}, period_id__in={p for _, p in by_slot}
        )
    }
    events = defaultdict(list)
    for e in ReportEvent.objects.filter(
        report__in=[r.id for r in reports.values()], action__in=[ReportAction.CREATED, ReportAction.EDITED]
    ).select_related("actor"):
        events[e.report_id].append(e)
    found = folded = same_version = 0
    for key, ws in by_slot.items():
        report = reports.get(key)
        if report is None:
            problems.append(f"no report for {key} although {len(ws)} saves were acknowledged")
            continue
        # Each acknowledged save started from the version its form showed; two acknowledged from
        # the same version would mean one overwrote the other unseen (a lost update).
        ordered = sorted(ws, key=lambda w: w.expected_version)
        seen = Counter(w.expected_version for w in ordered)
        for version, times in seen.items():
            if times > 1:
                same_version += times - 1
                problems.append(f"{key}: {times} saves acknowledged from the same version {version}")
        for w, following in zip(ordered, [*ordered[1:], None], strict=True):
            if any(
                e.actor.username == w.username
                and e.changes.get("actual", [None, None])[1] is not None
                and Decimal(e.changes["actual"][1]) == Decimal(w.value)
                for e in events[report.id]
            ):
                found += 1
            elif following is not None and following.username == w.username and not w.submit:
                # The record keeps one entry per edit session (kpi.services.reports._record_edit):
                # a save followed by the same person's next save shows as that next value.
                folded += 1
            else:
                problems.append(f"{w.username}'s save of {w.value} on {key} is not on the record")
        last = ordered[-1]
        if report.actual != Decimal(last.value):
            problems.append(f"{key}: the database holds {report.actual}, the last acknowledged save sent {last.value}")
        expected_version = last.expected_version + (2 if last.submit else 1)
        if report.version != expected_version:
            problems.append(f"{key}: version {report.version}, expected {expected_version} after the last save")
        if last.submit and report.status != ReportStatus.SUBMITTED:
            problems.append(f"{key}: submitted but now {report.status}")
    return {
        "acknowledged": len(writes),
        "on_record": found,
        "folded": folded,
        "same_version": same_version,
        "reports": len(by_slot),
        "problems": problems,
    }


# --- Reporting --------------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(samples: list[Sample], seconds: float, args, people, check: dict, logins: dict, info: dict) -> str:
    kinds = [
        "overview",
        "department page",
        "KPI page",
        "indicator API",
        "review queue",
        "public city page",
        "report form",
        "save",
        "submit",
    ]
    lines = [
        "| Request | count | per second | p50 ms | p95 ms | p99 ms | max ms | conflicts | refused | errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    main = [s for s in samples if s.kind != "sign in" and s.kind != "login form"]
    for kind in [*kinds, "all"]:
        rows = main if kind == "all" else [s for s in main if s.kind == kind]
        if not rows:
            continue
        ms = [s.seconds * 1000 for s in rows]
        outcomes = Counter(s.outcome for s in rows)
        lines.append(
            f"| {'**all**' if kind == 'all' else kind} | {len(rows):,} | {len(rows) / seconds:.1f} | "
            f"{percentile(ms, 0.5):,.0f} | {percentile(ms, 0.95):,.0f} | {percentile(ms, 0.99):,.0f} | "
            f"{max(ms):,.0f} | {outcomes['conflict']} | {outcomes['refused']} | {outcomes['error']} |"
        )
    errors = sum(1 for s in samples if s.outcome == "error")
    writers = sum(1 for p in people if p.writes)
    p95 = percentile([s.seconds * 1000 for s in main], 0.95)
    rest = max(0.0, info["machine_cpu"] - info["gunicorn_cpu"] - info["client_cpu"])
    lost = len(check["problems"])
    goals = (
        f"Goals (issue #15): p95 of all requests under {P95_GOAL_MS} ms "
        f"{'✔' if main and p95 < P95_GOAL_MS else '✘'} ({p95:,.0f} ms), 0 errors {'✔' if not errors else '✘'}, "
        f"0 lost writes {'✔' if not lost else '✘'}."
    )
    lines += [
        "",
        f"{len(people)} users ({writers} reporters who read and write, two per department, and "
        f"{len(people) - writers} reviewers/planning office who read) for {seconds:.0f} s against a copy of the "
        f"N = {args.city} city, gunicorn {args.workers} workers × {args.threads} threads (gthread, "
        f"{'each connection closed after its answer' if not args.keepalive else f'keep-alive {args.keepalive} s'}, "
        f"config/gunicorn.conf.py) on 127.0.0.1, "
        f"PostgreSQL on the same machine; think time {0.5 * args.think:.1f}–{1.5 * args.think:.1f} s (mean "
        f"{args.think:.1f} s) between actions. Sign-in of all users before the clock started: {logins['seconds']:.1f} s "
        f"({logins['ok']} of {len(people)} signed in).",
        "",
        goals,
        "",
        f"**Errors: {errors}.** Writes acknowledged by the server: {check['acknowledged']} on {check['reports']} "
        f"reports; found on the record with the value sent: {check['on_record']}, and {check['folded']} more folded into "
        f"the same person's next save (the record keeps one entry per edit session); acknowledged from a version "
        f"another acknowledged save had already replaced: {check['same_version']}; every report holds the value and "
        f"version of its last acknowledged save: {'yes' if not check['problems'] else 'NO'}. "
        f"**Lost writes: {len(check['problems'])}.** Conflicts (two reporters saving the same report from the same "
        f"version; the second is refused with the conflict panel) and refusals (a report the other reporter had "
        f"just submitted) are the service working as designed, not errors.",
        "",
        f"Run {info['date']} on {info['cores']} cores shared by gunicorn, PostgreSQL and the simulated users, "
        f"and by whatever else the machine ran (load average {info['load_before']:.1f} before). Of the "
        f"{info['cores'] * seconds:.0f} CPU-seconds the cores had during the run, {info['machine_cpu']:.0f} were used: "
        f"gunicorn {info['gunicorn_cpu']:.0f} ({1000 * info['gunicorn_cpu'] / max(1, len(main)):.0f} ms per request), "
        f"the simulated users {info['client_cpu']:.0f}, and PostgreSQL with the rest of the machine (Redis, the "
        f"kernel) {rest:.0f} ({1000 * rest / max(1, len(main)):.0f} ms per request).",
    ]
    return "\n".join(lines)


def write_doc(text: str) -> None:
    doc = DOC.read_text() if DOC.exists() else "# Performance\n"
    if START not in doc:
        doc += "\n" + START + "\n" + END + "\n"
    before, rest = doc.split(START, 1)
    _, after = rest.split(END, 1)
    DOC.write_text(before + START + "\n" + text + "\n" + END + after)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--city", type=int, default=20, help="which kpi_bench_<N> to copy (default 20)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of load (default 300)")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time in seconds (default 1)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: config/gunicorn.conf.py's)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: config/gunicorn.conf.py's)")
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (default: a free one)")
    parser.add_argument("--seed", type=int, default=114)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    if not 1 <= args.users <= 200 or not 1 <= args.duration <= 600:
        raise SystemExit("Keep it bounded: 1–200 users, 1–600 seconds.")

    args.port = args.port or free_port()
    # As deployed: config/gunicorn.conf.py's workers, threads and keep-alive, unless overridden.
    conf = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))
    args.workers, args.threads = args.workers or conf["workers"], args.threads or conf["threads"]
    args.keepalive = conf["keepalive"]
    load_before = os.getloadavg()[0]
    source, database = f"kpi_bench_{args.city}", f"kpi_load_{args.city}"
    print(f"Copying {source} into {database} …", flush=True)
    copy_database(source, database)
    people, departments, _ = plan_work(database, args.users, args.seed)
    from django.db import connections

    connections.close_all()
    counter = Figures()

    log = Path("/tmp") / f"kpi-load-{args.port}.log"
    print(f"Starting gunicorn on 127.0.0.1:{args.port} ({args.workers} × {args.threads}); log {log}", flush=True)
    with Server(args.port, database, args.workers, args.threads, log) as server:
        users = [User(p, args.port, departments, args.seed, args.think, counter) for p in people]
        print(f"Signing in {len(users)} users …", flush=True)
        started = time.perf_counter()
        signed = [None] * len(users)

        def sign_in(i, u):
            signed[i] = u.login()

        threads = [threading.Thread(target=sign_in, args=(i, u)) for i, u in enumerate(users)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        logins = {"seconds": time.perf_counter() - started, "ok": sum(1 for s in signed if s)}
        active = [u for u, ok in zip(users, signed, strict=True) if ok]
        print(f"  {logins['ok']} signed in in {logins['seconds']:.1f} s; load for {args.duration:.0f} s …", flush=True)
        began = time.monotonic()
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        server_before = cpu_seconds(server.process.pid)
        for u in active:
            u.deadline = began + args.duration
            u.start()
        for u in active:
            u.join(timeout=args.duration + 30)
        seconds = time.monotonic() - began
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        server_after = cpu_seconds(server.process.pid)
        client_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
        stuck = [u.name for u in active if u.is_alive()]
    if stuck:
        print(f"  {len(stuck)} users still waiting after the grace period: {stuck[:5]}")
    samples = [s for u in users for s in u.samples]
    writes = [w for u in users for w in u.writes]
    check = verify(writes)
    info = {
        "date": datetime.date.today().isoformat(),
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "client_cpu": client_cpu,
        "gunicorn_cpu": server_after[0] - server_before[0],
        "machine_cpu": server_after[1] - server_before[1],
        "cores": os.cpu_count(),
    }
    text = summary(samples, seconds, args, people, check, logins, info)
    print("\n" + text)
    failures = [f for u in users for f in u.failures]
    if failures:
        print(f"\nFirst errors ({len(failures)}):")
        for f in failures[:10]:
            print("  " + f)
    if check["problems"]:
        print("\nLost or mismatched writes:")
        for p in check["problems"][:20]:
            print("  " + p)
    refused = Counter(s.kind for s in samples if s.outcome == "refused")
    if refused:
        print(f"\nRefused by the rules: {dict(refused)}")
    latencies = [s.seconds for s in samples if s.kind not in ("sign in", "login form")]
    if latencies:
        print(f"Median of all requests: {statistics.median(latencies) * 1000:.0f} ms")
    if not args.no_doc:
        write_doc(text)
        print(f"\nWrote the figures into {DOC.relative_to(ROOT)}.")
    if failures or check["problems"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
