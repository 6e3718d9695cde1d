"""Forms for the indicator admin: the yearly-target inline and the import steps."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from import_export.forms import ConfirmImportForm, ImportForm

from kpi.models import YearlyTarget
from kpi.resources import plain_number
from kpi.services import validate_target_value, validate_target_year

REASON_REQUIRED = "修改目標值必須填寫修正理由。"


class YearlyTargetInlineForm(forms.ModelForm):
    """One year's target. Saved by the admin through `kpi.services.target_set`, never directly.

    `clean` runs the same checks that `target_set` will (year within the plan, a value the
    unit allows, a reason for any change), so that a bad value comes back as an error on
    this row instead of failing the save.
    """

    reason = forms.CharField(
        label=_("Reason for change (修正理由)"),
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
                errors.setdefault("reason", []).append(REASON_REQUIRED)
        if errors:
            raise ValidationError(errors)
        return cleaned


class IndicatorImportForm(ImportForm):
    reason = forms.CharField(
        label=_("Reason for change (修正理由)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_(
            "Applies to every target this file changes. Changing an existing target without a "
            "reason (here or in the file's 修正理由 column) is an error."
        ),
    )
    field_order = ["resource", "import_file", "format", "reason"]


class IndicatorConfirmImportForm(ConfirmImportForm):
    reason = forms.CharField(widget=forms.HiddenInput(), required=False)
