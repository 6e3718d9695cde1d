"""GET attainment/: a plan-year's attainment at one level, from kpi.assessments only.

`plan_year_attainment` is the batch service the dashboards, the yearly report and the
exports read, so the API's figures are the pages' figures. The user sees the
departments `kpi.access` lets them view; roll-ups above a department (goal, dimension,
city) then cover those departments only, and the answer says which.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from common import dates, formatting
from common.api.base import ERROR_400, READ_ERRORS, ApiMixin, or_empty
from common.api.filters import ID_SCHEMA, YEAR_SCHEMA
from kpi import access
from kpi.assessments import PERIOD, YEAR, Group, IndicatorResult, plan_year_attainment, year_in_progress, year_rollup
from kpi.attainment import Thresholds
from plans.models import Department, Plan
from reports.api.serializers import LEVELS, AttainmentQueryForm, AttainmentSerializer


def indicator_row(result: IndicatorResult) -> dict:
    indicator, assessment, year = result.indicator, result.assessment, result.year_assessment
    status = result.status
    period = status.period if status is not None else None
    return {
        "indicator": indicator.pk,
        "code": indicator.code,
        "name": indicator.name,
        "kind": indicator.kind,
        "department": indicator.department_plan.department_id,
        "objective": indicator.objective_id,
        "common_goal": indicator.common_goal_id,
        "unit": indicator.unit,
        "direction": indicator.direction,
        "weight": indicator.weight,
        "target": result.target.value if result.target else None,
        "excluded_reason": result.target.excluded_reason if result.target else "",
        "actual": result.actual,
        "report": result.report.pk if result.report else None,
        "raw": assessment.raw,
        "capped": assessment.capped,
        "light": assessment.light.value,
        "light_label": assessment.light.label,
        "reason": assessment.reason,
        "status": assessment.light.value,
        "basis": status.basis if status is not None else YEAR,
        "status_label": status.label if status is not None else "",
        "period": {"id": period.pk, "short_label": period.short_label} if period is not None else None,
        "planned_to_date": status.planned_to_date if status is not None else None,
        "year_raw": year.raw,
        "year_capped": year.capped,
        "year_light": year.light.value,
    }


def group_row(group: Group, thresholds: Thresholds, basis: str) -> dict:
    rollup, year = group.rollup, year_rollup(group, thresholds)
    return {
        "key": str(group.key),
        "id": group.key if isinstance(group.key, int) else None,
        "name": group.name,
        "score": rollup.score,
        "light": rollup.light.value,
        "light_label": rollup.light.label,
        "counts": {light.value: count for light, count in rollup.counts.items()},
        "total": rollup.total,
        "weight": rollup.weight,
        "basis": basis,
        "year_score": year.score,
        "year_light": year.light.value,
        "year_counts": {light.value: count for light, count in year.counts.items()},
    }


class AttainmentView(ApiMixin, APIView):
    @extend_schema(
        summary="A plan-year's attainment (達成度) and lights at one level",
        description=(
            "level=indicator gives each indicator's target, approved actual, raw and capped attainment, light "
            "and reason (`indicators`); the other levels give roll-ups (`groups`): the weighted mean of the "
            "capped attainment of their KPIs, ignoring white ones, with the count of each light. Common "
            "indicators appear at level=indicator only (they are reported beside, not inside, the roll-up).\n\n"
            "The light (`status`, `light`) is the one every page shows. A year that has ended is judged on its "
            "year status (actual ÷ the year's target; `basis` = `year`). In the year in progress a KPI is judged "
            "on its period status: the latest approved year-to-date actual against the planned value of its "
            "period (`basis` = `period`, with `period` and `planned_to_date`), and roll-ups average those. The "
            "year-basis figures are always given beside (`year_raw`, `year_capped`, `year_light`; for roll-ups "
            "`year_score`, `year_light`, `year_counts`), so that either can be computed.\n\n"
            "400 naming the parameter for what the schema cannot say: a `plan` that does not exist, a `year` "
            "outside the plan's years, a `department` that does not exist or that you may not view."
        ),
        parameters=[
            OpenApiParameter("plan", {**ID_SCHEMA}, required=True, description="Plan id."),
            OpenApiParameter("year", {**YEAR_SCHEMA}, required=True, description="ROC year (民國年), e.g. 112."),
            OpenApiParameter(
                "level", or_empty({"type": "string", "enum": LEVELS}), description="Default (or empty): indicator."
            ),
            OpenApiParameter("department", or_empty(ID_SCHEMA), description="Only this department (id)."),
        ],
        responses={200: AttainmentSerializer, 400: ERROR_400, **READ_ERRORS},
    )
    def get(self, request):
        form = AttainmentQueryForm(request.query_params)
        if not form.is_valid():
            raise exceptions.ValidationError({name: list(messages) for name, messages in form.errors.items()})
        data = form.cleaned_data
        plan = Plan.objects.filter(pk=data["plan"]).first()
        if plan is None:
            raise exceptions.ValidationError({"plan": [_("No such plan.")]})
        year = data["year"]
        if not plan.contains_year(year):
            raise exceptions.ValidationError(
                {
                    "year": [
                        _("%(year)s is not in the plan's years (%(start)s–%(end)s).")
                        % {"year": formatting.roc_year(year), "start": plan.start_year, "end": plan.end_year}
                    ]
                }
            )
        scope = access.department_ids_for(request.user, access.VIEW)
        department_ids = None if scope is None else sorted(scope)
        if data["department"] is not None:
            department = data["department"]
            if (scope is not None and department not in scope) or not Department.objects.filter(pk=department).exists():
                raise exceptions.ValidationError({"department": [_("No such department, or not one you may view.")]})
            department_ids = [department]
        result = plan_year_attainment(plan=plan, year=year, department_ids=department_ids)
        level = data["level"] or "indicator"
        basis = PERIOD if year_in_progress(year, dates.today()) else YEAR
        body = {
            "plan": plan.pk,
            "year": year,
            "level": level,
            "departments": department_ids,
            "thresholds": {"green": result.thresholds.green, "yellow": result.thresholds.yellow},
        }
        if level == "indicator":
            body["indicators"] = [indicator_row(r) for r in result.indicators.values()]
        elif level == "city":
            body["groups"] = [group_row(result.city, result.thresholds, basis)]
        else:
            groups = {
                "objective": result.objectives,
                "goal": result.goals,
                "dimension": result.dimensions,
                "department": result.departments,
            }[level]
            body["groups"] = [group_row(g, result.thresholds, basis) for g in groups.values()]
        return Response(body)
