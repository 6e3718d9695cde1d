"""A plan workbook compared with the department plan as stored: what loading it would do.

`build` reads the stored plan in a fixed number of queries (six, whatever its size) and
matches the workbook's rows by their numbers within their parents: goals by 編號,
objectives by 序號, sub-items by 分項編號 within their objective, indicators by 編號
within their objective or common goal, targets by year. Each is created, changed (with
the fields that change, old and new) or unchanged. What is stored but not in the
workbook is kept as it is and listed: loading a plan never deletes (an indicator may
already have reports).

Some checks need the stored plan and are made here, named by cell like the reader's: a
name that another stored row keeps, and a change that moves status lights (a target, or
an indicator's unit, direction, weight, accrual, formula or evaluation method) without a
reason (`kpi.history.LIGHT_FIELDS`, the rule admin and the indicator import follow).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from kpi import history
from kpi.models import Indicator, IndicatorKind, YearlyTarget
from kpi.models.indicators import indicator_code
from kpi.plan_workbook import layout as L
from kpi.plan_workbook.reader import CommonGoalRow, IndicatorRow, ObjectiveRow, PlanWorkbook
from kpi.resources.columns import DIRECTION_EXPORT, METHOD_EXPORT, plain_number
from kpi.resources.fields import FormulaWidget
from plans.models import CommonGoal, DepartmentPlan, Goal, StrategicObjective

CREATED, CHANGED, UNCHANGED, KEPT = "created", "changed", "unchanged", "kept"
GOAL, OBJECTIVE, ITEM, INDICATOR, COMMON_GOAL, COMMON_INDICATOR, TARGET, TEXT = (
    "goal",
    "objective",
    "item",
    "indicator",
    "common_goal",
    "common_indicator",
    "target",
    "text",
)
KINDS = (TEXT, GOAL, OBJECTIVE, ITEM, INDICATOR, COMMON_GOAL, COMMON_INDICATOR, TARGET)


@dataclass
class FieldChange:
    label: str  # the file's column (its zh-Hant header)
    old: str
    new: str


@dataclass
class Entry:
    kind: str
    code: str
    name: str
    status: str
    changes: list[FieldChange] = field(default_factory=list)
    existing: object | None = None
    row: object | None = None  # the workbook's row (reader's dataclass)
    values: dict = field(default_factory=dict)  # model field → new value

    @property
    def created(self) -> bool:
        return self.status == CREATED

    @property
    def text(self) -> str:
        """The one value of a text row (使命, 願景 …)."""
        return next(iter(self.values.values()), "") if self.values else ""

    @property
    def changed(self) -> bool:
        return self.status == CHANGED


@dataclass
class TargetEntry(Entry):
    year: int = 0
    value: Decimal | None = None
    old: Decimal | None = None

    @property
    def shown(self) -> str:
        return _shown(self.value)

    @property
    def old_shown(self) -> str:
        return _shown(self.old)


@dataclass
class IndicatorView:
    entry: Entry
    targets: list[TargetEntry]
    indicator: Indicator | None = None  # the stored row, once written

    @property
    def changed_targets(self) -> int:
        return sum(1 for t in self.targets if t.changed)


@dataclass
class ObjectiveView:
    entry: Entry
    goal_name: str
    goal_changed: bool
    items: list[Entry]
    indicators: list[IndicatorView]


@dataclass
class GoalView:
    entry: Entry
    objectives: list[ObjectiveView]


@dataclass
class CommonGoalView:
    entry: Entry
    indicators: list[IndicatorView]


@dataclass
class Preview:
    department_plan: DepartmentPlan
    years: list[int]
    texts: list[Entry]
    goals: list[GoalView]
    unlinked: list[ObjectiveView]  # objectives that serve no goal
    common_goals: list[CommonGoalView]
    kept: list[Entry]
    errors: list[L.CellError] = field(default_factory=list)

    def entries(self) -> Iterator[Entry]:
        yield from self.texts
        objectives = [o for g in self.goals for o in g.objectives] + self.unlinked
        for goal in self.goals:
            yield goal.entry
        for objective in sorted(objectives, key=lambda o: o.entry.row.number):
            yield objective.entry
            yield from objective.items
            for indicator in objective.indicators:
                yield indicator.entry
                yield from indicator.targets
        for common_goal in self.common_goals:
            yield common_goal.entry
            for indicator in common_goal.indicators:
                yield indicator.entry
                yield from indicator.targets

    @property
    def objectives(self) -> list[ObjectiveView]:
        return sorted([o for g in self.goals for o in g.objectives] + self.unlinked, key=lambda o: o.entry.row.number)

    def counts(self) -> dict[str, Counter]:
        counts = {kind: Counter() for kind in KINDS}
        for entry in self.entries():
            counts[entry.kind][entry.status] += 1
        return counts

    @property
    def summary_rows(self) -> list[tuple[str, int, int, int]]:
        """(what, created, changed, unchanged) for each kind of row, in the plan's order."""
        labels = {
            TEXT: _("Mission, vision and policy focus"),
            GOAL: _("Goals"),
            OBJECTIVE: _("Strategic objectives"),
            ITEM: _("Sub-items"),
            INDICATOR: _("Key performance indicators"),
            COMMON_GOAL: _("Common goals"),
            COMMON_INDICATOR: _("Common indicators"),
            TARGET: _("Yearly targets"),
        }
        counts = self.counts()
        return [(labels[k], counts[k][CREATED], counts[k][CHANGED], counts[k][UNCHANGED]) for k in KINDS]

    @property
    def has_changes(self) -> bool:
        return any(e.status in (CREATED, CHANGED) for e in self.entries())

    @property
    def fingerprint(self) -> str:
        """What loading would do, as a digest: a confirmation applies only the preview it saw."""
        digest = hashlib.sha256()
        for entry in self.entries():
            digest.update(repr((entry.kind, entry.code, entry.status, sorted(entry.values.items()))).encode())
            digest.update(repr([(c.label, c.old, c.new) for c in entry.changes]).encode())
        return digest.hexdigest()


# --- Comparing -----------------------------------------------------------------------------


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        return str(plain_number(value))
    return str(value)


def _compare(entry: Entry, existing, fields: list[tuple[str, str, object, object]]) -> Entry:
    """fields: (label, model field, new value, how to show a value)."""
    for label, name, new, show in fields:
        entry.values[name] = new
        if existing is None:
            continue
        old = getattr(existing, name)
        if old != new:
            entry.changes.append(FieldChange(label, show(old), show(new)))
    if existing is not None:
        entry.status = CHANGED if entry.changes else UNCHANGED
    return entry


def _plain(value):
    return _shown(value)


def _labelled(mapping):
    return lambda value: mapping.get(value, _shown(value))


def _indicator_entry(row: IndicatorRow, existing: Indicator | None, kind: str) -> Entry:
    name_column = L.COL_COMMON if row.kind == IndicatorKind.COMMON else L.COL_KPI
    entry = Entry(kind, row.code, row.name, CREATED, existing=existing, row=row)
    formula = FormulaWidget()
    fields = [
        (name_column, "name", row.name, _plain),
        (L.COL_ARRANGEMENT, "evaluation_arrangement", row.evaluation_arrangement, _plain),
        (L.COL_METHOD, "evaluation_method", row.evaluation_method, _labelled(METHOD_EXPORT)),
        (L.COL_STANDARD, "measurement_standard", row.measurement_standard, _plain),
        (L.COL_UNIT, "unit", row.unit, _plain),
        (L.COL_DIRECTION, "direction", row.direction, _labelled(DIRECTION_EXPORT)),
        (L.COL_WEIGHT, "weight", row.weight, _plain),
        (L.COL_ACCRUAL, "accrual", row.accrual, _labelled(L.ACCRUAL_EXPORT)),
        (L.COL_FORMULA, "formula", row.formula, lambda v: formula.render(v) or "—"),
    ]
    return _compare(entry, existing, fields)


def _target_entries(row: IndicatorRow, existing: Indicator | None) -> list[TargetEntry]:
    stored = {t.year: t for t in existing.targets.all()} if existing is not None else {}
    entries = []
    for year in sorted(row.targets):
        value = row.targets[year]
        target = stored.get(year)
        old = target.value if target is not None else None
        status = CREATED if target is None else (UNCHANGED if old == value else CHANGED)
        entry = TargetEntry(
            TARGET, f"{row.code} {year}", str(year), status, existing=target, row=row, year=year, value=value, old=old
        )
        entry.values = {"value": value}
        if status == CHANGED:
            entry.changes.append(FieldChange(str(year), _shown(old), _shown(value)))
        entries.append(entry)
    return entries


def _indicator_view(row: IndicatorRow, stored: dict, kind: str) -> IndicatorView:
    existing = stored.get((row.parent_number, row.number))
    return IndicatorView(_indicator_entry(row, existing, kind), _target_entries(row, existing))


def _load(department_plan: DepartmentPlan):
    goals = {g.number: g for g in Goal.objects.filter(department_plan=department_plan)}
    objectives = {
        o.number: o
        for o in StrategicObjective.objects.filter(department_plan=department_plan).prefetch_related("items")
    }
    common_goals = {c.number: c for c in CommonGoal.objects.filter(department_plan=department_plan)}
    indicators = list(
        Indicator.objects.filter(department_plan=department_plan).prefetch_related(
            Prefetch("targets", queryset=YearlyTarget.objects.order_by("year"))
        )
    )
    objective_numbers = {o.pk: n for n, o in objectives.items()}
    common_numbers = {c.pk: n for n, c in common_goals.items()}
    kpis = {(objective_numbers[i.objective_id], i.number): i for i in indicators if i.kind == IndicatorKind.KPI}
    commons = {(common_numbers[i.common_goal_id], i.number): i for i in indicators if i.kind == IndicatorKind.COMMON}
    return goals, objectives, common_goals, kpis, commons


def build(department_plan: DepartmentPlan, workbook: PlanWorkbook, *, reason: str = "") -> Preview:
    """The preview of loading `workbook` into `department_plan`; `preview.errors` lists what the
    stored plan makes impossible (empty when it can be loaded)."""
    goals, objectives, common_goals, kpis, commons = _load(department_plan)
    goal_names = {g.pk: g.name for g in goals.values()}

    texts = []
    for label, name in L.TEXT_ROWS.items():
        if name not in workbook.texts:
            continue
        entry = Entry(TEXT, label, label, CHANGED, existing=department_plan)
        texts.append(_compare(entry, department_plan, [(label, name, workbook.texts[name], _plain)]))

    goal_entries: dict[str, Entry] = {}
    goal_views: list[GoalView] = []
    for row in workbook.goals:
        existing = goals.get(row.number)
        entry = _compare(
            Entry(GOAL, str(row.number), row.name, CREATED, existing=existing, row=row),
            existing,
            [(L.COL_GOAL, "name", row.name, _plain)],
        )
        goal_entries[row.name] = entry
        goal_views.append(GoalView(entry, []))
    views_by_goal = {view.entry.row.name: view for view in goal_views}

    unlinked: list[ObjectiveView] = []
    for row in workbook.objectives:
        view = _objective_view(row, objectives.get(row.number), goal_names, kpis)
        (views_by_goal[row.goal_name].objectives if row.goal_name in views_by_goal else unlinked).append(view)

    common_views = []
    for row in workbook.common_goals:
        common_views.append(_common_goal_view(row, common_goals.get(row.number), commons))

    preview = Preview(
        department_plan=department_plan,
        years=list(workbook.years),
        texts=texts,
        goals=goal_views,
        unlinked=unlinked,
        common_goals=common_views,
        kept=_kept(workbook, goals, objectives, common_goals, kpis, commons),
    )
    preview.errors = _conflicts(preview, workbook, goals, objectives) + _reasons_missing(preview, reason)
    return preview


def _objective_view(row: ObjectiveRow, existing, goal_names: dict[int, str], kpis: dict) -> ObjectiveView:
    entry = Entry(OBJECTIVE, str(row.number), row.name, CREATED, existing=existing, row=row)
    old_goal = goal_names.get(existing.goal_id, "") if existing is not None else ""
    _compare(
        entry,
        existing,
        [
            (L.COL_OBJECTIVE, "name", row.name, _plain),
            (L.COL_DIMENSION, "dimension", row.dimension, _labelled(L.DIMENSION_EXPORT)),
            (L.COL_SUMMARY, "summary", row.summary, _plain),
            (L.COL_GOAL_INFERRED, "goal_inferred", row.goal_inferred, lambda v: L.YES if v else L.NO),
        ],
    )
    entry.values["goal"] = row.goal_name
    goal_changed = existing is not None and old_goal != row.goal_name
    if goal_changed:
        entry.changes.insert(0, FieldChange(L.COL_OBJECTIVE_GOAL, _shown(old_goal), _shown(row.goal_name)))
        entry.status = CHANGED
    stored_items = {i.number: i for i in existing.items.all()} if existing is not None else {}
    items = []
    for item in row.items:
        old = stored_items.get(item.number)
        items.append(
            _compare(
                Entry(ITEM, f"{row.number}-{item.number}", item.title, CREATED, existing=old, row=item),
                old,
                [
                    (L.COL_ITEM_TITLE, "title", item.title, _plain),
                    (L.COL_ITEM_DESCRIPTION, "description", item.description, _plain),
                ],
            )
        )
    indicators = [_indicator_view(i, kpis, INDICATOR) for i in row.indicators]
    return ObjectiveView(entry, row.goal_name, goal_changed, items, indicators)


def _common_goal_view(row: CommonGoalRow, existing, commons: dict) -> CommonGoalView:
    entry = _compare(
        Entry(COMMON_GOAL, str(row.number), row.name, CREATED, existing=existing, row=row),
        existing,
        [
            (L.COL_COMMON_GOAL, "name", row.name, _plain),
            (L.COL_DIMENSION, "dimension", row.dimension, _labelled(L.DIMENSION_EXPORT)),
            (L.COL_COMMON_DESCRIPTION, "description", row.description, _plain),
        ],
    )
    return CommonGoalView(entry, [_indicator_view(i, commons, COMMON_INDICATOR) for i in row.indicators])


def _kept(workbook: PlanWorkbook, goals, objectives, common_goals, kpis, commons) -> list[Entry]:
    kept = []
    in_file_goals = {g.number for g in workbook.goals}
    kept += [Entry(GOAL, str(n), g.name, KEPT, existing=g) for n, g in goals.items() if n not in in_file_goals]
    in_file = {o.number: o for o in workbook.objectives}
    for number, objective in objectives.items():
        if number not in in_file:
            kept.append(Entry(OBJECTIVE, str(number), objective.name, KEPT, existing=objective))
            continue
        file_items = {i.number for i in in_file[number].items}
        kept += [
            Entry(ITEM, f"{number}-{i.number}", i.title, KEPT, existing=i)
            for i in objective.items.all()
            if i.number not in file_items
        ]
    in_file_common = {c.number for c in workbook.common_goals}
    kept += [
        Entry(COMMON_GOAL, str(n), c.name, KEPT, existing=c) for n, c in common_goals.items() if n not in in_file_common
    ]
    file_kpis = {(i.parent_number, i.number) for o in workbook.objectives for i in o.indicators}
    file_commons = {(i.parent_number, i.number) for c in workbook.common_goals for i in c.indicators}
    for stored, in_file_keys, kind in ((kpis, file_kpis, INDICATOR), (commons, file_commons, COMMON_INDICATOR)):
        for key, indicator in stored.items():
            if key not in in_file_keys:
                kept.append(Entry(kind, indicator_code(indicator.kind, key[0], key[1]), indicator.name, KEPT))
    return kept


def _conflicts(preview: Preview, workbook: PlanWorkbook, goals: dict, objectives: dict) -> list[L.CellError]:
    """A name the workbook gives that a stored row it leaves alone keeps (names are unique in a department plan)."""
    errors = []
    for rows, stored, column in (
        (workbook.goals, goals, L.COL_GOAL),
        (workbook.objectives, objectives, L.COL_OBJECTIVE),
    ):
        numbers = {r.number for r in rows}
        kept_names = {o.name: n for n, o in stored.items() if n not in numbers}
        for row in rows:
            if row.name in kept_names:
                errors.append(
                    row.place.error(
                        column,
                        _(
                            "“%(name)s” is the name of number %(number)s, which the plan keeps (it is not in the "
                            "workbook): names must differ."
                        )
                        % {"name": row.name, "number": kept_names[row.name]},
                    )
                )
    return errors


def _reasons_missing(preview: Preview, reason: str) -> list[L.CellError]:
    """A change that moves status lights needs a reason (kpi.history's rule)."""
    if (reason or "").strip():
        return []
    errors = []
    views = [i for o in preview.objectives for i in o.indicators] + [
        i for c in preview.common_goals for i in c.indicators
    ]
    labels = {
        "unit": L.COL_UNIT,
        "direction": L.COL_DIRECTION,
        "weight": L.COL_WEIGHT,
        "accrual": L.COL_ACCRUAL,
        "formula": L.COL_FORMULA,
        "evaluation_method": L.COL_METHOD,
    }
    for view in views:
        entry = view.entry
        if entry.changed:
            changed = [
                name for name in history.light_fields(Indicator) if getattr(entry.existing, name) != entry.values[name]
            ]
            for name in changed:
                errors.append(
                    entry.row.place.error(
                        labels[name],
                        _(
                            "This change moves status lights: give a reason for the changes when you upload the workbook."
                        ),
                    )
                )
        for target in view.targets:
            if target.changed:
                errors.append(
                    target.row.place.error(
                        str(target.year),
                        _(
                            "Changing the target of %(year)s from %(old)s to %(new)s needs a reason: give one when "
                            "you upload the workbook."
                        )
                        % {"year": target.year, "old": _shown(target.old), "new": _shown(target.value)},
                    )
                )
    return errors
