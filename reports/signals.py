"""What moves the public pages' version (reports.models.PublicVersion).

The public pages and the open-data files are built from the plan (its thresholds, names,
departments, goals, objectives), the indicators with their targets and planned values, the
reporting periods, the approved reports with their corrections, and the published years.
A save or a deletion of any of them, by a service, the admin or the API, moves the version
in the same transaction, so a cached public page is never served after the change has
committed (reports.page_cache).

A report moves it only when it may be public: approved, or being corrected (reopening keeps
the figure approved before on the public pages, but the version moving then costs nothing
but one rendering). Drafts, submissions and returns, the bulk of the writes, do not touch
the version row, so they never wait on its lock.

A queryset `.update()` or `bulk_create()` sends no signal: the write services save one object
at a time, except the plan workbook's load, which inserts a department's new goals,
objectives, indicators and targets in bulk and sends `written_in_bulk` for them;
`manage.py generate_city` writes in bulk on purpose into a database that serves no public yet.

The department dashboard's figures are built from the same sources, and cached under the
same version (`reports.page_cache.figures_fragment`).
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from kpi.models import (
    Indicator,
    PlannedValue,
    ProgressReport,
    ReportCorrection,
    ReportingPeriod,
    ReportStatus,
    TargetRevision,
    YearlyTarget,
)
from kpi.services.plan_workbooks import written_in_bulk
from plans.models import (
    CommonGoal,
    Department,
    DepartmentPlan,
    Goal,
    ObjectiveItem,
    Plan,
    PublishedYear,
    StrategicObjective,
)
from reports.page_cache import public_changed

PUBLIC_SOURCES = (
    Plan,
    Department,
    DepartmentPlan,
    Goal,
    StrategicObjective,
    ObjectiveItem,
    CommonGoal,
    PublishedYear,
    Indicator,
    YearlyTarget,
    TargetRevision,
    PlannedValue,
    ReportingPeriod,
    ReportCorrection,
)


def _changed(sender, instance=None, raw=False, **kwargs) -> None:
    if raw:
        return  # loaddata: the fixture's own transaction; the page cache starts empty with it
    public_changed()


def _report_changed(sender, instance, raw=False, **kwargs) -> None:
    if raw:
        return
    if instance.status == ReportStatus.APPROVED or instance.correcting:
        public_changed()


def connect() -> None:
    for model in PUBLIC_SOURCES:
        post_save.connect(_changed, sender=model, dispatch_uid=f"reports.public_changed.save.{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"reports.public_changed.delete.{model.__name__}")
    post_save.connect(_report_changed, sender=ProgressReport, dispatch_uid="reports.public_changed.save.report")
    post_delete.connect(_changed, sender=ProgressReport, dispatch_uid="reports.public_changed.delete.report")
    written_in_bulk.connect(_changed, dispatch_uid="reports.public_changed.bulk")
