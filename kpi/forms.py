"""Forms of the reporting pages.

The forms only carry what a person typed and show errors next to the right field;
the rules (what a valid figure is, what a submission needs, which files are
accepted) live in `kpi.services`, whose zh-Hant messages are placed on these fields
by `ReportForm.add_service_errors`.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from common.wording import join_list
from kpi import services, units
from kpi.models import Indicator
from kpi.selectors import format_number

EVIDENCE_EXTENSIONS = sorted(services.EVIDENCE_SIGNATURES)


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.Field):
    """Zero or more uploaded files, passed on as they are: `workflow` checks them."""

    widget = MultipleFileInput

    def clean(self, value):
        if not value:
            return []
        files = value if isinstance(value, list | tuple) else [value]
        return [f for f in files if f]

    def bound_data(self, data, initial):
        return initial  # a file input never shows a value back


def evidence_help_text() -> str:
    return _("Accepted: %(types)s; up to %(mb)s MB each. You can select several files.") % {
        "types": join_list(e.upper() for e in EVIDENCE_EXTENSIONS),
        "mb": format_number(settings.EVIDENCE_MAX_BYTES / 1048576),
    }


class ReportForm(forms.Form):
    """A report's fields, the evidence to add with it, and the version it is based on."""

    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    actual = forms.CharField(label=services.FIELD_LABELS["actual"], required=False, max_length=40)
    narrative = forms.CharField(
        label=services.FIELD_LABELS["narrative"],
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What was done this year so far. Required when submitting."),
    )
    shortfall_reason = forms.CharField(
        label=services.FIELD_LABELS["shortfall_reason"],
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when submitting a figure that is behind (yellow or red)."),
    )
    improvement_plan = forms.CharField(
        label=services.FIELD_LABELS["improvement_plan"],
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when submitting a figure that is behind (yellow or red)."),
    )
    file = MultipleFileField(label=_("Evidence files"), required=False)
    url = forms.URLField(
        label=_("Evidence link"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("A web address, e.g. a news release or an open-data page (optional)."),
    )
    description = forms.CharField(
        label=_("Evidence description"),
        required=False,
        max_length=200,
        help_text=_("What the files or the link show (optional)."),
    )

    TEXT_FIELDS = ("narrative", "shortfall_reason", "improvement_plan")

    def __init__(self, *args, indicator: Indicator, read_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicator = indicator
        spec = indicator.formula_spec
        self.input_names: list[str] = []
        if spec:
            del self.fields["actual"]
            for item in spec.inputs:
                name = f"inputs.{item.key}"
                self.fields[name] = forms.CharField(
                    label=item.label,
                    required=False,
                    max_length=40,
                    help_text=_("A whole number, 0 or more.") if item.whole_number else _("A number, 0 or more."),
                    widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
                )
                self.input_names.append(name)
        else:
            self.fields["actual"].help_text = units.actual_help_text(indicator)
            self.fields["actual"].widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})
        self.fields["file"].help_text = evidence_help_text()
        self.fields["file"].widget.attrs["accept"] = ",".join(f".{e}" for e in EVIDENCE_EXTENSIONS)
        if read_only:
            # readonly, not disabled: a refused save still shows what the person typed.
            for name, f in self.fields.items():
                if name not in ("version", "file"):
                    f.widget.attrs["readonly"] = True

    @staticmethod
    def initial_for(indicator: Indicator, report) -> dict:
        if report is None:
            return {"version": 0}
        initial = {
            "version": report.version,
            "actual": format_number(report.actual),
            "narrative": report.narrative,
            "shortfall_reason": report.shortfall_reason,
            "improvement_plan": report.improvement_plan,
        }
        for key, value in (report.inputs or {}).items():
            initial[f"inputs.{key}"] = value
        return initial

    @property
    def input_fields(self):
        return [self[name] for name in self.input_names]

    def report_values(self) -> dict:
        """What to pass to `services.report_clean` / `report_save` (raw strings; workflow parses)."""
        data = self.cleaned_data
        values = {name: data.get(name, "") for name in self.TEXT_FIELDS}
        if self.input_names:
            values["inputs"] = {name.split(".", 1)[1]: data.get(name, "") for name in self.input_names}
        else:
            values["actual"] = data.get("actual", "")
        return values

    def add_service_errors(self, exc: ValidationError) -> None:
        """Put a `workflow` ValidationError's messages next to the fields they concern."""
        if hasattr(exc, "error_dict"):
            for key, messages in exc.message_dict.items():
                name = key if key in self.fields else None
                for message in messages:
                    if name and message not in self.errors.get(name, []):
                        self.add_error(name, message)
                    elif not name and message not in self.non_field_errors():
                        self.add_error(None, message)
        else:
            for message in exc.messages:
                if message not in self.non_field_errors():
                    self.add_error(None, message)


class ReviewForm(forms.Form):
    action = forms.ChoiceField(choices=[("approve", _("Approve")), ("return", _("Return for revision"))])
    comment = forms.CharField(required=False, max_length=5000)
    version = forms.IntegerField(min_value=0, required=False)


class EvidenceForm(forms.Form):
    file = MultipleFileField(label=_("Evidence files"), required=False)
    url = forms.URLField(label=_("Evidence link"), required=False, max_length=500, assume_scheme="https")
    description = forms.CharField(label=_("Evidence description"), required=False, max_length=200)
