"""The plan hierarchy as the API shows it: ROC years, ids for links, labels beside codes."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from plans.models import (
    COMMON_GOAL_DIMENSIONS,
    CommonGoal,
    Department,
    DepartmentPlan,
    Goal,
    ObjectiveItem,
    Plan,
    PublishedYear,
    StrategicObjective,
)


class PublishedYearSerializer(serializers.ModelSerializer):
    class Meta:
        model = PublishedYear
        fields = ["year", "published_at", "note"]
        read_only_fields = fields


class PlanSerializer(serializers.ModelSerializer):
    """A medium-term plan (中程施政計畫) and the settings that judge its progress."""

    years = serializers.ListField(child=serializers.IntegerField(), read_only=True, help_text="ROC years.")
    reporting_frequency_label = serializers.CharField(source="get_reporting_frequency_display", read_only=True)
    green_threshold = serializers.DecimalField(
        max_digits=6, decimal_places=2, coerce_to_string=False, read_only=True, help_text="Green (met) from, in %."
    )
    yellow_threshold = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        coerce_to_string=False,
        read_only=True,
        help_text="Yellow (partly met) from, in %.",
    )
    published_years = PublishedYearSerializer(
        many=True, read_only=True, help_text="Years whose approved results are published."
    )

    class Meta:
        model = Plan
        fields = [
            "id",
            "name",
            "start_year",
            "end_year",
            "years",
            "edition",
            "published_year",
            "published_month",
            "reporting_frequency",
            "reporting_frequency_label",
            "report_due_days",
            "green_threshold",
            "yellow_threshold",
            "published_years",
        ]
        read_only_fields = fields


class DepartmentPlanSummarySerializer(serializers.ModelSerializer):
    has_content = serializers.BooleanField(read_only=True, help_text="Whether the plan's text has been entered.")

    class Meta:
        model = DepartmentPlan
        fields = ["id", "plan", "toc_number", "toc_label", "page", "has_content"]
        read_only_fields = fields


class DepartmentSerializer(serializers.ModelSerializer):
    department_plans = DepartmentPlanSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Department
        fields = ["id", "name", "short_name", "department_plans"]
        read_only_fields = fields


class DepartmentRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name", "short_name"]
        read_only_fields = fields


class GoalRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Goal
        fields = ["id", "number", "name"]
        read_only_fields = fields


class ObjectiveRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = StrategicObjective
        fields = ["id", "number", "name", "goal", "dimension"]
        read_only_fields = fields


def common_dimension():
    # Inline, so that the two dimension sets (objectives', common goals') do not share an enum name.
    return extend_schema_field({"type": "string", "enum": [d.value for d in COMMON_GOAL_DIMENSIONS]})(
        serializers.CharField(read_only=True)
    )


class CommonGoalRefSerializer(serializers.ModelSerializer):
    dimension = common_dimension()

    class Meta:
        model = CommonGoal
        fields = ["id", "number", "name", "dimension"]
        read_only_fields = fields


class DepartmentPlanSerializer(serializers.ModelSerializer):
    """A department's part of a plan (機關中程施政計畫), as listed."""

    department = DepartmentRefSerializer(read_only=True)
    has_content = serializers.BooleanField(read_only=True)

    class Meta:
        model = DepartmentPlan
        fields = ["id", "plan", "department", "toc_number", "toc_label", "page", "vision", "has_content"]
        read_only_fields = fields


class DepartmentPlanDetailSerializer(DepartmentPlanSerializer):
    """With the mission, vision and the narrative sections (貳), and the plan's structure."""

    goals = GoalRefSerializer(many=True, read_only=True)
    objectives = ObjectiveRefSerializer(many=True, read_only=True)
    common_goals = CommonGoalRefSerializer(many=True, read_only=True)

    class Meta(DepartmentPlanSerializer.Meta):
        fields = [
            *DepartmentPlanSerializer.Meta.fields,
            "mission",
            "vision_statement",
            "results_review",
            "situation_analysis",
            "priority_issues",
            "four_year_focus",
            "goals",
            "objectives",
            "common_goals",
        ]
        read_only_fields = fields


class GoalSerializer(serializers.ModelSerializer):
    """目標: a department's goal; `objectives` are the ids of the objectives that serve it."""

    department = serializers.IntegerField(source="department_plan.department_id", read_only=True)
    plan = serializers.IntegerField(source="department_plan.plan_id", read_only=True)
    objectives = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Goal
        fields = ["id", "plan", "department_plan", "department", "number", "name", "objectives"]
        read_only_fields = fields


class ObjectiveItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ObjectiveItem
        fields = ["id", "number", "title", "description"]
        read_only_fields = fields


class ObjectiveSerializer(serializers.ModelSerializer):
    """關鍵策略目標 with its numbered sub-items and the ids of its KPIs."""

    department = serializers.IntegerField(source="department_plan.department_id", read_only=True)
    plan = serializers.IntegerField(source="department_plan.plan_id", read_only=True)
    dimension_label = serializers.CharField(source="get_dimension_display", read_only=True)
    items = ObjectiveItemSerializer(many=True, read_only=True)
    indicators = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = StrategicObjective
        fields = [
            "id",
            "plan",
            "department_plan",
            "department",
            "goal",
            "goal_inferred",
            "number",
            "name",
            "dimension",
            "dimension_label",
            "summary",
            "items",
            "indicators",
        ]
        read_only_fields = fields


class CommonGoalSerializer(serializers.ModelSerializer):
    """共同性目標 and the ids of its common indicators."""

    dimension = common_dimension()
    department = serializers.IntegerField(source="department_plan.department_id", read_only=True)
    plan = serializers.IntegerField(source="department_plan.plan_id", read_only=True)
    dimension_label = serializers.CharField(source="get_dimension_display", read_only=True)
    indicators = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = CommonGoal
        fields = [
            "id",
            "plan",
            "department_plan",
            "department",
            "number",
            "name",
            "dimension",
            "dimension_label",
            "description",
            "indicators",
        ]
        read_only_fields = fields
