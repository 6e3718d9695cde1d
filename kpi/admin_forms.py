"""Forms for the indicator admin: the change form's reason, the yearly-target inline and the
import steps."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from import_export.forms import ConfirmImportForm, ImportForm

from common.wording import join_list
from kpi import history
from kpi.models import YearlyTarget
from kpi.resources import plain_number
from kpi.services import reason_required, validate_target_value, validate_target_year


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
        if self.instance.pk is not None and not set(self.changed_data) - {"change_reason"}:
            self.instance.skip_history_when_saving = True  # nothing changed: nothing to record
        history.record_change(self.instance, reason=self.cleaned_data.get("change_reason", ""))
        return super().save(commit)


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


class IndicatorConfirmImportForm(ConfirmImportForm):
    reason = forms.CharField(widget=forms.HiddenInput(), required=False)
