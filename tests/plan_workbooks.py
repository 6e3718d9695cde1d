"""Helpers of the plan workbook's tests (tests/test_plan_workbook*.py): workbooks, edits, what a plan holds."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from common.spreadsheets import writing
from kpi.models import Indicator, StoredAssessment, TargetRevision, YearlyTarget
from kpi.plan_workbook import export
from plans.models import CommonGoal, Department, DepartmentPlan, Goal, ObjectiveItem, StrategicObjective
from tests.conftest import HOME


def home_department_plan(seeded_plan) -> DepartmentPlan:
    return DepartmentPlan.objects.select_related("plan", "department").get(plan=seeded_plan, department__name=HOME)


def new_department_plan(seeded_plan) -> DepartmentPlan:
    """A new department with its (empty) part in the same plan."""
    department = Department.objects.create(name="測試發展處")
    return DepartmentPlan.objects.create(plan=seeded_plan, department=department, toc_number=21, toc_label="貳拾壹")


def workbook_bytes(department_plan, fmt="xlsx") -> bytes:
    return writing.render(fmt, export.sheets(department_plan.plan, department_plan))


def edited(data: bytes, edit) -> bytes:
    """The xlsx `data` with `edit(book)` applied."""
    book = load_workbook(io.BytesIO(data))
    edit(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def snapshot(department_plan) -> dict:
    """Everything a plan workbook carries, by natural keys (never ids)."""
    dp = DepartmentPlan.objects.get(pk=department_plan.pk)
    indicator_fields = (
        "kind",
        "objective__number",
        "common_goal__number",
        "number",
        "name",
        "evaluation_arrangement",
        "evaluation_method",
        "measurement_standard",
        "unit",
        "direction",
        "weight",
        "accrual",
        "formula",
    )
    order = ("kind", "objective__number", "common_goal__number", "number")
    return {
        "texts": (
            dp.mission,
            dp.vision,
            dp.vision_statement,
            dp.results_review,
            dp.situation_analysis,
            dp.priority_issues,
            dp.four_year_focus,
        ),
        "goals": list(Goal.objects.filter(department_plan=dp).order_by("number").values_list("number", "name")),
        "objectives": list(
            StrategicObjective.objects.filter(department_plan=dp)
            .order_by("number")
            .values_list("number", "name", "dimension", "goal__name", "goal__number", "goal_inferred", "summary")
        ),
        "items": list(
            ObjectiveItem.objects.filter(objective__department_plan=dp)
            .order_by("objective__number", "number")
            .values_list("objective__number", "number", "title", "description")
        ),
        "common_goals": list(
            CommonGoal.objects.filter(department_plan=dp)
            .order_by("number")
            .values_list("number", "name", "dimension", "description")
        ),
        "indicators": list(
            Indicator.objects.filter(department_plan=dp).order_by(*order).values_list(*indicator_fields)
        ),
        "targets": list(
            YearlyTarget.objects.filter(indicator__department_plan=dp)
            .order_by(*(f"indicator__{f}" for f in order), "year")
            .values_list(*(f"indicator__{f}" for f in order), "year", "value", "original_value", "excluded_reason")
        ),
    }


def row_counts() -> tuple:
    return (
        Goal.objects.count(),
        StrategicObjective.objects.count(),
        ObjectiveItem.objects.count(),
        CommonGoal.objects.count(),
        Indicator.objects.count(),
        YearlyTarget.objects.count(),
        TargetRevision.objects.count(),
        StoredAssessment.objects.count(),
        tuple(
            DepartmentPlan.objects.order_by("pk").values_list("mission", "vision", "results_review", "four_year_focus")
        ),
    )
