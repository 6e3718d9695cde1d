from rest_framework import serializers

from kpi.models import Indicator, IndicatorKind


class TargetSerializer(serializers.Serializer):
    year = serializers.IntegerField(help_text="ROC year (民國年), e.g. 111 for 2022.")
    value = serializers.DecimalField(max_digits=14, decimal_places=4, coerce_to_string=False)


class IndicatorSerializer(serializers.ModelSerializer):
    """An indicator as open data: stable field names, ROC years, targets as numbers."""

    department = serializers.CharField(source="department_plan.department.name")
    goal = serializers.SerializerMethodField()
    objective = serializers.SerializerMethodField()
    dimension = serializers.SerializerMethodField()
    code = serializers.CharField(read_only=True)
    targets = serializers.SerializerMethodField()

    class Meta:
        model = Indicator
        fields = [
            "id",
            "kind",
            "department",
            "goal",
            "objective",
            "dimension",
            "code",
            "name",
            "evaluation_arrangement",
            "evaluation_method",
            "measurement_standard",
            "unit",
            "direction",
            "weight",
            "formula",
            "targets",
        ]

    def get_goal(self, obj) -> str | None:
        if obj.kind == IndicatorKind.KPI and obj.objective.goal_id:
            return obj.objective.goal.name
        return None

    def get_objective(self, obj) -> str:
        return obj.parent.name

    def get_dimension(self, obj) -> str:
        return obj.parent.dimension

    def get_targets(self, obj) -> list[dict]:
        year = self.context.get("year")
        return [{"year": t.year, "value": t.value} for t in obj.targets.all() if year is None or t.year == year]
