"""The department's grid (填報總表): one period's reports of every indicator a person may report, on one page.

Staff type a quarter's year-to-date figures, narratives and (when behind plan) the
reasons and measures for all of a department's indicators at once, save them as drafts
or submit the ones with a figure. The page only asks and shows: the rules are
`kpi.services.reports_save_many`'s, which saves every row through `report_save` (the
single form's service) in one transaction, all or nothing; the previews are
`services.report_clean`'s, the form's; who may report is `kpi.access`'s. The page reads
a fixed number of queries whatever the number of indicators (tests/test_grid.py pins it).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from common.numbers import MAX_ID, optional_int
from kpi import access, assessments, queues, services
from kpi.models import Indicator, ProgressReport, ReportingPeriod, YearlyTarget
from kpi.selectors import format_number, status_label
from kpi.views.reporting import conflict_panel, not_editable_reason
from plans.models import DepartmentPlan

ACTIONS = ("preview", "save", "submit")
TEXT_FIELDS = ("narrative", "shortfall_reason", "improvement_plan")
NOT_A_REPORTER = gettext_lazy(
    "You may view this department but not report for it: only the department's own reporters may."
)


@dataclass
class InputCell:
    """One typed figure of a row: the actual, or one input of a common indicator's formula."""

    name: str  # the POST name, e.g. "12-actual" or "12-inputs.budget"
    key: str  # "actual" or "inputs.budget" (the service's error keys)
    label: str
    value: str
    errors: list[str] = field(default_factory=list)


@dataclass
class GridRow:
    indicator: Indicator
    report: ProgressReport | None
    not_editable: str  # "", "locked" or "status"
    year_target: Decimal | None
    last_approved: ProgressReport | None
    version: int
    cells: list[InputCell]
    texts: dict[str, str]
    preview: assessments.Preview | None = None
    outlook: assessments.Preview | None = None  # the period's planned value, whatever was typed
    not_assessed: str | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    conflict: dict | None = None
    form_url: str = ""
    preview_url: str = ""

    @property
    def prefix(self) -> str:
        return str(self.indicator.pk)

    @property
    def editable(self) -> bool:
        return not self.not_editable

    @property
    def status_label(self) -> str:
        return status_label(self.report.status if self.report else "")

    @property
    def needs_explanation(self) -> bool:
        return bool(self.preview and self.preview.actual is not None and self.preview.needs_explanation)

    @property
    def row_errors(self) -> list[str]:
        """Errors that are about the row as a whole (a lock, a status, a permission)."""
        known = {c.key for c in self.cells} | set(TEXT_FIELDS)
        return [m for key, messages_ in self.errors.items() if key not in known for m in messages_]

    @property
    def text_cells(self) -> list[dict]:
        return [
            {
                "name": name,
                "label": services.FIELD_LABELS[name],
                "value": self.texts.get(name, ""),
                "errors": self.errors.get(name, []),
            }
            for name in TEXT_FIELDS
        ]

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.conflict)

    shown_as: str = ""  # the fingerprint of what the row was based on, once it was posted

    @property
    def shown(self) -> str:
        """A fingerprint of what the row was based on (as first shown, or the report now saved
        after a conflict): a row sent back with the same values was not touched."""
        return self.shown_as or fingerprint(self.values())

    def values(self) -> dict:
        """What goes to `report_clean` / `report_save` (raw strings; the service parses)."""
        values = dict(self.texts)
        if self.indicator.formula_spec:
            values["inputs"] = {c.key.split(".", 1)[1]: c.value for c in self.cells}
        else:
            values["actual"] = self.cells[0].value
        return values


def fingerprint(values: dict) -> str:
    """The row's values, normalised as browsers send them back (textareas: CRLF, trimmed)."""
    flat = {
        k: ({i: str(v).strip() for i, v in val.items()} if isinstance(val, dict) else str(val or "").strip())
        for k, val in values.items()
    }
    flat = {k: (v.replace("\r\n", "\n") if isinstance(v, str) else v) for k, v in flat.items()}
    return hashlib.sha256(json.dumps(flat, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def _stored_values(indicator: Indicator, report: ProgressReport | None) -> tuple[dict[str, str], dict[str, str]]:
    """The row's figures and texts as the inputs show them (the saved report, or empty)."""
    spec = indicator.formula_spec
    if spec:
        inputs = (report.inputs or {}) if report else {}
        figures = {f"inputs.{i.key}": str(inputs.get(i.key, "") or "") for i in spec.inputs}
    else:
        figures = {"actual": format_number(report.actual) if report and report.actual is not None else ""}
    texts = {name: (getattr(report, name) if report else "") for name in TEXT_FIELDS}
    return figures, texts


def _row_values(indicator: Indicator, figures: dict[str, str], texts: dict[str, str]) -> dict:
    """Figures and texts in the shape `GridRow.values` gives (for fingerprints)."""
    values = dict(texts)
    if indicator.formula_spec:
        values["inputs"] = {key.split(".", 1)[1]: value for key, value in figures.items()}
    else:
        values["actual"] = figures.get("actual", "")
    return values


def _cells(indicator: Indicator, figures: dict[str, str]) -> list[InputCell]:
    prefix = indicator.pk
    spec = indicator.formula_spec
    if spec:
        return [
            InputCell(f"{prefix}-inputs.{i.key}", f"inputs.{i.key}", str(i.label), figures.get(f"inputs.{i.key}", ""))
            for i in spec.inputs
        ]
    return [InputCell(f"{prefix}-actual", "actual", str(services.FIELD_LABELS["actual"]), figures.get("actual", ""))]


def _quiet_preview(indicator, period, values) -> assessments.Preview | None:
    try:
        return services.report_clean(indicator=indicator, period=period, submitting=False, **values).preview
    except ValidationError:
        return None


def _rows(user, department_plan: DepartmentPlan, period: ReportingPeriod) -> list[GridRow]:
    """Every indicator of the department the user may report, with what the page shows, in five
    queries whatever their number: the indicators, their targets, their planned values, the
    period's reports and the year's approved figures (`assessments.latest_approved`)."""
    targets = Prefetch("targets", queryset=YearlyTarget.objects.order_by("year"))
    indicators = [
        i
        for i in access.indicators_for(user, access.REPORT)
        .filter(department_plan=department_plan)
        .prefetch_related(targets, "targets__planned_values")  # the previews read them: no query per row
        if access.can_report(user, i)
    ]
    indicators.sort(key=queues.indicator_sort_key)
    reports = {
        r.indicator_id: r
        for r in ProgressReport.objects.filter(period=period, indicator__in=indicators).select_related("updated_by")
    }
    last = assessments.latest_approved(years=[period.year], indicator__in=indicators)
    rows = []
    for indicator in indicators:
        report = reports.get(indicator.pk)
        figures, texts = _stored_values(indicator, report)
        year_target = next((t for t in indicator.targets.all() if t.year == period.year), None)
        row = GridRow(
            indicator=indicator,
            report=report,
            not_editable=not_editable_reason(period, report),
            year_target=year_target.value if year_target else None,
            last_approved=last.get((indicator.pk, period.year)),
            version=report.version if report else 0,
            cells=_cells(indicator, figures),
            texts=texts,
            not_assessed=assessments.not_assessed_reason(indicator, year_target, period),
            form_url=reverse("kpi:report", args=[indicator.pk, period.pk]),
            preview_url=reverse("kpi:report_preview", args=[indicator.pk, period.pk]),
        )
        row.outlook = assessments.report_preview(indicator=indicator, period=period, actual=None)
        if report is not None:
            row.preview = _quiet_preview(indicator, period, row.values())
        rows.append(row)
    return rows


def _read_typed(request, row: GridRow) -> None:
    """Put what was typed in the row (an editable row only; a read-only row keeps the saved report)."""
    for cell in row.cells:
        cell.value = request.POST.get(cell.name, "")
    for name in TEXT_FIELDS:
        row.texts[name] = request.POST.get(f"{row.prefix}-{name}", "")
    row.shown_as = request.POST.get(f"{row.prefix}-shown", "")
    version = request.POST.get(f"{row.prefix}-version", "")
    row.version = optional_int(version, minimum=0, maximum=MAX_ID) or 0


def _put_errors(row: GridRow, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for key, messages_ in exc.message_dict.items():
            row.errors.setdefault(key, []).extend(m for m in messages_ if m not in row.errors.get(key, []))
    else:
        row.errors.setdefault("__all__", []).extend(exc.messages)
    for cell in row.cells:
        cell.errors = row.errors.get(cell.key, [])


def _grid_url(department_id: int, period_id: int) -> str:
    return reverse("kpi:grid", args=[department_id, period_id])


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def report_grid(request, department_id, period_id):
    """填報總表: a department's reports of one period, every indicator on one page."""
    period = get_object_or_404(ReportingPeriod.objects.select_related("plan"), pk=period_id)
    department_plan = get_object_or_404(
        DepartmentPlan.objects.select_related("plan", "department"), plan=period.plan, department_id=department_id
    )
    if not access.can_view_department(request.user, department_id):
        raise Http404
    if not access.can_report_department(request.user, department_id):
        return render(request, "kpi/_forbidden.html", {"message": NOT_A_REPORTER}, status=403)

    rows = _rows(request.user, department_plan, period)
    action, status = "", 200
    if request.method == "POST":
        action = request.POST.get("action")
        action = action if action in ACTIONS else "preview"
        # A row the form did not send (its version is missing: read-only when shown) is left
        # as it is. One that was editable when shown but no longer is (submitted meanwhile)
        # goes to the service all the same, which answers with a conflict, not silence.
        editable = [row for row in rows if f"{row.prefix}-version" in request.POST]
        touched = []
        for row in editable:
            _read_typed(request, row)
            row.preview = _quiet_preview(row.indicator, period, row.values())
            # Saving drafts leaves a row nobody typed in alone, even if someone else changed
            # its report meanwhile (no conflict about a row the person did not touch).
            if action == "submit" or row.shown_as != fingerprint(row.values()):
                touched.append(row)
        if action == "preview":
            for row in editable:
                if not row.editable:
                    continue
                try:
                    services.report_clean(indicator=row.indicator, period=period, submitting=False, **row.values())
                except ValidationError as exc:
                    _put_errors(row, exc)
        else:
            batch = [
                services.BatchRow(
                    indicator=row.indicator,
                    values=row.values(),
                    expected_version=row.version,
                    report=row.report,
                )
                for row in touched
            ]
            try:
                result = services.reports_save_many(
                    user=request.user, period=period, rows=batch, submit=action == "submit"
                )
            except services.BatchRefused as refused:
                status = 400
                by_id = {row.indicator.pk: row for row in rows}
                for indicator_id, exc in refused.errors.items():
                    _put_errors(by_id[indicator_id], exc)
                for indicator_id, exc in refused.conflicts.items():
                    row = by_id[indicator_id]
                    row.conflict = conflict_panel(row.indicator, exc)
                    # What was typed stays, based on the version now saved: a deliberate second save goes through.
                    row.version = exc.report.version
                    row.shown_as = fingerprint(_row_values(row.indicator, *_stored_values(row.indicator, exc.report)))
                    row.report = exc.report
                    row.not_editable = not_editable_reason(period, exc.report)
            else:
                if result.submitted:
                    count = len(result.submitted)
                    messages.success(
                        request,
                        ngettext(
                            "%(counter)s report of %(period)s was submitted and waits for review.",
                            "%(counter)s reports of %(period)s were submitted and wait for review.",
                            count,
                        )
                        % {"counter": count, "period": period.label},
                    )
                if result.saved:
                    count = len(result.saved)
                    messages.success(
                        request,
                        ngettext(
                            "%(counter)s report of %(period)s was saved as a draft (not yet submitted for review).",
                            "%(counter)s reports of %(period)s were saved as drafts (not yet submitted for review).",
                            count,
                        )
                        % {"counter": count, "period": period.label},
                    )
                if not (result.submitted or result.saved):
                    messages.info(request, _("Nothing changed."))
                return HttpResponseRedirect(request.path)

    for row in rows:
        if row.not_editable:
            # A read-only row shows the report as saved (what was typed, if anything, is in its conflict panel).
            figures, row.texts = _stored_values(row.indicator, row.report)
            row.cells = _cells(row.indicator, figures)
    grid_url = _grid_url(department_id, period.pk)
    next_query = urlencode({"next": grid_url})
    for row in rows:
        row.form_url += f"?{next_query}"
    error_rows = [row for row in rows if row.has_errors]
    return render(
        request,
        "kpi/report_grid.html",
        {
            "plan": period.plan,
            "period": period,
            "department_plan": department_plan,
            "department": department_plan.department,
            "rows": rows,
            "any_editable": any(row.editable for row in rows),
            "has_formula": any(row.indicator.formula_spec for row in rows),
            "error_rows": error_rows,
            "action": action,
        },
        status=status,
    )


def grid_links(items) -> list[dict]:
    """The grids of (department, period) pairs among work items, for 待填報 and the KPI list."""
    seen: dict[tuple[int, int], dict] = {}
    for item in items:
        department = item.indicator.department_plan.department
        key = (department.pk, item.period.pk)
        if key not in seen:
            seen[key] = {
                "department": department,
                "period": item.period,
                "url": _grid_url(department.pk, item.period.pk),
            }
    return sorted(seen.values(), key=lambda link: (link["period"].end_date, link["department"].name))
