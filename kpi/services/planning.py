"""Planned values per period (分期預定值): proposed by the department, confirmed by the planning office.

The planning screen, admin and the indicator import all save through these, so the rules
are written once:

- A department's reporters propose (status 擬定中); the planning office and admins may
  also edit, and alone confirm (已核定).
- A whole grid is saved or nothing is: every typed value is parsed and every KPI-year's
  ladder checked (`kpi.planning.ladder_problems`: a value the unit does not allow, beyond
  the target on a cumulative KPI, a decreasing ladder) before anything is written.
- Changing or emptying a confirmed value needs a reason, kept with the change on the
  record (`history`, simple-history's change reason). The changed value goes back to
  擬定中 unless the person saving it may confirm, who re-confirms it by saving.
- An empty cell means "the default by accrual": its stored value is deleted.
- The last period is the year's target, never stored; a year-end KPI (決算數) has nothing
  to plan before it.
- Confirming does not store defaults: a KPI-year nobody planned follows its default,
  which moves with the target when the target is revised, so there is nothing to confirm.

Errors are a ValidationError keyed by cell (`cell_key`: ``planned-<indicator id>-<number>``,
the planning screen's input names), plus ``reason`` and ``__all__``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kpi import access, planning, stored
from kpi.history import record_change
from kpi.models import Accrual, Indicator, PlannedStatus, PlannedValue, YearlyTarget
from kpi.services.targets import parse_decimal
from plans.models import PERIODS_PER_YEAR, DepartmentPlan


def cell_key(indicator_id: int, number: int) -> str:
    """The name of one cell of the grid: its input's name and its error's key."""
    return f"planned-{indicator_id}-{number}"


@dataclass(frozen=True)
class PlanningResult:
    created: int = 0
    changed: int = 0
    reverted: int = 0  # emptied: back to the default
    confirmed: int = 0

    @property
    def total(self) -> int:
        return self.created + self.changed + self.reverted + self.confirmed


def periods_per_year(department_plan: DepartmentPlan) -> int:
    return PERIODS_PER_YEAR[department_plan.plan.reporting_frequency]


def plannable(indicator: Indicator, number: int, periods: int) -> bool:
    """Whether a cell can be typed in: not the last period (the target), not before year end
    on a year-end figure."""
    return number < periods and indicator.accrual != Accrual.YEAR_END


def year_end_message() -> str:
    return _("A year-end KPI is judged on the full year only: nothing to plan before year end.")


def reason_required_message() -> str:
    return _("A reason is required to change a confirmed planned value.")


def _check_year(department_plan: DepartmentPlan, year) -> int:
    plan = department_plan.plan
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ValidationError(
            {"year": _("“%(year)s” is not a year (write an ROC year, e.g. 111).") % {"year": year}}
        ) from None
    if not plan.contains_year(year):
        raise ValidationError(
            {
                "year": _("ROC year %(year)s is outside the plan period (%(start)s–%(end)s).")
                % {"year": year, "start": plan.start_year, "end": plan.end_year}
            }
        )
    return year


def _targets_by_indicator(indicators: Iterable[Indicator], year: int) -> dict[int, dict[int, Decimal]]:
    """Each indicator's targets of the year and the year before (a cumulative ladder starts there)."""
    by_indicator: dict[int, dict[int, Decimal]] = {ind.pk: {} for ind in indicators}
    rows = YearlyTarget.objects.filter(indicator_id__in=list(by_indicator), year__in=[year - 1, year])
    for indicator_id, target_year, value in rows.values_list("indicator_id", "year", "value"):
        by_indicator[indicator_id][target_year] = value
    return by_indicator


@transaction.atomic
@stored.batched
def planned_values_save(
    *,
    user,
    department_plan: DepartmentPlan,
    year: int,
    values: Mapping[int, Mapping[int, object]],
    reason: str = "",
) -> PlanningResult:
    """Save a department's planned values for a year: all of them, or nothing.

    `values` maps an indicator id to {period number: typed value}; an empty value reverts
    the cell to its default. Cells not given are left as they are (but still checked with
    the typed ones, so a ladder never ends up decreasing).
    """
    if not access.can_plan(user, department_plan.department_id):
        raise PermissionDenied(_("Only the department's reporters, the planning office and admins may plan."))
    year = _check_year(department_plan, year)
    reason = (reason or "").strip()
    periods = periods_per_year(department_plan)
    may_confirm = access.can_confirm_plans(user)

    indicators = {
        ind.pk: ind
        for ind in Indicator.objects.filter(department_plan=department_plan, pk__in=[int(i) for i in values])
    }
    targets = _targets_by_indicator(indicators.values(), year)
    year_targets = {
        t.indicator_id: t for t in YearlyTarget.objects.filter(indicator_id__in=list(indicators), year=year)
    }
    stored_rows: dict[tuple[int, int], PlannedValue] = {
        (row.target.indicator_id, row.number): row
        for row in PlannedValue.objects.select_for_update(of=("self",))
        .select_related("target")
        .filter(target__indicator_id__in=list(indicators), target__year=year)
        .order_by("pk")  # not the model's ordering, which joins the indicator's nullable parents
    }

    errors: dict[str, list[str]] = {}
    wanted: dict[tuple[int, int], Decimal | None] = {}  # the cells given: a value, or None for the default
    last: dict[int, Decimal] = {}  # values typed in the target's column
    for raw_id, cells in values.items():
        indicator = indicators.get(int(raw_id))
        if indicator is None:
            errors.setdefault("__all__", []).append(_("An indicator of another department cannot be planned here."))
            continue
        for raw_number, raw_value in cells.items():
            number = int(raw_number)
            key = cell_key(indicator.pk, number)
            text = "" if raw_value is None else str(raw_value).strip()
            if number == periods:
                # The target's column: never stored; a value typed there must be the target.
                if text:
                    try:
                        last[indicator.pk] = parse_decimal(text, field=key)
                    except ValidationError as e:
                        errors.update(e.message_dict)
                continue
            if not text:
                wanted[(indicator.pk, number)] = None
                continue
            if not plannable(indicator, number, periods) and 1 <= number < periods:
                errors[key] = [year_end_message()]
                continue
            try:
                wanted[(indicator.pk, number)] = parse_decimal(text, field=key)
            except ValidationError as e:
                errors.update(e.message_dict)

    # Each KPI-year's ladder as it would stand after the save, checked whole.
    for indicator in indicators.values():
        ladder_values = {number: row.value for (ind_id, number), row in stored_rows.items() if ind_id == indicator.pk}
        for (ind_id, number), value in wanted.items():
            if ind_id != indicator.pk:
                continue
            if value is None:
                ladder_values.pop(number, None)
            else:
                ladder_values[number] = value
        if indicator.pk in last:
            ladder_values[periods] = last[indicator.pk]
        for number, problem in planning.ladder_problems(
            indicator, targets[indicator.pk], year, periods, ladder_values
        ).items():
            key = cell_key(indicator.pk, number)
            if key not in errors:
                errors[key] = [problem]

    changes = []  # (key, row or None, new value or None)
    for (ind_id, number), value in wanted.items():
        row = stored_rows.get((ind_id, number))
        old = row.value if row is not None else None
        if (old is None and value is None) or (old is not None and value is not None and old == value):
            continue
        changes.append(((ind_id, number), row, value))
    if not reason and any(row is not None and row.status == PlannedStatus.CONFIRMED for _k, row, _v in changes):
        errors["reason"] = [reason_required_message()]
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    created = changed = reverted = 0
    for (ind_id, number), row, value in changes:
        if value is None:
            record_change(row, reason=reason, user=user)
            row.delete()
            reverted += 1
            continue
        if row is None:
            row = PlannedValue(target=year_targets[ind_id], number=number, value=value)
            created += 1
        else:
            row.value = value
            changed += 1
        confirmed = row.status == PlannedStatus.CONFIRMED
        if confirmed and may_confirm:
            row.confirmed_by, row.confirmed_at = user, now  # re-confirmed by whoever may confirm
        else:
            row.status, row.confirmed_by, row.confirmed_at = PlannedStatus.PROPOSED, None, None
        row.proposed_by, row.proposed_at = user, now
        row.full_clean()
        record_change(row, reason=reason, user=user)
        row.save()
    return PlanningResult(created=created, changed=changed, reverted=reverted)


@transaction.atomic
@stored.batched
def planned_values_confirm(
    *, user, department_plan: DepartmentPlan, year: int, indicator_ids: Iterable[int] | None = None
) -> PlanningResult:
    """Confirm (核定) the department's proposed values of a year, or only those of some KPIs.

    The planning office or an admin only. Defaults are not stored (module docstring).
    """
    if not access.can_confirm_plans(user):
        raise PermissionDenied(_("Only the planning office or an admin may confirm planned values."))
    year = _check_year(department_plan, year)
    rows = (
        PlannedValue.objects.select_for_update(of=("self",))
        .filter(target__indicator__department_plan=department_plan, target__year=year, status=PlannedStatus.PROPOSED)
        .order_by("pk")
    )
    if indicator_ids is not None:
        rows = rows.filter(target__indicator_id__in=list(indicator_ids))
    now = timezone.now()
    count = 0
    for row in rows:
        row.status, row.confirmed_by, row.confirmed_at = PlannedStatus.CONFIRMED, user, now
        record_change(row, user=user)
        row.save(update_fields=["status", "confirmed_by", "confirmed_at"])
        count += 1
    return PlanningResult(confirmed=count)
