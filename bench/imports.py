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
    from django.db import connection, transaction

    from bench.benchmark import SqlClock, import_file, import_rows, import_setup
    from kpi import importers
    from plans.models import Plan

    rows = import_rows(Plan.objects.get())
    data = import_file(rows)

    def setup():
        return import_setup(rows)

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
