"""Loading a department's plan from a plan workbook (中程施政計畫工作簿), all or nothing.

`plan_workbook_preview` says what loading would do; `plan_workbook_apply` does it in one
transaction, after the same checks, and refuses (writing nothing) when the stored plan
has moved since the preview it is given the fingerprint of. New rows are written in
bulk, a fixed number of queries whatever their number: goals, objectives, sub-items,
common goals, indicators and targets, each with its record (the indicators' and targets'
history, each new target's first `TargetRevision`); changed rows are saved one by one
through the same rules as everywhere (`target_set` for a target, with the reason). The
stored assessments of every KPI-year touched are refreshed once, at the end, inside the
transaction (`kpi.stored.deferred`).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from kpi import history, stored
from kpi.models import Indicator, IndicatorKind, TargetRevision, YearlyTarget
from kpi.plan_workbook import layout, preview
from kpi.plan_workbook.reader import PlanWorkbook
from kpi.services.targets import NEW_TARGET_REASON, target_set
from plans.models import CommonGoal, DepartmentPlan, Goal, ObjectiveItem, StrategicObjective

# Recorded on the indicators a workbook creates (and on changes when no reason was given):
# in the city's language, like every reason on the record.
WORKBOOK_REASON = "依中程施政計畫工作簿匯入"


class PreviewOutdated(Exception):
    """The stored plan changed after the preview was shown: nothing was written."""


def plan_workbook_preview(
    *, department_plan: DepartmentPlan, workbook: PlanWorkbook, reason: str = ""
) -> preview.Preview:
    """What loading `workbook` would create, change and keep; `layout.WorkbookRefused` when it cannot be loaded."""
    result = preview.build(department_plan, workbook, reason=reason)
    if result.errors:
        raise layout.WorkbookRefused(result.errors)
    return result


# Sent inside the transaction of a load that inserted rows in bulk (no post_save for them):
# receivers that follow what a plan holds (the public pages' version) listen to it.
written_in_bulk = Signal()


def plan_workbook_apply(
    *,
    department_plan: DepartmentPlan,
    workbook: PlanWorkbook,
    user=None,
    reason: str = "",
    fingerprint: str | None = None,
) -> preview.Preview:
    """Load `workbook` into `department_plan`, whole or not at all; return the preview it applied.

    With `fingerprint` (of the preview the person saw), refuse with `PreviewOutdated` when
    the preview would now differ. `layout.WorkbookRefused` lists every cell in the way.
    """
    reason = (reason or "").strip()
    user = user if user is not None and getattr(user, "is_authenticated", False) else None
    try:
        with transaction.atomic(), stored.deferred():
            # One load at a time per department plan: the preview is computed under the lock.
            DepartmentPlan.objects.select_for_update().filter(pk=department_plan.pk).exists()
            result = plan_workbook_preview(department_plan=department_plan, workbook=workbook, reason=reason)
            if fingerprint is not None and result.fingerprint != fingerprint:
                raise PreviewOutdated(_("The plan has changed since the preview was made; check the new preview."))
            _write(result, user=user, reason=reason)
            # Its new goals, objectives, indicators and targets were inserted in bulk, which
            # sends no model signal: say so once, in the same transaction (reports.signals).
            written_in_bulk.send(sender=DepartmentPlan, department_plan=department_plan)
    except IntegrityError:
        raise layout.WorkbookRefused(
            [
                layout.CellError(
                    "",
                    None,
                    "",
                    _(
                        "The workbook conflicts with the stored plan (a number or name is already taken); nothing was loaded."
                    ),
                )
            ]
        ) from None
    return result


def _write(result: preview.Preview, *, user, reason: str) -> None:
    department_plan = result.department_plan
    why = reason or WORKBOOK_REASON

    changed_texts = [e for e in result.texts if e.changed]
    for entry in changed_texts:
        for name, value in entry.values.items():
            setattr(department_plan, name, value)
    if changed_texts:
        department_plan.save(update_fields=[name for e in changed_texts for name in e.values])

    # Goals, then the objectives that serve them.
    goals = {}
    new_goals = []
    for view in result.goals:
        entry = view.entry
        if entry.existing is not None:
            goal = entry.existing
            if entry.changed:
                goal.name = entry.values["name"]
                goal.save(update_fields=["name"])
        else:
            goal = Goal(department_plan=department_plan, number=entry.row.number, name=entry.values["name"])
            new_goals.append(goal)
        goals[entry.row.name] = goal
    _bulk(Goal, new_goals)

    new_objectives, new_items = [], []
    objectives = {}
    for view in result.objectives:
        entry = view.entry
        values = {k: v for k, v in entry.values.items() if k != "goal"}
        goal = goals.get(entry.values["goal"])
        if entry.existing is not None:
            objective = entry.existing
            if entry.changed:
                for name, value in values.items():
                    setattr(objective, name, value)
                objective.goal = goal
                objective.save(update_fields=[*values, "goal"])
        else:
            objective = StrategicObjective(
                department_plan=department_plan, number=entry.row.number, goal=goal, **values
            )
            new_objectives.append(objective)
        objectives[entry.row.number] = objective
    _bulk(StrategicObjective, new_objectives)
    for view in result.objectives:
        objective = objectives[view.entry.row.number]
        for item in view.items:
            if item.existing is None:
                new_items.append(ObjectiveItem(objective=objective, number=item.row.number, **item.values))
            elif item.changed:
                for name, value in item.values.items():
                    setattr(item.existing, name, value)
                item.existing.save(update_fields=list(item.values))
    _bulk(ObjectiveItem, new_items)

    common_goals = {}
    new_common_goals = []
    for view in result.common_goals:
        entry = view.entry
        if entry.existing is not None:
            common_goal = entry.existing
            if entry.changed:
                for name, value in entry.values.items():
                    setattr(common_goal, name, value)
                common_goal.save(update_fields=list(entry.values))
        else:
            common_goal = CommonGoal(department_plan=department_plan, number=entry.row.number, **entry.values)
            new_common_goals.append(common_goal)
        common_goals[entry.row.number] = common_goal
    _bulk(CommonGoal, new_common_goals)

    # Indicators and their targets.
    views = [(v, objectives[o.entry.row.number], None) for o in result.objectives for v in o.indicators]
    views += [(v, None, common_goals[c.entry.row.number]) for c in result.common_goals for v in c.indicators]
    new_indicators, changed_targets = [], []
    for view, objective, common_goal in views:
        entry = view.entry
        if entry.existing is not None:
            indicator = entry.existing
            if entry.changed:
                for name, value in entry.values.items():
                    setattr(indicator, name, value)
                history.record_change(indicator, reason=why, user=user)
                indicator.save()
        else:
            kind = IndicatorKind.KPI if objective is not None else IndicatorKind.COMMON
            indicator = Indicator(
                department_plan=department_plan,
                kind=kind,
                objective=objective,
                common_goal=common_goal,
                number=entry.row.number,
                **entry.values,
            )
            indicator.full_clean(
                exclude=["department_plan", "objective", "common_goal"],
                validate_unique=False,
                validate_constraints=False,
            )
            new_indicators.append(indicator)
        view.indicator = indicator
        changed_targets += [(indicator, t) for t in view.targets if t.changed]
    if new_indicators:
        bulk_create_with_history(new_indicators, Indicator, default_user=user, default_change_reason=WORKBOOK_REASON)

    new_targets = [
        YearlyTarget(indicator=view.indicator, year=t.year, value=t.value, original_value=t.value)
        for view, _objective, _common in views
        for t in view.targets
        if t.created
    ]
    if new_targets:
        bulk_create_with_history(new_targets, YearlyTarget, default_user=user, default_change_reason=NEW_TARGET_REASON)
        TargetRevision.objects.bulk_create(
            TargetRevision(
                target=target,
                old_value=None,
                new_value=target.value,
                reason=NEW_TARGET_REASON,
                changed_by=user,
                source=TargetRevision.Source.IMPORT,
            )
            for target in new_targets
        )
        # bulk_create sends no signal: the new KPI-years' stored assessments, once, at the end.
        stored.touch((t.indicator_id, t.year) for t in new_targets)
    for indicator, target in changed_targets:
        target_set(
            indicator=indicator,
            year=target.year,
            value=target.value,
            reason=why,
            user=user,
            source=TargetRevision.Source.IMPORT,
        )


def _bulk(model, objects: list) -> None:
    """Insert new rows at once; their checks were the reader's, their constraints are the database's."""
    if objects:
        model.objects.bulk_create(objects)
