"""Import and export of indicators with their yearly targets (django-import-export).

One row per indicator, with the plan table's zh-Hant column headers:

    計畫 | 機關 | 類別 | 序號 | 關鍵策略目標 | 編號 | 關鍵績效指標 | 評估體制 | 評估方式 |
    衡量標準 | 單位 | 方向 | 權重 | 公式 | 111 | 112 | 113 | 114 |
    111年第1期預定值 | 111年第2期預定值 | 111年第3期預定值 | … | 114年第3期預定值 | 修正理由

An indicator is identified by 計畫 (the plan's years, "111-114") + 機關 + 類別 + 序號
(the objective's or common goal's number) + 編號. Each ROC-year column holds that year's
target; a blank cell leaves the target alone. Targets are written only through
`kpi.services.target_set` (source: import), so every change is on the record; changing
an existing target needs a reason, from the import form or the row's 修正理由 column.
So does changing a field of an existing indicator that can move a light (方向, 單位, 權重,
公式, 評估方式: `kpi.history.LIGHT_FIELDS`); every change to an indicator is kept on its
record of changes with that reason.

The planned values per period (分期預定值, `kpi.models.PlannedValue`) follow the targets:
one column per plan year and period except the last (the last period's planned value is
the year's target). An empty cell means "the default by accrual" (`kpi.planning`): the
export leaves it empty where nobody set a value, and an import of an empty cell takes a
stored value back to its default; a file without the column leaves them alone. They are
checked as the planning screen checks them (`kpi.planning.ladder_problems`, against the
row's targets as the file leaves them) and written by `kpi.services.planned_values_save`;
changing a confirmed one needs the same reason as a target.

The sheet is named 指標與年度目標值 and choices are written as people read them, never as
codes: 類別 關鍵績效指標 or 共同性指標, 評估方式 and 方向 by their labels, 公式 by the
formula's name. The import reads those, and the codes too. Errors cite the spreadsheet's
own row numbers: the header is row 1, the first indicator row 2.

The column headers, the sheet's name and the words written for choices (and their
accepted aliases) are the file's contract with the planning office's spreadsheets: they
are the plan's own zh-Hant words in every language, never translated. The messages
about a file are translated.

A file is all or nothing: `import_data` always runs in a transaction and rolls it back
if any row is invalid, so one bad row means nothing is written, not even the good rows.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from import_export import resources
from import_export.results import Result

from common.formatting import roc_year
from common.text import clean_text
from common.wording import join_list
from kpi import access, history, planning, stored
from kpi.assessments import planned_values
from kpi.models import (
    Accrual,
    Indicator,
    IndicatorKind,
    PlannedStatus,
    TargetRevision,
)

# The file's contract: the plan's words, not translated (see the module's docstring).
from kpi.resources.columns import (
    COL_ARRANGEMENT,
    COL_DEPARTMENT,
    COL_DIRECTION,
    COL_FORMULA,
    COL_KIND,
    COL_METHOD,
    COL_NAME,
    COL_NUMBER,
    COL_PARENT_NAME,
    COL_PARENT_NUMBER,
    COL_PLAN,
    COL_REASON,
    COL_STANDARD,
    COL_UNIT,
    COL_WEIGHT,
    DIRECTION_EXPORT,
    DIRECTION_IMPORT,
    HEADER_ROWS,
    KIND_EXPORT,
    KIND_IMPORT,
    METHOD_EXPORT,
    METHOD_IMPORT,
    PLAN_YEARS,
    REQUIRED_COLUMNS,
    SHEET_TITLE,
    cell_decimal,
    cell_int,
    cell_text,
    fill_in,
    is_blank,
    period_of_header,
    plain_number,
    planned_header,
    unknown,
    year_of_header,
)
from kpi.resources.fields import (
    ArrangementWidget,
    ComputedField,
    FormulaWidget,
    MappedWidget,
    ModelField,
    NumberWidget,
    PlannedField,
    TextWidget,
    UnitWidget,
    WeightWidget,
    YearField,
    existing_planned,
    existing_targets,
)
from kpi.services import (
    cell_key,
    planned_values_save,
    target_set,
    validate_target_value,
    validate_target_year,
)
from kpi.services.planning import year_end_message
from plans.models import PERIODS_PER_YEAR, CommonGoal, Department, DepartmentPlan, Plan, StrategicObjective


def _parent_number(indicator):
    parent = indicator.parent
    return parent.number if parent else None


def _parent_name(indicator):
    parent = indicator.parent
    return parent.name if parent else ""


def _plan_years(indicator):
    plan = indicator.department_plan.plan
    return f"{plan.start_year}-{plan.end_year}"


def sheet_row(number: int) -> int:
    """The spreadsheet's own row number of the dataset's row `number` (1 = the first data row)."""
    return number + HEADER_ROWS


def _blank_cells(row):
    """The row with its empty cells as "", which the admin shows as empty rather than "None"."""
    return {column: "" if value is None else value for column, value in row.items()}


class SheetRowsResult(Result):
    """An import result whose rows are numbered as the spreadsheet numbers them.

    django-import-export counts data rows from 1, so its "row 1" is the spreadsheet's row 2
    (row 1 holds the column headers); people look for the row they were told. The rows it
    keeps for the admin's error tables show empty cells as empty.
    """

    def append_invalid_row(self, number, row, validation_error):
        super().append_invalid_row(sheet_row(number), _blank_cells(row), validation_error)

    def append_error_row(self, number, row, errors):
        for error in errors:
            if isinstance(error.row, dict):
                error.row = _blank_cells(error.row)
        super().append_error_row(sheet_row(number), row, errors)

    def row_errors(self):
        return [(error_row.number, error_row.errors) for error_row in self.error_rows]


# --- the resource -------------------------------------------------------------------


class IndicatorResource(resources.ModelResource):
    plan = ComputedField(COL_PLAN, _plan_years)
    department = ComputedField(COL_DEPARTMENT, lambda i: i.department_plan.department.name)
    kind = ComputedField(COL_KIND, lambda i: KIND_EXPORT.get(i.kind, i.kind))
    parent_number = ComputedField(COL_PARENT_NUMBER, _parent_number, NumberWidget())
    parent_name = ComputedField(COL_PARENT_NAME, _parent_name)
    number = ComputedField(COL_NUMBER, lambda i: i.number, NumberWidget())
    name = ModelField("name", COL_NAME, TextWidget(COL_NAME))
    evaluation_arrangement = ModelField("evaluation_arrangement", COL_ARRANGEMENT, ArrangementWidget())
    evaluation_method = ModelField(
        "evaluation_method", COL_METHOD, MappedWidget(COL_METHOD, METHOD_IMPORT, METHOD_EXPORT)
    )
    measurement_standard = ModelField("measurement_standard", COL_STANDARD, TextWidget(COL_STANDARD))
    unit = ModelField("unit", COL_UNIT, UnitWidget())
    direction = ModelField(
        "direction", COL_DIRECTION, MappedWidget(COL_DIRECTION, DIRECTION_IMPORT, DIRECTION_EXPORT), optional=True
    )
    weight = ModelField("weight", COL_WEIGHT, WeightWidget(), optional=True)
    formula = ModelField("formula", COL_FORMULA, FormulaWidget(), optional=True)

    class Meta:
        model = Indicator
        name = SHEET_TITLE
        fields = (
            "plan",
            "department",
            "kind",
            "parent_number",
            "parent_name",
            "number",
            "name",
            "evaluation_arrangement",
            "evaluation_method",
            "measurement_standard",
            "unit",
            "direction",
            "weight",
            "formula",
        )
        import_order = export_order = fields
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
        clean_model_instances = True

    def __init__(self, *, years=None, **kwargs):
        super().__init__(**kwargs)
        # One column per ROC year of the plans on record (111 … 114 for Keelung), one per
        # year and period but the last for the planned values, then the optional reason.
        plans = Plan.objects.values_list("start_year", "end_year", "reporting_frequency")
        periods: dict[int, int] = {}
        for start, end, frequency in plans:
            for y in range(start, end + 1):
                periods[y] = max(periods.get(y, 0), PERIODS_PER_YEAR.get(frequency, 0))
        self.years = sorted(periods) if years is None else list(years)
        for year in self.years:
            self.fields[str(year)] = YearField(year)
        for year in self.years:
            for number in range(1, periods.get(year, 0)):
                self.fields[planned_header(year, number)] = PlannedField(year, number)
        self.fields["reason"] = ComputedField(COL_REASON, lambda i: "")
        self._cache, self._duplicates, self._header_error, self._planned = {}, {}, None, {}

    # all or nothing ------------------------------------------------------------------

    def get_use_transactions(self):
        return True

    @classmethod
    def get_result_class(cls):
        return SheetRowsResult

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):
        """Always in a transaction, always rolled back when any row is invalid."""
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, dry_run=dry_run, raise_errors=raise_errors, use_transactions=True, **kwargs)

    def import_data_inner(self, *args, **kwargs):
        # Inside import_data's transaction: each KPI-year's stored assessment is refreshed
        # once, after every row (not once per target saved).
        with stored.deferred():
            return super().import_data_inner(*args, **kwargs)

    # export --------------------------------------------------------------------------

    def export(self, *args, **kwargs):
        dataset = super().export(*args, **kwargs)
        dataset.title = SHEET_TITLE  # else tablib names the sheet "Tablib Dataset"
        return dataset

    def get_queryset(self):
        return self.filter_export(Indicator.objects.all())

    def filter_export(self, queryset, **kwargs):
        if isinstance(queryset, QuerySet):
            queryset = queryset.select_related(
                "department_plan__plan", "department_plan__department", "objective", "common_goal"
            ).prefetch_related("targets__planned_values")
        return queryset

    def export_field(self, field, instance, **kwargs):
        # Plan text pasted from Word into admin carries vertical tabs, which xlsx and ods
        # cannot hold: the whole export would fail. They become line breaks.
        return clean_text(super().export_field(field, instance, **kwargs))

    # before the rows -----------------------------------------------------------------

    def before_import(self, dataset, **kwargs):
        self._cache = {}
        self._duplicates = {}
        self._header_error = None
        if dataset.headers:
            dataset.headers = [cell_text(h) for h in dataset.headers]
        headers = dataset.headers or []
        # Every stored planned value of the years in the file, in one query.
        planned_years = {period[0] for period in map(period_of_header, headers) if period}
        self._planned = planned_values(years=planned_years) if planned_years else {}
        # Spreadsheets often carry empty trailing rows; they are not indicators.
        for index in range(len(dataset) - 1, -1, -1):
            if all(is_blank(v) for v in dataset[index]):
                del dataset[index]

        missing = [c for c in REQUIRED_COLUMNS if c not in headers]
        if missing:
            self._header_error = _(
                "The file lacks required columns: %(columns)s (use the column names of the exported file's header row)."
            ) % {"columns": join_list(missing)}
            raise ValueError(self._header_error)

        seen = {}
        for number, data_row in enumerate(dataset, 1):
            row = dict(zip(headers, data_row, strict=False))
            key = (
                cell_text(row.get(COL_PLAN)),
                cell_text(row.get(COL_DEPARTMENT)),
                KIND_IMPORT.get(cell_text(row.get(COL_KIND)).lower(), cell_text(row.get(COL_KIND))) or "kpi",
                cell_text(row.get(COL_PARENT_NUMBER)),
                cell_text(row.get(COL_NUMBER)),
            )
            if key in seen:
                self._duplicates[number] = sheet_row(seen[key])
            else:
                seen[key] = number

    def before_import_row(self, row, **kwargs):
        if self._header_error:
            raise ValidationError(self._header_error)
        first = self._duplicates.get(kwargs.get("row_number"))
        if first:
            raise ValidationError(
                {
                    COL_NUMBER: _(
                        "Duplicate of row %(row)s: an indicator of the same department, kind, number and code may "
                        "appear only once."
                    )
                    % {"row": first}
                }
            )

    # finding the indicator -----------------------------------------------------------

    def _cached(self, key, load):
        if key not in self._cache:
            self._cache[key] = load()
        return self._cache[key]

    def _find_plan(self, text):
        if not text:
            raise ValueError(_("Please fill in %(column)s (e.g. 111-114).") % {"column": COL_PLAN})
        match = PLAN_YEARS.match(text)
        plans = self._cached(
            ("plan", text),
            lambda: list(
                Plan.objects.filter(start_year=match.group(1), end_year=match.group(2))
                if match
                else Plan.objects.filter(name=text)
            ),
        )
        if not plans:
            raise ValueError(
                _("There is no plan “%(text)s” (write the plan's first and last ROC years, e.g. 111-114).")
                % {"text": text}
            )
        if len(plans) > 1:
            raise ValueError(_("More than one plan matches “%(text)s”.") % {"text": text})
        return plans[0]

    def _find_department_plan(self, plan, text):
        if not text:
            raise ValueError(fill_in(COL_DEPARTMENT))
        department = self._cached(
            ("department", text),
            lambda: Department.objects.filter(name=text).first() or Department.objects.filter(short_name=text).first(),
        )
        if department is None:
            raise ValueError(_("There is no department “%(text)s”.") % {"text": text})
        dp = self._cached(
            ("department plan", plan.pk, department.pk),
            lambda: (
                DepartmentPlan.objects.select_related("plan", "department")
                .filter(plan=plan, department=department)
                .first()
            ),
        )
        if dp is None:
            raise ValueError(_("The department “%(text)s” is not in %(plan)s.") % {"text": text, "plan": plan})
        return dp

    def _find_parent(self, dp, kind, number):
        if kind == IndicatorKind.KPI:
            parent = self._cached(
                ("objective", dp.pk, number),
                lambda: StrategicObjective.objects.filter(department_plan=dp, number=number).first(),
            )
            if parent is None:
                raise ValueError(
                    _("%(department)s has no strategic objective numbered %(number)s.")
                    % {"department": dp.department.name, "number": number}
                )
        else:
            parent = self._cached(
                ("common goal", dp.pk, number),
                lambda: CommonGoal.objects.filter(department_plan=dp, number=number).first(),
            )
            if parent is None:
                raise ValueError(
                    _("%(department)s has no common goal numbered %(number)s.")
                    % {"department": dp.department.name, "number": number}
                )
        return parent

    def get_or_init_instance(self, instance_loader, row):
        errors = {}

        def attempt(column, fn, *args):
            try:
                return fn(*args)
            except ValueError as e:
                errors[column] = [str(e)]

        plan = attempt(COL_PLAN, self._find_plan, cell_text(row.get(COL_PLAN)))
        dp = (
            attempt(COL_DEPARTMENT, self._find_department_plan, plan, cell_text(row.get(COL_DEPARTMENT)))
            if plan
            else None
        )
        kind_text = cell_text(row.get(COL_KIND))
        kind = KIND_IMPORT.get(kind_text.lower()) if kind_text else IndicatorKind.KPI
        if kind is None:
            errors[COL_KIND] = [unknown(COL_KIND, kind_text, KIND_EXPORT.values())]
        parent_number = attempt(COL_PARENT_NUMBER, cell_int, row.get(COL_PARENT_NUMBER), COL_PARENT_NUMBER)
        number = attempt(COL_NUMBER, cell_int, row.get(COL_NUMBER), COL_NUMBER)
        if number is not None and number < 1:
            errors[COL_NUMBER] = [_("%(column)s must be 1 or more.") % {"column": COL_NUMBER}]
        parent = None
        if dp and kind and parent_number is not None:
            parent = attempt(COL_PARENT_NUMBER, self._find_parent, dp, kind, parent_number)
        if errors:
            raise ValidationError(errors)

        parent_name = cell_text(row.get(COL_PARENT_NAME))
        if parent_name and parent_name != parent.name:
            raise ValidationError(
                {
                    COL_PARENT_NAME: _("Number %(number)s is “%(name)s”, not “%(file_name)s” as in the file.")
                    % {"number": parent_number, "name": parent.name, "file_name": parent_name}
                }
            )

        link = {"objective": parent} if kind == IndicatorKind.KPI else {"common_goal": parent}
        instance = (
            Indicator.objects.select_related("department_plan__plan", "department_plan__department")
            .filter(kind=kind, number=number, **link)
            .first()
        )
        if instance is not None:
            existing_targets(instance)
            instance._existing_planned = {
                (year, number): pair
                for (indicator_id, year), cells in self._planned.items()
                if indicator_id == instance.pk
                for number, pair in cells.items()
            }
            return instance, False
        instance = Indicator(department_plan=dp, kind=kind, number=number, **link)
        instance._existing_targets, instance._existing_planned = {}, {}
        return instance, True

    # the row's values ----------------------------------------------------------------

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        before = history.snapshot(instance) if instance.pk else None
        for field in self.get_import_fields():
            if field.readonly or field.column_name not in row:
                continue
            try:
                field.save(instance, row, **kwargs)
            except ValueError as e:
                errors[field.column_name] = [str(e)]
        self._read_targets(instance, row, errors, **kwargs)
        self._read_planned(instance, row, errors, **kwargs)
        reason = self._reason(row, **kwargs)
        if before is not None:
            changed = history.changed_fields(instance, before)
            for name in history.moved_light_fields(Indicator, changed):
                field = Indicator._meta.get_field(name)
                column = self.fields[name].column_name if name in self.fields else name
                if not reason and column not in errors:
                    errors[column] = [
                        _(
                            "Changing %(field)s from “%(old)s” to “%(new)s” moves lights, so a reason is required "
                            "(the import form's reason, or this row's “%(column)s” column)."
                        )
                        % {
                            "field": history.field_label(Indicator, name),
                            "old": history.display_value(field, before[name]),
                            "new": history.display_value(field, getattr(instance, name)),
                            "column": COL_REASON,
                        }
                    ]
            if not changed:
                instance.skip_history_when_saving = True  # only targets changed, or nothing
        history.record_change(instance, reason=reason, user=kwargs.get("user"))
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def _reason(row, **kwargs) -> str:
        """The row's 修正理由, or else the import form's."""
        return cell_text(row.get(COL_REASON)) or (kwargs.get("reason") or "").strip()

    def _read_targets(self, indicator, row, errors, **kwargs):
        existing = existing_targets(indicator)
        reason = self._reason(row, **kwargs)
        unit_ok = COL_UNIT not in errors and COL_DIRECTION not in errors
        pending, changes = dict(existing), []
        for header, raw in row.items():
            year = year_of_header(header)
            if year is None or is_blank(raw):
                continue
            try:
                year = validate_target_year(indicator, year, field=header)
                value = cell_decimal(raw, header)
                if unit_ok:
                    validate_target_value(indicator, value, field=header)
            except ValidationError as e:
                errors[header] = e.messages
                continue
            except ValueError as e:
                errors[header] = [str(e)]
                continue
            old = existing.get(year)
            if old is not None and old == value:
                continue
            if old is not None and not reason:
                errors[header] = [
                    _(
                        "Changing the target of %(year)s from %(old)s to %(new)s requires a reason (the import "
                        "form's reason, or this row's “%(column)s” column)."
                    )
                    % {
                        "year": roc_year(year),
                        "old": plain_number(old),
                        "new": plain_number(value),
                        "column": COL_REASON,
                    }
                ]
                continue
            pending[year] = value
            changes.append((year, value, reason))
        # A new unit must suit the targets that stay as they are, too.
        if unit_ok and COL_UNIT not in errors:
            for year, value in existing.items():
                if pending.get(year) == value:
                    try:
                        validate_target_value(indicator, value, field=COL_UNIT)
                    except ValidationError as e:
                        errors[COL_UNIT] = [
                            _("Target of %(year)s, %(value)s: %(message)s")
                            % {"year": roc_year(year), "value": plain_number(value), "message": m}
                            for m in e.messages
                        ]
                        break
        indicator._import_targets = pending
        indicator._target_changes = changes

    def _read_planned(self, indicator, row, errors, **kwargs):
        """The row's planned values, checked as `planned_values_save` will check them.

        Only the years where a cell changes are checked and written, each ladder whole (the
        stored values with the file's), against the targets as the file leaves them.
        """
        existing = existing_planned(indicator)
        reason = self._reason(row, **kwargs)
        user = kwargs.get("user")
        plan = indicator.department_plan.plan if indicator.department_plan_id else None
        periods = PERIODS_PER_YEAR.get(plan.reporting_frequency, 0) if plan else 0
        unit_ok = COL_UNIT not in errors and COL_DIRECTION not in errors
        headers: dict[tuple[int, int], str] = {}
        changes: dict[int, dict[int, Decimal | None]] = {}  # year → {number: value, None for the default}
        last: dict[tuple[int, int], Decimal] = {}  # a value typed in a year's last period (must be the target)
        for header, raw in row.items():
            period = period_of_header(header)
            if period is None:
                continue
            year, number = period
            headers[(year, number)] = header
            if is_blank(raw) and (year, number) not in existing:
                continue
            try:
                if plan is None or not plan.contains_year(year):
                    validate_target_year(indicator, year, field=header)
                value = None if is_blank(raw) else cell_decimal(raw, header)
            except ValidationError as e:
                errors[header] = e.messages
                continue
            except ValueError as e:
                errors[header] = [str(e)]
                continue
            if value is not None and number < periods and indicator.accrual == Accrual.YEAR_END:
                errors[header] = [year_end_message()]
                continue
            if value is not None and number >= periods:
                last[(year, number)] = value
                continue
            old = existing.get((year, number))
            if (old[0] if old else None) == value:
                continue
            if old is not None and old[1] == PlannedStatus.CONFIRMED and not reason:
                errors[header] = [
                    _(
                        "Changing a confirmed planned value requires a reason (the import form's reason, or this "
                        "row's “%(column)s” column)."
                    )
                    % {"column": COL_REASON}
                ]
                continue
            changes.setdefault(year, {})[number] = value
        for year, _number in last:
            changes.setdefault(year, {})  # checked with the year's ladder below, never stored
        changed = [headers[(year, number)] for year, cells in changes.items() for number in cells]
        if changed and not access.can_plan(user, indicator.department_plan.department_id):
            errors[changed[0]] = [_("Only the department's reporters, the planning office and admins may plan.")]
        if unit_ok:
            targets = getattr(indicator, "_import_targets", None) or existing_targets(indicator)
            for year, cells in changes.items():
                values = {number: value for (y, number), (value, _status) in existing.items() if y == year}
                for number, value in cells.items():
                    if value is None:
                        values.pop(number, None)
                    else:
                        values[number] = value
                values.update({number: value for (y, number), value in last.items() if y == year})
                for number, problem in planning.ladder_problems(indicator, targets, year, periods, values).items():
                    errors.setdefault(headers.get((year, number), planned_header(year, number)), [problem])
        pending = {key: pair[0] for key, pair in existing.items()}
        for year, cells in changes.items():
            for number, value in cells.items():
                if value is None:
                    pending.pop((year, number), None)
                else:
                    pending[(year, number)] = value
        indicator._import_planned = pending
        indicator._planned_changes = {year: cells for year, cells in changes.items() if cells}

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """Model validation, with errors named by the file's column headers."""
        errors = {k: list(v) for k, v in (import_validation_errors or {}).items()}
        columns = {f.attribute: f.column_name for f in self.fields.values() if f.attribute}
        columns.update(objective=COL_PARENT_NUMBER, common_goal=COL_PARENT_NUMBER, number=COL_NUMBER)
        attributes = {c: a for a, c in columns.items()}
        exclude = {attributes[c] for c in errors if c in attributes}
        try:
            instance.full_clean(exclude=exclude, validate_unique=validate_unique)
        except ValidationError as e:
            for key, messages in e.message_dict.items():
                errors.setdefault(columns.get(key, key), []).extend(messages)
        if errors:
            if NON_FIELD_ERRORS in errors and len(errors) == 1:
                raise ValidationError(errors[NON_FIELD_ERRORS])
            raise ValidationError(errors)

    def after_save_instance(self, instance, row, **kwargs):
        if self._is_dry_run(kwargs) and not self._is_using_transactions(kwargs):
            return
        user = kwargs.get("user")
        if user is not None and not getattr(user, "is_authenticated", False):
            user = None
        for year, value, reason in getattr(instance, "_target_changes", []):
            try:
                target_set(
                    indicator=instance,
                    year=year,
                    value=value,
                    reason=reason,
                    user=user,
                    source=TargetRevision.Source.IMPORT,
                )
            except ValidationError as e:
                raise ValidationError({str(year): e.messages}) from e
        instance._existing_targets = dict(instance._import_targets)
        reason = self._reason(row, **kwargs)
        for year, cells in getattr(instance, "_planned_changes", {}).items():
            try:
                planned_values_save(
                    user=user,
                    department_plan=instance.department_plan,
                    year=year,
                    values={instance.pk: {n: "" if v is None else format(v, "f") for n, v in cells.items()}},
                    reason=reason,
                )
            except PermissionDenied as e:
                raise ValidationError({COL_REASON: [str(e)]}) from e
            except ValidationError as e:
                periods = PERIODS_PER_YEAR.get(instance.department_plan.plan.reporting_frequency, 0)
                columns = {cell_key(instance.pk, n): planned_header(year, n) for n in range(1, periods + 1)}
                columns.update(reason=COL_REASON, year=str(year))
                raise ValidationError(
                    {columns.get(key, NON_FIELD_ERRORS): messages for key, messages in e.message_dict.items()}
                ) from e
        instance._planned_changes = {}
