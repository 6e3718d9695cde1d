"""Reading a plan workbook: every sheet checked whole, into plain rows, or every error found.

Nothing here touches the database: the rows are compared with what is stored by
`kpi.plan_workbook.preview`. Each refusal is a `layout.CellError` naming the sheet, the
row as the spreadsheet shows it and the column's letter. The checks of a value are the
app's own rules, called, not restated: the units' (`kpi.units.target_problem`), the
indicator file's cell readers (`kpi.resources`), the models' field lengths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl.utils.cell import range_boundaries

from common.spreadsheets import reading
from kpi import units
from kpi.models import Accrual, Direction, EvaluationMethod, Indicator, IndicatorKind, Unit
from kpi.models.indicators import indicator_code
from kpi.plan_workbook import layout as L
from kpi.resources.columns import DIRECTION_IMPORT, METHOD_IMPORT, cell_decimal, cell_int, year_of_header
from kpi.resources.fields import ArrangementWidget, FormulaWidget, UnitWidget, WeightWidget
from plans.models import (
    COMMON_GOAL_DIMENSIONS,
    OBJECTIVE_DIMENSIONS,
    CommonGoal,
    DepartmentPlan,
    Goal,
    ObjectiveItem,
    Plan,
    StrategicObjective,
)

# --- What a workbook says --------------------------------------------------------------


@dataclass
class Place:
    """Where a value was read: for errors found later (against the stored plan)."""

    sheet: str
    row: int
    columns: dict[str, str] = field(default_factory=dict)  # column header → letter

    def error(self, column: str | None, message: str) -> L.CellError:
        return L.CellError(self.sheet, self.row, self.columns.get(column, "") if column else "", message)


@dataclass
class GoalRow:
    number: int
    name: str
    place: Place


@dataclass
class ItemRow:
    number: int
    title: str
    description: str
    place: Place


@dataclass
class IndicatorRow:
    kind: str
    parent_number: int
    number: int
    name: str
    evaluation_arrangement: int
    evaluation_method: str
    measurement_standard: str
    unit: str
    direction: str
    weight: Decimal
    accrual: str
    formula: str
    targets: dict[int, Decimal]
    place: Place

    @property
    def code(self) -> str:
        return indicator_code(self.kind, self.parent_number, self.number)


@dataclass
class ObjectiveRow:
    number: int
    name: str
    dimension: str
    goal_name: str  # "" when it serves no goal
    goal_inferred: bool
    summary: str
    place: Place
    items: list[ItemRow] = field(default_factory=list)
    indicators: list[IndicatorRow] = field(default_factory=list)


@dataclass
class CommonGoalRow:
    number: int
    name: str
    dimension: str
    description: str
    place: Place
    indicators: list[IndicatorRow] = field(default_factory=list)


@dataclass
class PlanWorkbook:
    """A department's plan as the workbook gives it, checked in itself (not yet against the stored plan)."""

    texts: dict[str, str]  # mission, vision, vision_statement
    text_places: dict[str, Place]
    goals: list[GoalRow]
    objectives: list[ObjectiveRow]
    common_goals: list[CommonGoalRow]
    years: list[int]


# --- One sheet's table ---------------------------------------------------------------------


class _Table:
    """A sheet's header (and its row of years), its data rows, and errors named by cell."""

    def __init__(self, sheet: reading.BookSheet, columns: list[str], errors: list[L.CellError], plan=None):
        self.title, self.errors = sheet.title, errors
        self.index: dict[str, int] = {}
        self.years: dict[int, int] = {}  # year → column index
        self.rows: list[tuple[int, list]] = []
        self.ok = True
        if not sheet.rows:
            self.fail(None, None, _("The sheet is empty: its first row must hold the column names."))
            return
        self.header_row, header = sheet.rows[0]
        rest = sheet.rows[1:]
        for position, cell in enumerate(header):
            text = reading.header_text(cell)
            if text and text not in self.index:
                self.index[text] = position
        missing = [c for c in columns if c not in self.index and c not in L.OPTIONAL_COLUMNS]
        for column in missing:
            self.fail(self.header_row, None, _("The column “%(column)s” is missing.") % {"column": column})
        if plan is not None:
            rest = self._read_years(header, rest, plan)
        self.rows = rest

    def _read_years(self, header, rest, plan: Plan):
        """The year columns: the row under 年度績效目標值 (as the document), or years in the header itself."""
        year_row, cells = self.header_row, header
        if L.COL_TARGETS in self.index and rest:
            year_row, cells = rest[0]
            rest = rest[1:]
        for position, cell in enumerate(cells):
            year = year_of_header(cell) if not reading.is_blank(cell) else None
            if year is None:
                continue
            if year in self.years:
                self.fail(year_row, position, _("The year %(year)s has two columns.") % {"year": year})
            elif not plan.contains_year(year):
                self.fail(
                    year_row,
                    position,
                    _("%(year)s is not a year of the plan (%(start)s–%(end)s).")
                    % {"year": year, "start": plan.start_year, "end": plan.end_year},
                )
            else:
                self.years[year] = position
        first = min(self.years.values()) if self.years else self.index.get(L.COL_TARGETS, len(L.KPI_LEAD))
        first_year = min(self.years) if self.years else plan.start_year
        for year in plan.years:
            if year not in self.years:
                self.fail(
                    year_row,
                    first + (year - first_year),
                    _("The column of the year %(year)s's target is missing (the plan runs %(start)s–%(end)s).")
                    % {"year": year, "start": plan.start_year, "end": plan.end_year},
                )
        return rest

    def fail(self, row: int | None, column: int | str | None, message: str) -> None:
        self.ok = False
        if isinstance(column, str):
            column = self.index.get(column)
        self.errors.append(L.CellError(self.title, row, L.column_letter(column), message))

    def raw(self, cells: list, column: str):
        position = self.index.get(column)
        return cells[position] if position is not None and position < len(cells) else None

    def text(self, cells: list, column: str) -> str:
        return reading.cell_text(self.raw(cells, column)).strip()

    def place(self, number: int) -> Place:
        columns = {name: L.column_letter(i) for name, i in self.index.items()}
        columns.update({str(year): L.column_letter(i) for year, i in self.years.items()})
        return Place(self.title, number, columns)


# --- Values ------------------------------------------------------------------------------


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def _checked_text(table: _Table, number: int, cells, column: str, model, name: str, *, required=True) -> str:
    text = table.text(cells, column)
    if not text and required:
        table.fail(number, column, _("Please fill in %(column)s.") % {"column": column})
    limit = _max_length(model, name) if name else None
    if limit and len(text) > limit:
        table.fail(
            number,
            column,
            _("At most %(limit)s characters (this has %(count)s).") % {"limit": limit, "count": len(text)},
        )
    return text


def _number(table: _Table, number: int, cells, column: str) -> int | None:
    raw = table.raw(cells, column)
    if reading.is_blank(raw):
        table.fail(number, column, _("Please fill in %(column)s.") % {"column": column})
        return None
    try:
        value = cell_int(raw, column)
    except ValueError as exc:
        table.fail(number, column, str(exc))
        return None
    if value < 1:
        table.fail(number, column, _("%(column)s must be 1 or more.") % {"column": column})
        return None
    return value


def _choice(table: _Table, number: int, cells, column: str, mapping: dict, allowed, *, default=None):
    text = table.text(cells, column)
    if not text:
        if default is not None:
            return default
        table.fail(number, column, _("Please fill in %(column)s.") % {"column": column})
        return None
    code = mapping.get(text) or mapping.get(text.lower())
    if code is None:
        table.fail(
            number,
            column,
            _("Unknown %(column)s “%(text)s”; allowed: %(allowed)s.")
            % {"column": column, "text": text, "allowed": "、".join(allowed)},
        )
    return code


def _widget(table: _Table, number: int, cells, column: str, widget, *, default=None):
    raw = table.raw(cells, column)
    if reading.is_blank(raw) and default is not None:
        return default
    try:
        return widget.clean(raw)
    except ValueError as exc:
        table.fail(number, column, str(exc))
        return None


# --- The sheets ------------------------------------------------------------------------------


def _texts(sheet, errors, rows: dict[str, str]) -> tuple[dict[str, str], dict[str, Place]]:
    """A sheet of 項目 | 內容 rows (使命及願景, 施政重點): {model field: text}."""
    table = _Table(sheet, L.MISSION_COLUMNS, errors)
    texts: dict[str, str] = {}
    places: dict[str, Place] = {}
    if not table.ok:
        return texts, places
    for number, cells in table.rows:
        label = table.text(cells, L.COL_ITEM)
        name = rows.get(label)
        if name is None:
            table.fail(
                number,
                L.COL_ITEM,
                _("Unknown %(column)s “%(text)s”; allowed: %(allowed)s.")
                % {"column": L.COL_ITEM, "text": label, "allowed": "、".join(rows)},
            )
            continue
        if name in texts:
            table.fail(number, L.COL_ITEM, _("“%(text)s” appears twice.") % {"text": label})
            continue
        texts[name] = _checked_text(table, number, cells, L.COL_CONTENT, DepartmentPlan, name, required=False)
        places[name] = table.place(number)
    return texts, places


def _goals(sheet, errors) -> list[GoalRow]:
    table = _Table(sheet, L.GOAL_COLUMNS, errors)
    goals: list[GoalRow] = []
    if not table.ok:
        return goals
    numbers: dict[int, int] = {}
    names: dict[str, int] = {}
    for row, cells in table.rows:
        number = _number(table, row, cells, L.COL_GOAL_NUMBER)
        name = _checked_text(table, row, cells, L.COL_GOAL, Goal, "name")
        if number is not None and number in numbers:
            table.fail(row, L.COL_GOAL_NUMBER, _used_twice(number, numbers[number]))
            continue
        if name and name in names:
            table.fail(row, L.COL_GOAL, _used_twice(name, names[name]))
            continue
        if number is None or not name:
            continue
        numbers[number], names[name] = row, row
        goals.append(GoalRow(number=number, name=name, place=table.place(row)))
    return goals


def _used_twice(what, row: int) -> str:
    return _("“%(value)s” is already used on row %(row)s.") % {"value": what, "row": row}


def _objectives(sheet, errors, goals: list[GoalRow]) -> list[ObjectiveRow]:
    table = _Table(sheet, L.OBJECTIVE_COLUMNS, errors)
    objectives: list[ObjectiveRow] = []
    if not table.ok:
        return objectives
    goal_names = {g.name for g in goals}
    goal_numbers = {str(g.number): g.name for g in goals}
    by_number: dict[int, ObjectiveRow] = {}
    names: dict[str, int] = {}
    current: ObjectiveRow | None = None
    allowed_dimensions = [L.DIMENSION_EXPORT[d] for d in OBJECTIVE_DIMENSIONS]
    dimension_map = {k: v for k, v in L.DIMENSION_IMPORT.items() if v in OBJECTIVE_DIMENSIONS}
    for row, cells in table.rows:
        serial_blank = reading.is_blank(table.raw(cells, L.COL_SERIAL))
        if serial_blank and current is not None:
            number = current.number
        else:
            number = _number(table, row, cells, L.COL_SERIAL)
            if number is None:
                current = None
                continue
        if current is None or number != current.number:
            if number in by_number:
                table.fail(row, L.COL_SERIAL, _used_twice(number, by_number[number].place.row))
                current = None
                continue
            name_text = _checked_text(table, row, cells, L.COL_OBJECTIVE, StrategicObjective, "name")
            name, bracket_dimension, _word = L.split_dimension(name_text)
            dimension = _choice(
                table,
                row,
                cells,
                L.COL_DIMENSION,
                dimension_map,
                allowed_dimensions,
                default=bracket_dimension,
            )
            goal_text = table.text(cells, L.COL_OBJECTIVE_GOAL)
            goal_name = goal_numbers.get(goal_text, goal_text)
            if goal_text and goal_name not in goal_names:
                table.fail(
                    row,
                    L.COL_OBJECTIVE_GOAL,
                    _("There is no goal “%(goal)s” on the sheet “%(sheet)s”.")
                    % {"goal": goal_text, "sheet": L.SHEET_GOALS},
                )
            if name and name in names:
                table.fail(row, L.COL_OBJECTIVE, _used_twice(name, names[name]))
            inferred = _choice(table, row, cells, L.COL_GOAL_INFERRED, L.BOOLEAN_IMPORT, [L.YES, L.NO], default=False)
            summary = _checked_text(table, row, cells, L.COL_SUMMARY, StrategicObjective, "", required=False)
            current = ObjectiveRow(
                number=number,
                name=name,
                dimension=dimension or "",
                goal_name=goal_name if goal_name in goal_names else "",
                goal_inferred=bool(inferred),
                summary=summary,
                place=table.place(row),
            )
            by_number[number] = current
            names.setdefault(name, row)
            objectives.append(current)
        else:
            _same_as_first(table, row, cells, current, goal_numbers)
        _item(table, row, cells, current)
    return objectives


def _same_as_first(table: _Table, row: int, cells, objective: ObjectiveRow, goal_numbers: dict) -> None:
    """A later row of an objective may leave its columns blank; if filled, they must agree with its first row."""
    first = objective.place.row
    name_text = table.text(cells, L.COL_OBJECTIVE)
    if name_text and L.split_dimension(name_text)[0] != objective.name:
        table.fail(row, L.COL_OBJECTIVE, _differs(objective.number, first, objective.name, name_text))
    dimension = table.text(cells, L.COL_DIMENSION)
    if dimension and L.DIMENSION_IMPORT.get(dimension, dimension) != objective.dimension:
        shown = L.DIMENSION_EXPORT.get(objective.dimension, objective.dimension)
        table.fail(row, L.COL_DIMENSION, _differs(objective.number, first, shown, dimension))
    goal = table.text(cells, L.COL_OBJECTIVE_GOAL)
    if goal and goal_numbers.get(goal, goal) != objective.goal_name:
        table.fail(row, L.COL_OBJECTIVE_GOAL, _differs(objective.number, first, objective.goal_name or "—", goal))


def _differs(number: int, first: int, value: str, text: str) -> str:
    return _("Number %(number)s has “%(value)s” on its first row (row %(row)s), not “%(text)s”.") % {
        "number": number,
        "value": value,
        "row": first,
        "text": text,
    }


def _item(table: _Table, row: int, cells, objective: ObjectiveRow) -> None:
    columns = (L.COL_ITEM_NUMBER, L.COL_ITEM_TITLE, L.COL_ITEM_DESCRIPTION)
    if all(reading.is_blank(table.raw(cells, c)) for c in columns):
        return
    number = _number(table, row, cells, L.COL_ITEM_NUMBER)
    title = _checked_text(table, row, cells, L.COL_ITEM_TITLE, ObjectiveItem, "title")
    description = _checked_text(table, row, cells, L.COL_ITEM_DESCRIPTION, ObjectiveItem, "", required=False)
    if number is None or not title:
        return
    for item in objective.items:
        if item.number == number:
            table.fail(row, L.COL_ITEM_NUMBER, _used_twice(f"{objective.number}-{number}", item.place.row))
            return
    objective.items.append(ItemRow(number=number, title=title, description=description, place=table.place(row)))


def _target(table: _Table, row: int, raw, year: int, column: int) -> tuple[Decimal | None, str | None]:
    """A target cell: a number, or the document's 100%, 1 式, 5 場; the unit written, if any."""
    if reading.is_blank(raw):
        table.fail(row, column, _("Please fill in the target of %(year)s.") % {"year": year})
        return None, None
    if isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
        try:
            return cell_decimal(raw, str(year)), None
        except ValueError as exc:
            table.fail(row, column, str(exc))
            return None, None
    text = reading.cell_text(raw).replace(" ", "")
    match = L.TARGET_TEXT.match(text)
    if match is None:
        table.fail(row, column, _("“%(value)s” is not a number.") % {"value": reading.cell_text(raw)})
        return None, None
    unit = match.group("unit")
    try:
        value = cell_decimal(match.group("number"), str(year))
    except ValueError as exc:
        table.fail(row, column, str(exc))
        return None, None
    return value, (L.UNIT_ALIASES.get(unit, unit) if unit else None)


def _indicators(sheet, errors, plan: Plan, kind: str, parents: dict[int, object]) -> list[IndicatorRow]:
    """The KPI table (參、三) or the common-indicator table (參、四): rows under their objective or common goal."""
    common = kind == IndicatorKind.COMMON
    lead, tail = (L.COMMON_LEAD, L.COMMON_TAIL) if common else (L.KPI_LEAD, L.KPI_TAIL)
    table = _Table(sheet, [*lead, L.COL_TARGETS, *tail], errors, plan=plan)
    indicators: list[IndicatorRow] = []
    if not table.ok:
        return indicators
    parent_column = L.COL_COMMON_GOAL if common else L.COL_OBJECTIVE
    name_column = L.COL_COMMON if common else L.COL_KPI
    seen: dict[tuple[int, int], int] = {}
    parent_number: int | None = None
    for row, cells in table.rows:
        if reading.is_blank(table.raw(cells, L.COL_SERIAL)) and parent_number is not None:
            number_of_parent = parent_number
        else:
            number_of_parent = _number(table, row, cells, L.COL_SERIAL)
        parent_number = number_of_parent
        if number_of_parent is not None and not common and number_of_parent not in parents:
            table.fail(
                row,
                L.COL_SERIAL,
                _("There is no strategic objective numbered %(number)s on the sheet “%(sheet)s”.")
                % {"number": number_of_parent, "sheet": L.SHEET_OBJECTIVES},
            )
            number_of_parent = None
        elif number_of_parent is not None and not common:
            parent_text = table.text(cells, parent_column)
            if parent_text:
                name, dimension, _word = L.split_dimension(parent_text)
                objective = parents[number_of_parent]
                if name != objective.name or (dimension and dimension != objective.dimension):
                    table.fail(
                        row,
                        parent_column,
                        _("Strategic objective %(number)s is “%(name)s” on the sheet “%(sheet)s”, not “%(text)s”.")
                        % {
                            "number": number_of_parent,
                            "name": L.with_dimension(objective.name, objective.dimension),
                            "sheet": L.SHEET_OBJECTIVES,
                            "text": parent_text,
                        },
                    )
        if common and number_of_parent is not None:
            _common_goal(table, row, cells, number_of_parent, parents)
            if all(reading.is_blank(table.raw(cells, c)) for c in (L.COL_NUMBER, L.COL_COMMON)):
                continue  # a common goal's own row, with no indicator yet
        number = _number(table, row, cells, L.COL_NUMBER)
        if number is not None and number_of_parent is not None:
            key = (number_of_parent, number)
            if key in seen:
                code = indicator_code(kind, number_of_parent, number)
                table.fail(row, L.COL_NUMBER, _used_twice(code, seen[key]))
                number = None
            else:
                seen[key] = row
        indicator = _indicator_row(table, row, cells, plan, kind, name_column)
        if indicator is None or number is None or number_of_parent is None:
            continue
        indicator.parent_number, indicator.number = number_of_parent, number
        parent = parents.get(number_of_parent)
        if parent is None:  # a common goal that could not be read: its error is on the list
            continue
        indicators.append(indicator)
        parent.indicators.append(indicator)
    return indicators


def _common_goal(table: _Table, row: int, cells, number: int, goals: dict[int, CommonGoalRow]) -> None:
    text = table.text(cells, L.COL_COMMON_GOAL)
    description = _checked_text(table, row, cells, L.COL_COMMON_DESCRIPTION, CommonGoal, "", required=False)
    goal = goals.get(number)
    if goal is not None:
        if goal.place.row != row and text and L.split_dimension(text)[0] != goal.name:
            table.fail(
                row,
                L.COL_COMMON_GOAL,
                _("Number %(number)s is “%(name)s” on row %(row)s, not “%(text)s”.")
                % {"number": number, "name": goal.name, "row": goal.place.row, "text": text},
            )
        return
    if not text:
        table.fail(row, L.COL_COMMON_GOAL, _("Please fill in %(column)s.") % {"column": L.COL_COMMON_GOAL})
        return
    name, dimension, _word = L.split_dimension(text)
    allowed = [L.DIMENSION_EXPORT[d] for d in COMMON_GOAL_DIMENSIONS]
    if dimension not in COMMON_GOAL_DIMENSIONS:
        table.fail(
            row,
            L.COL_COMMON_GOAL,
            _("Write the common goal's dimension in brackets after its name, one of %(allowed)s: e.g. “%(example)s”.")
            % {"allowed": "、".join(allowed), "example": "約聘僱員額控管（組織學習）"},
        )
        return
    limit = _max_length(CommonGoal, "name")
    if len(name) > limit:
        table.fail(
            row,
            L.COL_COMMON_GOAL,
            _("At most %(limit)s characters (this has %(count)s).") % {"limit": limit, "count": len(name)},
        )
        return
    goals[number] = CommonGoalRow(
        number=number, name=name, dimension=dimension, description=description, place=table.place(row)
    )


def _indicator_row(table: _Table, row: int, cells, plan: Plan, kind: str, name_column: str) -> IndicatorRow | None:
    before = len(table.errors)
    name = _checked_text(table, row, cells, name_column, Indicator, "name")
    arrangement = _widget(table, row, cells, L.COL_ARRANGEMENT, ArrangementWidget())
    method = _choice(table, row, cells, L.COL_METHOD, METHOD_IMPORT, ["進度控管", "統計數據"])
    standard = _checked_text(table, row, cells, L.COL_STANDARD, Indicator, "")
    direction = _choice(
        table, row, cells, L.COL_DIRECTION, DIRECTION_IMPORT, ["越高越好", "越低越好"], default=Direction.HIGHER
    )
    weight = _widget(table, row, cells, L.COL_WEIGHT, WeightWidget(), default=Decimal(1))
    accrual = _choice(
        table, row, cells, L.COL_ACCRUAL, L.ACCRUAL_IMPORT, list(L.ACCRUAL_EXPORT.values()), default=Accrual.CUMULATIVE
    )
    formula = ""
    if kind == IndicatorKind.COMMON:
        formula = _widget(table, row, cells, L.COL_FORMULA, FormulaWidget()) or ""
    # The unit: the 【系統】單位 column, or else read off the targets as the document writes them (100%, 5 場).
    unit_text = table.text(cells, L.COL_UNIT)
    unit = _widget(table, row, cells, L.COL_UNIT, UnitWidget()) if unit_text else None
    targets: dict[int, Decimal] = {}
    written_units: dict[int, str] = {}
    for year, position in table.years.items():
        raw = cells[position] if position < len(cells) else None
        value, written = _target(table, row, raw, year, position)
        if value is not None:
            targets[year] = value
        if written:
            written_units[year] = written
    if unit is None and not unit_text:
        found = set(written_units.values())
        if len(found) == 1:
            unit = found.pop()
        else:
            table.fail(
                row,
                L.COL_UNIT,
                _("Please fill in %(column)s (one of %(allowed)s), or write it after each target (e.g. 100%%, 1 式).")
                % {"column": L.COL_UNIT, "allowed": "、".join(Unit.values)},
            )
    if unit is not None and direction is not None:
        probe = Indicator(unit=unit, direction=direction, evaluation_method=method or EvaluationMethod.STATISTICS)
        for year in sorted(table.years):
            position = table.years[year]
            if year in written_units and written_units[year] != unit:
                table.fail(
                    row,
                    position,
                    _("The target is written in “%(written)s”, but the indicator's unit (%(column)s) is “%(unit)s”.")
                    % {"written": written_units[year], "column": L.COL_UNIT, "unit": unit},
                )
            elif year in targets:
                problem = units.target_problem(probe, targets[year])
                if problem:
                    table.fail(row, position, problem)
    if len(table.errors) > before:
        return None
    return IndicatorRow(
        kind=kind,
        parent_number=0,
        number=0,
        name=name,
        evaluation_arrangement=arrangement,
        evaluation_method=method,
        measurement_standard=standard,
        unit=unit,
        direction=direction,
        weight=weight,
        accrual=accrual,
        formula=formula,
        targets=targets,
        place=table.place(row),
    )


# --- The workbook --------------------------------------------------------------------------


def _merged(sheet: reading.BookSheet, errors: list[L.CellError]) -> None:
    for ref in sheet.merged:
        try:
            first_column, first_row, _last_column, _last_row = range_boundaries(ref)
        except (ValueError, TypeError):
            first_column, first_row = None, None
        errors.append(
            L.CellError(
                sheet.title,
                first_row,
                L.column_letter(first_column - 1) if first_column else "",
                _(
                    "Merged cells (%(range)s): unmerge them and fill in every row; a merged cell keeps its value "
                    "in its first row only."
                )
                % {"range": ref},
            )
        )


def read(data: bytes, filename: str, plan: Plan) -> PlanWorkbook:
    """The workbook's plan, checked in itself; `layout.WorkbookRefused` with every error, or
    `reading.FileError` when the file cannot be read at all."""
    if len(data) > L.MAX_BYTES:
        raise reading.FileError(
            _("The file is %(size)s MB, over the limit of %(limit)s MB for a plan workbook.")
            % {"size": f"{len(data) / reading.MEGABYTE:.1f}", "limit": L.MAX_BYTES // reading.MEGABYTE}
        )
    book = {sheet.title.strip(): sheet for sheet in reading.read_book(data, filename)}
    errors: list[L.CellError] = []
    for title in L.SHEETS:
        if title not in book:
            errors.append(
                L.CellError(title, None, "", _("The sheet is missing (the workbook must keep the template's sheets)."))
            )
        else:
            _merged(book[title], errors)
    if errors:
        raise L.WorkbookRefused(errors)

    texts, text_places = _texts(book[L.SHEET_MISSION], errors, L.MISSION_ROWS)
    focus, focus_places = _texts(book[L.SHEET_FOCUS], errors, L.FOCUS_ROWS)
    texts.update(focus)
    text_places.update(focus_places)
    goals = _goals(book[L.SHEET_GOALS], errors)
    objectives = _objectives(book[L.SHEET_OBJECTIVES], errors, goals)
    by_number = {o.number: o for o in objectives}
    _indicators(book[L.SHEET_KPIS], errors, plan, IndicatorKind.KPI, by_number)
    common_goals: dict[int, CommonGoalRow] = {}
    _indicators(book[L.SHEET_COMMON], errors, plan, IndicatorKind.COMMON, common_goals)
    kpi_errors = {(e.sheet, e.row) for e in errors if e.sheet == L.SHEET_KPIS}
    for objective in objectives:
        if not objective.indicators and not kpi_errors:
            errors.append(
                objective.place.error(
                    L.COL_SERIAL,
                    _("The strategic objective “%(name)s” has no key performance indicator on the sheet “%(sheet)s”.")
                    % {"name": objective.name, "sheet": L.SHEET_KPIS},
                )
            )
    if errors:
        raise L.WorkbookRefused(sorted(errors, key=_order))
    return PlanWorkbook(
        texts=texts,
        text_places=text_places,
        goals=goals,
        objectives=objectives,
        common_goals=sorted(common_goals.values(), key=lambda g: g.number),
        years=list(plan.years),
    )


def _order(error: L.CellError):
    sheet = L.SHEETS.index(error.sheet) if error.sheet in L.SHEETS else len(L.SHEETS)
    return (sheet, error.row or 0, len(error.column), error.column)
