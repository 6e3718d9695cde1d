"""Indicators, their yearly targets, and the record of every target change."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from common.years import MAX_ROC_YEAR, MIN_ROC_YEAR
from kpi.formulas import FORMULAS
from plans.models import CommonGoal, DepartmentPlan, StrategicObjective


class IndicatorKind(models.TextChoices):
    KPI = "kpi", _("Key performance indicator")  # 關鍵績效指標
    COMMON = "common", _("Common indicator")  # 共同性指標


class EvaluationArrangement(models.IntegerChoices):
    """評估體制: who carries out the evaluation (codes from the plan's footnote)."""

    EXISTING_ORGANISATION = 1, _("1 Existing organisation")  # 運用既有之組織架構進行
    TASK_FORCE = 2, _("2 Dedicated task force")  # 由特定之任務編組進行
    THIRD_PARTY = 3, _("3 Third party (e.g. experts)")  # 透過第三者方式(如由專家學者)進行
    WITH_THIRD_PARTY = 4, _("4 Existing organisation with a third party")  # 運用既有之組織架構並邀請第三者共同參與
    OTHER = 5, _("5 Other")  # 其它


class EvaluationMethod(models.TextChoices):
    """評估方式: how attainment is measured."""

    PROGRESS_CONTROL = "progress_control", _("Progress control")  # 進度控管
    STATISTICS = "statistics", _("Statistics")  # 統計數據


class Unit(models.TextChoices):
    """The unit a target is expressed in, read off the plan's target columns.

    The stored values are the plan's own characters (式, 場 …), which files carry too;
    the labels are for people, translated (kpi.units.symbol writes them after a figure).
    """

    PERCENT = "%", "%"
    SET = "式", pgettext_lazy("unit", "deliverable set")
    SESSION = "場", pgettext_lazy("unit", "sessions")
    CASE = "件", pgettext_lazy("unit", "cases")
    PLACE = "處", pgettext_lazy("unit", "places")


COUNT_UNITS = {Unit.SESSION, Unit.CASE, Unit.PLACE}


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class Accrual(models.TextChoices):
    """How a year-to-date figure grows within a year, which decides the in-year pace."""

    CUMULATIVE = "cumulative", _("Cumulative (accrues through the year)")  # 累計
    LEVEL = "level", _("Level (a rate judged as it stands)")  # 水準值
    YEAR_END = "year_end", _("Year end (judged on the full year's figure only)")  # 年終評估


def indicator_code(kind: str, parent_number: int | None, number: int) -> str:
    """An indicator's code from plain values (Indicator.code, and lists read as values)."""
    # 共 marks a common indicator's code in the plan document and in files: an identifier,
    # written the same in every language.
    prefix = "" if kind == IndicatorKind.KPI else "共"
    return f"{prefix}{parent_number if parent_number is not None else '?'}-{number}"


class Indicator(models.Model):
    """績效指標: a key performance indicator (關鍵績效指標) or a common indicator (共同性指標).

    Both kinds share one table so that targets, progress reports and attainment treat
    them alike. A KPI belongs to a strategic objective and is numbered within it
    (編號; written 1-1 … 6-3 with the objective's 序號). A common indicator belongs to a
    common goal and is computed by a formula (`kpi.formulas`) from inputs that staff
    enter; its 衡量標準 is the formula as the document writes it.
    """

    department_plan = models.ForeignKey(
        DepartmentPlan,
        verbose_name=_("department plan"),
        on_delete=models.CASCADE,
        related_name="indicators",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=IndicatorKind.choices, default=IndicatorKind.KPI)
    objective = models.ForeignKey(
        StrategicObjective,
        verbose_name=_("strategic objective"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="indicators",
    )
    common_goal = models.ForeignKey(
        CommonGoal,
        verbose_name=_("common goal"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="indicators",
    )
    number = models.PositiveSmallIntegerField(pgettext_lazy("indicator", "number"))
    name = models.CharField(_("name"), max_length=200)
    evaluation_arrangement = models.PositiveSmallIntegerField(
        _("evaluation arrangement"), choices=EvaluationArrangement.choices
    )
    evaluation_method = models.CharField(_("evaluation method"), max_length=20, choices=EvaluationMethod.choices)
    measurement_standard = models.TextField(_("measurement standard"))
    unit = models.CharField(_("unit"), max_length=4, choices=Unit.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, default=Direction.HIGHER)
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2, default=Decimal("1"))
    accrual = models.CharField(
        _("accrual"),
        max_length=12,
        choices=Accrual.choices,
        default=Accrual.CUMULATIVE,
        help_text=_(
            "Cumulative figures (sessions held, percent complete) are expected to grow through the year, so an "
            "in-year report is judged against the share of the year gone by; a level (an occupancy rate) "
            "is judged against the full target at any time."
        ),
    )
    formula = models.CharField(
        _("formula"),
        max_length=40,
        blank=True,
        choices=[(key, f.label) for key, f in FORMULAS.items()],
        help_text=_("Common indicators only: how the value is computed from its inputs."),
    )

    # The record of changes (django-simple-history): every save keeps the old values, who
    # and why. Which fields move a light, and so need a reason: kpi.history.LIGHT_FIELDS.
    history = HistoricalRecords(
        verbose_name=_("indicator change"),
        verbose_name_plural=_("indicator changes"),
        history_change_reason_field=models.TextField(null=True),
    )

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["department_plan", "-kind", "objective__number", "common_goal__number", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["objective", "number"],
                condition=Q(kind="kpi"),
                name="indicator_kpi_unique_number",
            ),
            models.UniqueConstraint(
                fields=["common_goal", "number"],
                condition=Q(kind="common"),
                name="indicator_common_unique_number",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="kpi", objective__isnull=False, common_goal__isnull=True, formula="")
                    | (Q(kind="common", objective__isnull=True, common_goal__isnull=False) & ~Q(formula=""))
                ),
                name="indicator_kind_matches_parent",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="indicator_number_positive"),
            models.CheckConstraint(
                condition=Q(evaluation_arrangement__gte=1) & Q(evaluation_arrangement__lte=5),
                name="indicator_arrangement_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(evaluation_method__in=EvaluationMethod.values), name="indicator_method_valid"
            ),
            models.CheckConstraint(condition=Q(unit__in=Unit.values), name="indicator_unit_valid"),
            models.CheckConstraint(condition=Q(direction__in=Direction.values), name="indicator_direction_valid"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="indicator_weight_positive"),
            models.CheckConstraint(condition=Q(accrual__in=Accrual.values), name="indicator_accrual_valid"),
            models.CheckConstraint(
                condition=Q(formula="") | Q(formula__in=list(FORMULAS)), name="indicator_formula_valid"
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def parent(self):
        return self.objective if self.kind == IndicatorKind.KPI else self.common_goal

    @property
    def code(self) -> str:
        """1-1 for the first KPI of objective 1; 共1-1 for the first common indicator."""
        parent = self.parent
        return indicator_code(self.kind, parent.number if parent else None, self.number)

    @property
    def formula_spec(self):
        return FORMULAS.get(self.formula)

    def clean(self):
        errors = {}
        if self.kind == IndicatorKind.KPI:
            if not self.objective_id:
                errors["objective"] = _("A KPI must belong to a strategic objective.")
            elif self.objective.department_plan_id != self.department_plan_id:
                errors["objective"] = _("The objective must belong to the same department plan.")
            if self.common_goal_id:
                errors["common_goal"] = _("A KPI cannot belong to a common goal.")
            if self.formula:
                errors["formula"] = _("Only common indicators have a formula.")
        else:
            if not self.common_goal_id:
                errors["common_goal"] = _("A common indicator must belong to a common goal.")
            elif self.common_goal.department_plan_id != self.department_plan_id:
                errors["common_goal"] = _("The common goal must belong to the same department plan.")
            if self.objective_id:
                errors["objective"] = _("A common indicator cannot belong to a strategic objective.")
            if not self.formula:
                errors["formula"] = _("A common indicator needs a formula.")
        if errors:
            raise ValidationError(errors)


class YearlyTarget(models.Model):
    """年度績效目標值: an indicator's target for one ROC year of the plan.

    `original_value` is the value as the plan first set it; `value` is the target in
    force. They differ only after a revision, and every revision is kept in
    `TargetRevision` with who, when and why. Change targets only through
    `kpi.services.target_set`, which enforces the plan's year range and the reason.
    """

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="targets"
    )
    year = models.PositiveSmallIntegerField(_("year (ROC)"))
    value = models.DecimalField(_("target"), max_digits=14, decimal_places=4)
    original_value = models.DecimalField(_("original target"), max_digits=14, decimal_places=4)
    excluded_reason = models.TextField(
        _("not assessed because"),
        blank=True,
        help_text=_("Leave empty unless this indicator is excluded from assessment for this year."),
    )

    # Value changes are also kept in TargetRevision; this record adds exclusions (不予評估).
    history = HistoricalRecords(
        verbose_name=_("yearly target change"),
        verbose_name_plural=_("yearly target changes"),
        history_change_reason_field=models.TextField(null=True),
    )

    class Meta:
        verbose_name = _("yearly target")
        verbose_name_plural = _("yearly targets")
        ordering = ["indicator", "year"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "year"], name="target_unique_indicator_year"),
            models.CheckConstraint(
                condition=Q(year__gte=MIN_ROC_YEAR) & Q(year__lte=MAX_ROC_YEAR),
                name="target_year_is_roc_year",
            ),
        ]

    def __str__(self):
        return f"{self.indicator.code} {self.year}: {self.value}"

    @property
    def is_revised(self) -> bool:
        return self.value != self.original_value


class TargetProposal(models.Model):
    """目標值提案: a value put forward for an indicator's yearly target that nobody has approved yet.

    A new plan rolled over from the previous one (`kpi.services.plan_rollover` with
    `carry_targets`) starts with the old plan's last-year targets as proposals for its
    years (沿用前期目標值), so that departments revise a figure rather than start from
    nothing. A proposal is deliberately not a `YearlyTarget`: attainment, lights,
    roll-ups, the yearly report, open data and the API read targets only, so a proposal
    can never be taken for an approved target. It becomes one when the planning office or
    an admin accepts it (`kpi.services.target_proposals_accept`, through `target_set`,
    with the proposal's note as the reason on the record); it is then removed. A year
    that already has a target ignores its proposal.
    """

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="target_proposals"
    )
    year = models.PositiveSmallIntegerField(_("year (ROC)"))
    value = models.DecimalField(_("proposed target"), max_digits=14, decimal_places=4)
    carried_from = models.ForeignKey(
        YearlyTarget,
        verbose_name=_("carried from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The previous plan's target this proposal repeats."),
    )
    note = models.CharField(_("note"), max_length=200)
    created_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("target proposal")
        verbose_name_plural = _("target proposals")
        ordering = ["indicator", "year"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "year"], name="target_proposal_unique_indicator_year"),
            models.CheckConstraint(
                condition=Q(year__gte=MIN_ROC_YEAR) & Q(year__lte=MAX_ROC_YEAR),
                name="target_proposal_year_is_roc_year",
            ),
            models.CheckConstraint(condition=~Q(note=""), name="target_proposal_note_required"),
        ]

    def __str__(self):
        return f"{self.indicator.code} {self.year}: {self.value} ({self.note})"


class PlannedStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")  # 擬定中: the department's proposal
    CONFIRMED = "confirmed", _("Confirmed")  # 已核定: confirmed by the planning office or an admin


class PlannedValue(models.Model):
    """分期預定值: the planned year-to-date value of a KPI-year at the end of one reporting period.

    Taiwan's 管考 compares 實際進度 with 預定進度 period by period. The department proposes
    these for its KPIs and the planning office (or an admin) confirms them; where none is
    set, `kpi.planning` gives the default by accrual (a straight line for cumulative
    figures, the target for a level, nothing before year end for a year-end figure). The
    last period's planned value is always the year's target, so it is never stored.
    Change them only through `kpi.services.planning`, which checks the ladder and asks a
    reason for changing a confirmed value; every change is on the record (`history`).
    """

    target = models.ForeignKey(
        YearlyTarget, verbose_name=_("yearly target"), on_delete=models.CASCADE, related_name="planned_values"
    )
    number = models.PositiveSmallIntegerField(_("period number"), help_text=_("1 for the first period of the year"))
    value = models.DecimalField(_("planned value"), max_digits=14, decimal_places=4)
    status = models.CharField(_("status"), max_length=10, choices=PlannedStatus.choices, default=PlannedStatus.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("proposed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    history = HistoricalRecords(
        verbose_name=_("planned value change"),
        verbose_name_plural=_("planned value changes"),
        history_change_reason_field=models.TextField(null=True),
    )

    class Meta:
        verbose_name = _("planned value")
        verbose_name_plural = _("planned values")
        ordering = ["target", "number"]
        constraints = [
            models.UniqueConstraint(fields=["target", "number"], name="planned_unique_target_number"),
            models.CheckConstraint(condition=Q(number__gte=1) & Q(number__lte=12), name="planned_number_in_year"),
            models.CheckConstraint(
                condition=Q(status="proposed") | Q(confirmed_at__isnull=False), name="planned_confirmed_has_time"
            ),
        ]

    def __str__(self):
        return f"{self.target} #{self.number}: {self.value}"


class TargetRevision(models.Model):
    """目標值修正紀錄: one change to a yearly target, with who, when, old → new and why.

    Rows are only ever added; admin shows them read-only.
    """

    class Source(models.TextChoices):
        SEED = "seed", _("Seeded from the plan document")
        ADMIN = "admin", _("Django admin")
        IMPORT = "import", _("File import")
        API = "api", _("API")
        FORM = "form", _("Web form")

    target = models.ForeignKey(
        YearlyTarget, verbose_name=_("yearly target"), on_delete=models.CASCADE, related_name="revisions"
    )
    old_value = models.DecimalField(_("old value"), max_digits=14, decimal_places=4, null=True, blank=True)
    new_value = models.DecimalField(_("new value"), max_digits=14, decimal_places=4)
    reason = models.TextField(_("reason"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)

    class Meta:
        verbose_name = _("target revision")
        verbose_name_plural = _("target revisions")
        ordering = ["target", "changed_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="target_revision_reason_required"),
        ]

    def __str__(self):
        return f"{self.target}: {self.old_value} → {self.new_value}"
