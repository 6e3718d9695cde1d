"""Check or rebuild the stored assessments (`kpi.stored`); exit 1 when --check finds drift.

    manage.py assessments --check              # compare every row with a computation from scratch
    manage.py assessments --check --plan 3     # one plan
    manage.py assessments --rebuild            # rewrite every row, in one transaction

The rows are written with every change that moves them, so --check should always find
nothing; it is for operators after a restore, a manual SQL fix or an upgrade, and for a
nightly monitoring check (exit status 0 all well, 1 drift found), e.g.

    45 2 * * *  cd /srv/kpi && .venv/bin/python manage.py assessments --check

--rebuild rewrites the rows from the rule (`kpi.attainment`) and prints how many it wrote.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from kpi import stored
from plans.models import Plan

SHOWN = 20  # drifted rows printed; the count is always whole


class Command(BaseCommand):
    help = "Check (--check) or rebuild (--rebuild) the stored per-KPI-year assessments; --check exits 1 on drift."

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--check", action="store_true", help="Compare the rows with a computation from scratch.")
        action.add_argument("--rebuild", action="store_true", help="Rewrite every row from scratch.")
        parser.add_argument("--plan", type=int, help="Only this plan (its id).")

    def handle(self, *args, check=False, rebuild=False, plan=None, **options):
        chosen = None
        if plan is not None:
            chosen = Plan.objects.filter(pk=plan).first()
            if chosen is None:
                raise CommandError(f"No plan with id {plan}.")
        started = time.monotonic()
        if rebuild:
            written = stored.rebuild(chosen)
            self.stdout.write(f"Rebuilt {written} stored assessments in {time.monotonic() - started:.1f} s.")
            return
        drift = stored.check(chosen)
        if not drift:
            self.stdout.write(
                f"No drift: every stored assessment equals its computation ({time.monotonic() - started:.1f} s)."
            )
            return
        self.stdout.write(f"{len(drift)} stored assessments differ from their computation:")
        for item in drift[:SHOWN]:
            self.stdout.write(f"  indicator {item.indicator_id}, year {item.year}: {item.problem}")
            if item.stored is not None and item.fresh is not None:
                for name in item.problem.split(", "):
                    self.stdout.write(f"    {name}: stored {item.stored[name]!r}, computed {item.fresh[name]!r}")
        if len(drift) > SHOWN:
            self.stdout.write(f"  … and {len(drift) - SHOWN} more.")
        self.stdout.write("Run `manage.py assessments --rebuild` to rewrite them.")
        raise SystemExit(1)
