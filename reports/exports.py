"""The whole city's yearly report downloads, prepared in the background (reports.models.YearlyExport).

    yearly_export_request   a person asks: the row is written and the task queued when the
                            request commits (reports.tasks.build_yearly_export)
    yearly_export_build     the task's work: the same report and the same sheets as a
                            department's direct download (reports.yearly.export_sheets,
                            written by common.spreadsheets.writing), or the same meeting
                            pack (pdf, odt: reports.pack), saved under
                            MEDIA_ROOT/exports/yearly/
    yearly_export_for       the one access rule: an export is its requester's alone
    yearly_exports_remove_old  rows and files older than a day go (after every build, and
                            hourly on Celery beat)

The report is built with the requester's access as it is when the task runs, so a file
never carries a department its reader may no longer view. Without a broker (the demo, the
tests) the task runs at once, when the request that asked commits.
"""

from __future__ import annotations

import datetime
import logging
from uuid import UUID

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common.spreadsheets import writing
from kpi.models import ReportingPeriod
from plans.models import Plan
from reports import pack
from reports.models import ExportStatus, YearlyExport
from reports.yearly import build_yearly_report, export_sheets

logger = logging.getLogger(__name__)

KEEP_FOR = datetime.timedelta(days=1)


# Every format a whole-city download can have → its content type.
DOWNLOAD_FORMATS: dict[str, str] = {**writing.FORMATS, **pack.FORMATS}


def yearly_export_request(
    *, user, plan: Plan, year: int, fmt: str, period: ReportingPeriod | None = None
) -> YearlyExport:
    """Queue the whole city's `fmt` file of `year` (the meeting pack as of `period`, for pdf
    and odt) for `user` (the caller checked them)."""
    if fmt not in DOWNLOAD_FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    if period is not None and (fmt not in pack.FORMATS or period.year != year):
        raise ValueError("a period narrows the meeting pack of its own year only")
    export = YearlyExport.objects.create(requested_by=user, plan=plan, year=year, format=fmt, period=period)
    from reports.tasks import build_yearly_export  # the task module imports this one

    transaction.on_commit(lambda: build_yearly_export.delay(str(export.pk)))
    return export


def yearly_export_for(user, export_id: UUID) -> YearlyExport:
    """The user's own export; anyone else's, or one removed, does not exist (404)."""
    export = YearlyExport.objects.filter(pk=export_id, requested_by=user).select_related("period").first()
    if export is None:
        raise Http404(_("This download cannot be found: downloads are kept for a day."))
    return export


def yearly_export_build(export_id: UUID | str) -> YearlyExport | None:
    """Write the file of a queued export; None when there is nothing to do (gone, or taken)."""
    taken = YearlyExport.objects.filter(pk=export_id, status=ExportStatus.QUEUED).update(status=ExportStatus.RUNNING)
    if not taken:
        return None  # removed, or another worker has it (a task delivered twice)
    export = YearlyExport.objects.select_related("plan", "period").get(pk=export_id)
    try:
        user = get_user_model().objects.get(pk=export.requested_by_id, is_active=True)
        # Written in zh-Hant whatever the reader's language: the headers and sheet names
        # are a data contract (reports.yearly.export_sheets), and the meeting pack is the
        # city's document.
        with translation.override(settings.LANGUAGE_CODE):
            report = build_yearly_report(plan=export.plan, year=export.year, user=user, period=export.period)
            if export.is_pack:
                named = pack.build_pack(report)
                content = pack.render(export.format, named)
            else:
                named = report
                content = writing.render(export.format, export_sheets(report))
        export.filename = f"{named.filename_stem}.{export.format}"
        export.ascii_filename = f"{named.ascii_filename_stem}.{export.format}"
        export.rows = len(report.rows)
        export.file.save(f"{export.pk}.{export.format}", ContentFile(content), save=False)
        export.status = ExportStatus.DONE
    except Exception as exc:
        logger.exception("yearly export %s failed", export.pk)
        export.status = ExportStatus.FAILED
        export.error = f"{type(exc).__name__}: {exc}"[:2000]
    export.finished_at = timezone.now()
    export.save()
    yearly_exports_remove_old()
    return export


def yearly_exports_remove_old(now: datetime.datetime | None = None) -> int:
    """Remove the exports (rows and files) requested more than a day ago; how many went."""
    cutoff = (now or timezone.now()) - KEEP_FOR
    old = list(YearlyExport.objects.filter(created_at__lt=cutoff))
    for export in old:
        if export.file:
            export.file.delete(save=False)
    YearlyExport.objects.filter(pk__in=[e.pk for e in old]).delete()
    return len(old)
