"""Attainment as the API shows it: percentages as numbers, the light with its label, counts per light."""

from __future__ import annotations

from django import forms
from rest_framework import serializers

from common.api.filters import IdField, RocYearField
from kpi.attainment import Light
from kpi.models import Direction, IndicatorKind, Unit

LEVELS = ["indicator", "objective", "goal", "dimension", "department", "city"]
# The codes only: a label read here would be read once, at import, in whatever language was active.
LIGHTS = [light.value for light in Light]
LIGHT_LABEL_HELP = "The light's label in the request's language: 達成 / 部分達成 / 未達成 / 不予評估 in zh-Hant."


def _percent(help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=12, decimal_places=4, coerce_to_string=False, allow_null=True, help_text=help_text
    )


def _number(help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=18, decimal_places=4, coerce_to_string=False, allow_null=True, help_text=help_text
    )


class LightCountsSerializer(serializers.Serializer):
    green = serializers.IntegerField()
    yellow = serializers.IntegerField()
    red = serializers.IntegerField()
    white = serializers.IntegerField()


class ThresholdsSerializer(serializers.Serializer):
    green = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)
    yellow = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)


class IndicatorAttainmentSerializer(serializers.Serializer):
    """One indicator's year: target, approved actual, attainment raw and capped, light and why white."""

    indicator = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=IndicatorKind.choices)
    department = serializers.IntegerField()
    objective = serializers.IntegerField(allow_null=True)
    common_goal = serializers.IntegerField(allow_null=True)
    unit = serializers.ChoiceField(choices=Unit.choices)
    direction = serializers.ChoiceField(choices=Direction.choices)
    weight = _number("Weight in the roll-ups.")
    target = _number("The target in force for the year (None: no target).")
    excluded_reason = serializers.CharField(help_text="Why the KPI-year is not assessed; '' if it is.")
    actual = _number("The year's approved actual: its latest approved report (None: none yet).")
    report = serializers.IntegerField(allow_null=True, help_text="The approved report that gives the actual.")
    raw = _percent("Attainment in %, uncapped, to 4 places (None when white); pages show it rounded half up to 1.")
    capped = _percent("Attainment in %, capped at 100 (what roll-ups average).")
    light = serializers.ChoiceField(choices=LIGHTS)
    light_label = serializers.CharField(help_text=LIGHT_LABEL_HELP)
    reason = serializers.CharField(help_text="Why white, in the request's language (zh-Hant by default); '' otherwise.")


class GroupAttainmentSerializer(serializers.Serializer):
    """A roll-up: the weighted mean of its KPIs' capped attainment, ignoring white ones."""

    key = serializers.CharField(help_text="The group's id, its dimension code, or 'city'.")
    id = serializers.IntegerField(allow_null=True, help_text="Objective, goal or department id; None otherwise.")
    name = serializers.CharField()
    score = _percent("Weighted mean of the capped attainment in % (None when nothing could be assessed).")
    light = serializers.ChoiceField(choices=LIGHTS)
    light_label = serializers.CharField(help_text=LIGHT_LABEL_HELP)
    counts = LightCountsSerializer(help_text="How many KPIs have each light.")
    total = serializers.IntegerField(help_text="How many KPIs were rolled up, white ones included.")
    weight = _number("Total weight of the assessed KPIs.")


class AttainmentSerializer(serializers.Serializer):
    plan = serializers.IntegerField()
    year = serializers.IntegerField(help_text="ROC year (民國年).")
    level = serializers.ChoiceField(choices=LEVELS)
    departments = serializers.ListField(
        child=serializers.IntegerField(),
        allow_null=True,
        help_text="The departments the figures cover; None: every department.",
    )
    thresholds = ThresholdsSerializer()
    indicators = IndicatorAttainmentSerializer(many=True, required=False, help_text="level=indicator")
    groups = GroupAttainmentSerializer(many=True, required=False, help_text="every other level")


class AttainmentQueryForm(forms.Form):
    """The attainment endpoint's parameters (a form, so each error names its parameter)."""

    plan = IdField(required=True)
    year = RocYearField(required=True)
    level = forms.ChoiceField(choices=[(level, level) for level in LEVELS], required=False)
    department = IdField(required=False)
