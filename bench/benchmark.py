"""The scale benchmark: the same pages at N = 20 and N = 500 departments, on PostgreSQL.

    .venv/bin/python bench/benchmark.py                 # seed both sizes, measure, write docs/performance.md
    .venv/bin/python bench/benchmark.py --reuse         # measure the databases a previous run left
    .venv/bin/python bench/benchmark.py --sizes 20      # one size only (docs are not rewritten)

For each size N it (re)creates the database kpi_bench_<N> on 127.0.0.1:5432 (user
postgres, trust authentication), migrates it (once, into a template database), and
fills it with `manage.py generate_city --departments N` (N × 都市發展處: 20 KPIs, 3
common indicators, four years of quarterly reports), then publishes year PUBLIC_YEAR.
Then it measures with the production settings (bench/settings.py: DEBUG off,
PostgreSQL, kept-open connections, "today" 2025-12-28 so that 114 is the year in
progress), one subprocess per page and size, each page at both sizes back to back so
that a shared machine's changing load weighs on both alike:

- the pages, each by its address (`Page`, PAGE_NAMES): the city overview, a department
  page, a KPI page, the indicator API for one department and for the whole city, the
  whole-city yearly report page, the yearly-report Excel download for one department
  and for the city, the planning office's review queue, the public city page (anonymous;
  cache cold and warm), and the import of 1,000 progress rows;
- for each, in-process with Django's test Client: the number of SQL queries, the median
  server time of --repeat runs after a warm-up, and how much of it was spent waiting for SQL;
- for each, over HTTP through gunicorn (`measure_http`): the median time to the last byte;
- for each: the minimal hand-written SQL that returns the numbers the page shows, timed
  with a cursor, and the ratio page time ÷ raw SQL time. The raw SQL is checked against
  the pages' own figures first (`check_pages`), so "the same numbers" is tested, not assumed.

Then it prints a Markdown table with the goals of issue #15 (GOALS) and, when both sizes
were measured, rewrites the generated part of docs/performance.md (between the
`benchmark:start/end` markers). The databases are kept for bench/load.py.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
TEMPLATE_DB = "kpi_bench_template"
USER_PASSWORD = "bench-city-114"  # of the generated users, in the kpi_bench_* databases only
YEAR = 114  # the year in progress on "today" (2025-12-28): the dashboards' fullest path
PUBLIC_YEAR = 113  # a finished year, published for the public city page (see `publish`)
PAGE_SIZE = 50  # rows on the first page of the review queue's minimal SQL
SLOW = 3.0  # seconds: a page slower than this at its warm-up is timed 3 times instead of --repeat
START, END = "<!-- benchmark:start -->", "<!-- benchmark:end -->"


def db_url(name: str) -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def bench_env(database: str) -> dict:
    env = dict(os.environ)
    env.update(DJANGO_SETTINGS_MODULE="bench.settings", DATABASE_URL=db_url(database), PYTHONPATH=str(ROOT))
    return env


# --- Orchestration: databases, seeding, one measuring subprocess per size ---------------------


def admin_connection():
    import psycopg2

    conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres")
    conn.autocommit = True
    return conn


def recreate(name: str, template: str | None = None) -> None:
    conn = admin_connection()
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    finally:
        conn.close()


def run(cmd: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)
    return time.perf_counter() - started


def prepare(size: int, seed: int) -> float:
    """A fresh kpi_bench_<size> holding the generated city; returns the seconds generate_city took."""
    name = f"kpi_bench_{size}"
    recreate(name, TEMPLATE_DB)
    print(f"\n== N = {size}: generating the city into {name}", flush=True)
    return run(
        [sys.executable, "manage.py", "generate_city", "--departments", str(size), "--seed", str(seed)]
        + ["--password", USER_PASSWORD],  # bench/load.py signs the users in
        bench_env(name),
    )


def orchestrate(args) -> None:
    started = time.perf_counter()
    load_before = os.getloadavg()
    seeding = {}
    if not args.reuse:
        print(f"== migrating the template database {TEMPLATE_DB}", flush=True)
        recreate(TEMPLATE_DB)
        run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], bench_env(TEMPLATE_DB))
        for size in args.sizes:
            seeding[size] = prepare(size, args.seed)
    # Each page is measured at every size back to back (alternating which size goes first),
    # so that the load of a shared machine weighs on both sizes alike.
    print(f"\n== measuring: {args.repeat} runs per page after a warm-up, sizes interleaved", flush=True)
    parts: dict[int, dict] = {size: {} for size in args.sizes}
    for i, part in enumerate(PARTS):
        for size in args.sizes if i % 2 == 0 else list(reversed(args.sizes)):
            print(f"  {part} at N = {size} …", flush=True)
            with tempfile.NamedTemporaryFile(suffix=".json") as out:
                cmd = [sys.executable, str(Path(__file__)), "--measure", str(size), "--part", part]
                run([*cmd, "--repeat", str(args.repeat), "--json", out.name], bench_env(f"kpi_bench_{size}"))
                parts[size][part] = json.loads(Path(out.name).read_text())
    results = {}
    for size in args.sizes:
        http = {r["name"]: r for r in parts[size]["http"]}
        pages = [parts[size][p] for p in PARTS if p.startswith("page") or p == "import"]
        for page in pages:
            timing = http.get(page["name"], {})
            page["http_ms"] = timing.get("http_ms")
            if timing.get("note"):
                page["http_note"] = timing["note"]
        results[size] = {
            **parts[size]["meta"],
            "pages": pages,
            "diagnostics": parts[size]["parts"],
            "seconds_to_generate": seeding.get(size),
        }
    info = machine_info(load_before, os.getloadavg(), time.perf_counter() - started)
    table = markdown(results, args.sizes, info)
    print("\n" + table)
    if len(args.sizes) == 2 and not args.no_doc:
        write_doc(table)
        print(f"\nWrote the results into {DOC.relative_to(ROOT)}.")


def machine_info(load_before, load_after, seconds: float) -> dict:
    cpu = ""
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    mem_kib = 0
    try:
        mem_kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    except (OSError, AttributeError):
        pass
    pg = subprocess.run(
        ["psql", "-h", PG_HOST, "-U", PG_USER, "-d", "postgres", "-Atc", "SHOW server_version"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "date": datetime.date.today().isoformat(),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kib / 1048576),
        "python": platform.python_version(),
        "postgresql": pg,
        "load_before": load_before,
        "load_after": load_after,
        "seconds": seconds,
    }


# --- Measuring (runs inside Django, against one database) ---------------------------------------


class SqlClock:
    """An execute_wrapper that adds up the time spent waiting for the database."""

    def __init__(self):
        self.seconds, self.count = 0.0, 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def consume(response) -> int:
    if getattr(response, "streaming", False):
        return sum(len(chunk) for chunk in response.streaming_content)
    return len(response.content)


def measure_call(fn, repeat: int, before=None) -> dict:
    """Warm up, count the queries of one call, then time `repeat` calls: medians of total and SQL time.

    `before` (untimed) runs before every call, the warm-up and the counted one included: the
    public page's cold runs clear the cache with it, so each of them builds the page.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    before = before or (lambda: None)
    before()
    started = time.perf_counter()
    fn()
    if time.perf_counter() - started > SLOW:
        repeat = min(repeat, 3)  # keeps the N = 500 run within its time budget
    before()
    with CaptureQueriesContext(connection) as queries:
        size = fn()
    count = len(queries)  # now: the log is cleared by the requests that follow
    totals, sqls = [], []
    for _ in range(repeat):
        before()
        clock = SqlClock()
        with connection.execute_wrapper(clock):
            started = time.perf_counter()
            fn()
            totals.append(time.perf_counter() - started)
        sqls.append(clock.seconds)
    return {
        "queries": count,
        "ms": statistics.median(totals) * 1000,
        "sql_ms": statistics.median(sqls) * 1000,
        "bytes": size,
        "runs": repeat,
    }


def time_sql(statements: list[tuple[str, dict]], repeat: int) -> dict:
    """Median time of running the statements (and fetching every row) with a cursor."""
    from django.db import connection

    def once():
        rows = 0
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                rows += len(cursor.fetchall())
        return rows

    rows = once()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        once()
        times.append(time.perf_counter() - started)
    return {"ms": statistics.median(times) * 1000, "rows": rows, "statements": len(statements)}


# The latest approved report of each indicator-year: the year's actual, and the period it is of.
LATEST = """
latest AS (
    SELECT DISTINCT ON (r.indicator_id, p.year) r.indicator_id, p.year, p.number, r.actual, r.id AS report_id
    FROM kpi_progressreport r
    JOIN kpi_reportingperiod p ON p.id = r.period_id
    WHERE r.status = 'approved' AND p.plan_id = %(plan)s {year_filter} {department_filter}
    ORDER BY r.indicator_id, p.year, p.end_date DESC, r.id DESC
)"""

ONE_DEPARTMENT = """AND r.indicator_id IN (
        SELECT i.id FROM kpi_indicator i JOIN plans_departmentplan dp ON dp.id = i.department_plan_id
        WHERE dp.plan_id = %(plan)s AND dp.department_id = %(department)s)"""

# Raw attainment (percent, 4 places, None when white) of each indicator-year of the plan, by
# the rules of kpi.assessments.status_of, for KPIs and common indicators alike:
# - white when the year has no target, is excluded, has no approved figure, or the
#   indicator is judged at year end and its figure is not the year's last period's;
# - a year judged as a whole is assessed against the year's target; the year in progress
#   (%(current)s), before its last period, against the planned value to date: the one
#   people set (kpi_plannedvalue), else the default by accrual (kpi.planning.default_value:
#   a cumulative higher-is-better KPI climbs linearly from 0, or from last year's target on
#   a % ladder, whole numbers for counted units; any other KPI is held to the target);
#   a period planned at 0 on a higher-is-better KPI is met (100);
# - higher is better: actual ÷ basis (floor 0; white when the basis is 0 or below);
#   lower is better: 100 when actual ≤ basis, else basis ÷ actual, 0 when basis ≤ 0.
SCORED = """
basis AS (
    SELECT dp.department_id, i.id AS indicator_id, i.kind, i.objective_id, o.goal_id, o.dimension, i.weight,
           i.direction, y.year, t.id AS target_id, l.actual,
           CASE
               WHEN t.id IS NULL OR btrim(t.excluded_reason) <> '' OR l.actual IS NULL THEN NULL
               WHEN i.accrual = 'year_end' AND l.number < %(periods)s THEN NULL
               WHEN y.year <> %(current)s OR l.number >= %(periods)s THEN t.value
               WHEN pv.value IS NOT NULL THEN pv.value
               WHEN i.accrual = 'cumulative' AND i.direction = 'higher' THEN ROUND(
                   (CASE WHEN i.unit = '%%' AND tp.value < t.value THEN tp.value ELSE 0 END)
                   + (t.value - CASE WHEN i.unit = '%%' AND tp.value < t.value THEN tp.value ELSE 0 END)
                     * l.number / %(periods)s,
                   CASE WHEN i.unit IN %(counted)s THEN 0 ELSE 4 END)
               ELSE t.value
           END AS basis,
           y.year = %(current)s AND l.number < %(periods)s AS in_period
    FROM kpi_indicator i
    JOIN plans_departmentplan dp ON dp.id = i.department_plan_id
    JOIN plans_plan pl ON pl.id = dp.plan_id
    CROSS JOIN LATERAL generate_series(pl.start_year::int, pl.end_year::int) AS y(year)
    LEFT JOIN plans_strategicobjective o ON o.id = i.objective_id
    LEFT JOIN kpi_yearlytarget t ON t.indicator_id = i.id AND t.year = y.year
    LEFT JOIN kpi_yearlytarget tp ON tp.indicator_id = i.id AND tp.year = y.year - 1
    LEFT JOIN latest l ON l.indicator_id = i.id AND l.year = y.year
    LEFT JOIN kpi_plannedvalue pv ON pv.target_id = t.id AND pv.number = l.number
    WHERE dp.plan_id = %(plan)s {year_filter} {department_filter}
),
scored AS (
    SELECT department_id, indicator_id, kind, objective_id, goal_id, dimension, year, weight,
           ROUND(CASE
               WHEN basis IS NULL THEN NULL
               WHEN direction = 'higher' AND in_period AND basis = 0 THEN 100
               WHEN direction = 'higher' THEN CASE WHEN basis > 0 THEN GREATEST(actual, 0) * 100 / basis END
               WHEN actual <= basis THEN 100
               WHEN basis > 0 THEN basis * 100 / actual
               ELSE 0
           END, 4) AS raw
    FROM basis
)"""

# A light is read from the attainment as the pages show it (one place, half up): kpi.attainment.
LIGHTS = """
    ROUND(SUM(LEAST(raw, 100) * weight) FILTER (WHERE raw IS NOT NULL)
          / NULLIF(SUM(weight) FILTER (WHERE raw IS NOT NULL), 0), 4) AS score,
    COUNT(*) FILTER (WHERE ROUND(raw, 1) >= %(green)s) AS green,
    COUNT(*) FILTER (WHERE ROUND(raw, 1) >= %(yellow)s AND ROUND(raw, 1) < %(green)s) AS yellow,
    COUNT(*) FILTER (WHERE ROUND(raw, 1) < %(yellow)s) AS red,
    COUNT(*) FILTER (WHERE raw IS NULL) AS white"""


def scored(*, year: bool = False, department: bool = False) -> str:
    """The CTEs `latest`, `basis` and `scored`: every indicator-year of the plan, or of one year / department."""
    return (
        "WITH"
        + LATEST.format(
            year_filter="AND p.year = %(year)s" if year else "",
            department_filter=ONE_DEPARTMENT if department else "",
        )
        + ","
        + SCORED.format(
            year_filter="AND y.year = %(year)s" if year else "",
            department_filter="AND dp.department_id = %(department)s" if department else "",
        )
    )


def overview_sql(*, one_year: bool = False) -> str:
    """Each department's roll-up of its KPIs and of its common indicators, and the city's, for every
    plan year (the overview: the year shown and the trend) or for one (the yearly report's summary,
    the public city page)."""
    return (
        scored(year=one_year)
        + f"""
SELECT kind, department_id, year, {LIGHTS}
FROM scored
GROUP BY GROUPING SETS ((kind, department_id, year), (kind, year))
"""
    )


def department_sql() -> str:
    """One department: each indicator-year, and the roll-ups by objective, goal, dimension and department."""
    return (
        scored(department=True)
        + f"""
SELECT kind, indicator_id, objective_id, goal_id, dimension, year, {LIGHTS}
FROM scored
GROUP BY GROUPING SETS ((kind, indicator_id, year), (kind, objective_id, year), (kind, goal_id, year),
                        (kind, dimension, year), (kind, year))
"""
    )


def queue_sql() -> list[str]:
    """The review queue of the planning office: how many reports wait for a review it may give, and the
    first page of them (PAGE_SIZE, oldest first) with what a row shows — department, indicator,
    period, figure, target and planned value, who submitted it and when, and its evidence."""
    waiting = """
FROM kpi_progressreport r
JOIN kpi_reportingperiod p ON p.id = r.period_id
WHERE r.status IN ('submitted', 'first_approved') AND (NOT p.is_locked OR r.correcting)
  AND %(planner)s NOT IN (r.created_by_id, r.updated_by_id, coalesce(r.submitted_by_id, 0))"""
    count = "SELECT r.status, COUNT(*)" + waiting + " GROUP BY r.status"
    rows = f"""
WITH page AS (
    SELECT r.id, r.indicator_id, r.period_id, r.status, r.actual, r.inputs, r.narrative, r.submitted_at,
           r.submitted_by_id, r.version, p.year, p.number, p.end_date
    {waiting}
    ORDER BY p.end_date, r.submitted_at, r.id
    LIMIT {PAGE_SIZE}
)
SELECT page.*, d.name, i.kind, i.number, i.name, i.unit, i.direction, t.value, pv.value, u.username,
       (SELECT json_agg(json_build_object('name', e.original_name, 'url', e.url) ORDER BY e.uploaded_at, e.id)
          FROM kpi_evidence e WHERE e.report_id = page.id AND e.removed_at IS NULL) AS evidence
FROM page
JOIN kpi_indicator i ON i.id = page.indicator_id
JOIN plans_departmentplan dp ON dp.id = i.department_plan_id
JOIN plans_department d ON d.id = dp.department_id
LEFT JOIN kpi_yearlytarget t ON t.indicator_id = i.id AND t.year = page.year
LEFT JOIN kpi_plannedvalue pv ON pv.target_id = t.id AND pv.number = page.number
LEFT JOIN auth_user u ON u.id = page.submitted_by_id
ORDER BY page.end_date, page.submitted_at, page.id"""
    return [count, rows]


def kpi_sql() -> list[str]:
    """The KPI page: targets (with revisions) and actuals of every year, the year's reports, the record."""
    years = """
SELECT t.year, t.value, t.original_value, t.excluded_reason,
       (SELECT json_agg(json_build_object('old', v.old_value, 'new', v.new_value, 'reason', v.reason,
                                          'at', v.changed_at, 'by', u.username) ORDER BY v.changed_at, v.id)
          FROM kpi_targetrevision v LEFT JOIN auth_user u ON u.id = v.changed_by_id
         WHERE v.target_id = t.id) AS revisions,
       (SELECT r.actual FROM kpi_progressreport r JOIN kpi_reportingperiod p ON p.id = r.period_id
         WHERE r.indicator_id = t.indicator_id AND p.year = t.year AND r.status = 'approved'
         ORDER BY p.end_date DESC, r.id DESC LIMIT 1) AS actual
FROM kpi_yearlytarget t WHERE t.indicator_id = %(indicator)s ORDER BY t.year"""
    reports = """
SELECT p.number, p.due_date, p.is_locked, r.id, r.status, r.actual, r.inputs, r.narrative, r.shortfall_reason,
       r.improvement_plan, r.version, r.submitted_at, r.reviewed_at, r.review_comment, cu.username, ru.username
FROM kpi_reportingperiod p
LEFT JOIN kpi_progressreport r ON r.period_id = p.id AND r.indicator_id = %(indicator)s
LEFT JOIN auth_user cu ON cu.id = r.created_by_id LEFT JOIN auth_user ru ON ru.id = r.reviewed_by_id
WHERE p.plan_id = %(plan)s AND p.year = %(year)s ORDER BY p.number"""
    events = """
SELECT e.at, e.action, e.comment, e.changes, u.username, p.year, p.number
FROM kpi_reportevent e JOIN kpi_progressreport r ON r.id = e.report_id
JOIN kpi_reportingperiod p ON p.id = r.period_id JOIN auth_user u ON u.id = e.actor_id
WHERE r.indicator_id = %(indicator)s ORDER BY e.at DESC, e.id DESC"""
    return [years, reports, events]


def api_sql(one_department: bool) -> str:
    """The open-data indicator list: each indicator with its hierarchy and its targets."""
    where = "AND dp.department_id = %(department)s" if one_department else ""
    return f"""
SELECT i.id, i.kind, i.number, i.name, i.evaluation_arrangement, i.evaluation_method, i.measurement_standard,
       i.unit, i.direction, i.weight, i.accrual, i.formula, d.name, dp.toc_number, pl.name, pl.start_year,
       o.number, o.name, o.dimension, g.number, g.name, cg.number, cg.name, cg.dimension,
       (SELECT json_agg(json_build_object('year', t.year, 'value', t.value) ORDER BY t.year)
          FROM kpi_yearlytarget t WHERE t.indicator_id = i.id) AS targets
FROM kpi_indicator i
JOIN plans_departmentplan dp ON dp.id = i.department_plan_id
JOIN plans_department d ON d.id = dp.department_id
JOIN plans_plan pl ON pl.id = dp.plan_id
LEFT JOIN plans_strategicobjective o ON o.id = i.objective_id
LEFT JOIN plans_goal g ON g.id = o.goal_id
LEFT JOIN plans_commongoal cg ON cg.id = i.common_goal_id
WHERE TRUE {where}
ORDER BY pl.start_year, dp.toc_number, i.kind DESC, o.number, cg.number, i.number"""


def export_sql(one_department: bool) -> str:
    """The yearly report's rows: each indicator's target (and revisions), actual, attainment, texts, evidence.

    Revisions and evidence are aggregated once each with GROUP BY and joined, not looked up
    by a correlated subquery per indicator (1.3 s against 0.2 s at N = 500, the same rows).
    """
    where = "AND dp.department_id = %(department)s" if one_department else ""
    department_filter = ONE_DEPARTMENT if one_department else ""
    return (
        "WITH"
        + LATEST.format(year_filter="AND p.year = %(year)s", department_filter=department_filter)
        + f""",
revisions AS (
    SELECT v.target_id,
           string_agg(v.old_value || '→' || v.new_value || ' ' || v.reason || ' ' || coalesce(u.username, ''),
                      '；' ORDER BY v.changed_at, v.id) AS revisions
    FROM kpi_targetrevision v
    JOIN kpi_yearlytarget vt ON vt.id = v.target_id AND vt.year = %(year)s
    LEFT JOIN auth_user u ON u.id = v.changed_by_id
    WHERE v.source <> 'seed'
    GROUP BY v.target_id
),
evidence AS (
    SELECT r.indicator_id,
           string_agg(coalesce(nullif(e.original_name, ''), e.url), '、' ORDER BY e.uploaded_at, e.id) AS evidence
    FROM kpi_evidence e
    JOIN kpi_progressreport r ON r.id = e.report_id
    JOIN kpi_reportingperiod p ON p.id = r.period_id
    WHERE p.plan_id = %(plan)s AND p.year = %(year)s AND e.removed_at IS NULL {department_filter}
    GROUP BY r.indicator_id
)
SELECT d.name, dp.toc_number, i.kind, i.number, i.name, i.unit, i.direction, i.evaluation_arrangement,
       i.evaluation_method, o.number, o.name, o.dimension, g.name, cg.number, cg.name,
       t.value, t.original_value, t.excluded_reason, rv.revisions,
       r.actual, r.inputs, r.narrative, r.shortfall_reason, r.improvement_plan, p.number AS period,
       CASE WHEN t.excluded_reason <> '' OR r.actual IS NULL THEN NULL
            WHEN i.direction = 'higher' THEN CASE WHEN t.value > 0 THEN GREATEST(r.actual, 0) * 100 / t.value END
            WHEN r.actual <= t.value THEN 100 WHEN t.value > 0 THEN t.value * 100 / r.actual ELSE 0 END AS raw,
       ev.evidence
FROM kpi_indicator i
JOIN plans_departmentplan dp ON dp.id = i.department_plan_id
JOIN plans_department d ON d.id = dp.department_id
LEFT JOIN plans_strategicobjective o ON o.id = i.objective_id
LEFT JOIN plans_goal g ON g.id = o.goal_id
LEFT JOIN plans_commongoal cg ON cg.id = i.common_goal_id
LEFT JOIN kpi_yearlytarget t ON t.indicator_id = i.id AND t.year = %(year)s
LEFT JOIN revisions rv ON rv.target_id = t.id
LEFT JOIN latest l ON l.indicator_id = i.id
LEFT JOIN kpi_progressreport r ON r.id = l.report_id
LEFT JOIN kpi_reportingperiod p ON p.id = r.period_id
LEFT JOIN evidence ev ON ev.indicator_id = i.id
WHERE dp.plan_id = %(plan)s {where}
ORDER BY dp.toc_number, i.kind DESC, o.number, cg.number, i.number"""
    )


def same_rollup(found, rollup) -> bool:
    """A raw SQL row (score, green, yellow, red, white) against a page's RollUp."""
    from decimal import Decimal

    score, *counts = found
    if rollup is None:
        return False
    same_score = (score is None and rollup.score is None) or (
        score is not None and rollup.score is not None and abs(Decimal(score) - rollup.score) < Decimal("0.001")
    )
    return same_score and [rollup.counts[k] for k in ("green", "yellow", "red", "white")] == counts


def check_pages(plan, planner, params) -> str:
    """The raw SQL's figures must be the pages' own, so that "page ÷ raw SQL" compares the same numbers.

    The overview (reports.selectors.overview) for YEAR: each department's KPI roll-up and its
    common indicators' roll-up; the department page's KPI total; the public city page
    (reports.public.public_year) for PUBLIC_YEAR: each department's KPI and common roll-ups
    and the city's; the review queue: how many reports wait for the planning office
    (kpi.queues.work_for). Any difference stops the benchmark.
    """
    from django.db import connection

    from kpi import queues
    from plans.models import PublishedYear
    from reports import public, selectors

    def rollups(sql, year):
        with connection.cursor() as cursor:
            cursor.execute(sql, {**params, "year": year})
            return {(kind, dep): tuple(rest) for kind, dep, row_year, *rest in cursor.fetchall() if row_year == year}

    problems = []
    data = selectors.overview(planner, plan, selectors.Filters(year=YEAR))
    sql = rollups(overview_sql(), YEAR)
    kpi_bad = [r for r in data.rows if r.rollup and not same_rollup(sql.get(("kpi", r.department.id)), r.rollup)]
    common_bad = [r for r in data.rows if r.common and not same_rollup(sql.get(("common", r.department.id)), r.common)]
    if not same_rollup(sql.get(("kpi", None)), data.city):
        problems.append("the overview's city")
    if kpi_bad or common_bad:
        problems.append(
            f"the overview: {len(kpi_bad)} departments' KPIs, {len(common_bad)} departments' common indicators"
        )
    checked = len(data.rows)

    with connection.cursor() as cursor:
        cursor.execute(department_sql(), params)
        total = next(
            (row[6:] for row in cursor.fetchall() if row[0] == "kpi" and row[5] == YEAR and not any(row[1:5])), None
        )
    own = next(r for r in data.rows if r.department.id == params["department"])
    if total is None or not same_rollup(total, own.rollup):
        problems.append("the department page")

    published = PublishedYear.objects.get(plan=plan, year=PUBLIC_YEAR)
    city = public.public_year(published)
    sql = rollups(overview_sql(one_year=True), PUBLIC_YEAR)
    public_bad = sum(
        1
        for d in city.departments
        if (d.score and not same_rollup(sql.get(("kpi", d.department.id)), d.score.rollup))
        or (d.common_score and not same_rollup(sql.get(("common", d.department.id)), d.common_score.rollup))
    )
    if public_bad or not same_rollup(sql.get(("kpi", None)), city.attainment.city.rollup):
        problems.append(f"the public city page ({public_bad} departments)")

    with connection.cursor() as cursor:
        cursor.execute(queue_sql()[0], params)
        waiting = sum(n for _, n in cursor.fetchall())
    queued = len(queues.work_for(planner).to_review)
    if waiting != queued:
        problems.append(f"the review queue ({waiting} waiting by SQL, {queued} on the page)")
    if problems:
        raise SystemExit("The raw SQL disagrees with " + "; ".join(problems) + ".")
    return (
        f"raw SQL = page for all {checked} departments, KPIs and common indicators (overview, {YEAR}; public "
        f"city page, {PUBLIC_YEAR}), for the department page, and for the {queued:,} reports of the review queue"
    )


IMPORT_NARRATIVE = "匯入：本季依計畫進度辦理。"


def import_setup(rows):
    """Before an import run (rolled back after): the rows' reports removed, and a reporter of their departments."""
    from django.contrib.auth import get_user_model

    from kpi.models import Evidence, ProgressReport, ReportEvent
    from plans.models import Membership, Role

    pairs = {(k.id, p.id) for k, p in rows}
    candidates = ProgressReport.objects.filter(
        indicator_id__in={k for k, _ in pairs}, period_id__in={p for _, p in pairs}
    ).values_list("id", "indicator_id", "period_id")
    ids = [r for r, k, p in candidates if (k, p) in pairs]
    Evidence.objects.filter(report_id__in=ids).delete()
    ReportEvent.objects.filter(report_id__in=ids).delete()
    ProgressReport.objects.filter(id__in=ids).delete()
    user = get_user_model().objects.create_user("bench-importer", password=None)
    departments = {k.department_plan.department_id for k, _ in rows}
    Membership.objects.bulk_create(Membership(user=user, department_id=d, role=Role.REPORTER) for d in departments)
    return get_user_model().objects.get(pk=user.pk)


def import_rows(plan, count: int = 1000):
    """1,000 (KPI, period) of the first departments: KPIs × 114 Q4, Q3, Q2 — the same rows at every N."""
    from kpi.models import Indicator, IndicatorKind, ReportingPeriod

    periods = list(ReportingPeriod.objects.filter(plan=plan, year=YEAR, number__gte=2).order_by("-number"))
    departments = count // (20 * len(periods)) + 1
    kpis = list(
        Indicator.objects.filter(
            department_plan__plan=plan, kind=IndicatorKind.KPI, department_plan__toc_number__lte=departments
        )
        .select_related("department_plan__department", "department_plan__plan", "objective", "common_goal")
        .order_by("department_plan__toc_number", "objective__number", "number")
    )
    rows = [(k, p) for k in kpis for p in periods][:count]
    if len(rows) < count:
        raise SystemExit(f"Only {len(rows)} rows could be built for the import; is N ≥ {departments}?")
    return rows


def import_value(indicator) -> str:
    from kpi.models import Unit

    return {Unit.PERCENT: "55", Unit.SET: "0.5"}.get(indicator.unit, "3")


def import_file(rows) -> bytes:
    """The rows as the CSV a department would upload (kpi.importers' columns)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["機關", "編號", "年度", "期別", "累計實績", "達成情形說明", "未達成原因", "改善措施"])
    for k, p in rows:
        writer.writerow(
            [
                k.department_plan.department.name,
                k.code,
                p.year,
                p.number,
                import_value(k),
                IMPORT_NARRATIVE,
                "進度略為落後。",
                "加強進度管控。",
            ]
        )
    return out.getvalue().encode("utf-8")


def measure_import(plan, repeat: int) -> tuple[dict, dict, str]:
    """Import 1,000 progress rows as drafts through kpi.importers (the upload page's service), rolled back.

    Each run starts (untimed) by emptying the rows' slots, so that every row creates its
    report as the import of a new quarter's figures does, and by giving the importing
    user the reporter role in the departments the rows belong to. Everything is rolled
    back afterwards, so the database stays as generated.
    """
    from django.db import connection, transaction

    rows = import_rows(plan)
    data = import_file(rows)
    try:
        from kpi import importers, services
    except ImportError:
        importers = None
    how = (
        "kpi.importers.import_reports of a 1,000-row CSV (drafts), one transaction"
        if importers
        else "1,000 × kpi.services.report_save (drafts) in one transaction: kpi.importers does not exist yet"
    )

    def setup():
        return import_setup(rows)

    def run_import(user):
        if importers:
            result = importers.import_reports(data, "bench-import.csv", user=user, submit=False)
            if not result.applied or result.created != len(rows):
                errors = [str(e) for r in result.error_rows[:5] for e in r.errors] + result.file_errors
                raise SystemExit(f"The import did not go through: {errors}")
        else:
            for indicator, period in rows:
                services.report_save(
                    indicator=indicator,
                    period=period,
                    user=user,
                    actual=import_value(indicator),
                    narrative=IMPORT_NARRATIVE,
                    shortfall_reason="進度略為落後。",
                    improvement_plan="加強進度管控。",
                )

    def timed() -> tuple[float, float, int]:
        clock = SqlClock()  # counts the queries too: ~10,000 overflow CaptureQueriesContext's log
        with transaction.atomic():
            user = setup()
            with connection.execute_wrapper(clock):
                started = time.perf_counter()
                run_import(user)
                elapsed = time.perf_counter() - started
            transaction.set_rollback(True)
        return elapsed, clock.seconds, clock.count

    timed()  # warm-up
    runs = [timed() for _ in range(max(3, repeat // 2))]
    page = {
        "queries": runs[0][2],
        "ms": statistics.median(r[0] for r in runs) * 1000,
        "sql_ms": statistics.median(r[1] for r in runs) * 1000,
        "bytes": len(data),
        "runs": len(runs),
    }

    # Raw SQL: the same 1,000 reports and their "created" events in two multi-row INSERTs.
    columns = list(zip(*[(k.id, p.id, import_value(k), IMPORT_NARRATIVE) for k, p in rows], strict=True))
    raw_times = []
    for _ in range(max(3, repeat // 2) + 1):
        with transaction.atomic():
            user = setup()
            with connection.cursor() as cursor:
                started = time.perf_counter()
                cursor.execute(
                    "INSERT INTO kpi_progressreport (indicator_id, period_id, status, actual, inputs, narrative, "
                    "shortfall_reason, improvement_plan, version, created_by_id, created_at, updated_by_id, "
                    "updated_at, review_comment, correcting, correction_reason, review_stages) "
                    "SELECT v.i, v.p, 'draft', v.a::numeric, '{}', v.n, '', '', 1, %s, now(), %s, now(), '', false, "
                    "'', 1 FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[]) "
                    "AS v(i, p, a, n) RETURNING id",
                    [user.pk, user.pk, *[list(c) for c in columns]],
                )
                created = [r for (r,) in cursor.fetchall()]
                cursor.execute(
                    "INSERT INTO kpi_reportevent (report_id, action, actor_id, at, comment, changes) "
                    "SELECT r, 'created', %s, now(), '', '{}' FROM unnest(%s::bigint[]) AS r",
                    [user.pk, created],
                )
                raw_times.append(time.perf_counter() - started)
            transaction.set_rollback(True)
    raw = {"ms": statistics.median(raw_times[1:]) * 1000, "rows": len(rows), "statements": 2}
    return page, raw, how


def measure_parts(plan, planner, department, repeat: int) -> list[dict]:
    """The shared pieces the pages are built from, timed alone (the planning office's view)."""
    from kpi import queues
    from kpi.assessments import plan_year_attainment, plan_years_attainment

    parts = [
        (
            "Navigation work counts (kpi.queues.work_for, counting reviews: on every page)",
            lambda: queues.work_for(planner, counts_only=True),
        ),
        (
            "Review queue's work (kpi.queues.work_for, every waiting report)",
            lambda: queues.work_for(planner),
        ),
        (
            "plan_years_attainment: 4 years, whole city (the overview)",
            lambda: plan_years_attainment(plan=plan),
        ),
        (
            "plan_year_attainment: 1 year, whole city (yearly reports)",
            lambda: plan_year_attainment(plan=plan, year=YEAR),
        ),
        (
            "plan_years_attainment: 4 years, one department (department page)",
            lambda: plan_years_attainment(plan=plan, department_ids=[department.id]),
        ),
    ]
    return [{"name": name, **measure_call(fn, repeat)} for name, fn in parts]


@dataclass
class Page:
    """A page measured by its address, as a visitor asks for it, so that a change of the view needs none here."""

    name: str
    url: str
    grows: bool  # its content grows with N
    statements: list[tuple[str, dict]]  # the minimal raw SQL
    anonymous: bool = False
    cold: bool = False  # the cache is cleared before each run
    goal: str = ""  # see GOALS
    job: bool = False  # not a page: the background job that writes the file (its page only queues it)


# Goals of issue #15, at the largest size: "slow" pages under 1 s and within 3× of their raw
# SQL, the review queue under 300 ms, every fixed-size page under 100 ms over HTTP; query
# counts equal at every size; the import of 1,000 rows under 1 s.
GOALS = {
    "grows": (1000, 3.0),
    "queue": (300, None),
    "fixed": (100, None),
    "import": (1000, None),
    "job": (None, None),  # a background job: no goal of issue #15, measured to know how long people wait
}

PAGE_NAMES = [
    "City overview",
    "Department page",
    "KPI page",
    "Indicator API, one department",
    "Indicator API, whole city",
    "Yearly report page, whole city (first screen)",
    "Yearly report .xlsx, one department",
    "Yearly report .xlsx, whole city (background job)",
    "Review queue of the planning office",
    f"Public city page /public/{PUBLIC_YEAR}/, anonymous, cache cold",
    f"Public city page /public/{PUBLIC_YEAR}/, anonymous, cache warm",
]
PARTS = [*(f"page{i}" for i in range(len(PAGE_NAMES))), "import", "parts", "http", "meta"]


def publish(plan) -> None:
    """Publish PUBLIC_YEAR, so that the public city page exists (generate_city publishes nothing)."""
    from plans.models import PublishedYear

    PublishedYear.objects.get_or_create(plan=plan, year=PUBLIC_YEAR, defaults={"note": "bench"})


def setting_up(size: int):
    """Django, the plan, the planning office and the department, KPI and raw SQL parameters measured."""
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()

    from plans.models import Plan

    return parameters(Plan.objects.get(), size)


def parameters(plan, size: int):
    """The planning office, the department and KPI measured, and the raw SQL's parameters, for a generated city."""
    from django.contrib.auth import get_user_model

    from kpi.models import COUNT_UNITS, Indicator, IndicatorKind
    from plans.models import PERIODS_PER_YEAR, DepartmentPlan

    publish(plan)
    planner = get_user_model().objects.get(username="city-planner")
    # A department from the middle of the table of contents, and its first KPI that went through a return.
    dp = DepartmentPlan.objects.select_related("department").get(plan=plan, toc_number=(size + 1) // 2)
    department = dp.department
    indicator = (
        Indicator.objects.filter(department_plan=dp, kind=IndicatorKind.KPI, reports__events__action="returned")
        .order_by("objective__number", "number")
        .first()
    ) or Indicator.objects.filter(department_plan=dp, kind=IndicatorKind.KPI).first()
    params = {
        "plan": plan.id,
        "year": YEAR,
        "current": YEAR,
        "periods": PERIODS_PER_YEAR[plan.reporting_frequency],
        "counted": tuple(str(u) for u in COUNT_UNITS),
        "department": department.id,
        "indicator": indicator.id,
        "planner": planner.id,
        "green": plan.green_threshold,
        "yellow": plan.yellow_threshold,
    }
    return plan, planner, department, indicator, params


def pages_of(department, indicator, params) -> list[Page]:
    from django.urls import reverse

    download = reverse("reports:yearly_download")
    public = {**params, "year": PUBLIC_YEAR}
    pages = [
        Page(
            PAGE_NAMES[0], f"{reverse('reports:overview')}?year={YEAR}", True, [(overview_sql(), params)], goal="grows"
        ),
        Page(
            PAGE_NAMES[1],
            f"{reverse('reports:department', args=[department.id])}?year={YEAR}",
            False,
            [(department_sql(), params)],
        ),
        Page(
            PAGE_NAMES[2],
            f"{reverse('kpi:detail', args=[indicator.id])}?year={YEAR}",
            False,
            [(sql, params) for sql in kpi_sql()],
        ),
        Page(PAGE_NAMES[3], f"/api/v1/indicators/?department={department.id}", False, [(api_sql(True), params)]),
        Page(PAGE_NAMES[4], "/api/v1/indicators/", True, [(api_sql(False), params)]),
        # Its first screen: the city's summary (each department's roll-ups and the city's); the
        # department sections are loaded on demand. Until they are, the page holds every row.
        Page(
            PAGE_NAMES[5],
            f"{reverse('reports:yearly')}?year={YEAR}",
            True,
            [(overview_sql(one_year=True), params)],
            goal="grows",
        ),
        Page(
            PAGE_NAMES[6],
            f"{download}?format=xlsx&year={YEAR}&department={department.id}",
            False,
            [(export_sql(True), params)],
        ),
        # The whole city's file is written by a Celery task (reports.tasks.build_yearly_export);
        # the download address only sends the visitor to the button that queues it. Measured:
        # the task's body, in-process (its queries and time), and not over HTTP.
        Page(
            PAGE_NAMES[7],
            f"{download}?format=xlsx&year={YEAR}",
            True,
            [(export_sql(False), params)],
            goal="job",
            job=True,
        ),
        Page(
            PAGE_NAMES[8],
            reverse("kpi:review_queue"),
            True,
            [(sql, params) for sql in queue_sql()],
            goal="queue",
        ),
        Page(
            PAGE_NAMES[9],
            reverse("reports:public_year", args=[PUBLIC_YEAR]),
            True,
            [(overview_sql(one_year=True), public)],
            anonymous=True,
            cold=True,
            goal="grows",
        ),
        Page(
            PAGE_NAMES[10],
            reverse("reports:public_year", args=[PUBLIC_YEAR]),
            True,
            [(overview_sql(one_year=True), public)],
            anonymous=True,
            goal="grows",
        ),
    ]
    assert [p.name for p in pages] == PAGE_NAMES
    return pages


def build_city_export(plan, planner) -> int:
    """The whole city's .xlsx as its background job writes it (the task's body, run here); the file's size."""
    from reports.exports import yearly_export_build
    from reports.models import ExportStatus, YearlyExport

    export = YearlyExport.objects.create(requested_by=planner, plan=plan, year=YEAR, format="xlsx")
    try:
        yearly_export_build(export.pk)
        export.refresh_from_db()
        if export.status != ExportStatus.DONE:
            raise SystemExit(f"the whole city's export {export.pk} ended {export.status}: {export.error}")
        return export.file.size
    finally:
        if export.file:
            export.file.delete(save=False)
        export.delete()


def clear_cache() -> None:
    from django.core.cache import caches

    for alias in caches:
        caches[alias].clear()


# --- HTTP through gunicorn -------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with the production configuration (config/gunicorn.conf.py: gthread workers,
    connections closed after each answer) and the bench settings against `database`, on
    127.0.0.1:<port>, started in its own process group and always stopped. `workers` and
    `threads` override the configuration's when given."""

    def __init__(self, port: int, database: str, workers: int | None, threads: int | None, log: Path):
        self.port, self.log = port, log
        self.cmd = [
            str(Path(sys.executable).with_name("gunicorn")),
            "--config",
            str(ROOT / "config" / "gunicorn.conf.py"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            *(["--workers", str(workers)] if workers else []),
            *(["--threads", str(threads)] if threads else []),
            "--timeout",
            "120",
            "--graceful-timeout",
            "10",
            "--access-logfile",
            str(log),
            "--error-logfile",
            str(log.with_suffix(".err")),
        ]
        self.env = bench_env(database)
        self.process = None

    def __enter__(self):
        import http.client

        self.process = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited ({self.process.returncode}); see {self.log.with_suffix('.err')}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/accounts/login/", headers={"X-Forwarded-Proto": "https"})
                if conn.getresponse().status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise SystemExit("gunicorn did not answer within 60 s")

    def stop(self):
        import signal

        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def __exit__(self, *exc):
        self.stop()


def measure_http(pages: list[Page], planner, repeat: int) -> list[dict]:
    """Each page through gunicorn (production settings, this database) with a plain HTTP client: the
    median time from sending the request to the last byte of the answer, of `repeat` runs after a
    warm-up (3 for a page slower than SLOW). The planning office is signed in by a session cookie
    (a session saved in the database, as signing in through the form would); anonymous pages are
    asked without it. The cold public page clears the cache before each run when the cache is
    shared with gunicorn (Redis); a per-process cache cannot be cleared from outside, and the
    cold runs are then left out."""
    import http.client

    from django.conf import settings
    from django.core.cache import caches
    from django.db import connection
    from django.test import Client

    client = Client()
    client.force_login(planner)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    shared_cache = all(
        "locmem" not in caches[a].__class__.__module__.lower() and "dummy" not in caches[a].__class__.__module__.lower()
        for a in caches
    )
    database = connection.settings_dict["NAME"]
    connection.close()
    port = free_port()
    log = Path(tempfile.gettempdir()) / f"kpi-bench-{port}.log"
    results = []
    with Server(port, database, workers=2, threads=2, log=log):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

        def get(page: Page) -> tuple[float, int, int]:
            headers = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1", "Accept-Encoding": "identity"}
            if not page.anonymous:
                headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={session}"
            started = time.perf_counter()
            conn.request("GET", page.url, headers=headers)
            response = conn.getresponse()
            body = response.read()
            return time.perf_counter() - started, response.status, len(body)

        for page in pages:
            if page.job:
                results.append({"name": page.name, "http_ms": None, "note": "background job"})
                continue
            if page.cold and not shared_cache:
                results.append({"name": page.name, "http_ms": None, "note": "per-process cache"})
                continue
            before = clear_cache if page.cold else (lambda: None)
            before()
            first, status, size = get(page)
            if status != 200:
                raise SystemExit(f"HTTP GET {page.url} → {status} (see {log.with_suffix('.err')})")
            runs = []
            for _ in range(min(repeat, 3) if first > SLOW else repeat):
                before()
                runs.append(get(page)[0])
            results.append({"name": page.name, "http_ms": statistics.median(runs) * 1000, "http_bytes": size})
    return results


def measure(size: int, repeat: int, out: str | None, part: str) -> None:
    """Measure one part (a page, the import, the diagnostics, the HTTP timings, or the counts and checks)."""
    plan, planner, department, indicator, params = setting_up(size)
    from django.test import Client

    if part == "http":
        data = measure_http(pages_of(department, indicator, params), planner, repeat)
    elif part.startswith("page"):
        page = pages_of(department, indicator, params)[int(part.removeprefix("page"))]
        client = Client()
        if not page.anonymous:
            client.force_login(planner)

        def call():
            if page.job:
                return build_city_export(plan, planner)
            response = client.get(page.url, secure=True)
            if response.status_code != 200:
                raise SystemExit(f"GET {page.url} → {response.status_code}")
            return consume(response)

        measured = measure_call(call, repeat, before=clear_cache if page.cold else None)
        raw = time_sql(page.statements, repeat)
        data = {
            "name": page.name,
            "grows": page.grows,
            "goal": page.goal or ("grows" if page.grows else "fixed"),
            **measured,
            "raw_ms": raw["ms"],
            "raw_rows": raw["rows"],
        }
    elif part == "import":
        page, raw, how = measure_import(plan, repeat)
        data = {"name": "Import of 1,000 progress rows", "grows": False, "goal": "import", **page, "raw_ms": raw["ms"]}
        data.update(raw_rows=raw["rows"], note=how)
    elif part == "parts":
        data = measure_parts(plan, planner, department, repeat)
    else:
        data = meta(plan, planner, params, department, indicator, size, repeat)
    if out:
        Path(out).write_text(json.dumps(data, ensure_ascii=False, default=str))


def meta(plan, planner, params, department, indicator, size: int, repeat: int) -> dict:
    from django.db import connection

    from kpi.models import Indicator, IndicatorKind, ProgressReport, ReportEvent, ReportStatus
    from plans.models import DepartmentPlan

    check = check_pages(plan, planner, params)
    counts = {
        "departments": DepartmentPlan.objects.filter(plan=plan).count(),
        "kpis": Indicator.objects.filter(department_plan__plan=plan, kind=IndicatorKind.KPI).count(),
        "indicators": Indicator.objects.filter(department_plan__plan=plan).count(),
        "reports": ProgressReport.objects.count(),
        "approved": ProgressReport.objects.filter(status=ReportStatus.APPROVED).count(),
        "events": ReportEvent.objects.count(),
        "db_size": None,
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        counts["db_size"] = cursor.fetchone()[0]
    return {
        "size": size,
        "counts": counts,
        "check": check,
        "department": department.name,
        "indicator": f"{indicator.code} {indicator.name}",
        "repeat": repeat,
    }


# --- Reporting -----------------------------------------------------------------------------------


def fmt_ms(ms: float) -> str:
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:.1f}"


def page_time(row: dict) -> tuple[float, bool]:
    """The time a goal is judged on: over HTTP where measured, else in-process (True: over HTTP)."""
    if row.get("http_ms") is not None:
        return row["http_ms"], True
    return row["ms"], False


def goals_of(rows: dict[int, dict], sizes: list[int]) -> str:
    """The goals of issue #15 for one page, judged at the largest size measured."""
    big = rows[sizes[-1]]
    t, over_http = page_time(big)
    where = "" if over_http else " (in-process)"
    out = []
    if len(sizes) > 1:
        out.append("queries equal " + ("✔" if len({rows[n]["queries"] for n in sizes}) == 1 else "✘"))
    limit, ratio = GOALS[big.get("goal") or ("grows" if big["grows"] else "fixed")]
    if limit is None:
        return ", ".join([*out, "background job: no time goal"])
    out.append(f"< {limit:,} ms{where} " + ("✔" if t < limit else "✘"))
    if ratio:
        out.append(f"≤ {ratio:.0f}× raw " + ("✔" if t <= ratio * big["raw_ms"] else "✘"))
    return ", ".join(out)


def markdown(results: dict, sizes: list[int], info: dict) -> str:
    large = sizes[-1]
    lines = []
    counts = {n: results[n]["counts"] for n in sizes}
    lines.append(
        "| N | departments | KPIs | indicators | reports (approved) | report events | database | generate_city |"
    )
    lines.append("|---|---|---|---|---|---|---|---|")
    for n in sizes:
        c = counts[n]
        seconds = results[n].get("seconds_to_generate")
        lines.append(
            f"| {n} | {c['departments']:,} | {c['kpis']:,} | {c['indicators']:,} | {c['reports']:,} "
            f"({c['approved']:,}) | {c['events']:,} | {c['db_size']} | " + (f"{seconds:.0f} s |" if seconds else "— |")
        )
    lines.append("")
    head = ["Page"] + [f"queries N={n}" for n in sizes] + [f"ms N={n}" for n in sizes]
    head += [f"HTTP ms N={n}" for n in sizes]
    head += [f"of which SQL N={large}", f"raw SQL ms N={large}", f"page ÷ raw N={large}", f"goals (N={large})"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for i, row in enumerate(results[sizes[0]]["pages"]):
        rows = {n: results[n]["pages"][i] for n in sizes}
        big = rows[large]
        cells = [row["name"] + (" (grows with N)" if row["grows"] else "")]
        cells += [f"{rows[n]['queries']:,}" for n in sizes]
        cells += [fmt_ms(rows[n]["ms"]) for n in sizes]
        cells += [fmt_ms(rows[n]["http_ms"]) if rows[n].get("http_ms") is not None else "—" for n in sizes]
        cells += [
            f"{fmt_ms(big['sql_ms'])} ({big['sql_ms'] / big['ms']:.0%})",
            fmt_ms(big["raw_ms"]),
            f"{page_time(big)[0] / big['raw_ms']:.1f}×",
            goals_of(rows, sizes),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if all("diagnostics" in results[n] for n in sizes):
        lines.append("")
        two = len(sizes) == 2
        lines.append(
            "| Part of a page (measured alone) | queries | "
            + " | ".join(f"ms N={n}" for n in sizes)
            + (f" | N={large} ÷ N={sizes[0]}" if two else "")
            + " |"
        )
        lines.append("|---|---|" + "---|" * len(sizes) + ("---|" if two else ""))
        for i, part in enumerate(results[sizes[0]]["diagnostics"]):
            big = results[large]["diagnostics"][i]
            row = f"| {part['name']} | {part['queries']} | " + " | ".join(
                fmt_ms(results[n]["diagnostics"][i]["ms"]) for n in sizes
            )
            if two:
                row += f" | {big['ms'] / part['ms']:.1f}×"
            lines.append(row + " |")
    notes = [r.get("note") for r in results[sizes[0]]["pages"] if r.get("note")]
    few = [
        f"{r['name']} at N={n}"
        for n in sizes
        for r in results[n]["pages"]
        if r.get("runs", results[n]["repeat"]) < results[n]["repeat"] and not r.get("note")
    ]
    no_http = sorted(
        {f"{r['name']} ({r['http_note']})" for n in sizes for r in results[n]["pages"] if r.get("http_note")}
    )
    lines.append("")
    lines.append(
        f"Measured {info['date']} on {info['cores']} cores ({info['cpu'] or 'unknown CPU'}), {info['memory_gib']} GiB, "
        f"PostgreSQL {info['postgresql']}, Python {info['python']}; load average "
        f"{info['load_before'][0]:.1f} before and {info['load_after'][0]:.1f} after the run (the machine was shared), "
        f"{info['seconds'] / 60:.1f} minutes in all. "
        + ("Each page was measured at every size back to back. " if len(sizes) > 1 else "")
        + f"In-process: median of {results[sizes[0]]['repeat']} runs after a warm-up; 3 runs for pages whose "
        f"warm-up took over {SLOW:.0f} s ({', '.join(few) or 'none'}) and for the import. HTTP: gunicorn (config/gunicorn.conf.py "
        f"with 2 gthread workers × 2 threads, each connection closed after its answer; the production settings, "
        f"kept-open database connections) on 127.0.0.1, a plain HTTP client, time to the last byte, median of {results[sizes[0]]['repeat']} "
        f"after a warm-up (3 for pages over {SLOW:.0f} s)"
        + (f"; not over HTTP: {', '.join(no_http)}" if no_http else "")
        + ". Page ÷ raw and the time goals use the HTTP time where there is one. Department page and exports: "
        f"{results[large]['department']}; KPI page: {results[large]['indicator']}. Check: {results[large]['check']}."
    )
    for note in notes:
        lines.append(f"Import: {note}.")
    return "\n".join(lines)


def write_doc(table: str) -> None:
    text = DOC.read_text() if DOC.exists() else "# Performance\n\n" + START + "\n" + END + "\n"
    if START not in text:
        text += "\n" + START + "\n" + END + "\n"
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    DOC.write_text(before + START + "\n" + table + "\n" + END + after)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 500], help="departments (default 20 500)")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per page (default 7)")
    parser.add_argument("--seed", type=int, default=114)
    parser.add_argument("--reuse", action="store_true", help="measure the kpi_bench_<N> databases as they are")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/performance.md")
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    parser.add_argument("--part", choices=PARTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.repeat, args.json, args.part or "meta")
    else:
        orchestrate(args)


if __name__ == "__main__":
    main()
