from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render

from common import dates
from kpi import access, queues
from kpi.models import Indicator, YearlyTarget
from plans.models import DepartmentPlan, Plan, StrategicObjective
from plans.selectors import plan_in_force


@login_required
def home(request):
    """Every plan, the plan in force first (`plans.selectors.plan_in_force`), then the others, latest first."""
    plans = list(
        Plan.objects.order_by("-start_year", "id").prefetch_related(
            Prefetch("department_plans", queryset=DepartmentPlan.objects.select_related("department"))
        )
    )
    in_force = plan_in_force(plans)
    plans.sort(key=lambda plan: plan != in_force)  # stable: the others keep their order
    return render(request, "plans/home.html", {"plans": plans, "in_force": in_force})


@login_required
def department_plan_detail(request, plan_id, department_id):
    """The department's plan as the document writes it (壹 mission and vision, 貳 policy focus, 參 objectives,
    common goals and the tables of indicators), with the fixed wording of `plans.document`; what the
    system adds (goal links, links to the KPI pages, direction) is marked as its own."""
    department_plan = get_object_or_404(
        DepartmentPlan.objects.select_related("plan", "department"), plan_id=plan_id, department_id=department_id
    )
    targets = Prefetch("targets", queryset=YearlyTarget.objects.order_by("year"))
    objectives = (
        StrategicObjective.objects.filter(department_plan=department_plan)
        .select_related("goal")
        .prefetch_related(
            "items",
            Prefetch("indicators", queryset=Indicator.objects.order_by("number").prefetch_related(targets)),
        )
    )
    common_goals = department_plan.common_goals.prefetch_related(
        Prefetch("indicators", queryset=Indicator.objects.order_by("number").prefetch_related(targets))
    )
    grid_periods = []
    if access.can_report_department(request.user, department_plan.department_id):
        # The department's reporters report the periods open now in one grid (kpi:grid).
        grid_periods = sorted(queues.open_periods({department_plan.plan_id}, dates.today()), key=lambda p: p.end_date)
    return render(
        request,
        "plans/department_plan.html",
        {
            "plan": department_plan.plan,
            "department_plan": department_plan,
            "goals": department_plan.goals.all(),
            "objectives": objectives,
            "common_goals": common_goals,
            "show_gregorian": request.GET.get("gregorian") == "1",
            "grid_periods": grid_periods,
            # Links to the KPI pages only for those who may open them (kpi:detail answers 404 otherwise).
            "links_to_kpis": access.can_view_department(request.user, department_plan.department_id),
            "siblings": DepartmentPlan.objects.filter(plan=department_plan.plan).select_related("department"),
        },
    )
