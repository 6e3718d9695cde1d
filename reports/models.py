"""reports reads the plan and kpi apps and aggregates them; it owns one model, the record of
a whole-city download being prepared in the background (a job, not plan data)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Being prepared")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class YearlyExport(models.Model):
    """A whole-city yearly report file (全市績效年報下載檔) prepared by a background task.

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
                condition=models.Q(format__in=["xlsx", "ods", "csv"]), name="yearly_export_known_format"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.format} ({self.get_status_display()})"

    @property
    def is_pending(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)
