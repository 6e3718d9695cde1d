"""Read-only endpoints for the plan hierarchy.

Plan structure is public information (the plan document is published), so any
signed-in user may read all of it; progress against it is scoped by `kpi.access`
in the report and attainment endpoints.
"""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import generics

from common.api.base import (
    DETAIL_ERRORS,
    ID_PATH,
    LIST_ERRORS,
    ApiMixin,
    FilterBackend,
    Pagination,
    StrictOrderingFilter,
)
from plans.api import filters
from plans.api import serializers as s
from plans.models import CommonGoal, Department, DepartmentPlan, Goal, Plan, StrategicObjective


class ListView(ApiMixin, generics.ListAPIView):
    pagination_class = Pagination
    filter_backends = [FilterBackend, StrictOrderingFilter]


# --- Plans ------------------------------------------------------------------------------------


def plans():
    return Plan.objects.prefetch_related("published_years")


@extend_schema(responses={200: s.PlanSerializer(many=True), **LIST_ERRORS})
class PlanListView(ListView):
    """Medium-term plans (中程施政計畫), newest first, with their years, thresholds and published years."""

    serializer_class = s.PlanSerializer
    filterset_class = filters.PlanFilter
    ordering_fields = {"start_year": "start_year", "name": "name", "id": "id"}
    ordering = ["-start_year", "name"]

    def get_queryset(self):
        return plans()


@extend_schema(parameters=[ID_PATH], responses={200: s.PlanSerializer, **DETAIL_ERRORS})
class PlanDetailView(ApiMixin, generics.RetrieveAPIView):
    serializer_class = s.PlanSerializer

    def get_queryset(self):
        return plans()


# --- Departments ------------------------------------------------------------------------------


@extend_schema(responses={200: s.DepartmentSerializer(many=True), **LIST_ERRORS})
class DepartmentListView(ListView):
    """Departments (機關) and where each stands in each plan's table of contents."""

    serializer_class = s.DepartmentSerializer
    filterset_class = filters.DepartmentFilter
    ordering_fields = {"name": "name", "id": "id"}
    ordering = ["name"]

    def get_queryset(self):
        department_plans = DepartmentPlan.objects.order_by("plan_id", "toc_number")
        return Department.objects.prefetch_related(Prefetch("department_plans", queryset=department_plans))


def department_plans():
    return DepartmentPlan.objects.select_related("department")


@extend_schema(responses={200: s.DepartmentPlanSerializer(many=True), **LIST_ERRORS})
class DepartmentPlanListView(ListView):
    """Each department's part of a plan, in the order of the plan's table of contents."""

    serializer_class = s.DepartmentPlanSerializer
    filterset_class = filters.DepartmentPlanFilter
    ordering_fields = {"toc_number": ("plan_id", "toc_number"), "id": "id"}
    ordering = ["plan_id", "toc_number"]

    def get_queryset(self):
        return department_plans()


@extend_schema(parameters=[ID_PATH], responses={200: s.DepartmentPlanDetailSerializer, **DETAIL_ERRORS})
class DepartmentPlanDetailView(ApiMixin, generics.RetrieveAPIView):
    """A department plan with its mission, vision, narrative sections, goals, objectives and common goals."""

    serializer_class = s.DepartmentPlanDetailSerializer

    def get_queryset(self):
        return department_plans().prefetch_related(
            Prefetch("goals", queryset=Goal.objects.order_by("number")),
            Prefetch("objectives", queryset=StrategicObjective.objects.order_by("number")),
            Prefetch("common_goals", queryset=CommonGoal.objects.order_by("number")),
        )


# --- Goals, objectives, common goals -------------------------------------------------------------


def _indicator_ids():
    # The indicators are kpi's: read them through the reverse relation kpi adds, so that
    # plans does not import the app above it (the layers contract in pyproject.toml).
    indicator = StrategicObjective._meta.get_field("indicators").related_model
    return Prefetch(
        "indicators", queryset=indicator.objects.only("id", "objective_id", "common_goal_id").order_by("number")
    )


def goals():
    objectives = Prefetch("objectives", queryset=StrategicObjective.objects.only("id", "goal_id").order_by("number"))
    return Goal.objects.select_related("department_plan").prefetch_related(objectives)


def objectives():
    return StrategicObjective.objects.select_related("department_plan").prefetch_related("items", _indicator_ids())


def common_goals():
    return CommonGoal.objects.select_related("department_plan").prefetch_related(_indicator_ids())


IN_PLAN_ORDER = ["department_plan__plan_id", "department_plan__toc_number", "number"]
IN_PLAN_ORDERING = {"number": tuple(IN_PLAN_ORDER), "name": "name", "id": "id"}


@extend_schema(responses={200: s.GoalSerializer(many=True), **LIST_ERRORS})
class GoalListView(ListView):
    """Goals (目標) under each department's vision."""

    serializer_class = s.GoalSerializer
    filterset_class = filters.GoalFilter
    ordering_fields = IN_PLAN_ORDERING
    ordering = IN_PLAN_ORDER

    def get_queryset(self):
        return goals()


@extend_schema(parameters=[ID_PATH], responses={200: s.GoalSerializer, **DETAIL_ERRORS})
class GoalDetailView(ApiMixin, generics.RetrieveAPIView):
    serializer_class = s.GoalSerializer

    def get_queryset(self):
        return goals()


@extend_schema(responses={200: s.ObjectiveSerializer(many=True), **LIST_ERRORS})
class ObjectiveListView(ListView):
    """Strategic objectives (關鍵策略目標) with their sub-items and KPI ids."""

    serializer_class = s.ObjectiveSerializer
    filterset_class = filters.ObjectiveFilter
    ordering_fields = IN_PLAN_ORDERING
    ordering = IN_PLAN_ORDER

    def get_queryset(self):
        return objectives()


@extend_schema(parameters=[ID_PATH], responses={200: s.ObjectiveSerializer, **DETAIL_ERRORS})
class ObjectiveDetailView(ApiMixin, generics.RetrieveAPIView):
    serializer_class = s.ObjectiveSerializer

    def get_queryset(self):
        return objectives()


@extend_schema(responses={200: s.CommonGoalSerializer(many=True), **LIST_ERRORS})
class CommonGoalListView(ListView):
    """Common goals (共同性目標) with their common indicators' ids."""

    serializer_class = s.CommonGoalSerializer
    filterset_class = filters.CommonGoalFilter
    ordering_fields = IN_PLAN_ORDERING
    ordering = IN_PLAN_ORDER

    def get_queryset(self):
        return common_goals()


@extend_schema(parameters=[ID_PATH], responses={200: s.CommonGoalSerializer, **DETAIL_ERRORS})
class CommonGoalDetailView(ApiMixin, generics.RetrieveAPIView):
    serializer_class = s.CommonGoalSerializer

    def get_queryset(self):
        return common_goals()
