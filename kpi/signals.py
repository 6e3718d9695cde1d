"""Reporting periods exist as soon as their plan year does.

A plan's periods are created (and their due dates follow the plan's setting) whenever the
plan is saved: in admin, by the seeder, by a rollover. Pages, the API and an import's
check-only step then only read them; no GET request writes (two first requests used to
race on the periods' unique constraint).

At the end of every request, evidence files whose rows were rolled back (a failed save, a
failed commit) are deleted (`kpi.services.evidence_discard_uncommitted`).

And at sign-in, what someone else typed before their session ended (`kpi.stash`) is dropped.

The stored assessments (`kpi.stored`) are refreshed, in the saving transaction, by every
save or delete of what they are computed from; `touch` defers to the end of a
`stored.deferred()` block when a service writes many rows. After `migrate`, KPI-years
with no row get one (a database upgraded to the table).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.core.signals import request_finished
from django.db.models import Q
from django.db.models.signals import post_delete, post_init, post_migrate, post_save
from django.dispatch import receiver

from kpi import nav_counts, page_cache, stash, stored
from kpi.models import (
    Evidence,
    Indicator,
    PageVersion,
    PeriodEvent,
    PlannedValue,
    ProgressReport,
    ReportCorrection,
    ReportEvent,
    ReportingPeriod,
    ReportStatus,
    StoredAssessment,
    TargetRevision,
    YearlyTarget,
)
from kpi.services import evidence_discard_uncommitted, periods_ensure
from kpi.services.plan_workbooks import written_in_bulk
from plans.models import CommonGoal, Department, DepartmentPlan, Goal, Plan, StrategicObjective


@receiver(post_save, sender=Plan, dispatch_uid="kpi.periods_for_plan")
def create_periods_for_plan(sender, instance: Plan, raw: bool = False, **kwargs) -> None:
    if raw:  # loaddata (a restore) brings the periods with it
        return
    periods_ensure(plan=instance)


@receiver(user_logged_in, dispatch_uid="kpi.stash_for_owner_only")
def drop_others_stash(sender, request, user, **kwargs) -> None:
    """What someone else typed before their session ended is not handed to the next person."""
    stash.drop_unless_owner(request, user)


@receiver(request_finished, dispatch_uid="kpi.evidence_discard_uncommitted")
def discard_rolled_back_evidence(sender, **kwargs) -> None:
    # By now the request's transaction (ATOMIC_REQUESTS) has committed or rolled back.
    evidence_discard_uncommitted()


# --- Stored assessments -----------------------------------------------------------------

_PLAN_RULE_FIELDS = ("green_threshold", "yellow_threshold", "start_year", "end_year", "reporting_frequency")


def _plan_rule(plan: Plan) -> tuple:
    return tuple(getattr(plan, name, None) for name in _PLAN_RULE_FIELDS)


@receiver(post_init, sender=Plan, dispatch_uid="kpi.stored.plan_loaded")
def remember_plan_rule(sender, instance: Plan, **kwargs) -> None:
    instance._stored_rule = _plan_rule(instance) if instance.pk else None


@receiver(post_save, sender=Plan, dispatch_uid="kpi.stored.plan")
def plan_moved(sender, instance: Plan, raw: bool = False, **kwargs) -> None:
    """Thresholds move every light of the plan; its years and frequency every row."""
    if raw:
        return
    rule = _plan_rule(instance)
    if getattr(instance, "_stored_rule", None) != rule:
        stored.touch_indicators(Indicator.objects.filter(department_plan__plan=instance).values_list("id", flat=True))
    instance._stored_rule = rule


@receiver(post_save, sender=Indicator, dispatch_uid="kpi.stored.indicator")
def indicator_moved(sender, instance: Indicator, raw: bool = False, **kwargs) -> None:
    if not raw:
        stored.touch_indicators([instance.pk])


@receiver(post_save, sender=YearlyTarget, dispatch_uid="kpi.stored.target")
@receiver(post_delete, sender=YearlyTarget, dispatch_uid="kpi.stored.target_deleted")
def target_moved(sender, instance: YearlyTarget, raw: bool = False, **kwargs) -> None:
    """A target (or its exclusion) moves its year, and the next year's cumulative ladder."""
    if not raw and _moves_others(kwargs.get("origin", instance)):
        stored.touch([(instance.indicator_id, instance.year), (instance.indicator_id, instance.year + 1)])


@receiver(post_save, sender=PlannedValue, dispatch_uid="kpi.stored.planned")
@receiver(post_delete, sender=PlannedValue, dispatch_uid="kpi.stored.planned_deleted")
def planned_moved(sender, instance: PlannedValue, raw: bool = False, **kwargs) -> None:
    if raw or not _moves_others(kwargs.get("origin", instance)):
        return
    row = _target_year(instance)
    if row is not None:
        stored.touch([row])


def _target_year(instance) -> tuple[int, int] | None:
    """(indicator id, year) of the target a row belongs to (a planned value, a revision): from
    the target the services save it with, else one query."""
    if type(instance).target.is_cached(instance):
        return (instance.target.indicator_id, instance.target.year)
    return YearlyTarget.objects.filter(pk=instance.target_id).values_list("indicator_id", "year").first()


_COUNTS = (ReportStatus.SUBMITTED, ReportStatus.APPROVED)


def _moves_others(origin) -> bool:
    """A deletion moves the KPI-years of what it leaves behind: not when it started from
    the indicator or above it (a plan, a department plan, an objective), whose rows go with
    it (a refresh then would write rows for an indicator about to be deleted)."""
    if origin is None:
        return True
    model = getattr(origin, "model", None) or type(origin)
    return model in (ProgressReport, ReportCorrection, YearlyTarget, PlannedValue, ReportingPeriod)


@receiver(post_save, sender=ProgressReport, dispatch_uid="kpi.stored.report")
def report_moved(sender, instance: ProgressReport, raw: bool = False, created: bool = False, **kwargs) -> None:
    """A report moves its KPI-year when it is (or was) submitted or of record.

    A draft or returned report that is not under correction counts for nothing, unless it
    was until this save the year's figure of record or the figure awaiting review.
    """
    if raw:
        return
    if instance.status not in _COUNTS and not instance.correcting:
        if created or not StoredAssessment.objects.filter(Q(report=instance) | Q(pending_report=instance)).exists():
            return
    stored.touch([(instance.indicator_id, instance.period.year)])


@receiver(post_delete, sender=ProgressReport, dispatch_uid="kpi.stored.report_deleted")
def report_deleted(sender, instance: ProgressReport, origin=None, **kwargs) -> None:
    if (instance.status in _COUNTS or instance.correcting) and _moves_others(origin):
        stored.touch([(instance.indicator_id, instance.period.year)])


@receiver(post_save, sender=ReportCorrection, dispatch_uid="kpi.stored.correction")
@receiver(post_delete, sender=ReportCorrection, dispatch_uid="kpi.stored.correction_deleted")
def correction_moved(sender, instance: ReportCorrection, raw: bool = False, **kwargs) -> None:
    """A correction opened keeps the approved figure of record; resolved, the new one counts."""
    if raw or not _moves_others(kwargs.get("origin", instance)):
        return
    report = instance.report if ReportCorrection.report.is_cached(instance) else None
    if report is not None and ProgressReport.period.is_cached(report):  # as the correction services save it
        row = (report.indicator_id, report.period.year)
    else:
        row = ProgressReport.objects.filter(pk=instance.report_id).values_list("indicator_id", "period__year").first()
    if row is not None:
        stored.touch([row])


@receiver(post_migrate, dispatch_uid="kpi.stored.fill_missing")
def fill_missing_assessments(sender, app_config=None, **kwargs) -> None:
    if app_config is not None and app_config.label == "kpi":
        stored.fill_missing()


# --- The navigation's work counts (kpi.nav_counts) -------------------------------------------


@receiver(post_save, sender=ProgressReport, dispatch_uid="kpi.nav_counts.report")
@receiver(post_delete, sender=ProgressReport, dispatch_uid="kpi.nav_counts.report_deleted")
def report_work_moved(sender, instance: ProgressReport, raw: bool = False, **kwargs) -> None:
    """A report saved or deleted: its department's work may have moved (a status, an author)."""
    if not raw:
        nav_counts.bump(nav_counts.departments_of([instance]))


@receiver(post_save, sender=ReportEvent, dispatch_uid="kpi.nav_counts.event")
@receiver(post_delete, sender=ReportEvent, dispatch_uid="kpi.nav_counts.event_deleted")
def record_work_moved(sender, instance: ReportEvent, raw: bool = False, **kwargs) -> None:
    """An entry of a report's record: who wrote a report (no review of one's own) follows it."""
    if raw:
        return
    if ReportEvent.report.is_cached(instance):
        nav_counts.bump(nav_counts.departments_of([instance.report]))
    else:
        department = (
            ProgressReport.objects.filter(pk=instance.report_id)
            .values_list("indicator__department_plan__department_id", flat=True)
            .first()
        )
        nav_counts.bump([department] if department is not None else [])


@receiver(post_save, sender=ReportingPeriod, dispatch_uid="kpi.nav_counts.period")
@receiver(post_delete, sender=ReportingPeriod, dispatch_uid="kpi.nav_counts.period_deleted")
@receiver(post_save, sender=Indicator, dispatch_uid="kpi.nav_counts.indicator")
@receiver(post_delete, sender=Indicator, dispatch_uid="kpi.nav_counts.indicator_deleted")
@receiver(post_save, sender=DepartmentPlan, dispatch_uid="kpi.nav_counts.department_plan")
@receiver(post_delete, sender=DepartmentPlan, dispatch_uid="kpi.nav_counts.department_plan_deleted")
@receiver(post_save, sender=Plan, dispatch_uid="kpi.nav_counts.plan")
@receiver(post_delete, sender=Plan, dispatch_uid="kpi.nav_counts.plan_deleted")
@receiver(written_in_bulk, dispatch_uid="kpi.nav_counts.bulk")
def structure_work_moved(sender, raw: bool = False, **kwargs) -> None:
    """Periods (opened, locked), indicators and plans decide what there is to report and review."""
    if not raw:
        nav_counts.bump(structure=True)


# --- The KPI page's versions (kpi.page_cache) --------------------------------------------------
#
# Every save or deletion of what the KPI page shows moves the version of its scope, in the same
# transaction: the indicator's for what is its own, its plan's for thresholds and periods, and
# "all" for names shown on every page (people, departments, the plan's structure).

# A deletion started from one of these takes the pages with it: the origin's own receiver moves
# its scope once, instead of one upsert per row of the cascade.
_PAGE_OWNERS = (Indicator, Plan, DepartmentPlan, Goal, StrategicObjective, CommonGoal, Department)


def _cascaded(instance, kwargs) -> bool:
    """A row deleted because an owner above it was (a plan, a goal, an indicator…)."""
    origin = kwargs.get("origin")  # post_delete's: the instance or queryset whose delete() started it
    if origin is None:
        return False
    model = getattr(origin, "model", None) or type(origin)
    return model in _PAGE_OWNERS and not isinstance(instance, model)


def _report_indicator(report_id: int, cached=None) -> int | None:
    """The indicator of a report, from the instance the caller holds when it has one."""
    if cached is not None:
        return cached.indicator_id
    return ProgressReport.objects.filter(pk=report_id).values_list("indicator_id", flat=True).first()


def _page_receiver(*models):
    def connect(handler):
        for model in models:
            name = f"kpi.page_cache.{handler.__name__}.{model.__name__}"
            post_save.connect(handler, sender=model, dispatch_uid=f"{name}.save")
            post_delete.connect(handler, sender=model, dispatch_uid=f"{name}.delete")
        return handler

    return connect


@_page_receiver(ProgressReport, YearlyTarget)
def page_of_indicator_row(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw and not _cascaded(instance, kwargs):
        page_cache.indicators_moved([instance.indicator_id])


@_page_receiver(Indicator)
def page_of_indicator(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw:
        page_cache.indicators_moved([instance.pk])


@_page_receiver(ReportEvent, Evidence, ReportCorrection)
def page_of_report_row(sender, instance, raw: bool = False, **kwargs) -> None:
    if raw or _cascaded(instance, kwargs):
        return
    report = instance.report if type(instance).report.is_cached(instance) else None
    page_cache.indicators_moved([_report_indicator(instance.report_id, report)])


@_page_receiver(TargetRevision, PlannedValue)
def page_of_target_row(sender, instance, raw: bool = False, **kwargs) -> None:
    if raw or _cascaded(instance, kwargs):
        return
    row = _target_year(instance)
    page_cache.indicators_moved([row[0] if row is not None else None])


@_page_receiver(Plan)
def page_of_plan(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw:
        page_cache.plans_moved([instance.pk])


@_page_receiver(ReportingPeriod)
def page_of_period(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw and not _cascaded(instance, kwargs):
        page_cache.plans_moved([instance.plan_id])


@_page_receiver(PeriodEvent)
def page_of_period_event(sender, instance, raw: bool = False, **kwargs) -> None:
    if raw or _cascaded(instance, kwargs):
        return
    period = instance.period if PeriodEvent.period.is_cached(instance) else None
    plan_id = (
        period.plan_id
        if period is not None
        else ReportingPeriod.objects.filter(pk=instance.period_id).values_list("plan_id", flat=True).first()
    )
    page_cache.plans_moved([plan_id])


@_page_receiver(Department, DepartmentPlan, Goal, StrategicObjective, CommonGoal)
def page_of_structure(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw and not _cascaded(instance, kwargs):
        page_cache.everything_moved()


def _names(person) -> tuple:
    return (person.get_username(), person.first_name, person.last_name)


_NAME_FIELDS = {get_user_model().USERNAME_FIELD, "first_name", "last_name"}


@receiver(post_init, sender=get_user_model(), dispatch_uid="kpi.page_cache.person_loaded")
def remember_names(sender, instance, **kwargs) -> None:
    # Not read when deferred (that would cost a query per person): unknown, so a save moves the pages.
    known = instance.pk and not (_NAME_FIELDS & instance.get_deferred_fields())
    instance._page_names = _names(instance) if known else None


@receiver(post_save, sender=get_user_model(), dispatch_uid="kpi.page_cache.person")
@receiver(post_delete, sender=get_user_model(), dispatch_uid="kpi.page_cache.person_deleted")
def page_of_people(sender, instance, raw: bool = False, created: bool = False, **kwargs) -> None:
    """A person's name is on the record of every page they acted on: a rename (or a deletion)
    moves every page. A sign-in's save (`last_login`, or a directory's copy of the same
    names) and a new account, on no record yet, move nothing."""
    if raw:
        return
    renamed = not created and (
        kwargs.get("signal") is post_delete or getattr(instance, "_page_names", None) != _names(instance)
    )
    instance._page_names = _names(instance)
    if renamed:
        page_cache.everything_moved()


@receiver(written_in_bulk, dispatch_uid="kpi.page_cache.bulk")
def pages_of_bulk_load(sender, **kwargs) -> None:
    page_cache.everything_moved()


@receiver(post_migrate, dispatch_uid="kpi.page_cache.first_version")
def first_page_version(sender, app_config=None, **kwargs) -> None:
    """A database of its own gets its own "all" version, so that two databases sharing one
    cache (a copy, a test database) never share a key."""
    if app_config is not None and app_config.label == "kpi":
        if not PageVersion.objects.filter(scope=page_cache.ALL).exists():
            page_cache.everything_moved()
