"""Roll-ups aggregated in SQL from the stored assessments (`kpi.models.StoredAssessment`).

One grouped query gives, for each year and group (the city, each department, objective,
goal or dimension, or each department's common indicators), the count of each light and
the weighted sum of capped scores. `kpi.attainment.from_totals` turns those totals into a
`RollUp` with the one rounding rule, so a roll-up read here equals the one
`kpi.assessments.plan_years_attainment` computes in Python (tests/test_stored_assessments.py
checks it after random writes).

Which basis a KPI-year shows is decided here, by the day: the year in progress shows its
period status where it has one (`by_period`), every other year its year status.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import BigIntegerField, Case, Count, F, Q, Sum, When
from django.db.models.functions import Coalesce

from common import dates
from common.years import to_roc
from kpi.assessments import thresholds_for
from kpi.attainment import Light, RollUp, from_totals
from kpi.models import IndicatorKind, StoredAssessment
from plans.models import Plan

CITY = "city"
GROUPS = {
    CITY: None,
    "department": "indicator__department_plan__department_id",
    "objective": "indicator__objective_id",
    "goal": "indicator__objective__goal_id",
    "dimension": "indicator__objective__dimension",
    "common": "indicator__department_plan__department_id",
}
E6 = Decimal(1_000_000)  # capped (ten-thousandths) × weight (hundredths)
E2 = Decimal(100)


def shown(today: datetime.date | None = None) -> dict:
    """The annotations of the status people see: `light` and `capped` (ten-thousandths)."""
    current = to_roc((today or dates.today()).year)
    by_period = Q(year=current, by_period=True)
    return {
        "light": Case(When(by_period, then=F("period_light")), default=F("year_light")),
        "capped": Case(
            When(by_period, then=F("period_capped_e4")), default=F("year_capped_e4"), output_field=BigIntegerField()
        ),
    }


def stored_rows(
    *,
    plan: Plan,
    years: Iterable[int],
    kind: str = IndicatorKind.KPI,
    department_ids: Iterable[int] | None = None,
    dimension: str = "",
    today: datetime.date | None = None,
):
    """The stored rows of the plan's indicators of `kind` for `years`, with the shown status annotated."""
    rows = StoredAssessment.objects.filter(
        indicator__department_plan__plan=plan, indicator__kind=kind, year__in=list(years)
    )
    if department_ids is not None:
        rows = rows.filter(indicator__department_plan__department_id__in=list(department_ids))
    if dimension:
        rows = rows.filter(indicator__objective__dimension=dimension)
    return rows.annotate(**shown(today))


def stored_rollups(
    *,
    plan: Plan,
    years: Iterable[int],
    by: str,
    department_ids: Iterable[int] | None = None,
    dimension: str = "",
    today: datetime.date | None = None,
) -> dict[int, dict[object, RollUp]]:
    """year → group key → RollUp, in one grouped query.

    `by`: "city" (key "city"), "department", "objective", "goal", "dimension" (their
    KPIs), or "common" (department id → its common indicators, reported beside the
    KPIs). `dimension` narrows to one dimension's objectives. A group with no KPI-year
    has no key.
    """
    if by not in GROUPS:
        raise ValueError(f"by must be one of {sorted(GROUPS)}, not {by!r}")
    years = list(years)
    kind = IndicatorKind.COMMON if by == "common" else IndicatorKind.KPI
    rows = stored_rows(
        plan=plan, years=years, kind=kind, department_ids=department_ids, dimension=dimension, today=today
    )
    key_field = GROUPS[by]
    if by == "goal":
        rows = rows.filter(indicator__objective__goal__isnull=False)
    group_fields = ["year"] + ([key_field] if key_field else [])
    scored = Q(capped__isnull=False)
    totals = (
        rows.values(*group_fields)
        .annotate(
            weight=Coalesce(Sum("weight_e2", filter=scored), 0),
            weighted=Coalesce(
                Sum(F("capped") * F("weight_e2"), filter=scored, output_field=BigIntegerField()),
                0,
                output_field=BigIntegerField(),
            ),
            **{light.value: Count("pk", filter=Q(light=light.value)) for light in Light},
        )
        .order_by()
    )
    thresholds = thresholds_for(plan)
    out: dict[int, dict[object, RollUp]] = {year: {} for year in years}
    for row in totals:
        key = row[key_field] if key_field else CITY
        out[row["year"]][key] = from_totals(
            counts={light: row[light.value] for light in Light},
            weight=Decimal(row["weight"]) / E2,
            weighted_sum=Decimal(row["weighted"]) / E6,
            thresholds=thresholds,
        )
    return out


# --- At risk, counted from the stored rows -----------------------------------------------


@dataclass(frozen=True)
class RiskFacts:
    """What `kpi.rollups.risk_kind` needs about a KPI-year of the year in progress."""

    judged: bool  # it has a target and is not excluded: judged against its plan
    approved_end: datetime.date | None  # the end of the period of its figure of record
    behind: bool | None  # its status is yellow or red (None: no figure of record)
    pending_end: datetime.date | None  # the end of the period of the newest figure awaiting review
    pending_behind: bool | None  # approving that figure would leave it behind


BEHIND = ("yellow", "red")


def risk_kind(facts: RiskFacts, due_end: datetime.date | None, due_locked: bool) -> tuple[bool, str | None]:
    """(overdue, "behind" | "catching_up" | None): the at-risk rule, for the lists and the counts.

    - overdue: nothing submitted or approved for the last due period or later (unless that
      period is locked);
    - behind: judged against its plan, and its status is yellow or red, or nothing is
      approved although a report is due, or a newer figure awaiting review is behind;
    - catching up: behind on the approved figure, but the newer figure awaiting review is on pace.
    A newer figure counts only when its period ends after the approved one's.
    """
    newer = facts.pending_end is not None and (facts.approved_end is None or facts.pending_end > facts.approved_end)
    pending_behind = facts.pending_behind if newer else None
    overdue = False
    if due_end is not None and not due_locked:
        filed = (facts.approved_end is not None and facts.approved_end >= due_end) or (
            newer and facts.pending_end >= due_end
        )
        overdue = not filed
    if not facts.judged:
        return overdue, None
    if facts.behind is None and not (facts.approved_end is None and due_end is not None):
        return overdue, None
    approved_behind = facts.behind is None or facts.behind
    if approved_behind or pending_behind:
        catching_up = approved_behind and pending_behind is False
        return overdue, "catching_up" if catching_up else "behind"
    return overdue, None


@dataclass
class RiskCounts:
    behind: int = 0
    catching_up: int = 0
    overdue: int = 0


def stored_risk_counts(
    *,
    plan: Plan,
    year: int,
    due_end: datetime.date | None,
    due_locked: bool,
    department_ids: Iterable[int] | None = None,
    today: datetime.date | None = None,
) -> dict[int, RiskCounts]:
    """department id → how many of its indicators are behind, catching up or overdue in `year`. One query."""
    counts: dict[int, RiskCounts] = defaultdict(RiskCounts)
    rows = StoredAssessment.objects.filter(indicator__department_plan__plan=plan, year=year)
    if department_ids is not None:
        rows = rows.filter(indicator__department_plan__department_id__in=list(department_ids))
    rows = rows.annotate(**shown(today)).values_list(
        "indicator__department_plan__department_id",
        "by_period",
        "report__period__end_date",
        "light",
        "pending_report__period__end_date",
        "pending_light",
    )
    for department_id, by_period, approved_end, light, pending_end, pending_light in rows:
        facts = RiskFacts(
            judged=by_period,
            approved_end=approved_end,
            behind=(light in BEHIND) if approved_end is not None else None,
            pending_end=pending_end,
            pending_behind=(pending_light in BEHIND) if pending_end is not None else None,
        )
        overdue, kind = risk_kind(facts, due_end, due_locked)
        tally = counts[department_id]
        tally.overdue += overdue
        if kind == "behind":
            tally.behind += 1
        elif kind == "catching_up":
            tally.catching_up += 1
    return counts
