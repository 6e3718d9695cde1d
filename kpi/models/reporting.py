"""Progress reporting: periods, reports, their review, evidence, and the record of changes."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from common.formatting import roc_year
from common.years import MAX_ROC_YEAR, MIN_ROC_YEAR
from kpi.models.indicators import Indicator
from plans.models import PERIODS_PER_YEAR, Plan, ReportingFrequency


class ReportingPeriod(models.Model):
    """填報期間: a stretch of a plan year that departments report on (a quarter by default).

    Reports are year-to-date: the figure for Q2 covers January to June. Each period is
    due a set number of days after it ends (the plan's `report_due_days`). The planning
    office (研考) locks a period once its review meeting is over; nothing in a locked
    period can change until it is unlocked, with a reason.
    """

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="periods")
    year = models.PositiveSmallIntegerField(_("year (ROC)"))
    frequency = models.CharField(_("frequency"), max_length=20, choices=ReportingFrequency.choices)
    number = models.PositiveSmallIntegerField(_("number within the year"))
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))
    due_date = models.DateField(_("due"))
    is_locked = models.BooleanField(_("locked"), default=False)

    class Meta:
        verbose_name = _("reporting period")
        verbose_name_plural = _("reporting periods")
        ordering = ["plan", "year", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "year", "frequency", "number"], name="period_unique_number"),
            models.CheckConstraint(
                condition=Q(year__gte=MIN_ROC_YEAR) & Q(year__lte=MAX_ROC_YEAR), name="period_year_is_roc_year"
            ),
            models.CheckConstraint(condition=Q(number__gte=1) & Q(number__lte=12), name="period_number_1_to_12"),
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="period_end_after_start"),
            models.CheckConstraint(condition=Q(due_date__gte=models.F("end_date")), name="period_due_after_end"),
            models.CheckConstraint(condition=Q(frequency__in=ReportingFrequency.values), name="period_frequency_valid"),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        """民國114年第1季 (ROC year 114 Q1 in English)."""
        return pgettext("a period: its year and its name", "%(year)s %(period)s") % {
            "year": roc_year(self.year),
            "period": self.name_in_year,
        }

    @property
    def name_in_year(self) -> str:
        """The period without its year: 第1季, 上半年, 3月 (Q1, first half, month 3)."""
        if self.frequency == ReportingFrequency.QUARTERLY:
            return pgettext("a period", "Q%(number)s") % {"number": self.number}
        if self.frequency == ReportingFrequency.HALF_YEARLY:
            if self.number == 1:
                return pgettext("a period", "first half")
            return pgettext("a period", "second half")
        return pgettext("a period", "month %(number)s") % {"number": self.number}

    @property
    def short_label(self) -> str:
        if self.frequency == ReportingFrequency.QUARTERLY:
            return f"{self.year}Q{self.number}"
        if self.frequency == ReportingFrequency.HALF_YEARLY:
            return f"{self.year}H{self.number}"
        return f"{self.year}/{self.number:02d}"

    @property
    def is_last_of_year(self) -> bool:
        return self.end_date.month == 12

    @property
    def fraction_of_year(self) -> Decimal:
        """The share of the year that the period's year-to-date figure covers (Q2: 0.5)."""
        return Decimal(self.number) / Decimal(PERIODS_PER_YEAR[self.frequency])


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")  # 草稿
    SUBMITTED = "submitted", _("Submitted")  # 待審核
    RETURNED = "returned", _("Returned")  # 退回修正
    APPROVED = "approved", _("Approved")  # 已核定


class ProgressReport(models.Model):
    """進度填報: a department's year-to-date figure for one indicator and period.

    A report moves draft → submitted → approved, or submitted → returned (with the
    reviewer's comment) → submitted again. Only approved reports count as actuals; the
    latest approved report of a year is that year's actual (實績). For common
    indicators `inputs` holds the formula's components and `actual` is computed from
    them. `version` increases with every save, so a save based on a stale copy is
    refused instead of silently overwriting someone else's work.
    """

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="reports"
    )
    period = models.ForeignKey(
        ReportingPeriod, verbose_name=_("period"), on_delete=models.PROTECT, related_name="reports"
    )
    status = models.CharField(_("status"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    actual = models.DecimalField(_("year-to-date actual"), max_digits=14, decimal_places=4, null=True, blank=True)
    inputs = models.JSONField(_("formula inputs"), default=dict, blank=True)
    narrative = models.TextField(_("progress narrative"), blank=True)
    shortfall_reason = models.TextField(_("reason for shortfall"), blank=True)
    improvement_plan = models.TextField(_("improvement measures"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("updated by"), on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["indicator", "period__year", "period__number"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "period"], name="report_unique_indicator_period"),
            models.CheckConstraint(condition=Q(status__in=ReportStatus.values), name="report_status_valid"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(actual__isnull=False), name="report_submitted_has_actual"
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(reviewed_by__isnull=False), name="report_approved_has_reviewer"
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | ~Q(reviewed_by=models.F("submitted_by")),
                name="report_not_approved_by_submitter",
            ),
        ]
        indexes = [models.Index(fields=["status", "period"], name="report_status_period_idx")]

    def __str__(self):
        return f"{self.indicator.code} {self.period.short_label}"


class Evidence(models.Model):
    """佐證資料: a file or a link that backs a report's figure."""

    report = models.ForeignKey(
        ProgressReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(_("file"), upload_to="evidence/%Y/%m/", blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    url = models.URLField(_("link"), max_length=500, blank=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    # Removing evidence hides it but keeps the file: the record of what a report rested on stays whole.
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("removed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["report", "uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(file="") & ~Q(url="")) | (~Q(file="") & Q(url="")),
                name="evidence_file_or_link",
            ),
        ]

    def __str__(self):
        return self.original_name or self.url


class ReportAction(models.TextChoices):
    CREATED = "created", _("Created")
    EDITED = "edited", _("Edited")
    SUBMITTED = "submitted", _("Submitted")
    RESUBMITTED = "resubmitted", _("Resubmitted")
    RETURNED = "returned", _("Returned for revision")
    APPROVED = "approved", _("Approved")
    EVIDENCE_ADDED = "evidence_added", _("Evidence added")
    EVIDENCE_REMOVED = "evidence_removed", _("Evidence removed")


class ReportEvent(models.Model):
    """填報紀錄: one entry on a report's record — who did what, when, what changed and why.

    Events are only ever added: the KPI page shows them as a timeline and admin shows
    them read-only.
    """

    report = models.ForeignKey(
        ProgressReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=20, choices=ReportAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    comment = models.TextField(_("comment"), blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True, help_text="{field: [old, new]}")

    class Meta:
        verbose_name = _("report event")
        verbose_name_plural = _("report events")
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=ReportAction.values), name="report_event_action_valid"),
            models.CheckConstraint(condition=~Q(action="returned") | ~Q(comment=""), name="report_return_has_comment"),
        ]

    def __str__(self):
        return f"{self.report}: {self.get_action_display()}"


class PeriodAction(models.TextChoices):
    LOCKED = "locked", _("Locked")
    UNLOCKED = "unlocked", _("Unlocked")


class PeriodEvent(models.Model):
    """期間鎖定紀錄: a period locked or unlocked by the planning office; unlocking needs a reason."""

    period = models.ForeignKey(
        ReportingPeriod, verbose_name=_("period"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=10, choices=PeriodAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("period event")
        verbose_name_plural = _("period events")
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(action="unlocked") | ~Q(reason=""), name="period_unlock_has_reason"),
        ]

    def __str__(self):
        return f"{self.period}: {self.get_action_display()}"
