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
