"""Writes that carry rules. Forms, admin, the API, importers and the seeder all call these,
so each rule is written once.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction

from common.years import is_roc_year
from kpi import units
from kpi.history import record_change
from kpi.models import Indicator, TargetRevision, YearlyTarget


def parse_decimal(value, *, field: str = "value") -> Decimal:
    """A finite Decimal from user input, or a ValidationError naming the field."""
    if isinstance(value, Decimal):
        number = value
    else:
        text = str(value).strip().replace(",", "") if value is not None else ""
        if text.endswith("%"):
            text = text[:-1].strip()
        try:
            number = Decimal(text)
        except (InvalidOperation, ValueError):
            raise ValidationError({field: f"「{value}」不是數字。"}) from None
    if not number.is_finite():
        raise ValidationError({field: f"「{value}」不是數字。"})
    return number


def validate_target_value(indicator: Indicator, value: Decimal, *, field: str = "value") -> None:
    """A target the indicator's unit allows (the rule: `kpi.units`)."""
    units.check_target(indicator, value, field=field)


def validate_target_year(indicator: Indicator, year, *, field: str = "year") -> int:
    try:
        year = int(str(year).strip())
    except (TypeError, ValueError):
        raise ValidationError({field: f"「{year}」不是年度（請以民國年表示，例如 111）。"}) from None
    plan = indicator.department_plan.plan
    if not is_roc_year(year):
        raise ValidationError({field: f"{year} 不是民國年（請以民國年表示，例如 111）。"})
    if not plan.contains_year(year):
        raise ValidationError({field: f"民國{year}年不在計畫期間（{plan.start_year}–{plan.end_year}）內。"})
    return year


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
        record_change(target, reason=reason or "新增目標值", user=user)  # the record of changes, too
        target.save()
        TargetRevision.objects.create(
            target=target,
            old_value=None,
            new_value=value,
            reason=reason or "新增目標值",
            changed_by=user,
            source=source,
        )
        return target, True
    if target.value == value:
        return target, False
    if not reason:
        raise ValidationError({"reason": "修改目標值必須填寫修正理由。"})
    old = target.value
    target.value = value
    record_change(target, reason=reason, user=user)
    target.save(update_fields=["value"])
    TargetRevision.objects.create(
        target=target, old_value=old, new_value=value, reason=reason, changed_by=user, source=source
    )
    return target, True
