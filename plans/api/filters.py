"""Query-parameter filters of the plan endpoints (explicit fields; bad values are a 400)."""

from __future__ import annotations

import django_filters

from common.api.filters import choice_filter, id_filter, year_filter
from plans.models import (
    COMMON_GOAL_DIMENSIONS,
    OBJECTIVE_DIMENSIONS,
    CommonGoal,
    Department,
    DepartmentPlan,
    Goal,
    Plan,
    StrategicObjective,
)


class PlanFilter(django_filters.FilterSet):
    year = year_filter("year", "Plans that cover this ROC year, e.g. 112.")

    class Meta:
        model = Plan
        fields = ["year"]

    def filter_queryset(self, queryset):
        year = self.form.cleaned_data.get("year")
        if year is not None:
            queryset = queryset.filter(start_year__lte=year, end_year__gte=year)
        return queryset


class DepartmentFilter(django_filters.FilterSet):
    plan = id_filter("department_plans__plan_id", "Departments that take part in this plan (id).")

    class Meta:
        model = Department
        fields = ["plan"]


class DepartmentPlanFilter(django_filters.FilterSet):
    plan = id_filter("plan_id", "Plan id.")
    department = id_filter("department_id", "Department id.")

    class Meta:
        model = DepartmentPlan
        fields = ["plan", "department"]


class _InDepartmentPlan(django_filters.FilterSet):
    plan = id_filter("department_plan__plan_id", "Plan id.")
    department_plan = id_filter("department_plan_id", "Department plan id.")
    department = id_filter("department_plan__department_id", "Department id.")


class GoalFilter(_InDepartmentPlan):
    class Meta:
        model = Goal
        fields = ["plan", "department_plan", "department"]


class ObjectiveFilter(_InDepartmentPlan):
    goal = id_filter("goal_id", "Goal id.")
    dimension = choice_filter("dimension", [(d.value, d.label) for d in OBJECTIVE_DIMENSIONS], "Dimension.")

    class Meta:
        model = StrategicObjective
        fields = ["plan", "department_plan", "department", "goal", "dimension"]


class CommonGoalFilter(_InDepartmentPlan):
    dimension = choice_filter("dimension", [(d.value, d.label) for d in COMMON_GOAL_DIMENSIONS], "Dimension.")

    class Meta:
        model = CommonGoal
        fields = ["plan", "department_plan", "department", "dimension"]
