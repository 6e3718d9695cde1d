"""The import of 1,000 progress rows on PostgreSQL: time and query count, drafts and submissions.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kpi_bench_20 .venv/bin/python bench/imports.py
    .venv/bin/python bench/imports.py --database kpi_bench_500 --repeat 5

Needs a database that `manage.py generate_city` filled (see bench/README.md). The rows,
the file and the importing user are bench/benchmark.py's (`import_rows`, `import_file`:
1,000 KPI × period slots of 114 Q2–Q4 of the first departments, the same rows at every
N). Each run empties those slots first (untimed), imports the CSV through
`kpi.importers.import_reports` — as drafts, then as submissions (which also notify the
reviewers) — and rolls everything back, so the database stays as generated.
`bench/benchmark.py` measures the drafts alone (its "import" part); this script adds the
submissions and can be run on its own while working on the import.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(*, submit: bool, repeat: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from bench.benchmark import SqlClock, import_file, import_rows
    from kpi import importers
    from kpi.models import Evidence, ProgressReport, ReportEvent
    from plans.models import Membership, Plan, Role

    rows = import_rows(Plan.objects.get())
    pairs = {(k.id, p.id) for k, p in rows}
    data = import_file(rows)

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

    def timed() -> tuple[float, float, int]:
        clock = SqlClock()
        with transaction.atomic():
            user = setup()
            with connection.execute_wrapper(clock):
                started = time.perf_counter()
                result = importers.import_reports(data, "bench-import.csv", user=user, submit=submit)
                elapsed = time.perf_counter() - started
            if not result.applied or result.created != len(rows):
                errors = [str(e) for r in result.error_rows[:5] for e in r.errors] + result.file_errors
                raise SystemExit(f"The import did not go through: {errors}")
            transaction.set_rollback(True)
        return elapsed, clock.seconds, clock.count

    timed()  # warm-up
    runs = [timed() for _ in range(repeat)]
    return {
        "rows": len(rows),
        "queries": runs[0][2],
        "ms": statistics.median(r[0] for r in runs) * 1000,
        "sql_ms": statistics.median(r[1] for r in runs) * 1000,
        "runs": len(runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", help="a PostgreSQL database on 127.0.0.1 (default: DATABASE_URL)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.database:
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    print(f"database {connection.settings_dict['NAME']}, median of {args.repeat} runs after a warm-up")
    for submit in (False, True):
        m = measure(submit=submit, repeat=args.repeat)
        print(
            f"import of {m['rows']:,} rows as {'submissions' if submit else 'drafts'}: "
            f"{m['ms']:,.0f} ms ({m['sql_ms']:,.0f} ms in SQL), {m['queries']:,} queries"
        )


if __name__ == "__main__":
    main()
