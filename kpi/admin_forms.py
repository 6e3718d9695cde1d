"""Forms for the indicator admin: the change form's reason, its planned values per period,
the yearly-target inline and the import steps."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from import_export.forms import ConfirmImportForm, ImportForm

from common.spreadsheets import reading
from common.wording import join_list
from kpi import history, planning
from kpi.assessments import planned_values
from kpi.models import PlannedStatus, YearlyTarget
from kpi.resources import plain_number
from kpi.services import reason_required, validate_target_value, validate_target_year
from kpi.services.planning import plannable
from kpi.services.rollover import parse_plan_years
from plans.models import PERIODS_PER_YEAR


class ChangeReasonForm(forms.ModelForm):
    """An admin change form with 修改理由, kept with the change on the record of changes.

    Required when a field that can move a light changed (`kpi.history.LIGHT_FIELDS`);
    optional, and still recorded, when only other fields did. A save that changes nothing
    records nothing.
    """

    change_reason = forms.CharField(
        label=history.REASON_FIELD,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model = self._meta.model
        labels = join_list(history.field_label(model, name) for name in history.light_fields(model))
        self.fields["change_reason"].help_text = _(
            "Required when %(fields)s change, since that can change status lights; kept on the record."
        ) % {"fields": labels}

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None:
            try:
                cleaned["change_reason"] = history.check_reason(
                    self._meta.model, self.changed_data, cleaned.get("change_reason")
                )
            except ValidationError as e:
                self.add_error("change_reason", e)
        return cleaned

    def save(self, commit=True):
        # Fields of the form's own (the reason, an indicator's planned values) are not the
        # object's: they alone changing leaves the object's record alone.
        if self.instance.pk is not None and not set(self.changed_data) - set(self.declared_fields):
            self.instance.skip_history_when_saving = True  # nothing changed: nothing to record
        history.record_change(self.instance, reason=self.cleaned_data.get("change_reason", ""))
        return super().save(commit)


def planned_field_name(year: int, number: int) -> str:
    return f"planned_{year}_{number}"


def planned_cells(indicator) -> list[list[tuple[int, int]]]:
    """The planned values an indicator's change form edits: per plan year, (year, number) of
    every period but the last (the target); none on a year-end figure or a new indicator."""
    if indicator is None or not indicator.pk or not indicator.department_plan_id:
        return []
    plan = indicator.department_plan.plan
    periods = PERIODS_PER_YEAR[plan.reporting_frequency]
    rows = [[(year, n) for n in range(1, periods) if plannable(indicator, n, periods)] for year in plan.years]
    return [row for row in rows if row]


class PlanRolloverForm(forms.Form):
    """The next plan period's page in admin (kpi.services.plan_rollover): its years, its name,
    and whether the old plan's last-year targets are carried over as proposals."""

    years = forms.CharField(
        label=_("the new plan's years (ROC)"),
        max_length=20,
        help_text=_(
            "Its first and last ROC years, e.g. 115-118: as many years as the old plan, the year after it ends."
        ),
    )
    name = forms.CharField(label=_("the new plan's name"), max_length=200)
    carry_targets = forms.BooleanField(
        label=_("Carry the old plan's last-year targets over as proposals"),
        required=False,
        help_text=_(
            "Each indicator's target of the old plan's last year is proposed for every year of the new plan. "
            "A proposal is not a target: it is not used for attainment until the planning office accepts it."
        ),
    )

    def clean_years(self):
        try:
            return parse_plan_years(self.cleaned_data["years"])  # the one parser of a plan's years
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None


class IndicatorForm(ChangeReasonForm):
    """The indicator's change form: 修改理由 and the planned values per period (分期預定值).

    `IndicatorAdmin` declares one field per plan year and period but the last
    (`indicator_form`); admin saves them through `kpi.services.planned_values_save` after
    the targets, in the same transaction, with the form's reason for confirmed values.
    """

    planned: tuple[tuple[int, int], ...] = ()  # the (year, number) of the planned-value fields
    refused: dict[str, list[str]] = {}  # errors of a save the service refused (`IndicatorAdmin`)

    def clean(self):
        cleaned = super().clean()
        for name, messages in self.refused.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
        return cleaned

    def planned_changes(self) -> dict[int, dict[int, str]]:
        """The planned values changed on the form: year → {period number: typed text, "" for the default}."""
        changes: dict[int, dict[int, str]] = {}
        for year, number in self.planned:
            name = planned_field_name(year, number)
            if name in self.changed_data:
                changes.setdefault(year, {})[number] = (self.cleaned_data.get(name) or "").strip()
        return changes


def indicator_form(indicator, *, may_confirm: bool, refused=None) -> type[IndicatorForm]:
    """The change form of one indicator, with a field per planned value it has.

    Each field holds the stored value (empty for the default, shown as its placeholder) and
    says whether it is confirmed. Two queries: the stored values and the targets.
    """
    rows = planned_cells(indicator)
    attrs: dict[str, object] = {"planned": tuple(cell for row in rows for cell in row), "refused": refused or {}}
    if rows:
        plan = indicator.department_plan.plan
        periods = PERIODS_PER_YEAR[plan.reporting_frequency]
        stored = planned_values(years=plan.years, target__indicator=indicator)
        targets = {t.year: t.value for t in YearlyTarget.objects.filter(indicator=indicator)}
        for year, number in attrs["planned"]:
            value, status = stored.get((indicator.pk, year), {}).get(number, (None, ""))
            default = planning.default_value(indicator, targets, year, number, periods)
            attrs[planned_field_name(year, number)] = forms.CharField(
                label=_("%(year)s period %(number)s planned value") % {"year": year, "number": number},
                required=False,
                initial="" if value is None else str(plain_number(value)),
                help_text=PlannedStatus(status).label if status else pgettext_lazy("planned value", "Default"),
                widget=forms.TextInput(
                    attrs={
                        "size": 8,
                        "inputmode": "decimal",
                        "placeholder": "" if default is None else str(plain_number(default)),
                    }
                ),
            )
        if may_confirm:
            attrs["planned_confirm"] = forms.BooleanField(
                label=_("Confirm the planned values"),
                required=False,
                help_text=_("Confirms every proposed planned value of this indicator, after saving what you typed."),
            )
    return type("IndicatorForm", (IndicatorForm,), attrs)


class YearlyTargetInlineForm(forms.ModelForm):
    """One year's target. Saved by the admin through `kpi.services.target_set`, never directly.

    `clean` runs the same checks that `target_set` will (year within the plan, a value the
    unit allows, a reason for any change), so that a bad value comes back as an error on
    this row instead of failing the save.
    """

    reason = forms.CharField(
        label=history.TARGET_REASON_FIELD,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 40}),
        help_text=_("Required when an existing target changes."),
    )

    class Meta:
        model = YearlyTarget
        fields = ["year", "value", "excluded_reason"]
        widgets = {"excluded_reason": forms.Textarea(attrs={"rows": 2, "cols": 30})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Admin's tabular inline labels its inputs only by the column headings: give each
        # input its own accessible name, so screen readers say what the box is.
        for field in self.fields.values():
            field.widget.attrs.setdefault("aria-label", str(field.label))
        if self.instance.pk:
            # A target's year is what it is; a different year is a different target.
            self.fields["year"].disabled = True
            self.initial["value"] = plain_number(self.instance.value)  # 100, not 100.0000

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and "excluded_reason" in self.changed_data:
            # Excluding the year (不予評估) or taking it back moves its light: the row's reason,
            # or for an exclusion its own text, says why.
            try:
                history.check_reason(
                    YearlyTarget,
                    ["excluded_reason"],
                    cleaned.get("reason") or cleaned.get("excluded_reason"),
                    reason_field=history.TARGET_REASON_FIELD,
                )
            except ValidationError as e:
                self.add_error("reason", e)
        year, value = cleaned.get("year"), cleaned.get("value")
        indicator = cleaned.get("indicator") or getattr(self.instance, "indicator", None)
        if year is None or value is None or indicator is None or not indicator.department_plan_id:
            return cleaned
        errors = {}
        for check, field in ((validate_target_year, "year"), (validate_target_value, "value")):
            arg = year if field == "year" else value
            try:
                check(indicator, arg, field=field)
            except ValidationError as e:
                errors.update(e.message_dict)
        if self.instance.pk:
            old = self.initial.get("value")
            if old is not None and Decimal(old) != value and not (cleaned.get("reason") or "").strip():
                errors.setdefault("reason", []).append(reason_required())
        if errors:
            raise ValidationError(errors)
        return cleaned


class IndicatorImportForm(ImportForm):
    reason = forms.CharField(
        label=history.TARGET_REASON_FIELD,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_(
            "Applies to every target this file changes. Changing an existing target without a "
            "reason (here or in the file's reason column) is an error."
        ),
    )
    field_order = ["resource", "import_file", "format", "reason"]

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.formats = formats

    def clean(self):
        """The limits of every import (`common.spreadsheets.reading`), before tablib reads the
        file: tablib has none of its own, and a small file can unpack into millions of rows."""
        cleaned = super().clean()
        upload, index = cleaned.get("import_file"), cleaned.get("format")
        if upload is None or index in (None, ""):
            return cleaned
        try:
            fmt = self.formats[int(index)]().get_extension()
            reading.check_size(upload.size)
            reading.check_limits(upload.read(), fmt)
        except reading.FileError as exc:
            self.add_error("import_file", str(exc))
        except (IndexError, ValueError):
            pass  # the format field reports its own error
        finally:
            upload.seek(0)
        return cleaned


class IndicatorConfirmImportForm(ConfirmImportForm):
    reason = forms.CharField(widget=forms.HiddenInput(), required=False)
