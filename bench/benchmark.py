"""The scale benchmark: the same pages at N = 20 and N = 500 departments, on PostgreSQL.

    .venv/bin/python bench/benchmark.py                 # seed both sizes, measure, write docs/performance.md
    .venv/bin/python bench/benchmark.py --reuse         # measure the databases a previous run left
    .venv/bin/python bench/benchmark.py --sizes 20      # one size only (docs are not rewritten)

For each size N it (re)creates the database kpi_bench_<N> on 127.0.0.1:5432 (user
postgres, trust authentication), migrates it (once, into a template database), and
fills it with `manage.py generate_city --departments N` (N × 都市發展處: 20 KPIs, 3
common indicators, four years of quarterly reports). Then it measures in-process, with
Django's test Client and the production settings (bench/settings.py: DEBUG off,
PostgreSQL, "today" 2025-12-28 so that 114 is the year in progress), one subprocess
per page and size, each page at both sizes back to back so that a shared machine's
changing load weighs on both alike:

- the city overview, a department page, a KPI page, the indicator-list API for one
  department and for the whole city, the yearly-report Excel download for one
  department and for the city, and the import of 1,000 progress rows;
- for each: the number of SQL queries (CaptureQueriesContext), the median server time
  of --repeat runs after a warm-up, and how much of it was spent waiting for SQL;
- for each: a hand-written SQL query (or a few) that returns the numbers the page
  shows, timed with a cursor, and the ratio page time ÷ raw SQL time. The overview's
  raw SQL is checked against the page's own figures, so "the same numbers" is tested,
  not assumed.

Then it prints a Markdown table and, when both sizes were measured, rewrites the
generated part of docs/performance.md (between the `benchmark:start/end` markers).
The databases are kept for bench/load.py. The whole run takes about 8 minutes on a
quiet 2-core machine, a third of it generating the N = 500 city.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
TEMPLATE_DB = "kpi_bench_template"
USER_PASSWORD = "bench-city-114"  # of the generated users, in the kpi_bench_* databases only
YEAR = 114
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
        results[size] = {
            **parts[size]["meta"],
            "pages": [parts[size][p] for p in PARTS if p.startswith("page") or p == "import"],
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


def measure_call(fn, repeat: int) -> dict:
    """Warm up, count the queries of one call, then time `repeat` calls: medians of total and SQL time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started = time.perf_counter()
    fn()
    if time.perf_counter() - started > SLOW:
        repeat = min(repeat, 3)  # keeps the N = 500 run within its time budget
    with CaptureQueriesContext(connection) as queries:
        size = fn()
    count = len(queries)  # now: the log is cleared by the requests that follow
    totals, sqls = [], []
    for _ in range(repeat):
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


# The latest approved report of each indicator-year: the year's actual.
LATEST = """
latest AS (
    SELECT DISTINCT ON (r.indicator_id, p.year) r.indicator_id, p.year, r.actual, r.id AS report_id
    FROM kpi_progressreport r
    JOIN kpi_reportingperiod p ON p.id = r.period_id
    WHERE r.status = 'approved' AND p.plan_id = %(plan)s {year_filter} {department_filter}
    ORDER BY r.indicator_id, p.year, p.end_date DESC, r.id DESC
)"""

ONE_DEPARTMENT = """AND r.indicator_id IN (
        SELECT i.id FROM kpi_indicator i JOIN plans_departmentplan dp ON dp.id = i.department_plan_id
        WHERE dp.plan_id = %(plan)s AND dp.department_id = %(department)s)"""

# Raw attainment (percent, 4 places, None when white) of each indicator-year, as kpi.attainment.assess.
SCORED = """
scored AS (
    SELECT dp.department_id, i.id AS indicator_id, i.kind, i.objective_id, o.goal_id, o.dimension,
           t.year, i.weight,
           ROUND(CASE
               WHEN t.excluded_reason <> '' OR l.actual IS NULL THEN NULL
               WHEN i.direction = 'higher' THEN
                   CASE WHEN t.value > 0 THEN GREATEST(l.actual, 0) * 100 / t.value END
               WHEN l.actual <= t.value THEN 100
               WHEN t.value > 0 THEN t.value * 100 / l.actual
               ELSE 0
           END, 4) AS raw
    FROM kpi_indicator i
    JOIN plans_departmentplan dp ON dp.id = i.department_plan_id
    LEFT JOIN plans_strategicobjective o ON o.id = i.objective_id
    JOIN kpi_yearlytarget t ON t.indicator_id = i.id {target_filter}
    LEFT JOIN latest l ON l.indicator_id = i.id AND l.year = t.year
    WHERE dp.plan_id = %(plan)s {department_filter}
)"""

LIGHTS = """
    ROUND(SUM(LEAST(raw, 100) * weight) FILTER (WHERE raw IS NOT NULL)
          / NULLIF(SUM(weight) FILTER (WHERE raw IS NOT NULL), 0), 4) AS score,
    COUNT(*) FILTER (WHERE raw >= %(green)s) AS green,
    COUNT(*) FILTER (WHERE raw >= %(yellow)s AND raw < %(green)s) AS yellow,
    COUNT(*) FILTER (WHERE raw < %(yellow)s) AS red,
    COUNT(*) FILTER (WHERE raw IS NULL) AS white"""


def overview_sql() -> str:
    """Every department's KPI score and light counts for every plan year, the city's, and the common indicators'."""
    return (
        "WITH"
        + LATEST.format(year_filter="", department_filter="")
        + ","
        + SCORED.format(target_filter="", department_filter="")
        + f"""
SELECT kind, department_id, year, {LIGHTS}
FROM scored
GROUP BY GROUPING SETS ((kind, department_id, year), (kind, year))
"""
    )


def department_sql() -> str:
    """One department: each indicator-year, and the roll-ups by objective, goal, dimension and department."""
    return (
        "WITH"
        + LATEST.format(year_filter="", department_filter=ONE_DEPARTMENT)
        + ","
        + SCORED.format(target_filter="", department_filter="AND dp.department_id = %(department)s")
        + f"""
SELECT kind, indicator_id, objective_id, goal_id, dimension, year, {LIGHTS}
FROM scored
GROUP BY GROUPING SETS ((kind, indicator_id, year), (kind, objective_id, year), (kind, goal_id, year),
                        (kind, dimension, year), (kind, year))
"""
    )


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
    """The yearly report's rows: each indicator's target (and revisions), actual, attainment, texts, evidence."""
    where = "AND dp.department_id = %(department)s" if one_department else ""
    return (
        "WITH"
        + LATEST.format(year_filter="AND p.year = %(year)s", department_filter=ONE_DEPARTMENT if one_department else "")
        + f"""
SELECT d.name, dp.toc_number, i.kind, i.number, i.name, i.unit, i.direction, i.evaluation_arrangement,
       i.evaluation_method, o.number, o.name, o.dimension, g.name, cg.number, cg.name,
       t.value, t.original_value, t.excluded_reason,
       (SELECT string_agg(v.old_value || '→' || v.new_value || ' ' || v.reason || ' ' || coalesce(u.username, ''),
                          '；' ORDER BY v.changed_at, v.id)
          FROM kpi_targetrevision v LEFT JOIN auth_user u ON u.id = v.changed_by_id
         WHERE v.target_id = t.id AND v.source <> 'seed') AS revisions,
       r.actual, r.inputs, r.narrative, r.shortfall_reason, r.improvement_plan, p.number AS period,
       CASE WHEN t.excluded_reason <> '' OR r.actual IS NULL THEN NULL
            WHEN i.direction = 'higher' THEN CASE WHEN t.value > 0 THEN GREATEST(r.actual, 0) * 100 / t.value END
            WHEN r.actual <= t.value THEN 100 WHEN t.value > 0 THEN t.value * 100 / r.actual ELSE 0 END AS raw,
       (SELECT string_agg(coalesce(nullif(e.original_name, ''), e.url), '、' ORDER BY e.uploaded_at, e.id)
          FROM kpi_evidence e JOIN kpi_progressreport er ON er.id = e.report_id
          JOIN kpi_reportingperiod ep ON ep.id = er.period_id
         WHERE er.indicator_id = i.id AND ep.year = %(year)s AND e.removed_at IS NULL) AS evidence
FROM kpi_indicator i
JOIN plans_departmentplan dp ON dp.id = i.department_plan_id
JOIN plans_department d ON d.id = dp.department_id
LEFT JOIN plans_strategicobjective o ON o.id = i.objective_id
LEFT JOIN plans_goal g ON g.id = o.goal_id
LEFT JOIN plans_commongoal cg ON cg.id = i.common_goal_id
LEFT JOIN kpi_yearlytarget t ON t.indicator_id = i.id AND t.year = %(year)s
LEFT JOIN latest l ON l.indicator_id = i.id
LEFT JOIN kpi_progressreport r ON r.id = l.report_id
LEFT JOIN kpi_reportingperiod p ON p.id = r.period_id
WHERE dp.plan_id = %(plan)s {where}
ORDER BY dp.toc_number, i.kind DESC, o.number, cg.number, i.number"""
    )


def check_overview(plan, planner, params) -> str:
    """The raw SQL's department scores must be the page's (reports.selectors.overview)."""
    from decimal import Decimal

    from django.db import connection

    from reports import selectors

    data = selectors.overview(planner, plan, selectors.Filters(year=YEAR))
    page = {row.department_plan.department_id: row.rollup for row in data.rows}
    with connection.cursor() as cursor:
        cursor.execute(overview_sql(), params)
        sql = {
            dep: (score, green, yellow, red, white)
            for kind, dep, year, score, green, yellow, red, white in cursor.fetchall()
            if kind == "kpi" and year == YEAR and dep is not None
        }
        # The department page's query, for the department measured: its (kind, year) total.
        cursor.execute(department_sql(), params)
        department_total = next(
            row[6:]
            for row in cursor.fetchall()
            if row[0] == "kpi"
            and row[5] == YEAR
            and row[1] is None
            and row[2] is None
            and row[3] is None
            and row[4] is None
        )

    def same(found, rollup) -> bool:
        score, *counts = found
        same_score = (score is None and rollup.score is None) or (
            score is not None and rollup.score is not None and abs(Decimal(score) - rollup.score) < Decimal("0.001")
        )
        return same_score and [rollup.counts[k] for k in ("green", "yellow", "red", "white")] == counts

    mismatches = sum(1 for dep, rollup in page.items() if not same(sql[dep], rollup))
    if not same(department_total, page[params["department"]]):
        mismatches += 1
    if mismatches:
        raise SystemExit(f"The raw SQL disagrees with the pages for {mismatches} departments.")
    return f"raw SQL = page for all {len(page)} departments (overview) and for the department page"


IMPORT_NARRATIVE = "匯入：本季依計畫進度辦理。"


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
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from kpi.models import Evidence, ProgressReport, ReportEvent
    from plans.models import Membership, Role

    rows = import_rows(plan)
    pairs = {(k.id, p.id) for k, p in rows}
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
                    "updated_at, review_comment) SELECT v.i, v.p, 'draft', v.a::numeric, '{}', v.n, '', '', 1, "
                    "%s, now(), %s, now(), '' FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[]) "
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
            lambda: queues.work_for(planner, count_reviews_only=True),
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


PAGES = 7  # the pages measured with the test Client; then "import", "parts" and "meta"
PARTS = [*(f"page{i}" for i in range(PAGES)), "import", "parts", "meta"]


def measure(size: int, repeat: int, out: str | None, part: str) -> None:
    """Measure one part (a page, the import, the diagnostics, or the counts and checks) of one size."""
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()

    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from kpi.models import Indicator, IndicatorKind
    from plans.models import DepartmentPlan, Plan

    plan = Plan.objects.get()
    planner = get_user_model().objects.get(username="city-planner")
    client = Client()
    client.force_login(planner)
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
        "department": department.id,
        "indicator": indicator.id,
        "green": plan.green_threshold,
        "yellow": plan.yellow_threshold,
    }

    def get(url):
        def call():
            response = client.get(url, secure=True)
            if response.status_code != 200:
                raise SystemExit(f"GET {url} → {response.status_code}")
            return consume(response)

        return call

    download = reverse("reports:yearly_download")
    pages = [
        ("City overview", True, get(f"{reverse('reports:overview')}?year={YEAR}"), [(overview_sql(), params)]),
        (
            "Department page",
            False,
            get(f"{reverse('reports:department', args=[department.id])}?year={YEAR}"),
            [(department_sql(), params)],
        ),
        (
            "KPI page",
            False,
            get(f"{reverse('kpi:detail', args=[indicator.id])}?year={YEAR}"),
            [(sql, params) for sql in kpi_sql()],
        ),
        (
            "Indicator API, one department",
            False,
            get(f"/api/v1/indicators/?department={department.id}"),
            [(api_sql(True), params)],
        ),
        ("Indicator API, whole city", True, get("/api/v1/indicators/"), [(api_sql(False), params)]),
        (
            "Yearly report .xlsx, one department",
            False,
            get(f"{download}?format=xlsx&year={YEAR}&department={department.id}"),
            [(export_sql(True), params)],
        ),
        (
            "Yearly report .xlsx, whole city",
            True,
            get(f"{download}?format=xlsx&year={YEAR}"),
            [(export_sql(False), params)],
        ),
    ]
    assert len(pages) == PAGES
    if part.startswith("page"):
        name, grows, call, statements = pages[int(part.removeprefix("page"))]
        page = measure_call(call, repeat)
        raw = time_sql(statements, repeat)
        data = {"name": name, "grows": grows, **page, "raw_ms": raw["ms"], "raw_rows": raw["rows"]}
    elif part == "import":
        page, raw, how = measure_import(plan, repeat)
        data = {"name": "Import of 1,000 progress rows", "grows": False, **page, "raw_ms": raw["ms"]}
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

    check = check_overview(plan, planner, params)
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


def markdown(results: dict, sizes: list[int], info: dict) -> str:
    small, large = sizes[0], sizes[-1]
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
    two = len(sizes) == 2
    head = ["Page", f"queries N={small}"] + ([f"queries N={large}"] if two else [])
    head += [f"ms N={small}"] + ([f"ms N={large}", f"N={large} ÷ N={small}"] if two else [])
    head += [f"of which SQL N={large}", f"raw SQL ms N={large}", f"page ÷ raw N={small}"]
    head += [f"page ÷ raw N={large}"] if two else []
    head += ["goals"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for i, row in enumerate(results[small]["pages"]):
        big = results[large]["pages"][i]
        cells = [row["name"] + (" (grows with N)" if row["grows"] else ""), f"{row['queries']:,}"]
        if two:
            cells.append(f"{big['queries']:,}")
        cells.append(fmt_ms(row["ms"]))
        growth = big["ms"] / row["ms"] if row["ms"] else 0
        if two:
            cells += [fmt_ms(big["ms"]), f"{growth:.2f}×"]
        cells += [
            f"{fmt_ms(big['sql_ms'])} ({big['sql_ms'] / big['ms']:.0%})",
            fmt_ms(big["raw_ms"]),
            f"{row['ms'] / row['raw_ms']:.1f}×",
        ]
        if two:
            cells.append(f"{big['ms'] / big['raw_ms']:.1f}×")
        goals = []
        if two:
            goals.append("queries equal ✔" if row["queries"] == big["queries"] else "queries equal ✘")
            if not row["grows"]:
                goals.append("≤ 1.5× ✔" if growth <= 1.5 else "≤ 1.5× ✘")
        ratio_ok = all(r["ms"] <= 3 * r["raw_ms"] for r in (row, big))
        goals.append("≤ 3× raw ✔" if ratio_ok else "≤ 3× raw ✘")
        cells.append(", ".join(goals))
        lines.append("| " + " | ".join(cells) + " |")
    if all("diagnostics" in results[n] for n in sizes):
        lines.append("")
        lines.append(
            "| Part of a page (measured alone) | queries | "
            + " | ".join(f"ms N={n}" for n in sizes)
            + (f" | N={large} ÷ N={small}" if two else "")
            + " |"
        )
        lines.append("|---|---|" + "---|" * len(sizes) + ("---|" if two else ""))
        for i, part in enumerate(results[small]["diagnostics"]):
            big = results[large]["diagnostics"][i]
            row = f"| {part['name']} | {part['queries']} | " + " | ".join(
                fmt_ms(results[n]["diagnostics"][i]["ms"]) for n in sizes
            )
            if two:
                row += f" | {big['ms'] / part['ms']:.1f}×"
            lines.append(row + " |")
    notes = [r.get("note") for r in results[small]["pages"] if r.get("note")]
    few = [
        f"{r['name']} at N={n}"
        for n in sizes
        for r in results[n]["pages"]
        if r.get("runs", results[n]["repeat"]) < results[n]["repeat"] and not r.get("note")
    ]
    lines.append("")
    lines.append(
        f"Measured {info['date']} on {info['cores']} cores ({info['cpu'] or 'unknown CPU'}), {info['memory_gib']} GiB, "
        f"PostgreSQL {info['postgresql']}, Python {info['python']}; load average "
        f"{info['load_before'][0]:.1f} before and {info['load_after'][0]:.1f} after the run (the machine was shared), "
        f"{info['seconds'] / 60:.1f} minutes in all. "
        + ("Each page was measured at both sizes back to back. " if two else "")
        + f"Median of {results[small]['repeat']} runs after a warm-up; 3 runs for pages whose warm-up took "
        f"over {SLOW:.0f} s ({', '.join(few) or 'none'}) and for the import. Department page and exports: "
        f"{results[large]['department']}; KPI page: {results[large]['indicator']}. Overview check: "
        f"{results[large]['check']}."
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
