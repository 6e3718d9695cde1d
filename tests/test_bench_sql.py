"""The scale benchmark's raw SQL returns the pages' own figures (bench/benchmark.py, issue #15).

"Page ÷ raw SQL" only means something if the hand-written SQL computes what the page
shows. The benchmark checks it on every run (`check_pages`); this test runs the same check
on a small generated city, so that a change of the status rules that the SQL does not
follow fails here, not only in the next benchmark run. PostgreSQL only: the SQL uses
DISTINCT ON, GROUPING SETS and generate_series.
"""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from bench import benchmark
from plans.models import Plan, PublishedYear

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the benchmark's SQL is PostgreSQL's")

TODAY = datetime.date(2025, 12, 28)  # bench/settings.py: 114 is the year in progress


@pytest.fixture
def city(seeded_plan, settings):
    settings.KPI_TODAY = TODAY
    call_command("generate_city", departments=3, stdout=StringIO())
    plan = Plan.objects.get(name="合成城市中程施政計畫")
    return plan, *benchmark.parameters(plan, 3)[1:]


@postgresql_only
def test_raw_sql_equals_the_pages_for_kpis_and_common_indicators(city):
    plan, planner, _, _, params = city
    assert PublishedYear.objects.filter(plan=plan, year=benchmark.PUBLIC_YEAR).exists()
    verdict = benchmark.check_pages(plan, planner, params)
    assert verdict.startswith("raw SQL = page for all 3 departments, KPIs and common indicators")


@postgresql_only
def test_the_check_catches_sql_that_skips_a_rule(city, monkeypatch):
    """Without the year-end rule the common indicators judged at year end come out coloured, not white."""
    plan, planner, _, _, params = city
    rule = "WHEN i.accrual = 'year_end' AND l.number < %(periods)s THEN NULL"
    assert rule in benchmark.SCORED
    monkeypatch.setattr(benchmark, "SCORED", benchmark.SCORED.replace(rule, ""))
    with pytest.raises(SystemExit, match="common indicators"):
        benchmark.check_pages(plan, planner, params)


def test_the_export_sql_aggregates_with_group_by_and_no_correlated_subquery():
    sql = benchmark.export_sql(False)
    assert "GROUP BY v.target_id" in sql and "GROUP BY r.indicator_id" in sql
    assert "WHERE v.target_id = t.id" not in sql and "er.indicator_id = i.id" not in sql


def page(*, goal, queries=10, ms=50.0, http_ms=None):
    """A page's measurements as the benchmark records them."""
    return {"name": "page", "goal": goal, "grows": goal != "fixed", "queries": queries, "ms": ms, "http_ms": http_ms}


def test_goals_are_judged_at_the_largest_size_over_http_where_measured():
    def verdict(small, large):
        return benchmark.goals_of({20: small, 500: large}, [20, 500])

    fixed = page(goal="fixed", http_ms=80)
    assert verdict(fixed, {**fixed, "http_ms": 99}) == "queries equal ✔, < 100 ms ✔"
    assert verdict(fixed, {**fixed, "http_ms": 120, "ms": 50}) == "queries equal ✔, < 100 ms ✘"
    assert verdict(fixed, {**fixed, "queries": 11}).startswith("queries equal ✘")
    slow = {**page(goal="grows", ms=500, http_ms=900), "raw_ms": 400}
    assert verdict(slow, slow) == "queries equal ✔, < 1,000 ms ✔, ≤ 3× raw ✔"
    assert verdict(slow, {**slow, "raw_ms": 200}).endswith("≤ 3× raw ✘")
    queue = {**page(goal="queue", ms=250), "raw_ms": 5}
    assert verdict(queue, queue) == "queries equal ✔, < 300 ms (in-process) ✔"


def test_the_tables_are_written_between_the_markers(tmp_path, monkeypatch):
    doc = tmp_path / "performance.md"
    doc.write_text(f"intro\n{benchmark.START}\nold table\n{benchmark.END}\nprose\n")
    monkeypatch.setattr(benchmark, "DOC", doc)
    benchmark.write_doc("new table")
    assert doc.read_text() == f"intro\n{benchmark.START}\nnew table\n{benchmark.END}\nprose\n"
