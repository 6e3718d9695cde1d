"""Stored assessments: every KPI-year's attainment, written with the change that moves it.

`kpi.attainment` (through `kpi.assessments.status_of`) stays the one rule that computes a
row; `kpi.stored` writes the rows in the same transaction as every change that moves them,
and `kpi.rollups` aggregates them in SQL (objective, goal, dimension, department, city), so
that a page about the whole city reads a few hundred grouped rows instead of assessing
tens of thousands of KPI-years in Python on every request.

A row holds both bases of the status (see `kpi.assessments.Status`): the year basis (the
approved actual against the year's target) and the period basis (the latest approved
year-to-date figure against its period's planned value). Which one people see depends on
the day (the year in progress is judged period by period), so the choice is made when the
rows are read, never stored. A row keeps what roll-ups need: the light and the capped
score, stored as whole ten-thousandths of a percent (`*_capped_e4`, the rule's 4 places),
and the weight as hundredths (`weight_e2`), so that a roll-up's weighted sum is an exact
integer in SQL on PostgreSQL and SQLite alike (SQLite has no exact decimal).
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

LIGHTS = ("green", "yellow", "red", "white")


def _lights(field: str) -> Q:
    return Q(**{f"{field}__in": LIGHTS})


class StoredAssessment(models.Model):
    indicator = models.ForeignKey(
        "kpi.Indicator", verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="stored_assessments"
    )
    year = models.PositiveSmallIntegerField(_("year (ROC)"))
    weight_e2 = models.BigIntegerField(_("weight (hundredths)"))
    # The figure of record: the year's latest approved report (None: nothing approved).
    report = models.ForeignKey(
        "kpi.ProgressReport",
        verbose_name=_("report"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Year basis: the figure of record against the year's target.
    year_capped_e4 = models.BigIntegerField(null=True, blank=True)
    year_light = models.CharField(max_length=6)
    # Period basis, used while the year is in progress when `by_period` (a target, not excluded).
    by_period = models.BooleanField(default=False)
    period_capped_e4 = models.BigIntegerField(null=True, blank=True)
    period_light = models.CharField(max_length=6)
    planned_to_date = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    # The newest submitted figure awaiting review that is not of record, and the period status approving it would give.
    pending_report = models.ForeignKey(
        "kpi.ProgressReport",
        verbose_name=_("pending report"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    pending_light = models.CharField(max_length=6, blank=True)

    class Meta:
        verbose_name = _("stored assessment")
        verbose_name_plural = _("stored assessments")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["indicator", "year"], name="stored_assessment_one_per_kpi_year"),
            models.CheckConstraint(condition=_lights("year_light"), name="stored_assessment_year_light"),
            models.CheckConstraint(condition=_lights("period_light"), name="stored_assessment_period_light"),
            models.CheckConstraint(
                condition=Q(pending_light="") | _lights("pending_light"), name="stored_assessment_pending_light"
            ),
            models.CheckConstraint(
                condition=Q(year_capped_e4__isnull=True) | Q(year_capped_e4__gte=0, year_capped_e4__lte=1_000_000),
                name="stored_assessment_year_capped_range",
            ),
            models.CheckConstraint(
                condition=Q(period_capped_e4__isnull=True)
                | Q(period_capped_e4__gte=0, period_capped_e4__lte=1_000_000),
                name="stored_assessment_period_capped_range",
            ),
            # White exactly when there is no score.
            models.CheckConstraint(
                condition=Q(year_light="white", year_capped_e4__isnull=True)
                | (~Q(year_light="white") & Q(year_capped_e4__isnull=False)),
                name="stored_assessment_year_white_unscored",
            ),
            models.CheckConstraint(
                condition=Q(period_light="white", period_capped_e4__isnull=True)
                | (~Q(period_light="white") & Q(period_capped_e4__isnull=False)),
                name="stored_assessment_period_white_unscored",
            ),
            models.CheckConstraint(condition=Q(weight_e2__gt=0), name="stored_assessment_weight_positive"),
        ]
        indexes = [models.Index(fields=["year", "indicator"], name="stored_assessment_year")]

    def __str__(self) -> str:
        return f"{self.indicator_id}/{self.year}"
