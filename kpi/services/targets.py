"""Writes that carry rules. Forms, admin, the API, importers and the seeder all call these,
so each rule is written once.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from common.formatting import parse_number
from common.years import is_roc_year
from kpi import units
from kpi.history import record_change
from kpi.models import Indicator, TargetRevision, YearlyTarget

# The reason recorded when a target is first set. Stored in the record, like the reasons
# people type, in the city's language: the record is written once for every reader.
NEW_TARGET_REASON = "新增目標值"


def parse_decimal(value, *, field: str = "value") -> Decimal:
    """A finite Decimal from user input (`common.formatting.parse_number`: the one parser), or
    a ValidationError naming the field."""
    try:
        return parse_number(value)
    except ValueError:
        raise ValidationError({field: not_a_number(value)}) from None


def not_a_number(value) -> str:
    return _("“%(value)s” is not a number.") % {"value": value}


def validate_target_value(indicator: Indicator, value: Decimal, *, field: str = "value") -> None:
    """A target the indicator's unit allows (the rule: `kpi.units`)."""
    units.check_target(indicator, value, field=field)


def validate_target_year(indicator: Indicator, year, *, field: str = "year") -> int:
    try:
        year = int(str(year).strip())
    except (TypeError, ValueError):
        raise ValidationError(
            {field: _("“%(year)s” is not a year (write an ROC year, e.g. 111).") % {"year": year}}
        ) from None
    plan = indicator.department_plan.plan
    if not is_roc_year(year):
        raise ValidationError({field: _("%(year)s is not an ROC year (write an ROC year, e.g. 111).") % {"year": year}})
    if not plan.contains_year(year):
        raise ValidationError(
            {
                field: _("ROC year %(year)s is outside the plan period (%(start)s–%(end)s).")
                % {"year": year, "start": plan.start_year, "end": plan.end_year}
            }
        )
    return year


def reason_required() -> str:
    return _("A reason is required to change a target.")


@transaction.atomic
def target_set(
    *,
    indicator: Indicator,
    year,
    value,
    reason: str = "",
    user=None,
    source: str = TargetRevision.Source.ADMIN,
) -> tuple[YearlyTarget, bool]:
    """Create or revise an indicator's target for a year; return (target, changed).

    Creating a target records it with the given reason (default: 新增目標值). Changing
    an existing value requires a reason and keeps the original value. Setting the
    same value again changes nothing and records nothing.
    """
    year = validate_target_year(indicator, year)
    value = parse_decimal(value)
    validate_target_value(indicator, value)
    reason = (reason or "").strip()

    target = YearlyTarget.objects.select_for_update().filter(indicator=indicator, year=year).order_by("pk").first()
    if target is None:
        target = YearlyTarget(indicator=indicator, year=year, value=value, original_value=value)
        target.full_clean()
        record_change(target, reason=reason or NEW_TARGET_REASON, user=user)  # the record of changes, too
        target.save()
        TargetRevision.objects.create(
            target=target,
            old_value=None,
            new_value=value,
            reason=reason or NEW_TARGET_REASON,
            changed_by=user,
            source=source,
        )
        return target, True
    if target.value == value:
        return target, False
    if not reason:
        raise ValidationError({"reason": reason_required()})
    old = target.value
    target.value = value
    record_change(target, reason=reason, user=user)
    target.save(update_fields=["value"])
    TargetRevision.objects.create(
        target=target, old_value=old, new_value=value, reason=reason, changed_by=user, source=source
    )
    return target, True
