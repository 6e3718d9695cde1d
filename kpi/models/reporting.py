"""Progress reporting: periods, reports, their review, evidence, and the record of changes."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy

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
    SUBMITTED = "submitted", _("Submitted")  # 待審核 (two stages: 待初核)
    FIRST_APPROVED = "first_approved", _("Awaiting second review")  # 初核通過，待研考複核
    RETURNED = "returned", _("Returned")  # 退回修正
    APPROVED = "approved", _("Approved")  # 已核定


# A report on its way through review: it counts for nothing yet, and a period holding one
# is not finished (locking it needs "lock anyway").
IN_REVIEW = (ReportStatus.SUBMITTED, ReportStatus.FIRST_APPROVED)
UNFINISHED = (*IN_REVIEW, ReportStatus.RETURNED)


class ProgressReport(models.Model):
    """進度填報: a department's year-to-date figure for one indicator and period.

    A report moves draft → submitted → approved, or submitted → returned (with the
    reviewer's comment) → submitted again. Under a plan of two review stages it passes
    submitted → first_approved (單位主管初核) → approved (研考複核); `review_stages` is the
    rule it was submitted under, kept until it is resubmitted. Only approved reports count
    as actuals; the latest approved report of a year is that year's actual (實績).

    The planning office may reopen an approved report to correct it (撤銷核定／更正):
    `correcting` is then true, the figure that had been approved is kept in its open
    `ReportCorrection` and stays the period's actual (`kpi.assessments.latest_approved`)
    until the report is approved again, which sets `corrected_at` and `correction_reason`. For common
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
    review_stages = models.PositiveSmallIntegerField(_("review stages"), default=1)
    first_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first review by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    first_reviewed_at = models.DateTimeField(_("first review at"), null=True, blank=True)
    correcting = models.BooleanField(_("being corrected"), default=False)
    corrected_at = models.DateTimeField(_("corrected at"), null=True, blank=True)
    correction_reason = models.TextField(_("reason for the correction"), blank=True)

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
            models.CheckConstraint(condition=Q(review_stages__in=[1, 2]), name="report_review_stages_one_or_two"),
            models.CheckConstraint(
                condition=~Q(status="first_approved") | (Q(review_stages=2) & Q(first_reviewed_by__isnull=False)),
                name="report_first_approved_has_first_reviewer",
            ),
            # No one approves the same report at both stages.
            models.CheckConstraint(
                condition=~Q(status="approved")
                | Q(review_stages=1)
                | (Q(first_reviewed_by__isnull=False) & ~Q(first_reviewed_by=models.F("reviewed_by"))),
                name="report_two_stages_two_reviewers",
            ),
            models.CheckConstraint(
                condition=~Q(correcting=True) | ~Q(status__in=["draft", "approved"]),
                name="report_correcting_not_draft_or_approved",
            ),
            models.CheckConstraint(
                condition=Q(corrected_at__isnull=True) | ~Q(correction_reason=""),
                name="report_correction_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["status", "period"], name="report_status_period_idx")]

    def __str__(self):
        return f"{self.indicator.code} {self.period.short_label}"


class ReportCorrection(models.Model):
    """更正紀錄: an approved report reopened by the planning office to be corrected.

    It keeps the figure that had been approved (and who approved it) for as long as the
    correction is open, when that figure is still the period's actual, and for good
    afterwards, on the record. `resolved_at` is set when the corrected report is approved.
    """

    report = models.ForeignKey(
        ProgressReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="corrections"
    )
    reason = models.TextField(_("reason"))
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reopened by"), on_delete=models.PROTECT, related_name="+"
    )
    reopened_at = models.DateTimeField(_("reopened at"), auto_now_add=True)
    # The figure of record when it was reopened.
    actual = models.DecimalField(_("approved actual"), max_digits=14, decimal_places=4)
    inputs = models.JSONField(_("formula inputs"), default=dict, blank=True)
    narrative = models.TextField(_("progress narrative"), blank=True)
    shortfall_reason = models.TextField(_("reason for shortfall"), blank=True)
    improvement_plan = models.TextField(_("improvement measures"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"))
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved again by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("approved again at"), null=True, blank=True)

    class Meta:
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")
        ordering = ["report", "reopened_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="correction_has_reason"),
            models.UniqueConstraint(
                fields=["report"], condition=Q(resolved_at__isnull=True), name="correction_one_open_per_report"
            ),
        ]

    def __str__(self):
        return f"{self.report}: {self.reason[:40]}"


class Evidence(models.Model):
    """佐證資料: a file or a link that backs a report's figure."""

    report = models.ForeignKey(
        ProgressReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(_("file"), upload_to="evidence/%Y/%m/", blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    # The file's content, to refuse the same file twice on one report (kpi.services.evidence).
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, db_index=True)
    # What the stored file's first bytes say it is (kpi.services.evidence.sniff), when it is a
    # type browsers show themselves (PDF, PNG, JPEG, GIF, WebP); empty: it is only downloaded.
    media_type = models.CharField(_("viewable type"), max_length=40, blank=True)
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

    @property
    def viewable(self) -> bool:
        """Whether the browser may show the file itself (a PDF or an image), beside downloading it."""
        return bool(self.file and self.media_type)


class ReportAction(models.TextChoices):
    CREATED = "created", _("Created")
    EDITED = "edited", _("Edited")
    SUBMITTED = "submitted", pgettext_lazy("report action", "Submitted")  # 送出審核, not the status 待審核
    RESUBMITTED = "resubmitted", _("Resubmitted")
    RETURNED = "returned", _("Returned for revision")
    FIRST_APPROVED = "first_approved", _("Passed first review")
    APPROVED = "approved", _("Approved")
    REOPENED = "reopened", _("Approval withdrawn for correction")
    EVIDENCE_ADDED = "evidence_added", _("Evidence added")
    EVIDENCE_REMOVED = "evidence_removed", _("Evidence removed")
    # A message in the report's conversation (kpi.services.report_comment): on the record,
    # but it changes nothing and does not make its writer an author (kpi.access).
    COMMENTED = "commented", _("Commented")


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
            models.CheckConstraint(condition=~Q(action="reopened") | ~Q(comment=""), name="report_reopen_has_reason"),
        ]

    def __str__(self):
        return f"{self.report}: {self.get_action_display()}"


class PeriodAction(models.TextChoices):
    LOCKED = "locked", _("Locked")
    UNLOCKED = "unlocked", _("Unlocked")


class PeriodEvent(models.Model):
    """期間鎖定紀錄: a period locked or unlocked by the planning office.

    Unlocking needs a reason, and so does locking a period that still holds reports
    submitted or returned ("lock anyway": `forced`, with the reports it left listed in
    `unfinished`)."""

    period = models.ForeignKey(
        ReportingPeriod, verbose_name=_("period"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=10, choices=PeriodAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    reason = models.TextField(_("reason"), blank=True)
    forced = models.BooleanField(_("locked anyway"), default=False)
    unfinished = models.JSONField(
        _("unfinished reports"), default=list, blank=True, help_text="[{report, department, indicator, status}]"
    )

    class Meta:
        verbose_name = _("period event")
        verbose_name_plural = _("period events")
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(action="unlocked") | ~Q(reason=""), name="period_unlock_has_reason"),
            models.CheckConstraint(condition=~Q(forced=True) | ~Q(reason=""), name="period_forced_lock_has_reason"),
        ]

    def __str__(self):
        return f"{self.period}: {self.get_action_display()}"
