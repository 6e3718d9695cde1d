"""The stored assessments (`kpi.models.StoredAssessment`): written with every change that moves them.

A KPI-year's row is computed by the one rule (`kpi.assessments.status_of`, through
`Inputs.status`) and written in the same transaction as the change, so a roll-up read
from the table (`kpi.rollups`) always equals the one computed from scratch:

- the write services move them through the models they save: a report submitted,
  approved, returned or reopened for correction, a correction resolved, a target, a
  planned value or an exclusion set, an indicator's direction, unit, weight, accrual or
  formula changed, a plan's thresholds or years changed. The receivers in `kpi.signals`
  call `touch` for the KPI-years each save moves; admin and django-import-export save
  through the same models and are caught alike.
- `touch` refreshes at once, or, inside `deferred()`, once for the whole block (an import
  or a grid of many rows refreshes each KPI-year once, at the end, still inside the
  block's transaction).
- writes that send no signal (`bulk_create`, `QuerySet.update`) call `touch` themselves;
  `manage.py generate_city` calls `rebuild`.

`check` finds drift (a row that differs from a fresh computation, a missing or an extra
row) and `rebuild` rewrites every row: `manage.py assessments --check / --rebuild`.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from kpi import assessments
from kpi.assessments import PERIOD, of_record
from kpi.attainment import Assessment
from kpi.models import Indicator, ProgressReport, ReportStatus, StoredAssessment
from plans.models import Plan

E4 = Decimal(10_000)
E2 = Decimal(100)
VALUE_FIELDS = (
    "weight_e2",
    "report",
    "year_capped_e4",
    "year_light",
    "by_period",
    "period_capped_e4",
    "period_light",
    "planned_to_date",
    "pending_report",
    "pending_light",
)
CHUNK = 500  # indicators computed at once by `rebuild` and `check`

_local = threading.local()


def _e4(assessment: Assessment) -> int | None:
    # A capped score has exactly the rule's 4 places: the integer is exact.
    return None if assessment.capped is None else int(assessment.capped * E4)


def _pending(indicator_ids: list[int], years: list[int]) -> dict[tuple[int, int], ProgressReport]:
    """The newest submitted report of each KPI-year that is not of record (one query)."""
    reports = (
        ProgressReport.objects.filter(
            indicator_id__in=indicator_ids, period__year__in=years, status=ReportStatus.SUBMITTED
        )
        .exclude(of_record())
        .select_related("period")
        .order_by("indicator_id", "-period__end_date", "-id")
    )
    newest: dict[tuple[int, int], ProgressReport] = {}
    for report in reports:
        newest.setdefault((report.indicator_id, report.period.year), report)
    return newest


def compute(plan: Plan, years: Iterable[int], indicator_ids: Iterable[int] | None = None) -> list[StoredAssessment]:
    """Fresh rows for the plan's indicators (or some of them) and `years`, unsaved. Five queries."""
    years = sorted(y for y in set(years) if plan.contains_year(y))
    if not years:
        return []
    inputs = assessments.load_inputs(plan=plan, years=years, indicator_ids=indicator_ids)
    pending = _pending([i.id for i in inputs.indicators], years)
    rows = []
    for indicator in inputs.indicators:
        weight_e2 = int(indicator.weight * E2)
        for year in years:
            # The status while the year is in progress carries both bases: `.year` is the
            # year basis (what an ended year shows), `.assessment` the period basis.
            status = inputs.status(indicator, year, in_progress=True)
            waiting = pending.get((indicator.id, year))
            waiting_light = (
                inputs.status(indicator, year, in_progress=True, report=waiting).assessment.light if waiting else ""
            )
            rows.append(
                StoredAssessment(
                    indicator_id=indicator.id,
                    year=year,
                    weight_e2=weight_e2,
                    report=inputs.reports.get((indicator.id, year)),
                    year_capped_e4=_e4(status.year),
                    year_light=str(status.year.light),
                    by_period=status.basis == PERIOD,
                    period_capped_e4=_e4(status.assessment),
                    period_light=str(status.assessment.light),
                    planned_to_date=status.planned_to_date,
                    pending_report=waiting,
                    pending_light=str(waiting_light),
                )
            )
    return rows


def _write(rows: list[StoredAssessment]) -> None:
    if rows:
        StoredAssessment.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["indicator", "year"],
            update_fields=list(VALUE_FIELDS),
            batch_size=1000,
        )


def refresh(pairs: Iterable[tuple[int, int]]) -> int:
    """Recompute and write the rows of these (indicator id, year) pairs; returns how many were written.

    Years outside the indicator's plan have no row. Seven queries for a plan (plus two).
    """
    pairs = {(int(i), int(y)) for i, y in pairs}
    if not pairs:
        return 0
    plan_of = dict(Indicator.objects.filter(id__in={i for i, _ in pairs}).values_list("id", "department_plan__plan_id"))
    written = 0
    with transaction.atomic():
        for plan in Plan.objects.filter(id__in=set(plan_of.values())):
            mine = {(i, y) for i, y in pairs if plan_of.get(i) == plan.id}
            rows = [
                r
                for r in compute(plan, {y for _, y in mine}, indicator_ids={i for i, _ in mine})
                if (r.indicator_id, r.year) in mine
            ]
            _write(rows)
            written += len(rows)
    return written


def touch(pairs: Iterable[tuple[int, int]]) -> None:
    """These KPI-years have moved: refresh them now, or at the end of the enclosing `deferred()` block."""
    waiting = getattr(_local, "waiting", None)
    if waiting is not None:
        waiting.update(pairs)
    else:
        refresh(pairs)


def touch_indicators(indicator_ids: Iterable[int]) -> None:
    """Every year of these indicators' plans has moved (a direction, a weight, a plan's thresholds)."""
    rows = Indicator.objects.filter(id__in=list(indicator_ids)).values_list(
        "id", "department_plan__plan__start_year", "department_plan__plan__end_year"
    )
    touch((i, y) for i, start, end in rows for y in range(start, end + 1))


@contextmanager
def deferred() -> Iterator[None]:
    """Refresh what a block of writes moves once, when the block ends without an error.

    Use it inside the block's transaction (``with transaction.atomic(), stored.deferred():``)
    so the rows are written before it commits. Nested blocks join the outermost one.
    """
    if getattr(_local, "waiting", None) is not None:
        yield
        return
    _local.waiting = waiting = set()
    try:
        yield
    finally:
        _local.waiting = None
    # Not reached when the block raised; and a block whose transaction is marked to roll
    # back (a service that refused and called set_rollback) writes nothing either.
    if not (transaction.get_connection().in_atomic_block and transaction.get_rollback()):
        refresh(waiting)


def batched(function):
    """Run a service inside `deferred()`: put it under the service's `transaction.atomic`."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with deferred():
            return function(*args, **kwargs)

    return wrapper


# --- For operators: find drift, rebuild ----------------------------------------------


@dataclass(frozen=True)
class Drift:
    indicator_id: int
    year: int
    problem: str  # "missing", "extra" or the names of the fields that differ
    stored: dict | None = None
    fresh: dict | None = None


def _values(row: StoredAssessment) -> dict:
    values = {
        name: getattr(row, f"{name}_id" if name in ("report", "pending_report") else name) for name in VALUE_FIELDS
    }
    if values["planned_to_date"] is not None:
        values["planned_to_date"] = Decimal(values["planned_to_date"]).normalize()
    return values


def _fresh_chunks(plans: Iterable[Plan]) -> Iterator[list[StoredAssessment]]:
    for plan in plans:
        ids = list(Indicator.objects.filter(department_plan__plan=plan).order_by("id").values_list("id", flat=True))
        for start in range(0, len(ids), CHUNK):
            yield compute(plan, plan.years, indicator_ids=ids[start : start + CHUNK])


def _plans(plan: Plan | None) -> list[Plan]:
    return [plan] if plan is not None else list(Plan.objects.order_by("id"))


def check(plan: Plan | None = None) -> list[Drift]:
    """Every difference between the stored rows and a computation from scratch (none: no drift)."""
    drift: list[Drift] = []
    plans = _plans(plan)
    seen: set[tuple[int, int]] = set()
    for fresh_rows in _fresh_chunks(plans):
        ids = {r.indicator_id for r in fresh_rows}
        stored = {(r.indicator_id, r.year): r for r in StoredAssessment.objects.filter(indicator_id__in=ids)}
        for row in fresh_rows:
            key = (row.indicator_id, row.year)
            seen.add(key)
            old = stored.get(key)
            if old is None:
                drift.append(Drift(*key, "missing", None, _values(row)))
                continue
            new_values, old_values = _values(row), _values(old)
            differs = [name for name in VALUE_FIELDS if new_values[name] != old_values[name]]
            if differs:
                drift.append(Drift(*key, ", ".join(differs), old_values, new_values))
    extra = StoredAssessment.objects.filter(indicator__department_plan__plan__in=plans)
    for indicator_id, year in extra.values_list("indicator_id", "year"):
        if (indicator_id, year) not in seen:
            drift.append(Drift(indicator_id, year, "extra"))
    return drift


def rebuild(plan: Plan | None = None) -> int:
    """Rewrite every row (of one plan, or all) from scratch, in one transaction; returns the rows written."""
    written = 0
    plans = _plans(plan)
    with transaction.atomic():
        for rows in _fresh_chunks(plans):
            _write(rows)
            written += len(rows)
        for p in plans:
            StoredAssessment.objects.filter(indicator__department_plan__plan=p).exclude(
                year__gte=p.start_year, year__lte=p.end_year
            ).delete()
    return written


def fill_missing() -> int:
    """Write the rows of KPI-years that have none (after `migrate` on a database with plans)."""
    if not Indicator.objects.exists():
        return 0
    have = set(StoredAssessment.objects.values_list("indicator_id", "year"))
    rows = Indicator.objects.values_list("id", "department_plan__plan__start_year", "department_plan__plan__end_year")
    missing = [(i, y) for i, start, end in rows for y in range(start, end + 1) if (i, y) not in have]
    return refresh(missing)
