"""The record of changes that can move a light (django-simple-history).

Indicators, yearly targets and plans keep a historical row for every save (their
`history = HistoricalRecords(...)`): the values after the save, when, who (the request's
user through simple-history's middleware, or the person a service names) and why. The
old value of a change is the row before it.

This module holds, once for admin, the indicator import and the services:

- the rule: which fields move a light (`LIGHT_FIELDS`), and that changing one needs a
  reason (`check_reason`);
- `record_change`, which hands the reason and the person to the next save;
- how a change reads for people (`describe`): the field's label, choices by
  their label, numbers plainly;
- `indicator_changes`, the KPI page's timeline entries for an indicator's settings, its
  targets' exclusions (不予評估), its planned values per period (分期預定值) and its plan's
  light thresholds, in three queries whatever the number of entries.

Target values are on the record twice: here and in `TargetRevision`, which the timeline
already shows; so the timeline takes only the targets' other changes from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Value
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from common.formatting import roc_year
from common.wording import join_list
from kpi.models import Indicator, PlannedValue, YearlyTarget
from plans.models import Plan

# --- The rule: which fields move a light -------------------------------------------

LIGHT_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    # How attainment is computed and weighed: every year's light, published years included.
    Indicator: ("direction", "unit", "weight", "accrual", "formula", "evaluation_method"),
    # The year's target, and excluding the year from assessment (不予評估: a white light).
    YearlyTarget: ("value", "excluded_reason"),
    # Where green and yellow begin, for every indicator of the plan.
    Plan: ("green_threshold", "yellow_threshold"),
    # A period's planned value (分期預定值): the in-year period status is judged against it.
    PlannedValue: ("value",),
}

# The admin forms' field (修改理由); the target rows and the import say 修正理由.
REASON_FIELD = gettext_lazy("Reason for change")
TARGET_REASON_FIELD = pgettext_lazy("target revision", "Reason for change")


def light_fields(model) -> tuple[str, ...]:
    """The fields of a model (or an instance's model) whose change can move a light."""
    return LIGHT_FIELDS.get(model if isinstance(model, type) else type(model), ())


def moved_light_fields(model, changed: Iterable[str]) -> list[str]:
    """Of the changed field names, those that move a light, in the rule's order."""
    changed = set(changed)
    return [name for name in light_fields(model) if name in changed]


def field_label(model, name: str) -> str:
    """The field's name for people, in the active language (方向, 綠燈門檻（達成度 %）…)."""
    return str(capfirst(model._meta.get_field(name).verbose_name))


def reason_required_message(model, fields: Iterable[str], *, reason_field: str = REASON_FIELD) -> str:
    labels = join_list(field_label(model, name) for name in fields)
    return _("Changing “%(fields)s” moves status lights: fill in “%(reason)s”.") % {
        "fields": labels,
        "reason": reason_field,
    }


def check_reason(model, changed: Iterable[str], reason, *, reason_field: str = REASON_FIELD) -> str:
    """The reason, stripped; a ValidationError when a field that moves a light changed without one."""
    reason = (reason or "").strip()
    moved = moved_light_fields(model, changed)
    if moved and not reason:
        raise ValidationError(reason_required_message(model, moved, reason_field=reason_field), code="reason_required")
    return reason


def snapshot(instance) -> dict[str, object]:
    """The instance's field values, to tell afterwards which fields a change touched."""
    return {f.name: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def changed_fields(instance, before: dict[str, object]) -> list[str]:
    fields = {f.name: f for f in instance._meta.concrete_fields}
    return [name for name, old in before.items() if getattr(instance, fields[name].attname) != old]


def record_change(instance, *, reason="", user=None) -> None:
    """Hand why (and who, when the request does not say) to the next save's history row."""
    instance._change_reason = (reason or "").strip() or None
    if user is not None and getattr(user, "is_authenticated", False):
        instance._history_user = user


# --- How a change reads --------------------------------------------------------------

EMPTY = "—"


def _plain_number(value: Decimal) -> str:
    """Decimal('100.00') → '100'; Decimal('0.50') → '0.5'."""
    if not value.is_finite():
        return str(value)
    if value == value.to_integral_value():
        return f"{value.to_integral_value():f}"
    return f"{value.normalize():f}"


def display_value(field: models.Field, value) -> str:
    """A stored value as people read it: a choice by its label, a number plainly, '' as —."""
    if value is None or value == "":
        return EMPTY
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, Decimal):
        return _plain_number(value)
    return str(value)


def _related(record, field: models.Field) -> str:
    # Historical rows keep the related object's id; read through select_related (or a
    # query when there was none). A related object deleted since shows as —.
    try:
        obj = getattr(record, field.name)
    except field.related_model.DoesNotExist:
        obj = None
    return EMPTY if obj is None else str(obj)


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    old: str
    new: str


def describe(new_record, old_record, fields: Iterable[str] | None = None) -> list[Change]:
    """What changed between two historical rows of one object, in the model's field order.

    `fields` limits the comparison; by default every tracked field. No queries, except for
    a related object that was not selected with the rows.
    """
    if old_record is None:
        return []
    model = new_record.instance_type
    delta = new_record.diff_against(old_record, included_fields=list(fields) if fields is not None else None)
    order = {f.name: n for n, f in enumerate(model._meta.fields)}
    changes = []
    for change in sorted(delta.changes, key=lambda c: order.get(c.field, len(order))):
        field = model._meta.get_field(change.field)
        if field.is_relation:
            old, new = _related(old_record, field), _related(new_record, field)
        else:
            old, new = display_value(field, change.old), display_value(field, change.new)
        changes.append(Change(field=change.field, label=field_label(model, change.field), old=old, new=new))
    return changes


def history_type_label(history_type: str) -> str:
    return {"+": _("Created"), "~": _("Changed"), "-": _("Deleted")}.get(history_type, history_type)


# --- The KPI page's timeline -----------------------------------------------------------

# Target values are on the timeline already, from TargetRevision.
TARGET_FIELDS_SHOWN_ELSEWHERE = ("id", "indicator", "year", "value", "original_value")


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _with_previous(records):
    """Each historical row with the one before it of the same object (rows oldest first)."""
    last = {}
    for record in records:
        yield record, last.get(record.id)
        last[record.id] = record


class _Actor:
    """The person of a record read as values (first name, last name, username)."""

    def __init__(self, username, first_name, last_name):
        self.username, self.first_name, self.last_name = username, first_name or "", last_name or ""

    def get_full_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    def get_username(self):
        return self.username


class _Record:
    """A historical row read as values (the union below)."""

    def __init__(self, **values):
        self.__dict__.update(values)


_UNION_COLUMNS = (
    "history_id",
    "history_date",
    "history_type",
    "history_change_reason",
    "user_name",
    "user_first",
    "user_last",
    "id",
    "kind",
    "year",
    "number",
    "value",
    "status",
    "excluded_reason",
)


# The columns both kinds of record share, first in each half of the union.
_SHARED_COLUMNS = _UNION_COLUMNS[:9]


def _target_and_planned_rows(indicator: Indicator) -> list[_Record]:
    """The records of the indicator's targets and planned values, oldest first, in one query.

    `id` is made unique across the two kinds (a target's and a planned value's ids may meet),
    so that `_with_previous` pairs each row with the one before it of the same object.
    """
    people = {
        "user_name": F("history_user__username"),
        "user_first": F("history_user__first_name"),
        "user_last": F("history_user__last_name"),
    }
    targets = (
        YearlyTarget.history.filter(indicator_id=indicator.pk)
        .order_by()
        .annotate(
            **people,
            kind=Value("target", output_field=models.CharField()),
            number=Value(0, output_field=models.IntegerField()),
            planned=Value(None, output_field=models.DecimalField(max_digits=14, decimal_places=4)),
            planned_status=Value("", output_field=models.CharField()),
        )
        .values_list(
            *_SHARED_COLUMNS,
            "year",
            "number",
            "planned",
            "planned_status",
            "excluded_reason",
        )
    )
    planned = (
        PlannedValue.history.filter(target__indicator_id=indicator.pk)
        .order_by()
        .annotate(
            **people,
            kind=Value("planned", output_field=models.CharField()),
            target_year=F("target__year"),
            excluded=Value("", output_field=models.TextField()),
        )
        .values_list(
            *_SHARED_COLUMNS,
            "target_year",
            "number",
            "value",
            "status",
            "excluded",
        )
    )
    rows = []
    for values in targets.union(planned, all=True).order_by("history_date", "history_id"):
        record = dict(zip(_UNION_COLUMNS, values, strict=True))
        name = record.pop("user_name")
        first, last = record.pop("user_first"), record.pop("user_last")
        record["history_user"] = _Actor(name, first, last) if name is not None else None
        record["id"] = (record["kind"], record["id"])
        if record["value"] is not None and not isinstance(record["value"], Decimal):
            record["value"] = Decimal(str(record["value"]))  # SQLite hands a union's decimals back as floats
        rows.append(_Record(**record))
    return rows


def indicator_changes(indicator: Indicator) -> list:
    """Timeline entries for the changes that can move this indicator's lights.

    The indicator's own settings and texts, its targets' exclusions (不予評估), its planned
    values per period (set, changed, confirmed, emptied back to the default) and its plan's
    light thresholds, each with old → new, who, when and why. Three queries, whatever the
    number of entries. Creation rows of the indicator and its targets are not changes and
    are left out; a planned value's creation is (it replaces the default).
    """
    # The timeline's types live with the KPI page's other entries; imported here because
    # kpi.selectors imports this module.
    from kpi.selectors.timeline import TimelineChange, TimelineEntry

    def entry(record, *, kind, action, action_label, subject, changes, comment=None):
        return TimelineEntry(
            at=record.history_date,
            kind=kind,
            action=action,
            action_label=action_label,
            actor=_person(record.history_user),
            subject=subject,
            comment=(record.history_change_reason or "") if comment is None else comment,
            changes=[TimelineChange(label=c.label, old=c.old, new=c.new) for c in changes],
            order=record.history_id,
        )

    entries = []
    indicator_rows = (
        Indicator.history.filter(id=indicator.pk)
        .select_related("history_user", "objective", "common_goal", "department_plan__department")
        .order_by("history_date", "history_id")
    )
    for record, previous in _with_previous(indicator_rows):
        changes = describe(record, previous)
        if record.history_type != "~" or (previous is not None and not changes):
            continue  # a creation, or a save that changed nothing
        entries.append(
            entry(
                record,
                kind="setting",
                action="indicator_changed",
                action_label=_("Indicator changed"),
                subject=_("every year"),
                changes=changes,
            )
        )

    # The targets' and the planned values' records come in one query (a union), so that the
    # timeline's count stays at three whatever is on it.
    excluded_field = YearlyTarget._meta.get_field("excluded_reason")
    status_field = PlannedValue._meta.get_field("status")
    for record, previous in _with_previous(_target_and_planned_rows(indicator)):
        if record.kind == "target":
            if record.history_type == "+" and record.excluded_reason:
                previous = _Record(excluded_reason="")  # created excluded: an exclusion from nothing
            if record.history_type == "-" or previous is None:
                continue
            old, new = previous.excluded_reason, record.excluded_reason
            if old == new:
                continue  # a value change: TargetRevision has it on the timeline already
            if not old and new:
                action, label = "excluded", _("Excluded from assessment")
            elif old and not new:
                action, label = "exclusion_removed", _("Assessment restored")
            else:
                action, label = "exclusion_changed", _("Exclusion reason changed")
            changes = [
                Change(
                    field="excluded_reason",
                    label=field_label(YearlyTarget, "excluded_reason"),
                    old=display_value(excluded_field, old),
                    new=display_value(excluded_field, new),
                )
            ]
            reason = record.history_change_reason or ""
            entries.append(
                entry(
                    record,
                    kind="target",
                    action=action,
                    action_label=label,
                    subject=roc_year(record.year),
                    changes=changes,
                    # An exclusion's text is its own reason: not shown twice.
                    comment="" if reason.strip() == new.strip() else reason,
                )
            )
            continue
        # A planned value per period (分期預定值): set, changed, confirmed, or back to the default.
        old_value = previous.value if previous is not None and previous.history_type != "-" else None
        new_value = None if record.history_type == "-" else record.value
        changes = []
        if old_value != new_value:
            changes.append(
                Change(
                    field="value",
                    label=field_label(PlannedValue, "value"),
                    old=EMPTY if old_value is None else _plain_number(old_value),
                    new=pgettext("a planned value", "default") if new_value is None else _plain_number(new_value),
                )
            )
        if previous is not None and record.history_type != "-" and previous.status != record.status:
            changes.append(
                Change(
                    field="status",
                    label=field_label(PlannedValue, "status"),
                    old=display_value(status_field, previous.status),
                    new=display_value(status_field, record.status),
                )
            )
        if not changes:
            continue
        if record.history_type == "-":
            action, label = "planned_reverted", _("Planned value back to the default")
        elif [c.field for c in changes] == ["status"]:
            action, label = "planned_confirmed", _("Planned value confirmed")
        else:
            action, label = "planned_changed", _("Planned value set")
        subject = pgettext("a planned value: its year and period", "%(year)s, period %(number)s") % {
            "year": roc_year(record.year),
            "number": record.number,
        }
        entries.append(
            entry(record, kind="target", action=action, action_label=label, subject=subject, changes=changes)
        )

    plan_rows = (
        Plan.history.filter(id=indicator.department_plan.plan_id)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    for record, previous in _with_previous(plan_rows):
        changes = describe(record, previous, light_fields(Plan))
        if record.history_type != "~" or not changes:
            continue  # only the plan's changes that move this indicator's lights
        entries.append(
            entry(
                record,
                kind="setting",
                action="thresholds_changed",
                action_label=_("Light thresholds changed"),
                subject=_("every indicator of the plan"),
                changes=changes,
            )
        )
    return entries
