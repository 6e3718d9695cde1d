"""The yearly report (年度績效報告): the page, its print view and its downloads.

    reports:yearly           /reports/yearly/?year=114&department=<id>
    reports:yearly_print     /reports/yearly/print/?year=114&department=<id>
    reports:yearly_download  /reports/yearly/download/?format=xlsx|ods|csv&year=114&department=<id>

No department means the whole city: every department the user may view
(`kpi.access.department_ids_for`). A department the user may not view is a 404, as
on every other page. All three build their rows with `reports.yearly.build_yearly_report`,
so the page, the paper and the spreadsheet always carry the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from common.numbers import optional_id, shown
from common.spreadsheets import writing as exports
from common.years import parse_year, to_roc
from kpi.selectors import default_year
from plans.models import Department, DepartmentPlan, Plan
from reports.yearly import (
    EXPORT_COLUMNS,
    EXPORT_HEADERS,
    SUMMARY_HEADERS,
    YearlyReport,
    about_rows,
    build_yearly_report,
    export_rows,
    summary_rows,
    viewable_department_plans,
)


class BadYear(ValueError):
    """The year asked for is not a year of the plan."""


@dataclass
class Choice:
    plan: Plan
    year: int
    department: Department | None
    viewable: list[DepartmentPlan]


def current_plan() -> Plan:
    """The plan being reported on: the latest (the first created, should two start the same year)."""
    plan = Plan.objects.order_by("-start_year", "id").first()
    if plan is None:
        raise Http404(_("No plan has been entered yet."))
    return plan


def _choice(request) -> Choice:
    """Read ?year= and ?department=; 404 for a department the user may not view, BadYear for a bad year."""
    plan = current_plan()
    viewable = viewable_department_plans(request.user, plan)
    department = None
    raw_department = request.GET.get("department", "").strip()
    if raw_department:
        department_id = optional_id(raw_department)
        match = next((dp for dp in viewable if dp.department_id == department_id), None)
        if match is None:
            raise Http404(_("No such department."))
        department = match.department
    raw_year = request.GET.get("year", "").strip()
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
            raise BadYear(message)
    return Choice(plan, year, department, viewable)


def _query(year: int, department: Department | None, **extra) -> str:
    params = {"year": year, **({"department": department.id} if department else {}), **extra}
    return urlencode(params)


def _report(request, choice: Choice) -> YearlyReport:
    return build_yearly_report(
        plan=choice.plan, year=choice.year, user=request.user, department=choice.department, viewable=choice.viewable
    )


def _redirect_to_default_year(request, view_name: str, exc: BadYear) -> HttpResponseRedirect:
    messages.error(request, str(exc))
    plan = current_plan()
    params = {"year": default_year(plan)}
    department = optional_id(request.GET.get("department"))
    if department is not None:
        params["department"] = department
    return HttpResponseRedirect(f"{reverse(view_name)}?{urlencode(params)}")


def _context(report: YearlyReport, choice: Choice) -> dict:
    query = _query(choice.year, choice.department)
    return {
        "report": report,
        "plan": choice.plan,
        "query": query,
        "downloads": [
            (fmt, label, f"{reverse('reports:yearly_download')}?{_query(choice.year, choice.department, format=fmt)}")
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
    report = _report(request, choice)
    return render(request, "reports/yearly.html", _context(report, choice))


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
    # The spreadsheets' headers and sheet names are a zh-Hant data contract, so the whole
    # file is written in zh-Hant (lights, reasons, dates), whatever the reader's language.
    with translation.override(settings.LANGUAGE_CODE):
        report = _report(request, choice)
        sheets = [
            exports.Sheet(
                title="績效年報",
                headers=EXPORT_HEADERS,
                rows=export_rows(report),
                long_columns={i for i, c in enumerate(EXPORT_COLUMNS) if c.kind == "long"},
                percent_columns={i for i, c in enumerate(EXPORT_COLUMNS) if c.kind == "percent"},
            ),
            exports.Sheet(title="燈號統計", headers=SUMMARY_HEADERS, rows=summary_rows(report), percent_columns={2}),
            exports.Sheet(title="說明", headers=["項目", "內容"], rows=about_rows(report), long_columns={1}),
        ]
        return exports.download(fmt, sheets, stem=report.filename_stem, ascii_stem=report.ascii_filename_stem)
