"""The yearly report (年度績效報告): the page, its print view and its downloads.

    reports:yearly           /reports/yearly/?year=114&department=<id>[&plan=<id>]
    reports:yearly_print     /reports/yearly/print/?year=114&department=<id>
    reports:yearly_download  /reports/yearly/download/?format=xlsx|ods|csv&year=114&department=<id>
    reports:yearly_section   /reports/yearly/section/?year=114&department=<id>
    reports:yearly_export_start  POST /reports/yearly/exports/ (format, year; period for a pack)
    reports:yearly_export        /reports/yearly/exports/<uuid>/
    reports:yearly_export_file   /reports/yearly/exports/<uuid>/file/

No plan means the plan in force (`plans.selectors.plan_in_force`); links and downloads
keep a plan chosen with ?plan= (the switcher). No department means the whole city: every
department the user may view (`kpi.access.department_ids_for`). A department the user may not view is a 404, as
on every other page. All build their rows with `reports.yearly.build_yearly_report`,
so the page, the paper and the spreadsheet always carry the same figures.

The whole city grows with the number of departments, so its page shows the summary and
one closed section per department, each fetched from `yearly_section` when opened (a
plain link to the department's own page without JavaScript); and its downloads are
prepared in the background (reports.exports), with a progress page and a link to the
file when it is ready. One department's page and downloads are built in the request.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from common.numbers import optional_id, shown
from common.spreadsheets import writing as exports
from common.years import parse_year, to_roc
from kpi.selectors import default_year
from plans.models import Department, DepartmentPlan, Plan
from plans.selectors import PlanChoice, plan_choice
from reports import pack
from reports.exports import DOWNLOAD_FORMATS, yearly_export_for, yearly_export_request
from reports.models import ExportStatus
from reports.pack.periods import BadPeriod, period_choices, period_of
from reports.yearly import (
    YearlyReport,
    build_city_summary,
    build_yearly_report,
    export_sheets,
    viewable_department_plans,
)


class BadYear(ValueError):
    """The year asked for is not a year of the plan (`plans`: the plan asked for)."""

    def __init__(self, message: str, plans: PlanChoice):
        super().__init__(message)
        self.plans = plans


@dataclass
class Choice:
    plan: Plan
    year: int
    department: Department | None
    viewable: list[DepartmentPlan]
    plans: PlanChoice | None = None

    @property
    def plan_params(self) -> dict:
        return self.plans.params if self.plans is not None else {}


def _plan_choice(request, params=None) -> PlanChoice:
    """The plan of ?plan= (or `params`: a POST's), else the plan in force; 404 when there is none."""
    choice = plan_choice(request, None if params is None else params.get("plan", ""))
    if choice is None:
        raise Http404(_("No plan has been entered yet."))
    return choice


def _choice(request, params=None) -> Choice:
    """Read ?plan=, ?year= and ?department= (or `params`: a POST's); 404 for a department the
    user may not view, BadYear for a bad year."""
    plans = _plan_choice(request, params)
    params = request.GET if params is None else params
    plan = plans.plan
    viewable = viewable_department_plans(request.user, plan)
    department = None
    raw_department = params.get("department", "").strip()
    if raw_department:
        department_id = optional_id(raw_department)
        match = next((dp for dp in viewable if dp.department_id == department_id), None)
        if match is None:
            raise Http404(_("No such department."))
        department = match.department
    raw_year = params.get("year", "").strip()
    if not raw_year:
        year = default_year(plan)
    else:
        try:
            year = parse_year(raw_year)
        except ValueError:
            year = None
        if year is None or not plan.contains_year(year):
            message = _("“%(year)s” is not a year of the plan: choose an ROC year from %(start)s to %(end)s.") % {
                "year": shown(raw_year),
                "start": plan.start_year,
                "end": plan.end_year,
            }
            if year is not None and plan.contains_year(to_roc(year)):
                message += " " + _("%(year)s looks like a Gregorian year: the ROC year is %(roc)s.") % {
                    "year": year,
                    "roc": to_roc(year),
                }
            raise BadYear(message, plans)
    return Choice(plan, year, department, viewable, plans)


def _query(year: int, department: Department | None, plan_params: dict | None = None, **extra) -> str:
    params = {"year": year, **({"department": department.id} if department else {}), **(plan_params or {}), **extra}
    return urlencode(params)


def _report(request, choice: Choice, *, on_demand: bool = False) -> YearlyReport:
    """The report of the choice; with `on_demand`, the whole city's is its summary only
    (its departments' tables are fetched one by one: `yearly_section`)."""
    if on_demand and choice.department is None:
        return build_city_summary(plan=choice.plan, year=choice.year, user=request.user, viewable=choice.viewable)
    return build_yearly_report(
        plan=choice.plan, year=choice.year, user=request.user, department=choice.department, viewable=choice.viewable
    )


def _redirect_to_default_year(request, view_name: str, exc: BadYear) -> HttpResponseRedirect:
    messages.error(request, str(exc))
    plans = exc.plans
    params = {"year": default_year(plans.plan)}
    department = optional_id(request.GET.get("department"))
    if department is not None:
        params["department"] = department
    params.update(plans.params)
    return HttpResponseRedirect(f"{reverse(view_name)}?{urlencode(params)}")


def _context(report: YearlyReport, choice: Choice) -> dict:
    query = _query(choice.year, choice.department, choice.plan_params)
    return {
        "report": report,
        "plan": choice.plan,
        "plan_choice": choice.plans,
        "query": query,
        "downloads": [
            (
                fmt,
                label,
                f"{reverse('reports:yearly_download')}?"
                f"{_query(choice.year, choice.department, choice.plan_params, format=fmt)}",
            )
            for fmt, label in (("xlsx", "Excel (.xlsx)"), ("ods", "ODS (.ods)"), ("csv", "CSV"))
        ],
        "print_url": f"{reverse('reports:yearly_print')}?{query}",
        "page_url": f"{reverse('reports:yearly')}?{query}",
    }


@login_required
@require_safe
def yearly(request):
    try:
        choice = _choice(request)
    except BadYear as exc:
        return _redirect_to_default_year(request, "reports:yearly", exc)
    report = _report(request, choice, on_demand=True)
    context = _context(report, choice)
    context["pack_periods"] = period_choices(choice.plan, choice.year)  # the meeting pack's choices
    return render(request, "reports/yearly.html", context)


@login_required
@require_safe
def yearly_section(request):
    """One department's tables of the whole city's page, fetched when its section is opened
    (static/js/yearly-sections.js); the same tables as that department's own page."""
    if not request.GET.get("department", "").strip():
        raise Http404(_("No such department."))
    try:
        choice = _choice(request)
    except BadYear as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    report = _report(request, choice)
    return render(request, "reports/yearly_section.html", {"report": report, "plan": choice.plan})


@login_required
@require_safe
def yearly_print(request):
    try:
        choice = _choice(request)
    except BadYear as exc:
        return _redirect_to_default_year(request, "reports:yearly_print", exc)
    report = _report(request, choice)
    return render(request, "reports/yearly_print.html", _context(report, choice))


@login_required
@require_safe
def yearly_download(request):
    fmt = request.GET.get("format", "").strip().lower()
    if fmt not in exports.FORMATS:
        return HttpResponseBadRequest(
            _("Unknown download format “%(format)s”: choose xlsx, ods or csv.") % {"format": fmt[:20]},
            content_type="text/plain; charset=utf-8",
        )
    try:
        choice = _choice(request)
    except BadYear as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    if choice.department is None:
        # The whole city's file is prepared in the background (yearly_export_start): the
        # page offers it with a button, since asking for it is a POST.
        messages.info(request, _("The whole city's file is prepared in the background: press its button below."))
        return HttpResponseRedirect(
            f"{reverse('reports:yearly')}?{_query(choice.year, None, choice.plan_params)}#downloads"
        )
    # The spreadsheets' headers and sheet names are a zh-Hant data contract, so the whole
    # file is written in zh-Hant (lights, reasons, dates), whatever the reader's language.
    with translation.override(settings.LANGUAGE_CODE):
        report = _report(request, choice)
        sheets = export_sheets(report)
        return exports.download(fmt, sheets, stem=report.filename_stem, ascii_stem=report.ascii_filename_stem)


@login_required
@require_POST
def yearly_export_start(request):
    """Ask for the whole city's file (a spreadsheet, or the meeting pack of the year or of a
    period: reports.pack): a background job, then its progress page."""
    fmt = request.POST.get("format", "").strip().lower()
    if fmt not in DOWNLOAD_FORMATS:
        return HttpResponseBadRequest(
            _("Unknown download format “%(format)s”: choose xlsx, ods, csv, pdf or odt.") % {"format": fmt[:20]},
            content_type="text/plain; charset=utf-8",
        )
    try:
        choice = _choice(request, {"year": request.POST.get("year", ""), "plan": request.POST.get("plan", "")})
    except BadYear as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    period = None
    if request.POST.get("period", "").strip():
        if fmt not in pack.FORMATS:
            return HttpResponseBadRequest(
                _("A period can be chosen for the meeting pack (pdf, odt) only: the spreadsheets cover the year."),
                content_type="text/plain; charset=utf-8",
            )
        try:
            period = period_of(choice.plan, choice.year, request.POST.get("period"))
        except BadPeriod as exc:
            return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    export = yearly_export_request(user=request.user, plan=choice.plan, year=choice.year, fmt=fmt, period=period)
    return HttpResponseRedirect(reverse("reports:yearly_export", args=[export.pk]), status=303)


EXPORT_REFRESH_SECONDS = 2
EXPORT_WAIT_WARNING = datetime.timedelta(minutes=5)  # a job not started by then: the worker may be down


@login_required
@require_safe
def yearly_export(request, export_id):
    """The progress of one's own whole-city download, and its link when ready."""
    export = yearly_export_for(request.user, export_id)
    return render(
        request,
        "reports/yearly_export.html",
        {
            "export": export,
            "refresh": EXPORT_REFRESH_SECONDS if export.is_pending else None,
            "waiting_long": export.status == ExportStatus.QUEUED
            and timezone.now() - export.created_at > EXPORT_WAIT_WARNING,
            # Back to the report of the file's plan, whichever plan is in force by then.
            "report_url": f"{reverse('reports:yearly')}?{_query(export.year, None, {'plan': export.plan_id})}",
        },
    )


@login_required
@require_safe
def yearly_export_file(request, export_id):
    """The file of one's own finished whole-city download (404 before it is ready)."""
    export = yearly_export_for(request.user, export_id)
    if export.status != ExportStatus.DONE or not export.file:
        raise Http404(_("This download is not ready."))
    try:
        handle = export.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("This download cannot be found: downloads are kept for a day.")) from None
    response = FileResponse(handle, content_type=DOWNLOAD_FORMATS[export.format])
    response["Content-Disposition"] = exports.content_disposition(export.filename, export.ascii_filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response
