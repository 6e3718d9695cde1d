"""The dashboards' parameters: which year, which filters, which departments. Which plan is
`plans.selectors.plan_choice`'s question (?plan=, else the plan in force)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from common import dates
from common.years import to_roc
from kpi import access
from kpi.attainment import Light
from kpi.selectors import year_from_param
from plans.models import OBJECTIVE_DIMENSIONS, DepartmentPlan, Plan

DIMENSION_CHOICES = [(d.value, d.label) for d in OBJECTIVE_DIMENSIONS]


@dataclass(frozen=True)
class Filters:
    year: int
    dimension: str = ""
    light: str = ""

    @property
    def dimension_label(self) -> str:
        return str(dict(DIMENSION_CHOICES).get(self.dimension, ""))

    @property
    def light_label(self) -> str:
        return Light(self.light).label if self.light else ""

    @property
    def active(self) -> bool:
        return bool(self.dimension or self.light)


def filters_from(plan: Plan, params) -> Filters:
    dimension = params.get("dimension", "")
    light = params.get("light", "")
    return Filters(
        year=year_from_param(plan, params.get("year")),
        dimension=dimension if dimension in dict(DIMENSION_CHOICES) else "",
        light=light if light in Light._value2member_map_ else "",
    )


def year_in_progress(year: int, today: datetime.date | None = None) -> bool:
    """The year is not over yet: its actuals are year-to-date figures."""
    return year >= to_roc((today or dates.today()).year)


def visible_department_plans(user, plan: Plan, department_id=None) -> list[DepartmentPlan]:
    """The plan's departments the user may view, in the order of the plan's table of contents."""
    qs = DepartmentPlan.objects.filter(plan=plan).select_related("department").order_by("toc_number")
    ids = access.department_ids_for(user, access.VIEW)
    if ids is not None:
        qs = qs.filter(department_id__in=ids)
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    return list(qs)
