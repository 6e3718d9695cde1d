"""Admin for indicators, their yearly targets and the read-only record of target changes.

Targets are never saved by the admin's formsets: every change goes through
`kpi.services.target_set` (source: admin), which keeps the original value and records
who changed what, when and why.

Indicators, yearly targets and plans keep a record of every change
(django-simple-history); a change that can move a light needs a reason
(`kpi.history`), and each object's history page lists old → new, who, when and why.

An indicator's planned values per period (分期預定值) are edited on its page beside the
targets and saved through `kpi.services.planned_values_save` after them, in the same
transaction: the ladder rules and the reason for a confirmed value are the planning
screen's. A refusal rolls the whole save back and shows the form again with the
service's messages on the fields.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from import_export.formats import base_formats
from import_export.formats.base_formats import XLSX
from import_export.forms import ExportForm
from simple_history.admin import SimpleHistoryAdmin

from common.admin_a11y import PlanTextFilter, PlanTextSelect, mark_plan_text
from common.formatting import roc_datetime
from common.spreadsheets import admin_formats
from common.templatetags.a11y import zh
from kpi import access, history
from kpi.admin_forms import (
    ChangeReasonForm,
    IndicatorConfirmImportForm,
    IndicatorImportForm,
    PlanRolloverForm,
    YearlyTargetInlineForm,
    indicator_form,
    planned_cells,
    planned_field_name,
)
from kpi.models import (
    IN_REVIEW,
    Evidence,
    Indicator,
    Notification,
    NotificationPreference,
    PeriodEvent,
    ProgressReport,
    ReportCorrection,
    ReportEvent,
    ReportingPeriod,
    TargetProposal,
    TargetRevision,
    YearlyTarget,
)
from kpi.resources import IndicatorResource, plain_number
from kpi.selectors import format_field
from kpi.services import FIELD_LABELS, cell_key, planned_values_confirm, planned_values_save, target_set
from kpi.services.rollover import next_plan_name, next_years, plan_rollover, target_proposals_accept
from plans.models import CommonGoal, DepartmentPlan, Plan, StrategicObjective
from plans.selectors import plan_in_force


def plan_years() -> list[int]:
    """Every ROC year of the plans on record, in order (111 … 114 for Keelung)."""
    return sorted({y for s, e in Plan.objects.values_list("start_year", "end_year") for y in range(s, e + 1)})


def indicator_years(indicator) -> list[int]:
    """The plan years the indicator's targets are set for; the plan in force's for a new one."""
    if indicator is not None and indicator.department_plan_id:
        return indicator.department_plan.plan.years
    plan = plan_in_force()
    return plan.years if plan else []


def _number(value) -> str:
    return "" if value is None else str(plain_number(value))


def local_time(model, name):
    """An admin column or read-only field showing the model's date-time `name` in Taipei
    time with its ROC date (民國114年3月2日 14:05), as the rest of the app shows times."""

    @admin.display(description=model._meta.get_field(name).verbose_name, ordering=name)
    def display(self, obj):
        return roc_datetime(getattr(obj, name)) or self.get_empty_value_display()

    return display


def report_changes(event) -> str:
    """A report event's changes as people read them (狀態：草稿 → 待審核), not as stored JSON."""
    indicator = event.report.indicator
    lines = []
    for name, pair in (event.changes or {}).items():
        old, new = (pair[0], pair[1]) if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
        lines.append(
            (FIELD_LABELS.get(name, name), format_field(indicator, name, old), format_field(indicator, name, new))
        )
    return format_html_join(mark_safe("<br>"), pgettext("a field's change", "{}: {} → {}"), lines)


class ODS(base_formats.ODS):
    """ODS read as the zip file it is.

    django-import-export 4.4.3 declares ODS a text format, so an uploaded .ods is read
    as UTF-8 text and fails (fixed upstream in django-import-export PR #2176).
    """

    def get_read_mode(self):
        return "rb"

    def is_binary(self):
        return True

    def create_dataset(self, in_stream, **kwargs):
        return base_formats.TablibFormat.create_dataset(self, in_stream, **kwargs)


class HistoryAdmin(SimpleHistoryAdmin):
    """History pages from the record of changes: when (Taipei time, ROC date), what, who
    changed old → new and why, in the words of the KPI page. Read-only: no revert."""

    object_history_template = "admin/history/object_history.html"
    object_history_list_template = "admin/history/object_history_list.html"

    def history_view_title(self, request, obj):
        return gettext("Record of changes: %(object)s") % {"object": obj}

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        # Newest first; each row against the one before it (the oldest row of a page has
        # no "before" on the page, as in simple-history's own view).
        records = list(historical_records)
        for record, previous in zip(records, [*records[1:], None], strict=True):
            record.type_label = history.history_type_label(record.history_type)
            record.history_delta_changes = history.describe(record, previous)


class ReadOnly:
    """Rows written only through the services (targets, revisions, the record of reporting):
    admin shows them and changes none."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnly, admin.ModelAdmin):
    """The record of reporting is written only through the workflow services; admin shows it."""


class TargetSaveError(Exception):
    """`target_set` refused a change that the form had accepted (e.g. a concurrent edit)."""


class PlannedSaveError(Exception):
    """`planned_values_save` refused the planned values of an admin save: {form field: messages}."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


class YearlyTargetInline(admin.TabularInline):
    """One row per plan year; existing targets first, empty rows for the years still missing."""

    model = YearlyTarget
    form = YearlyTargetInlineForm
    fields = ["year", "value", "original_display", "reason", "excluded_reason", "history_link"]
    readonly_fields = ["original_display", "history_link"]
    ordering = ["year"]
    can_delete = False
    verbose_name = _("yearly target")
    verbose_name_plural = _("yearly targets of the plan")

    @admin.display(description=_("original target"))
    def original_display(self, obj):
        return _number(obj.original_value) if obj is not None and obj.pk else "–"

    @admin.display(description=_("The record"))
    def history_link(self, obj):
        if obj is None or not obj.pk:
            return "–"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:kpi_yearlytarget_history", args=[obj.pk]), _("The record")
        )

    def missing_years(self, obj) -> list[int]:
        have = set(obj.targets.values_list("year", flat=True)) if obj is not None and obj.pk else set()
        return [y for y in indicator_years(obj) if y not in have]

    def get_extra(self, request, obj=None, **kwargs):
        return len(self.missing_years(obj))

    def get_max_num(self, request, obj=None, **kwargs):
        return len(indicator_years(obj)) or None

    def has_delete_permission(self, request, obj=None):
        return False


class LabelledChoiceField(forms.ModelChoiceField):
    """A parent chosen with its department in the label: every department has an objective 1."""

    def label_from_instance(self, obj):
        return f"{obj.department_plan.department.name} · {obj}"


PLANNED_DESCRIPTION = _(
    "Each period's planned value is the year-to-date figure the KPI should have reached by the end of that "
    "period; the last period's is the year's target. Leave a cell empty to use the default (shown greyed): a "
    "straight line to the target for a cumulative KPI, the target itself for a level, nothing before year end "
    "for a year-end figure."
)


@admin.register(Indicator)
class IndicatorAdmin(ImportExportModelAdmin, HistoryAdmin):
    form = ChangeReasonForm
    resource_classes = [IndicatorResource]
    formats = [XLSX, ODS, admin_formats.CSV]  # the csv import undoes the export's escaping
    # Exports are written by common.spreadsheets.writing: no cell is ever a formula (CWE-1236).
    export_formats = admin_formats.EXPORT_FORMATS
    import_form_class = IndicatorImportForm
    confirm_form_class = IndicatorConfirmImportForm
    export_form_class = ExportForm  # the file's columns are fixed, so no column picker
    import_error_display = ("message", "row")
    import_template_name = "admin/kpi/indicator/import.html"

    inlines = [YearlyTargetInline]
    list_display = ["code_display", "name_display", "department_display", "parent_display", "unit", "direction"]
    list_display_links = ["code_display", "name_display"]
    list_filter = [
        ("department_plan__department", PlanTextFilter),
        ("objective__goal", PlanTextFilter),
        ("objective", PlanTextFilter),
        "unit",
        "evaluation_method",
        "kind",
    ]
    search_fields = ["name", "measurement_standard"]
    readonly_fields = ["revision_history"]
    fieldsets = [
        (
            None,
            {"fields": ["department_plan", "kind", "objective", "common_goal", "number", "name"]},
        ),
        (
            _("Measurement"),
            {
                "fields": [
                    "evaluation_arrangement",
                    "evaluation_method",
                    "measurement_standard",
                    "unit",
                    "direction",
                    "accrual",
                    "weight",
                    "formula",
                    "change_reason",
                ]
            },
        ),
        (_("Target revisions"), {"fields": ["revision_history"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related(
                "department_plan__plan",
                "department_plan__department",
                "objective",
                "common_goal",
            )
            .prefetch_related(Prefetch("targets", queryset=YearlyTarget.objects.order_by("year")))
        )

    # list columns: the plan's text in them is marked zh-Hant on an English page ----------

    @admin.display(description=_("code"), ordering="number")
    def code_display(self, obj):
        return zh(obj.code)

    @admin.display(description=_("name"), ordering="name")
    def name_display(self, obj):
        return zh(obj.name)

    @admin.display(description=_("department"), ordering="department_plan__toc_number")
    def department_display(self, obj):
        return zh(obj.department_plan.department.name)

    @admin.display(description=_("objective / common goal"))
    def parent_display(self, obj):
        return zh(obj.parent) or None  # None: admin's empty value

    def get_list_display(self, request):
        # One target column per plan year (target_111 … target_114), read from the prefetch.
        years = getattr(request, "_kpi_plan_years", None)
        if years is None:
            years = request._kpi_plan_years = plan_years()
        return [*super().get_list_display(request), *(f"target_{y}" for y in years)]

    def __getattr__(self, name):
        # Resolves the list_display names target_<year> to their columns.
        if name.startswith("target_") and name[len("target_") :].isdigit():
            return self._target_column(int(name[len("target_") :]))
        raise AttributeError(name)

    @staticmethod
    def _target_column(year):
        @admin.display(description=str(year))
        def column(obj):
            target = next((t for t in obj.targets.all() if t.year == year), None)
            if target is None:
                return "–"
            if target.is_revised:
                return format_html(
                    '{} <small title="{}">({})</small>',
                    _number(target.value),
                    gettext("original target"),
                    _number(target.original_value),
                )
            return _number(target.value)

        column.__name__ = f"target_{year}"
        return column

    # the change form --------------------------------------------------------------------

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        return mark_plan_text(formfield) if db_field.name in ("name", "measurement_standard") else formfield

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("objective", "common_goal"):
            model = StrategicObjective if db_field.name == "objective" else CommonGoal
            kwargs["queryset"] = model.objects.select_related("department_plan__department")
            kwargs["form_class"] = LabelledChoiceField
            kwargs["widget"] = PlanTextSelect
        elif db_field.name == "department_plan":
            kwargs["queryset"] = DepartmentPlan.objects.select_related("plan", "department")
            kwargs["widget"] = PlanTextSelect
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("target revisions"))
    def revision_history(self, obj):
        if obj is None or not obj.pk:
            return "–"
        revisions = (
            TargetRevision.objects.filter(target__indicator=obj)
            .select_related("target", "changed_by")
            .order_by("target__year", "changed_at", "id")
        )
        if not revisions:
            return "–"
        header = format_html_join(
            "",
            "<th>{}</th>",
            (
                (gettext(label),)
                for label in ("year (ROC)", "old value", "new value", "reason", "changed by", "changed at", "source")
            ),
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    r.target.year,
                    _number(r.old_value),
                    _number(r.new_value),
                    zh(r.reason),
                    zh(r.changed_by) or "–",
                    roc_datetime(r.changed_at),  # Taipei time
                    r.get_source_display(),
                )
                for r in revisions
            ),
        )
        return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", header, rows)

    # planned values per period --------------------------------------------------------

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None and obj.pk:
            kwargs["form"] = indicator_form(
                obj,
                may_confirm=access.can_confirm_plans(request.user),
                refused=getattr(request, "_kpi_planned_refused", None),
            )
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        rows = planned_cells(obj)
        if rows:
            fields = [tuple(planned_field_name(*cell) for cell in row) for row in rows]
            if access.can_confirm_plans(request.user):
                fields.append("planned_confirm")
            fieldsets.append((_("Planned values per period"), {"fields": fields, "description": PLANNED_DESCRIPTION}))
        return fieldsets

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # the targets first: the ladder climbs to them
        if hasattr(form, "planned_changes"):
            self.save_planned(request, form)

    def save_planned(self, request, form):
        """Save the form's planned values, every year, or raise PlannedSaveError (all rolled back)."""
        indicator = form.instance
        reason = form.cleaned_data.get("change_reason", "")
        errors: dict[str, list[str]] = {}
        for year, cells in form.planned_changes().items():
            try:
                planned_values_save(
                    user=request.user,
                    department_plan=indicator.department_plan,
                    year=year,
                    values={indicator.pk: cells},
                    reason=reason,
                )
            except PermissionDenied as e:
                errors.setdefault(NON_FIELD_ERRORS, []).append(str(e))
            except ValidationError as e:
                fields = {cell_key(indicator.pk, number): planned_field_name(year, number) for number in cells}
                fields["reason"] = "change_reason"
                for key, messages in e.message_dict.items():
                    name = fields.get(key) or (
                        planned_field_name(year, int(key.rsplit("-", 1)[1]))
                        if key.startswith(cell_key(indicator.pk, ""))
                        else NON_FIELD_ERRORS
                    )
                    errors.setdefault(name, []).extend(m for m in messages if m not in errors.get(name, []))
        if not errors and form.cleaned_data.get("planned_confirm"):
            try:
                for year in sorted({year for year, _number in form.planned}):
                    planned_values_confirm(
                        user=request.user,
                        department_plan=indicator.department_plan,
                        year=year,
                        indicator_ids=[indicator.pk],
                    )
            except PermissionDenied as e:
                errors.setdefault("planned_confirm", []).append(str(e))
        if errors:
            raise PlannedSaveError(errors)

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, YearlyTargetInline):
            kwargs["initial"] = [{"year": y} for y in inline.missing_years(obj)]
        return kwargs

    def save_formset(self, request, form, formset, change):
        if formset.model is not YearlyTarget:
            return super().save_formset(request, form, formset, change)
        indicator = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for target_form in formset.forms:
            if not target_form.has_changed() or target_form.cleaned_data.get("value") is None:
                continue
            data = target_form.cleaned_data
            existed = target_form.instance.pk is not None
            try:
                target, changed = target_set(
                    indicator=indicator,
                    year=data["year"],
                    value=data["value"],
                    reason=data.get("reason", ""),
                    user=request.user,
                    source=TargetRevision.Source.ADMIN,
                )
            except ValidationError as e:
                raise TargetSaveError(f"{data['year']}: {' '.join(e.messages)}") from e
            changed_fields = ["value"] if changed else []
            if "excluded_reason" in target_form.changed_data:
                # Not assessed this year (不予評估): a note on the target, not a change of its
                # value, but a change of its light: on the record with the row's reason, or
                # for an exclusion its own text (YearlyTargetInlineForm checked there is one).
                target.excluded_reason = data.get("excluded_reason", "").strip()
                history.record_change(target, reason=data.get("reason") or target.excluded_reason, user=request.user)
                target.save(update_fields=["excluded_reason"])
                changed_fields.append("excluded_reason")
            if not existed:
                formset.new_objects.append(target)
            elif changed_fields:
                formset.changed_objects.append((target, changed_fields))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except TargetSaveError as e:
            # The whole save was rolled back with the exception; say why, and start over.
            messages.error(request, gettext("Nothing was saved: %(error)s") % {"error": e})
            return HttpResponseRedirect(request.get_full_path())
        except PlannedSaveError as e:
            # Rolled back too. The same POST again, with the refusal as the form's errors:
            # the page comes back as typed, each message on its field, and saves nothing.
            request._kpi_planned_refused = e.errors
            return super().changeform_view(request, object_id, form_url, extra_context)

    # import ----------------------------------------------------------------------------

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["reason"] = import_form.cleaned_data.get("reason", "")
        return initial

    def get_import_data_kwargs(self, **kwargs):
        form = kwargs.get("form")
        kwargs = super().get_import_data_kwargs(**kwargs)
        if form is not None and hasattr(form, "cleaned_data"):
            kwargs["reason"] = form.cleaned_data.get("reason", "")
        return kwargs

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # The confirm step met errors the preview did not (the data changed in
            # between); the import was rolled back, so say so rather than "finished".
            messages.error(
                request,
                gettext("The import was rolled back; nothing was written. Please upload the file again."),
            )
            return HttpResponseRedirect(reverse("admin:kpi_indicator_import"))
        return super().process_result(result, request)


@admin.register(YearlyTarget)
class YearlyTargetAdmin(ReadOnly, HistoryAdmin):
    """Each target read-only, with its record of changes (value and exclusion).

    Targets change on their indicator's page, through `target_set`."""

    list_display = ["indicator_display", "year", "value_display", "excluded_reason"]
    list_filter = ["year", "indicator__department_plan__department"]
    search_fields = ["indicator__name"]
    list_select_related = ["indicator__objective", "indicator__common_goal"]
    fields = ["indicator", "year", "value", "original_value", "excluded_reason"]

    @admin.display(description=_("indicator"), ordering="indicator")
    def indicator_display(self, obj):
        return f"{obj.indicator.code} {obj.indicator.name}"

    @admin.display(description=_("target"), ordering="value")
    def value_display(self, obj):
        return _number(obj.value)


@admin.register(TargetProposal)
class TargetProposalAdmin(ReadOnly, admin.ModelAdmin):
    """目標值提案: values proposed for targets (e.g. carried over by a plan rollover), not yet
    targets. Nothing that assesses reads them; "accept" makes them targets through `target_set`."""

    list_display = ["indicator_display", "year", "value_display", "note", "created_at"]
    list_filter = ["indicator__department_plan__plan", "year", "indicator__department_plan__department"]
    search_fields = ["indicator__name", "note"]
    list_select_related = ["indicator__objective", "indicator__common_goal"]
    fields = ["indicator", "year", "value", "carried_from", "note", "created_by", "created_at"]
    actions = ["accept_proposals"]

    @admin.display(description=_("indicator"), ordering="indicator")
    def indicator_display(self, obj):
        return f"{obj.indicator.code} {obj.indicator.name}"

    @admin.display(description=_("proposed target"), ordering="value")
    def value_display(self, obj):
        return _number(obj.value)

    def has_delete_permission(self, request, obj=None):
        return access.can_confirm_plans(request.user)

    @admin.action(description=_("Accept the selected proposals as targets"))
    def accept_proposals(self, request, queryset):
        if not access.can_confirm_plans(request.user):
            raise PermissionDenied
        try:
            accepted = target_proposals_accept(proposals=list(queryset), user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return
        messages.success(request, gettext("Proposals accepted as targets: %(count)s.") % {"count": accepted})


@admin.register(TargetRevision)
class TargetRevisionAdmin(ReadOnly, admin.ModelAdmin):
    """The record of target changes: rows are only ever added, by `target_set`."""

    list_display = ["indicator_display", "year", "change_display", "reason", "changed_by", "changed_at_local", "source"]
    list_filter = ["source", "changed_at", "target__indicator__department_plan__department"]
    search_fields = ["reason", "target__indicator__name"]
    list_select_related = [
        "target__indicator__objective",
        "target__indicator__common_goal",
        "changed_by",
    ]
    date_hierarchy = "changed_at"
    fields = ["target", "old_value", "new_value", "reason", "changed_by", "changed_at_local", "source"]
    readonly_fields = ["changed_at_local"]
    changed_at_local = local_time(TargetRevision, "changed_at")

    @admin.display(description=_("indicator"), ordering="target__indicator")
    def indicator_display(self, obj):
        indicator = obj.target.indicator
        return f"{indicator.code} {indicator.name}"

    @admin.display(description=_("year (ROC)"), ordering="target__year")
    def year(self, obj):
        return obj.target.year

    @admin.display(description=_("old → new"))
    def change_display(self, obj):
        return f"{_number(obj.old_value) or '–'} → {_number(obj.new_value)}"


class ReportEventColumns:
    """A report event's time and changes as people read them (its admin, and the report's inline)."""

    at_local = local_time(ReportEvent, "at")

    @admin.display(description=ReportEvent._meta.get_field("changes").verbose_name)
    def changes_display(self, obj):
        return report_changes(obj)


class ReportEventInline(ReportEventColumns, admin.TabularInline):
    model = ReportEvent
    fields = ["at_local", "action", "actor", "comment", "changes_display"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("report__indicator", "actor")


class ReportCorrectionInline(admin.TabularInline):
    """Corrections (撤銷核定／更正): the figure that had been approved, who reopened it and why."""

    model = ReportCorrection
    fields = [
        "reopened_at_local",
        "reopened_by",
        "reason",
        "actual",
        "approved_by",
        "approved_at_local",
        "resolved_at_local",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    reopened_at_local = local_time(ReportCorrection, "reopened_at")
    approved_at_local = local_time(ReportCorrection, "approved_at")
    resolved_at_local = local_time(ReportCorrection, "resolved_at")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ProgressReport)
class ProgressReportAdmin(ReadOnlyAdmin):
    list_display = ["indicator", "period", "status", "actual", "updated_by", "updated_at_local", "reviewed_by"]
    list_filter = ["status", "period__year", "indicator__department_plan__department"]
    search_fields = ["indicator__name", "narrative"]
    list_select_related = ["indicator__objective", "indicator__common_goal", "period", "updated_by", "reviewed_by"]
    inlines = [ReportCorrectionInline, ReportEventInline]
    fields = [
        "indicator",
        "period",
        "status",
        "actual",
        "inputs_display",
        "narrative",
        "shortfall_reason",
        "improvement_plan",
        "version",
        "created_by",
        "created_at_local",
        "updated_by",
        "updated_at_local",
        "submitted_by",
        "submitted_at_local",
        "review_stages",
        "first_reviewed_by",
        "first_reviewed_at_local",
        "reviewed_by",
        "reviewed_at_local",
        "review_comment",
        "correcting",
        "corrected_at_local",
        "correction_reason",
    ]
    readonly_fields = [
        "inputs_display",
        "created_at_local",
        "updated_at_local",
        "submitted_at_local",
        "first_reviewed_at_local",
        "reviewed_at_local",
        "corrected_at_local",
    ]
    created_at_local = local_time(ProgressReport, "created_at")
    updated_at_local = local_time(ProgressReport, "updated_at")
    submitted_at_local = local_time(ProgressReport, "submitted_at")
    reviewed_at_local = local_time(ProgressReport, "reviewed_at")
    first_reviewed_at_local = local_time(ProgressReport, "first_reviewed_at")
    corrected_at_local = local_time(ProgressReport, "corrected_at")

    @admin.display(description=ProgressReport._meta.get_field("inputs").verbose_name)
    def inputs_display(self, obj):
        return format_field(obj.indicator, "inputs", obj.inputs)


@admin.register(ReportEvent)
class ReportEventAdmin(ReportEventColumns, ReadOnlyAdmin):
    list_display = ["at_local", "report", "action", "actor", "comment"]
    list_filter = ["action", "at"]
    search_fields = ["comment", "report__indicator__name"]
    list_select_related = ["report__indicator__objective", "report__indicator__common_goal", "report__period", "actor"]
    date_hierarchy = "at"
    fields = ["report", "action", "actor", "at_local", "comment", "changes_display"]
    readonly_fields = ["at_local", "changes_display"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Notifications as written, with their e-mail's fate (sent, attempts, last error)."""

    list_display = ["created_at", "recipient", "kind", "report", "actor", "read_at", "sent_at", "attempts"]
    list_filter = ["kind", "created_at"]
    search_fields = ["recipient__username", "text", "last_error"]
    list_select_related = [
        "recipient",
        "actor",
        "report__indicator__objective",
        "report__indicator__common_goal",
        "report__period",
    ]
    date_hierarchy = "created_at"


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email"]
    list_filter = ["email"]
    search_fields = ["user__username"]
    autocomplete_fields = ["user"]


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(ReadOnlyAdmin):
    list_display = ["label_display", "start_date", "end_date", "due_date", "is_locked"]
    list_filter = ["plan", "year", "is_locked"]

    @admin.display(description=ReportingPeriod._meta.verbose_name, ordering="start_date")
    def label_display(self, obj):
        return obj.label  # 民國114年第1季 (a property, which admin would head "Label")


@admin.register(PeriodEvent)
class PeriodEventAdmin(ReadOnlyAdmin):
    list_display = ["at_local", "period", "action", "forced", "actor", "reason"]
    list_filter = ["action", "forced"]
    list_select_related = ["period", "actor"]
    fields = ["period", "action", "forced", "actor", "at_local", "reason", "unfinished"]
    readonly_fields = ["at_local"]
    at_local = local_time(PeriodEvent, "at")


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    # Files are served only through the access-checked view, so no file link here.
    list_display = ["report", "original_name", "url", "size", "uploaded_by", "uploaded_at_local", "removed_at_local"]
    list_select_related = [
        "report__indicator__objective",
        "report__indicator__common_goal",
        "report__period",
        "uploaded_by",
    ]
    fields = [
        "report",
        "original_name",
        "url",
        "description",
        "size",
        "uploaded_by",
        "uploaded_at_local",
        "removed_by",
        "removed_at_local",
    ]
    readonly_fields = ["uploaded_at_local", "removed_at_local"]
    uploaded_at_local = local_time(Evidence, "uploaded_at")
    removed_at_local = local_time(Evidence, "removed_at")


# plan (its thresholds move lights, so its admin lives here) ----------------------------


class DepartmentPlanInline(admin.TabularInline):
    model = DepartmentPlan
    fields = ["toc_number", "toc_label", "department", "page"]
    ordering = ["toc_number"]
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("department")


@admin.register(Plan)
class PlanAdmin(HistoryAdmin):
    """A plan and its settings; changing the light thresholds needs a reason (kpi.history),
    and the plan's history page keeps every change with who, when and why."""

    form = ChangeReasonForm
    list_display = ["name", "start_year", "end_year", "edition", "published_year", "published_month"]
    inlines = [DepartmentPlanInline]
    actions = ["roll_over"]
    fieldsets = [
        (None, {"fields": ["name", "start_year", "end_year", "edition", "published_year", "published_month"]}),
        (
            _("Reporting and status lights"),
            {
                "fields": [
                    "reporting_frequency",
                    "report_due_days",
                    "review_stages",
                    "green_threshold",
                    "yellow_threshold",
                    "change_reason",
                ]
            },
        ),
    ]

    # The next plan period (kpi.services.plan_rollover): the action leads to its page.

    def get_urls(self):
        return [
            path(
                "<path:object_id>/rollover/",
                self.admin_site.admin_view(self.rollover_view),
                name="plans_plan_rollover",
            ),
            *super().get_urls(),
        ]

    @admin.action(description=_("Start the next plan period from the selected plan"))
    def roll_over(self, request, queryset):
        plans = list(queryset[:2])
        if len(plans) != 1:
            messages.error(request, gettext("Choose one plan to start the next plan period from."))
            return None
        return HttpResponseRedirect(reverse("admin:plans_plan_rollover", args=[plans[0].pk]))

    def rollover_view(self, request, object_id):
        if not (self.has_add_permission(request) and access.can_manage_periods(request.user)):
            raise PermissionDenied
        source = self.get_object(request, object_id)
        if source is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        start, end = next_years(source)
        form = PlanRolloverForm(
            request.POST or None,
            initial={"years": f"{start}-{end}", "name": next_plan_name(source, start, end)},
        )
        if request.method == "POST" and form.is_valid():
            try:
                result = plan_rollover(
                    source=source,
                    start_year=form.cleaned_data["years"][0],
                    end_year=form.cleaned_data["years"][1],
                    carry_targets=form.cleaned_data["carry_targets"],
                    name=form.cleaned_data["name"],
                    user=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(
                    request,
                    gettext("%(plan)s was created from %(source)s.") % {"plan": result.plan, "source": source},
                )
                return HttpResponseRedirect(reverse("admin:plans_plan_change", args=[result.plan.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Start the next plan period"),
            "opts": self.opts,
            "original": source,
            "source": source,
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/kpi/plan_rollover.html", context, status=400 if form.errors else 200)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "review_stages" in form.changed_data:
            self._explain_stage_change(request, obj)

    def _explain_stage_change(self, request, plan):
        """Reports already on their way finish under the rule they were submitted under
        (ProgressReport.review_stages); say how many, so nobody wonders where they went."""
        waiting = ProgressReport.objects.filter(period__plan=plan, status__in=IN_REVIEW).exclude(
            review_stages=plan.review_stages
        )
        count = waiting.count()
        text = gettext("Reports submitted from now on are reviewed in %(stages)s.") % {
            "stages": plan.get_review_stages_display()
        }
        if count:
            text += " " + gettext(
                "%(count)s reports already submitted finish under the rule they were submitted under; a report "
                "returned and submitted again follows the new rule."
            ) % {"count": count}
        messages.info(request, text)
