from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions
from rest_framework.exceptions import ValidationError

from kpi.api.serializers import IndicatorSerializer
from kpi.models import Indicator, YearlyTarget
from plans.years import is_roc_year


@extend_schema(
    parameters=[
        OpenApiParameter("department", str, description="Department name (都市發展處) or id."),
        OpenApiParameter("year", int, description="ROC year (民國年), e.g. 112; only that year's targets."),
    ]
)
class IndicatorListView(generics.ListAPIView):
    """Open data: every indicator (KPIs and common indicators) with its yearly targets."""

    serializer_class = IndicatorSerializer
    permission_classes = [permissions.AllowAny]
    filter_backends = []
    pagination_class = None

    def get_year(self):
        raw = self.request.query_params.get("year")
        if raw in (None, ""):
            return None
        try:
            year = int(raw)
        except ValueError:
            raise ValidationError({"year": [f"「{raw}」不是民國年（例如 112）。"]}) from None
        if not is_roc_year(year):
            raise ValidationError({"year": [f"{year} 不是民國年；請以民國年表示（例如 112 代表 2023 年）。"]})
        return year

    def get_queryset(self):
        qs = Indicator.objects.select_related(
            "department_plan__department", "department_plan__plan", "objective__goal", "common_goal"
        ).prefetch_related(Prefetch("targets", queryset=YearlyTarget.objects.order_by("year")))
        department = self.request.query_params.get("department", "").strip()
        if department:
            if department.isdigit():
                qs = qs.filter(department_plan__department_id=int(department))
            else:
                qs = qs.filter(department_plan__department__name=department)
        year = self.get_year()
        if year is not None:
            qs = qs.filter(targets__year=year)
        return qs.order_by(
            "department_plan__plan__start_year",
            "department_plan__toc_number",
            "-kind",  # KPIs (kind "kpi") before common indicators
            "objective__number",
            "common_goal__number",
            "number",
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["year"] = self.get_year()
        return context
