"""reports reads the plan and kpi apps and aggregates them; it owns two models that are not
plan data: the public pages' cache version, and the record of a whole-city download being
prepared in the background (a job)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PublicVersion(models.Model):
    """公開頁版本: a number that moves whenever anything the public pages show may have changed.

    One row. Every save or deletion of what the public pages and the open-data files are
    built from (a year published or withdrawn, an approved or corrected figure, a target,
    a name in the plan) gives it a new random value inside the same transaction (`reports.signals`), so
    the cached public pages, whose cache key carries the number (`reports.page_cache`), are
    never served once the change has committed: nothing is ever invalidated, a new key is
    simply used. The row lock also orders concurrent changes, so the number a reader sees
    is never older than the data it then reads.
    """

    value = models.PositiveBigIntegerField(_("version"), default=0)

    class Meta:
        verbose_name = _("public pages version")
        verbose_name_plural = _("public pages versions")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="public_version_one_row")]

    def __str__(self):
        return str(self.value)


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Being prepared")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


# The formats of a whole-city download: the yearly report's spreadsheets
# (common.spreadsheets.writing.FORMATS) and the meeting pack (reports.pack.FORMATS).
SPREADSHEET_FORMATS = ("xlsx", "ods", "csv")
PACK_FORMATS = ("pdf", "odt")


class YearlyExport(models.Model):
    """A whole-city yearly report file (全市績效年報下載檔) prepared by a background task.

    The same job writes the whole city's meeting pack (施政績效報告, reports.pack) when its
    format is pdf or odt, of the year or of the year as of a `period`: both are built from
    the same report (reports.yearly.build_yearly_report).

    The whole city's spreadsheet takes seconds to write at hundreds of departments, so it is
    built by a Celery task (reports.tasks) rather than in the request. The row is the job: who
    asked, for which year and format, how far it got, and where the file is. The file lies
    under MEDIA_ROOT/exports/, never served as a static file: only its requester downloads it
    (reports.views.yearly_export_file), with what they could view when they asked. Rows and
    files older than a day are removed (reports.exports.yearly_exports_remove_old).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="yearly_exports",
        verbose_name=_("requested by"),
    )
    plan = models.ForeignKey("plans.Plan", on_delete=models.CASCADE, related_name="+", verbose_name=_("plan"))
    year = models.PositiveSmallIntegerField(_("year"))
    format = models.CharField(_("format"), max_length=4)
    # The meeting pack of the year as it stood at this period's end; None: the whole year.
    period = models.ForeignKey(
        "kpi.ReportingPeriod",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("as of the period"),
    )
    status = models.CharField(_("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    file = models.FileField(_("file"), upload_to="exports/yearly/", blank=True)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    ascii_filename = models.CharField(_("ASCII file name"), max_length=200, blank=True)
    rows = models.PositiveIntegerField(_("indicators written"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("yearly report download")
        verbose_name_plural = _("yearly report downloads")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(format__in=[*SPREADSHEET_FORMATS, *PACK_FORMATS]), name="yearly_export_known_format"
            ),
            # A period narrows the meeting pack only: the spreadsheets are of the year.
            models.CheckConstraint(
                condition=models.Q(period__isnull=True) | models.Q(format__in=PACK_FORMATS),
                name="yearly_export_period_for_pack_only",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.format} ({self.get_status_display()})"

    @property
    def is_pack(self) -> bool:
        return self.format in PACK_FORMATS

    @property
    def is_pending(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)
