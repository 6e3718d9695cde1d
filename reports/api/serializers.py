"""Attainment as the API shows it: percentages as numbers, the light with its label, counts per light."""

from __future__ import annotations

from django import forms
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.api.filters import IdField, RocYearField
from kpi.assessments import PERIOD, YEAR
from kpi.attainment import Light
from kpi.models import Direction, IndicatorKind, Unit

LEVELS = ["indicator", "objective", "goal", "dimension", "department", "city"]
# The codes only: a label read here would be read once, at import, in whatever language was active.
LIGHTS = [light.value for light in Light]
BASES = [PERIOD, YEAR]
BASIS_HELP = (
    "What the status is judged on. `year`: a year that has ended (or a KPI-year without a target, or excluded) is "
    "judged on the year's approved actual against the year's target. `period`: in the year in progress, the latest "
    "approved year-to-date actual against the planned value (分期預定值) of its period (`period`, "
    "`planned_to_date`); the year-basis figures stay in `year_raw`, `year_capped` and `year_light`."
)
LIGHT_LABEL_HELP = "The light's label in the request's language: 達成 / 部分達成 / 未達成 / 不予評估 in zh-Hant."


@extend_schema_field({"allOf": [{"$ref": "#/components/schemas/LightEnum"}]})
class LightField(serializers.ChoiceField):
    """Another field holding a light: the schema refers to the one LightEnum (that of `light`).

    drf-spectacular names an enum after its field; the same lights under the names `status`
    and `year_light` would otherwise make more components for one set of lights (and a
    `status` enum would collide with the reports' and planned values' statuses).
    """

    def __init__(self, **kwargs):
        super().__init__(choices=LIGHTS, **kwargs)


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


class StatusPeriodSerializer(serializers.Serializer):
    """The reporting period a period-basis status refers to."""

    id = serializers.IntegerField(help_text="Reporting period id (see /api/v1/periods/).")
    short_label = serializers.CharField(help_text="The period for short, e.g. 114Q3 (114H2, 114/09).")


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
    status = LightField(
        help_text="The light people see on every page (the same as `light`); `raw`, `capped` and `reason` are its "
        "figures."
    )
    basis = serializers.ChoiceField(choices=BASES, help_text=BASIS_HELP)
    status_label = serializers.CharField(
        help_text="What a `period`-basis status is labelled with on the pages, in the request's language "
        "(「114Q3 進度」 in zh-Hant, '114Q3 progress' in English); '' for a `year`-basis status."
    )
    period = StatusPeriodSerializer(
        allow_null=True,
        help_text="The period a `period`-basis status refers to (the period of the approved actual); None for a "
        "`year`-basis status, or when nothing is approved yet.",
    )
    planned_to_date = _number(
        "The planned year-to-date value of that period, what `actual` is compared with for a `period`-basis status "
        "(the last period's is the year's target); None for a `year`-basis status, no approved actual yet, or a "
        "year-end figure before year end."
    )
    year_raw = _percent("Year basis: the actual against the year's target in %, uncapped (None when white).")
    year_capped = _percent("Year basis: the same capped at 100.")
    year_light = LightField(help_text="Year basis: the light of the actual against the year's target.")


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
    basis = serializers.ChoiceField(
        choices=BASES,
        help_text="`period` while the year is in progress (each KPI's status is its period status where it has one, "
        "see the indicators' `basis`), `year` otherwise (a year that has ended, or has not begun).",
    )
    year_score = _percent(
        "Year basis: the weighted mean of the KPIs' capped attainment against the year's target (None when "
        "nothing could be assessed)."
    )
    year_light = LightField(help_text="Year basis: the light of `year_score`.")
    year_counts = LightCountsSerializer(help_text="Year basis: how many KPIs have each light.")


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
