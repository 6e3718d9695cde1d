"""Review (審核, or 初核 and 研考複核 under two stages), bulk approval, and reopening an
approved report for correction (撤銷核定／更正).

Each action has a page of its own: a GET shows what the action will do and asks for
confirmation (so a refreshed or bookmarked action address lands somewhere useful); the
POST acts through `kpi.services` and goes back where the person came from.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from common.numbers import MAX_ID, optional_id, optional_int
from common.wording import labelled
from kpi import access, assessments, queues, selectors, services
from kpi.forms import ReviewForm
from kpi.models import ProgressReport, ReportStatus
from kpi.views.reporting import _detail_url, _forbidden, _safe_next

BULK_LIMIT = 200  # reports approved at once; the queue never offers more on one page


def report_label(report: ProgressReport) -> str:
    return _("%(code)s %(name)s (%(period)s)") % {
        "code": report.indicator.code,
        "name": report.indicator.name,
        "period": report.period.label,
    }


def stage_name(report: ProgressReport) -> str:
    """What the review the report waits for is called: 審核, 初核 or 研考複核."""
    return selectors.stage_label(access.review_stage(report) or access.FIRST, two_stages=report.review_stages == 2)


def _report(request, report_id) -> ProgressReport:
    reports = (
        access.reports_for(request.user, access.VIEW)
        .select_related(
            "indicator__department_plan__plan",
            "period__plan",
            "created_by",
            "updated_by",
            "submitted_by",
            "reviewed_by",
            "first_reviewed_by",
        )
        .prefetch_related(selectors.active_evidence())
    )
    return get_object_or_404(access.with_authorship(assessments.with_record(reports), request.user), pk=report_id)


def _conflict_message(report_text: str, exc: services.ConflictError) -> str:
    return _(
        "The report of %(report)s was updated by %(who)s at %(when)s (version %(version)s); your "
        "review has not taken effect. Look at it again before reviewing."
    ) % {"report": report_text, "who": exc.who, "when": exc.when, "version": exc.report.version}


# --- One report ---------------------------------------------------------------------


def _render_review(request, report, form_errors=None, values=None, status=200):
    fallback = _detail_url(report.indicator_id, report.period.year, f"report-{report.pk}")
    can_review = access.can_review(request.user, report) and access.review_stage(report) is not None
    refusal = ""
    if access.review_stage(report) is None:
        refusal = _("This report is “%(status)s”: it is not waiting for a review.") % {
            "status": report.get_status_display()
        }
    elif access.is_author(request.user, report):
        refusal = _("You wrote this report (or changed it or its evidence): someone else must review it.")
    elif access.review_stage(report) == access.SECOND and report.first_reviewed_by_id == request.user.pk:
        refusal = _("You passed this report at the first review; the planning office's review must be someone else's.")
    elif not can_review:
        refusal = access.review_refusal(request.user, report)
    elif report.period.is_locked and not report.correcting:
        can_review = False
        refusal = services.locked_message(report.period)
    chosen = request.GET.get("action") if request.method == "GET" else (values or {}).get("action")
    return render(
        request,
        "kpi/review.html",
        {
            "report": report,
            "indicator": report.indicator,
            "preview": assessments.report_preview(
                indicator=report.indicator, period=report.period, actual=report.actual
            ),
            "stage_name": stage_name(report),
            "final": report.review_stages == 1 or access.review_stage(report) == access.SECOND,
            "can_review": can_review,
            "refusal": refusal,
            "chosen": chosen if chosen in ("approve", "return") else "",
            "errors": form_errors or {},
            "values": values or {},
            "next_url": _safe_next(request, fallback),
            "labels": services.FIELD_LABELS,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def report_review(request, report_id):
    """Approve a report at the stage it waits for (with an optional comment), or return it
    with a comment (required). GET shows the report and asks for confirmation."""
    report = _report(request, report_id)
    if request.method != "POST":
        return _render_review(request, report)
    fallback = _detail_url(report.indicator_id, report.period.year, f"report-{report.pk}")
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The review action was not valid; please try again."))
        return redirect(_safe_next(request, fallback))
    action, comment, version = (form.cleaned_data[k] for k in ("action", "comment", "version"))
    label = report_label(report)
    values = {"action": action, "comment": comment}
    try:
        if action == "approve":
            report = services.report_approve(
                report=report, user=request.user, comment=comment, expected_version=version
            )
            if report.status == ReportStatus.FIRST_APPROVED:
                text = _("The report of %(report)s passed the first review and goes to the planning office.")
            else:
                text = _("The report of %(report)s was approved.")
            messages.success(request, text % {"report": label})
        else:
            services.report_return(report=report, user=request.user, comment=comment, expected_version=version)
            messages.success(
                request,
                _("The report of %(report)s was returned; the reporter will see your comment.") % {"report": label},
            )
    except PermissionDenied as exc:
        return _forbidden(request, str(exc) or _("You may not review this indicator."), report.indicator)
    except services.ConflictError as exc:
        messages.error(request, _conflict_message(label, exc))
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "comment" in exc.error_dict:
            return _render_review(request, report, {"comment": exc.message_dict["comment"]}, values, status=400)
        for message in exc.messages:
            messages.error(request, labelled(label, message))
    queues.forget_work(request)
    return redirect(_safe_next(request, fallback))


# --- Several reports ----------------------------------------------------------------


@dataclass(frozen=True)
class BulkRow:
    report: ProgressReport
    preview: assessments.Preview
    stage_name: str
    error: str = ""


def _ids(values) -> list[int]:
    ids = []
    for value in values:
        number = optional_id(value)
        if number is not None and number not in ids:
            ids.append(number)
    return ids[:BULK_LIMIT]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def review_bulk(request):
    """Approve several reports with one confirmation: GET (or the queue's POST without
    `confirm`) lists them; the POST with `confirm` approves them all, or none."""
    source = request.POST if request.method == "POST" else request.GET
    ids = _ids(source.getlist("report"))
    back = _safe_next(request, reverse("kpi:review_queue"))
    if not ids:
        messages.error(request, _("Tick the reports to approve first."))
        return HttpResponseRedirect(back)
    reports = list(
        access.with_authorship(
            access.reports_for(request.user, access.VIEW)
            .filter(pk__in=ids)
            .select_related(
                "indicator__department_plan__department",
                "indicator__department_plan__plan",
                "indicator__objective",
                "indicator__common_goal",
                "period__plan",
                "submitted_by",
            )
            .order_by("submitted_at", "id"),
            request.user,
        )
    )
    comment = source.get("comment", "")
    errors: dict[int, str] = {}
    status = 200
    if request.method == "POST" and source.get("confirm") == "1" and not reports:
        status = 400  # none of the ticked reports is there to approve: nothing done, the page says so
    elif request.method == "POST" and source.get("confirm") == "1":
        versions = {}
        for report in reports:
            version = optional_int(source.get(f"version-{report.pk}"), minimum=0, maximum=MAX_ID)
            if version is not None:
                versions[report.pk] = version
        try:
            approved = services.reports_approve(reports=reports, user=request.user, comment=comment, versions=versions)
        except services.ManyRefused as exc:
            errors = {report.pk: message for report, message in exc.errors}
            status = 400
        else:
            final = sum(1 for r in approved if r.status == ReportStatus.APPROVED)
            first = len(approved) - final
            parts = []
            if final:
                parts.append(
                    ngettext("%(count)s report approved.", "%(count)s reports approved.", final) % {"count": final}
                )
            if first:
                parts.append(
                    ngettext(
                        "%(count)s report passed the first review and goes to the planning office.",
                        "%(count)s reports passed the first review and go to the planning office.",
                        first,
                    )
                    % {"count": first}
                )
            messages.success(request, " ".join(parts))
            queues.forget_work(request)
            return HttpResponseRedirect(back)
    missing = len(ids) - len(reports)
    rows = [
        BulkRow(
            report=r,
            preview=assessments.report_preview(indicator=r.indicator, period=r.period, actual=r.actual),
            stage_name=stage_name(r),
            error=errors.get(r.pk, "")
            or (
                ""
                if access.review_stage(r) is not None and access.can_review(request.user, r)
                else _("You cannot approve this report now.")
            ),
        )
        for r in reports
    ]
    return render(
        request,
        "kpi/review_bulk.html",
        {
            "rows": rows,
            "approvable": sum(1 for row in rows if not row.error),
            "missing": missing,
            "blocked": any(row.error for row in rows) and status == 200,
            "refused": status == 400 and bool(reports),
            "comment": comment,
            "next_url": back,
        },
        status=status,
    )


# --- Corrections --------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def report_reopen(request, report_id):
    """撤銷核定／更正: the planning office reopens an approved report, with a reason."""
    report = _report(request, report_id)
    if not access.can_reopen(request.user):
        return _forbidden(request, _("Only the planning office can reopen an approved report."), report.indicator)
    fallback = _detail_url(report.indicator_id, report.period.year, f"report-{report.pk}")
    errors, reason, status = {}, "", 200
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        raw_version = request.POST.get("version", "")
        version = optional_int(raw_version, minimum=0, maximum=MAX_ID)
        try:
            services.report_reopen(report=report, user=request.user, reason=reason, expected_version=version)
        except services.ConflictError as exc:
            messages.error(request, _conflict_message(report_label(report), exc))
            return redirect(fallback)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"general": exc.messages}
            status = 400
        else:
            messages.success(
                request,
                _(
                    "The approval of %(report)s was withdrawn; the report went back to its reporter to be corrected. "
                    "The figure that had been approved stays the period's actual until the correction is approved."
                )
                % {"report": report_label(report)},
            )
            return redirect(fallback)
    return render(
        request,
        "kpi/reopen.html",
        {
            "report": report,
            "indicator": report.indicator,
            "can_reopen": report.status == ReportStatus.APPROVED,
            "errors": errors,
            "reason": reason,
            "back": fallback,
            "labels": services.FIELD_LABELS,
        },
        status=status,
    )
