"""Seed a plan from its structured fixture (`fixtures/*.json`).

Seeding is idempotent and never clobbers edits: rows are looked up by their natural
keys (plan name + first year, department name, numbers within their parent) and
only created when missing. Targets go through `kpi.services.target_set`, so each
seeded target has its first entry on the record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from kpi import stored
from kpi.models import Indicator, IndicatorKind, TargetRevision, YearlyTarget
from kpi.services import periods_ensure, target_set
from plans.models import CommonGoal, Department, DepartmentPlan, Goal, ObjectiveItem, Plan, StrategicObjective

DEFAULT_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "keelung-111-114.json"
SEED_REASON = "依計畫書核定版建檔"


@dataclass
class SeedResult:
    created: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, created: bool) -> None:
        self.created[name] = self.created.get(name, 0) + (1 if created else 0)

    @property
    def total_created(self) -> int:
        return sum(self.created.values())


def load_fixture(path: Path | str = DEFAULT_FIXTURE) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


@transaction.atomic
def seed_plan(data: dict) -> tuple[Plan, SeedResult]:
    with stored.deferred():  # each KPI-year's stored assessment is computed once, at the end
        return _seed_plan(data)


def _seed_plan(data: dict) -> tuple[Plan, SeedResult]:
    result = SeedResult()
    p = data["plan"]
    plan, created = Plan.objects.get_or_create(
        name=p["name"],
        start_year=p["start_year"],
        defaults={
            **{k: p[k] for k in ("end_year", "edition", "published_year", "published_month")},
            # Not in the plan's text: how the city reviews reports (Keelung: 初核, then 研考複核).
            "review_stages": p.get("review_stages", 1),
        },
    )
    result.add("plans", created)

    dept_plans = {}
    for d in data["departments"]:
        department, created = Department.objects.get_or_create(name=d["name"])
        result.add("departments", created)
        dept_plans[d["name"]], created = DepartmentPlan.objects.get_or_create(
            plan=plan,
            department=department,
            defaults={"toc_number": d["toc_number"], "toc_label": d["toc_label"], "page": d.get("page")},
        )
        result.add("department plans", created)

    for dp_data in data.get("department_plans", []):
        _seed_department_plan(dept_plans[dp_data["department"]], dp_data, result)
    before = plan.periods.count()
    result.created["reporting periods"] = len(periods_ensure(plan=plan)) - before
    return plan, result


TEXT_FIELDS = (
    "mission",
    "vision",
    "vision_statement",
    "results_review",
    "situation_analysis",
    "priority_issues",
    "four_year_focus",
)


def _seed_department_plan(dp: DepartmentPlan, data: dict, result: SeedResult) -> None:
    # Narrative text is filled in where it is still empty, never overwritten.
    changed = [f for f in TEXT_FIELDS if not getattr(dp, f) and data.get(f)]
    for f in changed:
        setattr(dp, f, data[f])
    if changed:
        dp.save(update_fields=changed)

    goals = {}
    for g in data.get("goals", []):
        goals[g["name"]], created = Goal.objects.get_or_create(
            department_plan=dp, number=g["number"], defaults={"name": g["name"]}
        )
        result.add("goals", created)

    for o in data.get("objectives", []):
        objective, created = StrategicObjective.objects.get_or_create(
            department_plan=dp,
            number=o["number"],
            defaults={
                "name": o["name"],
                "dimension": o["dimension"],
                "goal": goals.get(o.get("goal")),
                "goal_inferred": o.get("goal_inferred", False),
                "summary": o.get("summary", ""),
            },
        )
        result.add("objectives", created)
        for item in o.get("items", []):
            _, created = ObjectiveItem.objects.get_or_create(
                objective=objective,
                number=item["number"],
                defaults={"title": item["title"], "description": item.get("description", "")},
            )
            result.add("objective items", created)
        for k in o.get("kpis", []):
            _seed_indicator(dp, k, result, kind=IndicatorKind.KPI, objective=objective)

    for cg in data.get("common_goals", []):
        common_goal, created = CommonGoal.objects.get_or_create(
            department_plan=dp,
            number=cg["number"],
            defaults={"name": cg["name"], "dimension": cg["dimension"], "description": cg.get("description", "")},
        )
        result.add("common goals", created)
        for ind in cg.get("indicators", []):
            _seed_indicator(dp, ind, result, kind=IndicatorKind.COMMON, common_goal=common_goal)


def _seed_indicator(dp, data, result, *, kind, objective=None, common_goal=None) -> None:
    lookup = {"objective": objective} if kind == IndicatorKind.KPI else {"common_goal": common_goal}
    indicator = Indicator.objects.filter(kind=kind, number=data["number"], **lookup).first()
    result.add("indicators", indicator is None)
    if indicator is None:
        indicator = Indicator(
            department_plan=dp,
            kind=kind,
            number=data["number"],
            name=data["name"],
            evaluation_arrangement=data["evaluation_arrangement"],
            evaluation_method=data["evaluation_method"],
            measurement_standard=data["measurement_standard"],
            unit=data["unit"],
            direction=data.get("direction", "higher"),
            weight=data.get("weight", 1),
            formula=data.get("formula", ""),
            accrual=data.get("accrual", "cumulative"),
            **lookup,
        )
        indicator.full_clean()
        indicator.save()
    existing_years = set(YearlyTarget.objects.filter(indicator=indicator).values_list("year", flat=True))
    for year, value in data.get("targets", {}).items():
        if int(year) in existing_years:
            result.add("targets", False)
            continue
        target_set(
            indicator=indicator,
            year=int(year),
            value=str(value),
            reason=SEED_REASON,
            source=TargetRevision.Source.SEED,
        )
        result.add("targets", True)
