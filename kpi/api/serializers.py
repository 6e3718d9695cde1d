from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.api.base import NO_NUL, schema_field
from common.numbers import MAX_ID
from kpi import planning, services
from kpi.models import (
    UNFINISHED,
    Evidence,
    Indicator,
    IndicatorKind,
    PlannedStatus,
    ProgressReport,
    ReportCorrection,
    ReportEvent,
    ReportingPeriod,
    TargetRevision,
    YearlyTarget,
)
from kpi.models.indicators import indicator_code
from kpi.services.comments import COMMENT_NEEDS_TEXT
from kpi.services.periods import UNLOCK_NEEDS_REASON
from kpi.services.reports import MAX_TEXT, REOPEN_NEEDS_REASON, RETURN_NEEDS_COMMENT
from plans.models import PERIODS_PER_YEAR, ReportingFrequency


class IndicatorSerializer(serializers.ModelSerializer):
    """An indicator as open data: stable field names, ROC years, targets as numbers."""

    department = serializers.CharField(source="department_plan.department.name")
    goal = serializers.SerializerMethodField()
    objective = serializers.SerializerMethodField()
    dimension = serializers.SerializerMethodField()
    code = serializers.CharField(read_only=True)
    targets = serializers.SerializerMethodField()

    class Meta:
        model = Indicator
        fields = [
            "id",
            "kind",
            "department",
            "goal",
            "objective",
            "dimension",
            "code",
            "name",
            "evaluation_arrangement",
            "evaluation_method",
            "measurement_standard",
            "unit",
            "direction",
            "weight",
            "formula",
            "targets",
        ]

    def get_goal(self, obj) -> str | None:
        if obj.kind == IndicatorKind.KPI and obj.objective.goal_id:
            return obj.objective.goal.name
        return None

    def get_objective(self, obj) -> str:
        return obj.parent.name

    def get_dimension(self, obj) -> str:
        return obj.parent.dimension

    def get_targets(self, obj) -> list[dict]:
        year = self.context.get("year")
        return [{"year": t.year, "value": t.value} for t in obj.targets.all() if year is None or t.year == year]


def indicator_rows(queryset, *, year: int | None = None) -> list[dict]:
    """What `IndicatorSerializer(queryset, many=True)` returns, from two value queries.

    The open-data list can hold every indicator of a city (11,500 for 500 departments):
    building a model instance per indicator, target and parent and running each through
    the serializer's fields took 3 s there (bench/benchmark.py), ten times the SQL. This
    reads plain values instead and applies the same rules as the serializer's methods;
    tests/test_api_indicators.py checks that both give the same JSON. The serializer
    stays the schema and the reference.
    """
    weight_field = IndicatorSerializer().fields["weight"]
    queryset = queryset.prefetch_related(None)
    rows = list(
        queryset.values(
            "id",
            "kind",
            "department_plan__department__name",
            "objective__goal__name",
            "objective__number",
            "objective__name",
            "objective__dimension",
            "common_goal__number",
            "common_goal__name",
            "common_goal__dimension",
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
    )
    targets: dict[int, list[dict]] = {}
    target_rows = YearlyTarget.objects.filter(indicator__in=queryset.order_by().values("id"))
    if year is not None:
        target_rows = target_rows.filter(year=year)
    for indicator_id, target_year, value in target_rows.order_by("indicator_id", "year").values_list(
        "indicator_id", "year", "value"
    ):
        targets.setdefault(indicator_id, []).append({"year": target_year, "value": value})

    result = []
    for row in rows:
        is_kpi = row["kind"] == IndicatorKind.KPI
        parent = "objective__" if is_kpi else "common_goal__"
        result.append(
            {
                "id": row["id"],
                "kind": row["kind"],
                "department": row["department_plan__department__name"],
                "goal": row["objective__goal__name"],
                "objective": row[parent + "name"],
                "dimension": row[parent + "dimension"],
                "code": indicator_code(row["kind"], row[parent + "number"], row["number"]),
                "name": row["name"],
                "evaluation_arrangement": row["evaluation_arrangement"],
                "evaluation_method": row["evaluation_method"],
                "measurement_standard": row["measurement_standard"],
                "unit": row["unit"],
                "direction": row["direction"],
                "weight": weight_field.to_representation(row["weight"]),
                "formula": row["formula"],
                "targets": targets.get(row["id"], []),
            }
        )
    return result


# --- An indicator in full -------------------------------------------------------------


class TargetRevisionSerializer(serializers.Serializer):
    old_value = serializers.DecimalField(
        max_digits=14, decimal_places=4, coerce_to_string=False, allow_null=True, help_text="None when first set."
    )
    new_value = serializers.DecimalField(max_digits=14, decimal_places=4, coerce_to_string=False)
    reason = serializers.CharField()
    changed_by = serializers.SerializerMethodField()
    changed_at = serializers.DateTimeField()
    source = serializers.ChoiceField(choices=TargetRevision.Source.choices)

    def get_changed_by(self, obj) -> str | None:
        return person_name(obj.changed_by)


class TargetDetailSerializer(serializers.Serializer):
    year = serializers.IntegerField(help_text="ROC year.")
    value = serializers.DecimalField(max_digits=14, decimal_places=4, coerce_to_string=False, help_text="In force.")
    original_value = serializers.DecimalField(
        max_digits=14, decimal_places=4, coerce_to_string=False, help_text="As the plan first set it."
    )
    is_revised = serializers.BooleanField()
    excluded_reason = serializers.CharField(help_text="Why the KPI-year is not assessed; '' if it is.")
    revisions = TargetRevisionSerializer(many=True, source="revisions.all")


PLANNED_SOURCES = [planning.SET, planning.DEFAULT, planning.TARGET]


# drf-spectacular names enum components after their field; `source` and `status` already name
# the target revisions' and the reports' enums, which must keep their names: these two enums
# are written out in the fields' schemas instead.
@extend_schema_field({"allOf": [{"type": "string", "enum": PLANNED_SOURCES}]})
class PlannedSourceField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=PLANNED_SOURCES, **kwargs)


@extend_schema_field({"oneOf": [{"type": "string", "enum": PlannedStatus.values}, {"enum": [None]}]})
class PlannedStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=PlannedStatus.choices, allow_null=True, **kwargs)


class PlannedValueSerializer(serializers.Serializer):
    """One period's planned year-to-date value (分期預定值) of a KPI-year: what the period status compares with."""

    year = serializers.IntegerField(help_text="ROC year.")
    period = serializers.IntegerField(help_text="The period's number in the year: 1 for the first (Q1, H1, month 1).")
    value = serializers.DecimalField(
        max_digits=14,
        decimal_places=4,
        coerce_to_string=False,
        allow_null=True,
        help_text="The planned year-to-date value at the period's end; None for a year-end figure before the "
        "last period (judged at year end only).",
    )
    source = PlannedSourceField(
        help_text="`set`: set by people (see `status`); `default`: by the indicator's accrual where nobody set one "
        "(a straight line for cumulative figures, the target for a level, none before year end for a year-end "
        "figure); `target`: the last period, whose planned value is the year's target."
    )
    status = PlannedStatusField(
        help_text="For a `set` value: `proposed` by the department, or `confirmed` by the planning office or an "
        "admin; None for `default` and `target`."
    )


class IndicatorDetailSerializer(IndicatorSerializer):
    """The open-data fields, plus ids, accrual, every target with its original value and revisions, and the
    planned value of every period of every year."""

    department_id = serializers.IntegerField(source="department_plan.department_id")
    department_plan_id = serializers.IntegerField()
    plan_id = serializers.IntegerField(source="department_plan.plan_id")
    objective_id = serializers.IntegerField(allow_null=True)
    common_goal_id = serializers.IntegerField(allow_null=True)
    targets = TargetDetailSerializer(many=True, source="targets.all")
    planned = serializers.SerializerMethodField(
        help_text="The planned value of every reporting period of every year with a target, years then periods in "
        "order (kpi.planning: set values, else the default by accrual; the last period is the target)."
    )

    class Meta(IndicatorSerializer.Meta):
        fields = [
            *IndicatorSerializer.Meta.fields,
            "department_id",
            "department_plan_id",
            "plan_id",
            "objective_id",
            "common_goal_id",
            "accrual",
            "planned",
        ]

    @extend_schema_field(PlannedValueSerializer(many=True))
    def get_planned(self, obj) -> list[dict]:
        # The view prefetches the targets with their planned values, so this reads no more rows.
        targets = list(obj.targets.all())
        by_year = {t.year: t.value for t in targets}
        periods_per_year = PERIODS_PER_YEAR[obj.department_plan.plan.reporting_frequency]
        rows = []
        for target in targets:
            stored = {p.number: (p.value, p.status) for p in target.planned_values.all()}
            for point in planning.ladder(obj, by_year, target.year, periods_per_year, stored):
                rows.append(
                    {
                        "year": target.year,
                        "period": point.number,
                        "value": point.value,
                        "source": point.source,
                        "status": point.status or None,
                    }
                )
        return PlannedValueSerializer(rows, many=True).data


# --- Periods --------------------------------------------------------------------------


class PeriodSerializer(serializers.ModelSerializer):
    frequency = schema_field(serializers.CharField, {"type": "string", "enum": ReportingFrequency.values})(
        read_only=True
    )
    label = serializers.CharField(read_only=True, help_text="The period for people, in the language asked for.")
    short_label = serializers.CharField(read_only=True, help_text="112Q2")

    class Meta:
        model = ReportingPeriod
        fields = [
            "id",
            "plan",
            "year",
            "frequency",
            "number",
            "label",
            "short_label",
            "start_date",
            "end_date",
            "due_date",
            "is_locked",
        ]


# --- Reports --------------------------------------------------------------------------


def person_name(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, obj) -> str:
        return person_name(obj)


class ReportSerializer(serializers.ModelSerializer):
    """A progress report (進度填報): a year-to-date figure for one indicator and period."""

    indicator_code = serializers.CharField(source="indicator.code", read_only=True)
    indicator_name = serializers.CharField(source="indicator.name", read_only=True)
    department = serializers.IntegerField(source="indicator.department_plan.department_id", read_only=True)
    department_name = serializers.CharField(source="indicator.department_plan.department.name", read_only=True)
    year = serializers.IntegerField(source="period.year", read_only=True, help_text="ROC year.")
    period_label = serializers.CharField(source="period.label", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    actual = serializers.DecimalField(max_digits=14, decimal_places=4, coerce_to_string=False, allow_null=True)
    inputs = serializers.DictField(
        child=serializers.CharField(allow_blank=True), help_text="A common indicator's formula inputs."
    )
    created_by = PersonSerializer(read_only=True)
    updated_by = PersonSerializer(read_only=True)
    submitted_by = PersonSerializer(read_only=True, allow_null=True)
    reviewed_by = PersonSerializer(read_only=True, allow_null=True)
    review_stages = serializers.IntegerField(
        read_only=True,
        min_value=1,
        max_value=2,
        help_text="The review rule of the report's last submission (set when it is submitted; 1 before): 1 (one "
        "review), or 2 (the department's first review, 初核, then the planning office's, 研考複核).",
    )
    first_reviewed_by = PersonSerializer(
        read_only=True, allow_null=True, help_text="Under two stages: who passed the first review (None before)."
    )
    first_reviewed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    correcting = serializers.BooleanField(
        read_only=True,
        help_text="Reopened by the planning office for correction: until it is approved again, the figure that "
        "had been approved stays the period's actual (see `corrections` on the detail).",
    )
    corrected_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When a correction was last approved (None if never corrected)."
    )
    correction_reason = serializers.CharField(read_only=True, help_text="Why it was last corrected ('' if never).")

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "indicator",
            "indicator_code",
            "indicator_name",
            "department",
            "department_name",
            "period",
            "period_label",
            "year",
            "status",
            "status_label",
            "actual",
            "inputs",
            "narrative",
            "shortfall_reason",
            "improvement_plan",
            "version",
            "created_by",
            "created_at",
            "updated_by",
            "updated_at",
            "submitted_by",
            "submitted_at",
            "reviewed_by",
            "reviewed_at",
            "review_comment",
            "review_stages",
            "first_reviewed_by",
            "first_reviewed_at",
            "correcting",
            "corrected_at",
            "correction_reason",
        ]
        read_only_fields = fields


class EvidenceSerializer(serializers.ModelSerializer):
    """A file's or a link's metadata; the file itself comes from `download_url` (signed-in, same access)."""

    type = serializers.SerializerMethodField()
    # A file's is "" (the model's URLField would be typed as a URI, which "" is not).
    url = serializers.CharField(read_only=True, help_text="The link; '' for a file.")
    uploaded_by = PersonSerializer(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "type",
            "original_name",
            "size",
            "url",
            "description",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "enum": ["file", "link"]})
    def get_type(self, obj) -> str:
        return "link" if obj.url else "file"

    @extend_schema_field({"type": "string", "format": "uri"})
    def get_download_url(self, obj) -> str:
        path = reverse("kpi:evidence_download", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


@extend_schema_field(
    {
        "type": "object",
        "description": "field → [old, new]",
        "additionalProperties": {"type": "array", "items": {}},
    }
)
class ChangesField(serializers.JSONField):
    pass


class ReportEventSerializer(serializers.ModelSerializer):
    """One entry of a report's record (who did what, when, what changed and why)."""

    action_label = serializers.CharField(source="get_action_display", read_only=True)
    actor = PersonSerializer(read_only=True)
    changes = ChangesField(read_only=True)

    class Meta:
        model = ReportEvent
        fields = ["id", "action", "action_label", "actor", "at", "comment", "changes"]
        read_only_fields = fields


class CorrectionSerializer(serializers.ModelSerializer):
    """An approved report reopened for correction (撤銷核定／更正), and the figure that had been approved."""

    reopened_by = PersonSerializer(read_only=True)
    approved_actual = serializers.DecimalField(
        source="actual",
        max_digits=14,
        decimal_places=4,
        coerce_to_string=False,
        read_only=True,
        help_text="The actual that had been approved: the period's actual until the correction is approved.",
    )
    approved_by = PersonSerializer(read_only=True, help_text="Who had approved that figure.")
    resolved_by = PersonSerializer(
        read_only=True, allow_null=True, help_text="Who approved the corrected report (None while open)."
    )

    class Meta:
        model = ReportCorrection
        fields = [
            "reason",
            "reopened_by",
            "reopened_at",
            "approved_actual",
            "approved_by",
            "approved_at",
            "resolved_by",
            "resolved_at",
        ]
        read_only_fields = fields


class ReportDetailSerializer(ReportSerializer):
    evidence = EvidenceSerializer(many=True, source="active_evidence", read_only=True)
    events = ReportEventSerializer(many=True, source="events.all", read_only=True)
    corrections = CorrectionSerializer(
        many=True,
        source="corrections.all",
        read_only=True,
        help_text="Every time the report was reopened for correction, oldest first; the last is open while "
        "`correcting`.",
    )

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "evidence", "events", "corrections"]
        read_only_fields = fields


# --- Writes ---------------------------------------------------------------------------


def figure_text(value) -> str | None:
    """A number or a string as text for the services to parse; None for anything else
    (booleans, lists, objects, and text no database can store: NUL or lone surrogates)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    text = value if isinstance(value, str) else repr(value)
    if "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text):
        return None
    return text


def _safe_key(key) -> str:
    return "".join(ch for ch in str(key)[:40] if ch != "\x00" and not "\ud800" <= ch <= "\udfff") or "?"


# The largest figure the actual column holds (14 digits, 4 of them decimals; kpi.units.fits_actual_column).
MAX_FIGURE = 9999999999.9999
# A figure typed as text, as `common.formatting.parse_number` reads it: a sign, digits with
# thousands commas and a decimal point, an exponent, a trailing percent sign, spaces around;
# empty for none. Its size is the unit's rule (the services say what is wrong), not the pattern's.
_DECIMAL = r"([0-9][0-9,]*(\.[0-9,]*)?|\.[0-9][0-9,]*)([eE][+-]?[0-9]+)?"
FIGURE_TEXT = rf"^ *([+-]?{_DECIMAL} *%? *)?$"
# A formula input (kpi.formulas): 0 or more, below 10^14, no percent sign.
MAX_INPUT = 99999999999999
INPUT_TEXT = rf"^ *(\+?{_DECIMAL} *)?$"


@extend_schema_field(
    {
        "oneOf": [
            {"type": "number", "nullable": True, "minimum": -MAX_FIGURE, "maximum": MAX_FIGURE},
            {"type": "string", "maxLength": 40, "pattern": FIGURE_TEXT},
        ],
        "description": 'The year-to-date figure, a number or a numeric string (null or "" for none: a draft '
        "only; a returned report keeps one). Not for common indicators (send `inputs`). What the indicator's "
        "unit allows is checked on saving: a count (場, 件, 處) is a whole number, 0 or more; a deliverable (式) "
        "from 0 to 1; a higher-is-better percentage from 0 to 100.",
    }
)
class FigureField(serializers.Field):
    """A figure as typed (number or text): `kpi.services` parses it and says what is wrong."""

    default_error_messages = {
        "invalid": gettext_lazy("Enter a number."),
        "max_length": gettext_lazy("The number is too long."),
    }

    def to_internal_value(self, data):
        text = figure_text(data)
        if text is None:
            self.fail("invalid")
        if len(text) > 40:
            self.fail("max_length")
        return text

    def to_representation(self, value):
        return value


@extend_schema_field(
    {
        "type": "object",
        "maxProperties": 20,
        "additionalProperties": {
            "oneOf": [
                {"type": "number", "minimum": 0, "maximum": MAX_INPUT},
                {"type": "string", "maxLength": 40, "pattern": INPUT_TEXT},
            ]
        },
        "description": 'A common indicator\'s formula inputs, e.g. {"budget": 1000000, "spent": 900000, '
        '"reserved": 0}: the keys its `formula` names (at most 40 characters), each a number, 0 or more '
        "(a whole number for a count of staff). Only for common indicators (send `actual` otherwise). A "
        "draft may leave some empty; a submission, or a returned report, needs them all.",
    }
)
class InputsField(serializers.Field):
    default_error_messages = {"invalid": gettext_lazy('Give the formula inputs as an object, e.g. {{"budget": 1000}}.')}

    def to_internal_value(self, data):
        if not isinstance(data, dict) or len(data) > 20:
            self.fail("invalid")
        clean, errors = {}, {}
        for key, value in data.items():
            text = figure_text(value)
            if text is None or figure_text(key) is None:
                errors[_safe_key(key)] = [_("Enter a number.")]
            elif len(text) > 40 or len(key) > 40:
                errors[_safe_key(key)] = [_("The number is too long.")]
            else:
                clean[key] = text
        if errors:
            raise serializers.ValidationError(errors)
        return clean

    def to_representation(self, value):
        return value


def _text(label: str) -> serializers.CharField:
    # What a submission needs is the workflow's rule; the length (MAX_TEXT, as the services
    # count it) is checked here too, so that the schema's maxLength is exactly what is refused.
    return ReportText(required=False, allow_blank=True, trim_whitespace=False, help_text=label, max_length=MAX_TEXT)


# A character that stays once a text is cleaned and stripped (`common.text.plain_text`): a text
# without one is empty to the services.
SOME_TEXT = r"[^\s\u0000-\u0008\u000e-\u001f\u007f]"


def _required_text(refusal, help_text: str) -> serializers.CharField:
    """A text the workflow requires (a return's comment, a reason): left out or blank, it is
    refused with the service's own message; the schema says it is required, with a character
    that is not a space."""
    return RequiredText(
        max_length=MAX_TEXT, help_text=help_text, error_messages={"required": refusal, "blank": refusal}
    )


class JsonBooleanField(serializers.BooleanField):
    """true or false, and nothing else (DRF's BooleanField would also take 1, "yes", "on" …)."""

    default_error_messages = {"invalid": gettext_lazy("Enter true or false.")}

    def to_internal_value(self, data):
        if data is True or data is False:
            return data
        self.fail("invalid")


class JsonIntegerField(serializers.IntegerField):
    """A JSON integer, and nothing else (DRF's IntegerField would also take "1" and 1.0)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class JsonCharField(serializers.CharField):
    """A JSON string, and nothing else (DRF's CharField would also take 0 and turn it into "0")."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


# A narrative, a reason, measures, a comment: MAX_TEXT characters at most.
ReportText = schema_field(JsonCharField, {"type": "string", "maxLength": MAX_TEXT, "pattern": NO_NUL})
# A text that must say something (`_required_text`): no NUL, and a character that stays.
RequiredText = schema_field(
    JsonCharField,
    {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_TEXT,
        "pattern": f"^[^\\u0000]*{SOME_TEXT}[^\\u0000]*$",
    },
)


class ReportFieldsSerializer(serializers.Serializer):
    actual = FigureField(required=False, allow_null=True)
    inputs = InputsField(required=False)
    narrative = _text("The progress narrative: required when submitting.")
    shortfall_reason = _text("The reason for a shortfall: required when submitting a yellow or red figure.")
    improvement_plan = _text("The improvement measures: required when submitting a yellow or red figure.")
    submit = JsonBooleanField(required=False, default=False, help_text="Submit for review after saving.")


class ReportCreateSerializer(ReportFieldsSerializer):
    indicator = JsonIntegerField(min_value=1, max_value=MAX_ID)
    period = JsonIntegerField(min_value=1, max_value=MAX_ID)
    version = JsonIntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=2**31 - 1,
        help_text="Only to save over an existing report for this indicator and period: its current version.",
    )


class ReportUpdateSerializer(ReportFieldsSerializer):
    version = JsonIntegerField(
        min_value=0, max_value=2**31 - 1, help_text="The version your copy is based on (409 if it moved on)."
    )


class VersionSerializer(serializers.Serializer):
    version = JsonIntegerField(
        min_value=0, max_value=2**31 - 1, help_text="The version you reviewed (409 if it moved on)."
    )


class ApproveSerializer(VersionSerializer):
    comment = ReportText(required=False, allow_blank=True, default="", max_length=5000)


class ReturnSerializer(VersionSerializer):
    comment = _required_text(RETURN_NEEDS_COMMENT, "What to correct.")


@extend_schema_field({"type": "string", "format": "binary"})
class UploadField(serializers.FileField):
    """A file sent as a part of a multipart body: binary in the schema (drf-spectacular would
    type a FileField as a URI, as it reads back), so that a generated client uploads bytes."""


# A link that Django's URLValidator (the model's URLField) accepts, as a pattern a client can
# check, its parts as the validator writes them: http, https, ftp or ftps; user info; an IPv4
# address, a dotted host name short enough for the validator's 253 characters, or localhost;
# a port; then anything without spaces. Narrower than the validator (no IPv6, no non-ASCII
# host names), so that what the schema allows always passes.
_IP_PART = r"(0|25[0-5]|2[0-4][0-9]|1[0-9]?[0-9]?|[1-9][0-9]?)"
LINK_PATTERN = (
    r"^([Hh][Tt][Tt][Pp][Ss]?|[Ff][Tt][Pp][Ss]?)://"
    r"([^\s:@/?#\[\]\u0000]+(:[^\s:@/?#\[\]\u0000]*)?@)?"
    rf"({_IP_PART}(\.{_IP_PART}){{3}}"
    r"|([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,3}[A-Za-z]{2,24}\.?"
    r"|[Ll][Oo][Cc][Aa][Ll][Hh][Oo][Ss][Tt])"
    r"(:[0-9]{1,5})?"
    r"([/?#][^\s\u0000]*)?$"
)


class EvidenceUploadSerializer(serializers.Serializer):
    file = UploadField(
        required=False,
        allow_empty_file=True,
        help_text="One file: "
        + ", ".join(sorted(services.EVIDENCE_SIGNATURES))
        + "; its content must match its extension, up to the server's EVIDENCE_MAX_BYTES. Either `file` or "
        "`url`, not both.",
    )
    url = schema_field(
        serializers.CharField, {"type": "string", "format": "uri", "maxLength": 500, "pattern": LINK_PATTERN}
    )(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="Or one link (http, https, ftp or ftps): either `file` or `url`, not both.",
    )
    description = schema_field(serializers.CharField, {"type": "string", "maxLength": 200, "pattern": NO_NUL})(
        required=False, allow_blank=True, max_length=200
    )


# --- Review stages, corrections, bulk approval and locks -------------------------------

MAX_VERSION = 2**31 - 1
MAX_BULK = 500  # reports approved in one request


class ReopenSerializer(serializers.Serializer):
    reason = _required_text(
        REOPEN_NEEDS_REASON, "Why the approved figure must be corrected (sent to the reporter as the comment)."
    )
    version = JsonIntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_VERSION,
        help_text="The version you looked at (409 if it moved on); leave out to reopen whatever is approved now.",
    )


@extend_schema_field(
    {
        "type": "array",
        "minItems": 1,
        "maxItems": MAX_BULK,
        "items": {
            "type": "object",
            "properties": {
                "id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                "version": {"type": "integer", "minimum": 0, "maximum": MAX_VERSION},
            },
            "required": ["id", "version"],
        },
        "description": "The reports to approve, each with the version you reviewed.",
    }
)
class ReportVersionsField(serializers.Field):
    """``[{"id": 12, "version": 3}, …]`` → ``{12: 3, …}`` in the order sent, or one flat list of
    messages (the API's field errors are lists of strings, whatever the nesting of the body)."""

    default_error_messages = {
        "invalid": gettext_lazy('Give a list of reports, e.g. [{{"id": 12, "version": 3}}].'),
        "empty": gettext_lazy("Choose at least one report."),
    }

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("invalid")
        if not data:
            self.fail("empty")
        if len(data) > MAX_BULK:
            raise serializers.ValidationError(_("At most %(limit)s reports at a time.") % {"limit": MAX_BULK})
        versions: dict[int, int] = {}
        errors = []
        for number, item in enumerate(data, start=1):
            if not isinstance(item, dict):
                errors.append(_("Item %(number)s: give the report's id and version.") % {"number": number})
                continue
            report_id, version = item.get("id"), item.get("version")
            if not _whole(report_id, 1, MAX_ID):
                errors.append(_("Item %(number)s: the id must be a report's id.") % {"number": number})
            elif not _whole(version, 0, MAX_VERSION):
                errors.append(
                    _("Item %(number)s: the version must be the version you reviewed, a whole number.")
                    % {"number": number}
                )
            elif report_id in versions:
                errors.append(_("Report %(id)s is listed more than once.") % {"id": report_id})
            else:
                versions[report_id] = version
        if errors:
            raise serializers.ValidationError(errors)
        return versions

    def to_representation(self, value):
        return [{"id": report_id, "version": version} for report_id, version in value.items()]


def _whole(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


class BulkApproveSerializer(serializers.Serializer):
    reports = ReportVersionsField()
    comment = ReportText(
        required=False, allow_blank=True, default="", max_length=5000, help_text="The same comment on every report."
    )


class LockSerializer(serializers.Serializer):
    force = JsonBooleanField(
        required=False,
        default=False,
        help_text="Lock anyway while reports are still submitted, awaiting the second review or returned "
        "(a reason is then required); they stay on their queues, marked locked.",
    )
    reason = ReportText(
        required=False,
        allow_blank=True,
        default="",
        max_length=5000,
        help_text="Why: required with `force` when reports are unfinished, kept on the period's record.",
    )


class UnlockSerializer(serializers.Serializer):
    reason = _required_text(UNLOCK_NEEDS_REASON, "Why the period is opened again, kept on its record.")


def unfinished_rows(reports) -> list[dict]:
    """The reports a lock would strand, as the refusal lists them (`UNFINISHED_SCHEMA`)."""
    return [
        {
            "report": report.pk,
            "department": report.indicator.department_plan.department.name,
            "indicator": f"{report.indicator.code} {report.indicator.name}",
            "status": report.status,
        }
        for report in reports
    ]


UNFINISHED_SCHEMA = {
    "type": "object",
    "description": "Locking was refused: the period still holds unfinished reports. Finish their review, or "
    "send `force` with a reason.",
    "properties": {
        "detail": {"type": "string"},
        "unfinished": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "report": {"type": "integer", "description": "The report's id."},
                    "department": {"type": "string"},
                    "indicator": {"type": "string", "description": "Its code, a space and its name."},
                    "status": {"type": "string", "enum": [status.value for status in UNFINISHED]},
                },
                "required": ["report", "department", "indicator", "status"],
            },
        },
    },
    "required": ["detail", "unfinished"],
}


class CommentSerializer(serializers.ModelSerializer):
    """A comment in a report's conversation (留言): an entry of its record."""

    author = PersonSerializer(source="actor", read_only=True)
    text = serializers.CharField(source="comment", read_only=True)
    created_at = serializers.DateTimeField(source="at", read_only=True)

    class Meta:
        model = ReportEvent
        fields = ["id", "author", "text", "created_at"]
        read_only_fields = fields


class CommentCreateSerializer(serializers.Serializer):
    text = _required_text(COMMENT_NEEDS_TEXT, "Plain text, at most 5,000 characters (as every text of a report).")
