"""Work queues and reporting periods: "My updates" (待填報), the review queue (審核) and the
periods page (填報期間) with locking. The items come from `kpi.queues`; writes go through
`kpi.services`; permissions through `kpi.access`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, prefetch_related_objects
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common import dates
from common.paging import page_from
from common.params import query_id, query_int
from common.years import MAX_ROC_YEAR, MIN_ROC_YEAR
from kpi import access, assessments, queues, selectors, services
from kpi.models import PeriodEvent, ProgressReport, ReportingPeriod, ReportStatus
from kpi.views.grid import grid_links
from plans.models import Plan
from plans.selectors import plan_in_force

MY_UPDATES_REVIEW_PREVIEW = 10


@login_required
def my_updates(request):
    """待填報: what the signed-in person has to report, fix and review."""
    work = queues.work_for_request(request)
    report_departments = sorted(
        {r.indicator.department_plan.department.name for r in work.overdue + work.due}
        | {r.indicator.department_plan.department.name for r in work.returned + work.submitted}
    )
    return render(
        request,
        "kpi/my_updates.html",
        {
            "work": work,
            "report_departments": report_departments,
            "show_department": len(report_departments) > 1,
            "review_preview": work.to_review[:MY_UPDATES_REVIEW_PREVIEW],
            "review_more": max(0, work.to_review_count - MY_UPDATES_REVIEW_PREVIEW),
            "opens_days": queues.OPENS_DAYS_BEFORE_END,
            "due_days": sorted({item.period.plan.report_due_days for item in work.overdue + work.due}),
            "grids": grid_links(work.overdue + work.due),
        },
    )


# --- Review queue -------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    report: ProgressReport
    preview: assessments.Preview


QUEUE_PER_PAGE = 50
# The reports listed apart (written by the user, in a locked period): the first ones, and a count.
QUEUE_ASIDE_LIMIT = 50


def _queue_filter(request, departments, periods) -> queues.ReviewFilter:
    """The filters of ``?department=&year=&period=&stage=``; a bad value, or a department or
    period with nothing waiting for the user, is left out and a message says so."""
    department = query_id(request, "department", label=_("Department"))
    year = query_int(request, "year", minimum=MIN_ROC_YEAR, maximum=MAX_ROC_YEAR, label=_("Year"))
    period = query_id(request, "period", label=_("Period"))
    stage = query_int(request, "stage", minimum=access.FIRST, maximum=access.SECOND, label=_("Stage"))
    for label, chosen, offered in (
        (_("Department"), department, {d for d, _name in departments}),
        (_("Period"), period, {p.pk for p in periods}),
    ):
        if chosen is not None and chosen not in offered:
            # The same words whether it does not exist, is not the user's or has just been cleared.
            messages.warning(
                request,
                _("Nothing waits for your review under that %(label)s: the page is shown without that filter.")
                % {"label": label},
            )
    return queues.ReviewFilter(
        department=department if department in {d for d, _name in departments} else None,
        year=year,
        period=period if period in {p.pk for p in periods} else None,
        stage=stage,
    )


def _filter_query(narrowed: queues.ReviewFilter, **changes) -> dict:
    values = {"department": narrowed.department, "year": narrowed.year, "period": narrowed.period}
    values["stage"] = narrowed.stage
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


@login_required
def review_queue(request):
    """審核: reports waiting for a review the user may give, by stage (審核 or 初核, then
    研考複核), oldest first, a page at a time; narrowed by department, year, period and
    stage; to open one by one or tick and approve together. Counted and sliced in the
    database (`queues.review_counts`, `queues.review_page`): a city-wide reviewer may have
    thousands waiting."""
    # The navigation's counts: the page's totals are the same rule (`queues.review_counts`).
    work = queues.nav_work_for_request(request)
    if not work.can_review:
        return render(request, "kpi/review_queue.html", {"work": work, "rows": []})
    departments, periods = queues.review_choices(request.user)
    narrowed = _queue_filter(request, departments, periods)
    # Unfiltered, the page's totals are the navigation's, already counted.
    counts = work.review_counts
    if counts is None or narrowed.is_narrowed:
        counts = queues.review_counts(request.user, narrowed)
    page = page_from(request, count=counts.to_review, per_page=QUEUE_PER_PAGE, query=_filter_query(narrowed))
    shown = queues.review_page(request.user, narrowed, offset=page.offset, limit=page.per_page)
    # Two queries, for the previews: each row shows what approving it would show, against its planned values.
    prefetch_related_objects([r.indicator for r in shown], "targets__planned_values")
    # One query more: each row lists its evidence (files to view or download, links).
    prefetch_related_objects(shown, selectors.active_evidence())
    rows = [
        QueueRow(r, assessments.report_preview(indicator=r.indicator, period=r.period, actual=r.actual)) for r in shown
    ]
    own, locked = [], []
    if counts.own or counts.locked:  # one query, only when there is something to list apart
        own, locked = queues.review_aside(request.user, narrowed, limit=QUEUE_ASIDE_LIMIT)
    # The stages the plans use (one query): the queue is laid out by stage when any plan has two.
    stages_in_use = set(Plan.objects.order_by().values_list("review_stages", flat=True).distinct())
    two_stages = 2 in stages_in_use or counts.second > 0
    stages = []
    for stage, title in (
        (
            access.FIRST,
            selectors.stage_label(access.FIRST, two_stages=True) if two_stages else _("Waiting for your review"),
        ),
        (access.SECOND, selectors.stage_label(access.SECOND, two_stages=True)),
    ):
        if stage == access.SECOND and not (work.can_second_review and two_stages):
            continue
        if (
            stage == access.FIRST
            and not counts.first
            and work.can_second_review
            and not _reviews_first(request.user, stages_in_use)
        ):
            continue
        stages.append(
            {
                "stage": stage,
                "title": title,
                "rows": [row for row in rows if access.review_stage(row.report) == stage],
                "count": counts.stage(stage),
                "href": "?" + urlencode(_filter_query(narrowed, stage=stage)),
            }
        )
    return render(
        request,
        "kpi/review_queue.html",
        {
            "work": work,
            "stages": stages,
            # With a stage chosen, only its section; the others are a link away.
            "sections": [s for s in stages if narrowed.stage in (None, s["stage"])],
            "all_stages_href": "?" + urlencode(_filter_query(narrowed, stage=None)),
            "rows": rows,
            "row_count": len(rows),
            "page": page,
            "counts": counts,
            "two_stages": two_stages,
            "own": own,
            "locked": locked,
            "own_more": counts.own - len(own),
            "locked_more": counts.locked - len(locked),
            "departments": departments,
            "years": sorted({p.year for p in periods}),
            "periods": periods,
            "chosen": {
                "department": narrowed.department,
                "year": narrowed.year,
                "period": narrowed.period,
                "stage": narrowed.stage,
            },
            "filtered": narrowed.is_narrowed,
            "has_waiting": bool(departments),
            # Back to the page as shown (a page past the last one comes back as the last).
            "next_url": request.path + (page.href(page.number) if page.href(page.number) != "?" else ""),
        },
    )


def _reviews_first(user, stages_in_use: set[int]) -> bool:
    """Whether the user gives first reviews at all: a department's reviewer, an admin, or
    anyone under a one-stage plan (the planning office there)."""
    scope = access.scope(user)
    return bool(scope.departments[access.REVIEW]) or bool(user.is_superuser) or 1 in stages_in_use


# --- Periods ------------------------------------------------------------------------


def _chosen_plan(request, plan_id=None):
    plans = list(Plan.objects.all())
    if not plans:
        return None, plans
    plan_id = plan_id or query_id(request, "plan", label=_("Plan"))
    # No plan asked for (or none such): the plan in force, as on every page.
    plan = next((p for p in plans if p.pk == plan_id), None) or plan_in_force(plans)
    return plan, plans


def _render_periods(request, plan=None, plans=None, errors=None, values=None, status=200):
    if plan is None:
        plan, plans = _chosen_plan(request)
    context = {"plan": plan, "plans": plans, "years": []}
    if plan is not None:
        today = dates.today()
        periods = list(
            access.periods_for(request.user)
            .filter(plan=plan, frequency=plan.reporting_frequency)
            .prefetch_related(
                Prefetch("events", queryset=PeriodEvent.objects.select_related("actor").order_by("at", "id"))
            )
            .order_by("year", "number")
        )
        counts = defaultdict(dict)
        for row in (
            access.reports_for(request.user)
            .filter(period__plan=plan)
            .order_by()
            .values("period_id", "status")
            .annotate(n=Count("id"))
        ):
            counts[row["period_id"]][row["status"]] = row["n"]
        by_year = defaultdict(list)
        for period in periods:
            period.state = queues.period_state(period, today)
            period.opens_on = queues.opens_on(period)
            period.report_counts = [
                (status.label, counts[period.pk].get(status.value, 0))
                for status in (
                    ReportStatus.DRAFT,
                    ReportStatus.SUBMITTED,
                    ReportStatus.FIRST_APPROVED,
                    ReportStatus.RETURNED,
                    ReportStatus.APPROVED,
                )
            ]
            period.report_total = sum(counts[period.pk].values())
            period.unlock_error = (errors or {}).get(period.pk, "")
            period.unlock_reason = (values or {}).get(period.pk, "")
            by_year[period.year].append(period)
        context.update(
            error_period=next((p for p in periods if p.unlock_error), None),
            years=sorted(by_year.items()),
            today=today,
            opens_days=queues.OPENS_DAYS_BEFORE_END,
            can_manage=access.can_manage_periods(request.user),
        )
    return render(request, "kpi/periods.html", context, status=status)


@login_required
def period_list(request):
    """填報期間: the plan's periods with their state and lock history; the planning office locks them."""
    return _render_periods(request)


def _back_to_periods(period):
    return HttpResponseRedirect(f"{reverse('kpi:periods')}?{urlencode({'plan': period.plan_id})}#period-{period.pk}")


def _managed_period(request, period_id):
    if not access.can_manage_periods(request.user):
        raise PermissionDenied(_("Only the planning office can lock and unlock reporting periods."))
    return get_object_or_404(ReportingPeriod.objects.select_related("plan"), pk=period_id)


def _render_lock(request, period, *, unfinished, errors=None, values=None, status=200):
    by_department: dict[str, list] = defaultdict(list)
    for report in unfinished:
        by_department[report.indicator.department_plan.department.name].append(report)
    return render(
        request,
        "kpi/period_lock.html",
        {
            "period": period,
            "unfinished": unfinished,
            "by_department": list(by_department.items()),
            "errors": errors or {},
            "values": values or {},
            "back": f"{reverse('kpi:periods')}?{urlencode({'plan': period.plan_id})}#period-{period.pk}",
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def period_lock(request, period_id):
    """Lock a period: GET asks for confirmation and lists the reports still submitted or
    returned; locking with any of them needs "lock anyway" and a reason."""
    period = _managed_period(request, period_id)
    if request.method != "POST":
        if period.is_locked:
            messages.info(request, _("%(period)s is already locked.") % {"period": period.label})
            return _back_to_periods(period)
        return _render_lock(request, period, unfinished=services.unfinished_reports(period))
    force = request.POST.get("force") == "1"
    reason = request.POST.get("reason", "")
    try:
        services.period_lock(period=period, user=request.user, force=force, reason=reason)
    except services.UnfinishedReports as exc:
        return _render_lock(
            request,
            period,
            unfinished=exc.reports,
            errors={"general": exc.messages},
            values={"force": force, "reason": reason},
            status=400,
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "reason" in exc.error_dict:
            return _render_lock(
                request,
                period,
                unfinished=services.unfinished_reports(period),
                errors={"reason": exc.message_dict["reason"]},
                values={"force": force, "reason": reason},
                status=400,
            )
        messages.error(request, " ".join(exc.messages))
    else:
        queues.forget_work(request)
        messages.success(
            request, _("%(period)s is locked. Reports in it can no longer change.") % {"period": period.label}
        )
    return _back_to_periods(period)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def period_unlock(request, period_id):
    period = _managed_period(request, period_id)
    if request.method != "POST":
        # The unlock form lives on the periods page, beside the period's record.
        return _back_to_periods(period)
    reason = request.POST.get("reason", "")
    try:
        services.period_unlock(period=period, user=request.user, reason=reason)
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "reason" in exc.error_dict:
            plan, plans = _chosen_plan(request, period.plan_id)
            message = " ".join(exc.message_dict["reason"])
            return _render_periods(
                request, plan, plans, errors={period.pk: message}, values={period.pk: reason}, status=400
            )
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(period)s is unlocked; the reason is on the record.") % {"period": period.label})
    return _back_to_periods(period)
