"""The planning screen (分期預定值): a department's KPIs down, the year's periods across.

Reporters of the department propose, the planning office and admins confirm; the rules
are `kpi.services.planning`'s, the ladder and defaults `kpi.planning`'s. The page reads a
fixed number of queries whatever the number of KPIs and periods.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from common import dates
from common.years import to_roc
from kpi import access, assessments, planning, services, units
from kpi.models import Accrual, Indicator, PlannedStatus, ReportingPeriod, TargetProposal, YearlyTarget
from kpi.resources import plain_number
from kpi.services.planning import cell_key, periods_per_year, plannable
from plans.models import DepartmentPlan, Plan

SAVE, CONFIRM = "save", "confirm"


@dataclass
class Cell:
    number: int
    key: str
    period_label: str
    editable: bool
    value: str = ""  # what the input holds: the stored value, or what was typed
    default: str = ""  # the default by accrual, as a plain number ("" when none)
    default_display: str = ""
    shown: str = ""  # a read-only cell's figure (the target, or —)
    source: str = ""  # planning.SET / DEFAULT / TARGET
    status: str = ""
    error: str = ""


@dataclass
class Row:
    indicator: Indicator
    target_display: str
    cells: list[Cell] = field(default_factory=list)
    status: str = ""  # "confirmed", "proposed", "default", "no_target", "target_proposed", "year_end"
    status_label: str = ""
    proposal: TargetProposal | None = None  # a target proposed for the year, not approved (kpi.models)
    proposal_display: str = ""


def _period_labels(plan: Plan, year: int, count: int) -> list[str]:
    return [
        ReportingPeriod(year=year, number=n, frequency=plan.reporting_frequency).short_label
        for n in range(1, count + 1)
    ]


def _rows(department_plan: DepartmentPlan, year: int, typed=None, errors=None) -> list[Row]:
    plan = department_plan.plan
    periods = periods_per_year(department_plan)
    labels = _period_labels(plan, year, periods)
    targets_qs = YearlyTarget.objects.filter(year__in=[year - 1, year]).only("indicator_id", "year", "value")
    indicators = list(
        Indicator.objects.filter(department_plan=department_plan)
        .select_related("objective", "common_goal")
        .prefetch_related(Prefetch("targets", queryset=targets_qs, to_attr="near_targets"))
    )
    stored_all = assessments.planned_values(years=[year], target__indicator__department_plan=department_plan)
    # Target proposals (a new plan's carried-over targets) matter only where the year has no
    # target: read them only then, so a plan with its targets set reads what it always read.
    proposals = {}
    if any(not any(t.year == year for t in i.near_targets) for i in indicators):
        proposals = {
            p.indicator_id: p
            for p in TargetProposal.objects.filter(indicator__department_plan=department_plan, year=year)
        }
    typed, errors = typed or {}, errors or {}
    rows = []
    for indicator in indicators:
        targets = {t.year: t.value for t in indicator.near_targets}
        target = targets.get(year)
        stored = stored_all.get((indicator.pk, year), {})
        row = Row(indicator=indicator, target_display=units.amount(indicator, target) if target is not None else "—")
        points = {p.number: p for p in planning.ladder(indicator, targets, year, periods, stored)}
        for number in range(1, periods + 1):
            key = cell_key(indicator.pk, number)
            point = points.get(number)
            cell = Cell(
                number=number,
                key=key,
                period_label=labels[number - 1],
                editable=target is not None and plannable(indicator, number, periods),
                error=" ".join(errors.get(key, [])),
            )
            if point is not None:
                cell.source, cell.status = point.source, point.status
            if cell.editable:
                default = planning.default_value(indicator, targets, year, number, periods)
                cell.default = str(plain_number(default)) if default is not None else ""
                cell.default_display = units.amount(indicator, default) if default is not None else "—"
                cell.value = (
                    typed[key] if key in typed else (str(plain_number(stored[number][0])) if number in stored else "")
                )
            else:
                cell.shown = (
                    units.amount(indicator, point.value) if point is not None and point.value is not None else "—"
                )
            row.cells.append(cell)
        proposal = proposals.get(indicator.pk) if target is None else None
        if proposal is not None:
            row.status, row.status_label = "target_proposed", _("Target proposed, not yet approved")
            row.proposal = proposal
            row.proposal_display = _("Proposed: %(value)s (%(note)s)") % {
                "value": units.amount(indicator, proposal.value),
                "note": proposal.note,
            }
        elif target is None:
            row.status, row.status_label = "no_target", _("No target this year")
        elif stored and all(status == PlannedStatus.CONFIRMED for _v, status in stored.values()):
            row.status, row.status_label = "confirmed", _("Confirmed")
        elif stored:
            row.status, row.status_label = "proposed", _("Proposed")
        elif indicator.accrual == Accrual.YEAR_END:
            row.status, row.status_label = "year_end", _("Year end only")
        else:
            row.status, row.status_label = "default", pgettext("planned value", "Default")
        rows.append(row)
    return rows


def _department_plan(request, plan_id, department_id) -> DepartmentPlan:
    department_plan = get_object_or_404(
        DepartmentPlan.objects.select_related("plan", "department"), plan_id=plan_id, department_id=department_id
    )
    if not access.can_view_department(request.user, department_id):
        raise Http404
    return department_plan


def _typed_values(request, rows: list[Row]) -> dict[int, dict[int, str]]:
    values: dict[int, dict[int, str]] = {}
    for row in rows:
        for cell in row.cells:
            if cell.editable:
                values.setdefault(row.indicator.pk, {})[cell.number] = request.POST.get(cell.key, "")
    return values


@login_required
def planning_screen(request, plan_id, department_id, year):
    """分期預定值: one department's planned values of one year, proposed and confirmed here."""
    department_plan = _department_plan(request, plan_id, department_id)
    plan = department_plan.plan
    if not plan.contains_year(year):
        raise Http404
    may_save = access.can_plan(request.user, department_id)
    may_confirm = access.can_confirm_plans(request.user)
    errors, typed, reason, status = {}, {}, "", 200
    if request.method == "POST":
        action = request.POST.get("action", SAVE)
        if not may_save or (action == CONFIRM and not may_confirm):
            raise PermissionDenied(_("You may not change the planned values of this department."))
        reason = request.POST.get("reason", "")
        values = _typed_values(request, _rows(department_plan, year))
        try:
            with transaction.atomic():
                saved = services.planned_values_save(
                    user=request.user, department_plan=department_plan, year=year, values=values, reason=reason
                )
                confirmed = (
                    services.planned_values_confirm(user=request.user, department_plan=department_plan, year=year)
                    if action == CONFIRM
                    else None
                )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            typed = {services.cell_key(i, n): v for i, cells in values.items() for n, v in cells.items()}
            status = 400
        else:
            if confirmed is not None:
                messages.success(request, _("Planned values confirmed: %(count)s.") % {"count": confirmed.confirmed})
            elif saved.total:
                messages.success(request, _("Planned values saved: %(count)s changes.") % {"count": saved.total})
            else:
                messages.info(request, _("Nothing changed."))
            return HttpResponseRedirect(request.path)

    rows = _rows(department_plan, year, typed, errors)
    cell_errors = [(row, cell) for row in rows for cell in row.cells if cell.error]
    return render(
        request,
        "kpi/planning.html",
        {
            "plan": plan,
            "department_plan": department_plan,
            "department": department_plan.department,
            "year": year,
            "years": plan.years,
            "rows": rows,
            "period_labels": _period_labels(plan, year, periods_per_year(department_plan)),
            "may_save": may_save,
            "may_confirm": may_confirm,
            "errors": errors,
            "cell_errors": cell_errors,
            "reason": reason,
            "reason_error": " ".join(errors.get("reason", [])),
            "other_errors": errors.get("__all__", []) + errors.get("year", []),
        },
        status=status,
    )


@login_required
def planning_index(request):
    """Where the navigation leads: the departments the person may see, for the current year."""
    ids = access.department_ids_for(request.user)
    department_plans = DepartmentPlan.objects.select_related("plan", "department").order_by(
        "-plan__start_year", "department__name"
    )
    if ids is not None:
        department_plans = department_plans.filter(department_id__in=ids)
    department_plans = list(department_plans)
    today_year = to_roc(dates.today().year)
    for department_plan in department_plans:
        plan = department_plan.plan
        department_plan.planning_year = min(max(today_year, plan.start_year), plan.end_year)
        department_plan.planning_url = reverse(
            "kpi:planning", args=[plan.pk, department_plan.department_id, department_plan.planning_year]
        )
    may_load_plans = access.can_load_plans(request.user)
    plans = []
    if may_load_plans:  # the plan workbooks (kpi.views.plan_workbooks): by plan, each department's
        by_plan: dict[int, dict] = {}
        for department_plan in department_plans:
            entry = by_plan.setdefault(department_plan.plan_id, {"plan": department_plan.plan, "department_plans": []})
            entry["department_plans"].append(department_plan)
        plans = list(by_plan.values())
    return render(
        request,
        "kpi/planning_index.html",
        {"department_plans": department_plans, "may_load_plans": may_load_plans, "workbook_plans": plans},
    )
