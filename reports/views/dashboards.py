"""Dashboards: the city overview, a department's page, and the at-risk list.

Views only ask and show: what a user may see comes from `kpi.access` (through
`reports.selectors`), every figure from `kpi.assessments` through the selectors.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from common.params import query_id
from plans.selectors import plan_choice
from reports import selectors


def light_choices() -> list[tuple[str, str]]:
    """The light filter's options, labelled in the request's language (not at import time)."""
    return [(light.value, light.label) for light in selectors.LIGHT_ORDER]


def _plan_or_404(request):
    """The plan of ?plan=, else the plan in force (`plans.selectors.plan_in_force`)."""
    choice = plan_choice(request)
    if choice is None:
        raise Http404("No plan has been entered yet.")
    return choice


def _common_context(choice, filters):
    plan = choice.plan
    return {
        "plan": plan,
        "plan_choice": choice,
        "filters": filters,
        "dimension_choices": selectors.DIMENSION_CHOICES,
        "light_choices": light_choices(),
        "thresholds": {"green": plan.green_threshold, "yellow": plan.yellow_threshold},
        "years": plan.years,
    }


@login_required
@require_safe
def overview(request):
    """Every department the user may view: score, light, the count of each light, and the trend."""
    choice = _plan_or_404(request)
    plan = choice.plan
    filters = selectors.filters_from(plan, request.GET)
    data = selectors.overview(request.user, plan, filters)
    return render(request, "reports/overview.html", {**_common_context(choice, filters), "data": data})


@login_required
@require_safe
def department(request, department_id):
    """One department: goals → objectives → KPIs with their roll-ups, and its common indicators."""
    choice = _plan_or_404(request)
    plan = choice.plan
    # Only the one department is read: the planning office may view hundreds.
    visible = selectors.visible_department_plans(request.user, plan, department_id=department_id)
    department_plan = visible[0] if visible else None
    if department_plan is None:
        raise Http404("No such department in this plan, or not one you may view.")
    filters = selectors.filters_from(plan, request.GET)
    # The figures are the same for everyone who may view the department (checked above), and
    # cached as the public pages are (`{% figures_fragment %}`): the page is computed on a miss only.
    page = SimpleLazyObject(lambda: selectors.department_page(request.user, plan, department_plan, filters))
    figures_key = "department:" + ":".join(
        map(str, (department_plan.pk, filters.year, filters.dimension, filters.light, choice.query_suffix))
    )
    return render(
        request,
        "reports/department.html",
        {
            **_common_context(choice, filters),
            "page": page,
            "department": department_plan.department,
            "figures_key": figures_key,
        },
    )


@login_required
@require_safe
def at_risk(request):
    """KPIs behind the pace their target needs, and reports that are overdue."""
    choice = _plan_or_404(request)
    plan = choice.plan
    filters = selectors.filters_from(plan, request.GET)
    department_id = query_id(request, "department", label=_("Department"))
    page = selectors.at_risk_page(request.user, plan, filters.year, department_id)
    return render(request, "reports/at_risk.html", {**_common_context(choice, filters), "page": page})
