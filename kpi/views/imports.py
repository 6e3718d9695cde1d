"""Bulk import of progress reports (進度填報批次匯入): the upload page and the template download.

The page only asks and shows: `kpi.importers` reads and checks the file and saves the
rows through `kpi.services.reports_write` (report_save's rules, in bulk), all or nothing;
who may import is `kpi.access`'s rule (anyone who can report on at least one department).
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from common import dates
from common.params import query_id
from common.spreadsheets import reading
from common.spreadsheets import writing as exports
from common.spreadsheets.forms import SpreadsheetFileField
from common.wording import join_list
from kpi import access, importers, queues, selectors
from kpi.attainment import Assessment
from kpi.formulas import FORMULAS
from kpi.models import ReportingPeriod
from plans.models import DepartmentPlan

NOT_A_REPORTER = gettext_lazy(
    "Only a department's reporters can import progress reports; you may not report for any department."
)
DRAFT, SUBMIT = "draft", "submit"


class ReportImportForm(forms.Form):
    file = SpreadsheetFileField(label=gettext_lazy("Spreadsheet file (xlsx, ods or csv)"))
    mode = forms.ChoiceField(
        label=gettext_lazy("After the whole file has been checked"),
        choices=[
            (DRAFT, gettext_lazy("Save as drafts")),
            (SUBMIT, gettext_lazy("Submit for review")),
        ],
        initial=DRAFT,
        widget=forms.RadioSelect,
    )
    check_only = forms.BooleanField(label=gettext_lazy("Only check the file; save nothing"), required=False)


@dataclass
class TemplateChoices:
    """What the template form offers: the user's reportable departments and their open periods."""

    department_plans: list[DepartmentPlan]
    periods: list[ReportingPeriod]
    default_period: ReportingPeriod | None

    @property
    def departments(self):
        seen = {}
        for dp in self.department_plans:
            seen.setdefault(dp.department_id, dp.department)
        return sorted(seen.values(), key=lambda d: d.name)

    @property
    def years(self):
        """Periods grouped by plan year, for <optgroup>."""
        groups: dict[tuple, list[ReportingPeriod]] = {}
        for period in self.periods:
            groups.setdefault((period.plan_id, period.year), []).append(period)
        return list(groups.values())


def _template_choices(user) -> TemplateChoices:
    ids = access.department_ids_for(user, access.REPORT)
    department_plans = list(
        DepartmentPlan.objects.filter(department_id__in=ids).select_related("department", "plan").order_by("plan")
    )
    plan_ids = {dp.plan_id for dp in department_plans}
    periods = list(
        ReportingPeriod.objects.filter(plan_id__in=plan_ids, frequency=F("plan__reporting_frequency"), is_locked=False)
        .select_related("plan")
        .order_by("plan", "year", "number")
    )
    today = dates.today()
    opened = [p for p in periods if queues.opens_on(p) <= today]
    default = max(opened, key=lambda p: p.end_date) if opened else (periods[0] if periods else None)
    return TemplateChoices(department_plans=department_plans, periods=periods, default_period=default)


def _forbidden(request):
    return render(request, "kpi/_forbidden.html", {"message": NOT_A_REPORTER}, status=403)


def _can_import(user) -> bool:
    return bool(access.department_ids_for(user, access.REPORT))


# --- The page -----------------------------------------------------------------------

OUTCOME_LABELS = {
    importers.CREATED: gettext_lazy("New report"),
    importers.UPDATED: gettext_lazy("Updated"),
    importers.UNCHANGED: gettext_lazy("Unchanged"),
}


@dataclass
class RowView:
    """One row of the results table, ready to show."""

    number: int
    department: str
    code: str
    name: str
    period: str
    figure: str
    pace: Assessment | None
    outcome: str
    changes: str
    status_code: str
    status: str
    url: str
    errors: list[importers.RowError]  # column (the file's word, shown as written) and message
    period_from_file: bool = False  # the period as the file wrote it (its columns' words)


def _row_view(row: importers.ImportRow, result: importers.ImportResult) -> RowView:
    indicator, period = row.indicator, row.period
    figure = ""
    if row.preview is not None and indicator is not None:
        figure = selectors.format_amount(indicator, row.preview.actual)
    status_code = ""
    if row.report is not None:
        status_code = row.report.status
    elif row.existing is not None:
        status_code = row.existing.status
    url = ""
    if indicator is not None and period is not None:
        url = f"{reverse('kpi:detail', args=[indicator.pk])}?year={period.year}#period-{period.pk}"
    return RowView(
        number=row.number,
        department=indicator.department_plan.department.name if indicator else row.department_text,
        code=indicator.code if indicator else row.code_text,
        name=indicator.name if indicator else "",
        period=period.label if period else _unresolved_period(row),
        figure=figure,
        pace=row.preview.pace if row.preview is not None and row.preview.actual is not None else None,
        outcome=str(OUTCOME_LABELS.get(row.outcome, "")),
        changes=join_list(row.changes),
        status_code=status_code,
        status=selectors.status_label(status_code) if status_code else str(_("Not reported")),
        url=url,
        errors=list(row.errors),
        period_from_file=period is None,
    )


def _unresolved_period(row: importers.ImportRow) -> str:
    """The period as the file wrote it, when it could not be found: 年度 2025、期別 3 (the file's columns)."""
    parts = [(importers.COL_YEAR, row.year_text), (importers.COL_PERIOD, row.period_text)]
    return join_list(f"{label} {text}" for label, text in parts if text)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def report_import(request):
    """Upload a spreadsheet of year-to-date figures; every row is checked, then all are saved or none."""
    if not _can_import(request.user):
        return _forbidden(request)
    result, status = None, 200
    if request.method == "POST":
        form = ReportImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            result = importers.import_reports(
                upload.read(),
                upload.name,
                user=request.user,
                submit=form.cleaned_data["mode"] == SUBMIT,
                dry_run=form.cleaned_data["check_only"],
            )
            if result.applied:
                queues.forget_work(request)  # the navigation's counts have changed
            elif not result.ok:
                status = 400
        else:
            status = 400
    else:
        form = ReportImportForm()
    choices = _template_choices(request.user)
    context = {
        "form": form,
        "result": result,
        "choices": choices,
        "formats": reading.FORMATS,
        "columns": importers.COLUMNS,
        "input_columns": importers.INPUT_COLUMNS,
        "formulas": list(FORMULAS.values()),
        "max_rows": reading.MAX_ROWS,
        "max_mb": reading.MAX_FILE_BYTES // reading.MEGABYTE,
    }
    if result is not None:
        shown = result.error_rows if not result.ok else result.written_rows
        rows = [_row_view(r, result) for r in shown]
        context.update(
            rows=rows,
            show_department=not result.ok or len({r.department for r in rows}) > 1,
            error_rows=len(result.error_rows),
            other_rows=len(result.rows) - len(result.error_rows),
        )
    return render(request, "kpi/report_import.html", context, status=status)


# --- The template download ----------------------------------------------------------


@login_required
@require_safe
def report_import_template(request):
    """A file with the right columns and one row per indicator the user may report on for a period."""
    if not _can_import(request.user):
        return _forbidden(request)
    choices = _template_choices(request.user)
    # A download: a bad id is the default period or no department, without a message (none is shown).
    period_id = query_id(request, "period", warn=False)
    if period_id is None:
        period = choices.default_period
    else:
        period = next((p for p in choices.periods if p.pk == period_id), None)
    if period is None:
        raise Http404(_("There is no period to report on (it does not exist or is locked)."))
    department_id = query_id(request, "department", warn=False)
    department = next((d for d in choices.departments if d.pk == department_id), None)
    fmt = request.GET.get("format", "xlsx")
    if fmt not in reading.FORMATS:
        fmt = "xlsx"
    template = importers.template_for(request.user, period, department.pk if department else None)
    long_columns = {template.headers.index(c) for c in importers.TEXT_COLUMNS}
    # The sheet's and the file's names stay in the plan's words, like the columns: the file is
    # the same for everyone, whatever the language of the page it was downloaded from.
    sheet = exports.Sheet(
        title="進度填報",
        headers=list(template.headers),
        rows=template.rows,
        long_columns=long_columns,
        code_columns={template.headers.index(importers.COL_CODE)},  # 1-5 stays 1-5 in Excel, not 1月5日
    )
    label = period.short_label.replace("/", "-")
    departments = [department] if department else choices.departments
    who = departments[0].name if len(departments) == 1 else "全部機關"
    stem = f"進度填報匯入範本_{who}_{label}"
    return exports.download(fmt, [sheet], stem=stem, ascii_stem=f"report-import-{label}")
