"""A department's plan as a workbook (中程施政計畫工作簿): download it, download the empty
template, upload one → preview → confirm.

For the planning office and admins only (`kpi.access.can_load_plans`). The page only asks
and shows: `kpi.plan_workbook` reads and compares the file, `kpi.services.plan_workbook_apply`
writes it, whole or not at all. Between the preview and the confirmation the file is kept
on the server (`kpi.uploads`); the confirmation form carries only the token that names it,
and the file is read and checked again before anything is written.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from common.spreadsheets import reading
from common.spreadsheets import writing as exports
from common.spreadsheets.forms import SpreadsheetFileField
from kpi import access, uploads
from kpi.plan_workbook import export, layout, reader
from kpi.services import plan_workbooks as services
from plans.models import DepartmentPlan, Plan

NOT_A_PLANNER = gettext_lazy("Only the planning office and admins may download and load departments' plan workbooks.")
FORMATS = ("xlsx", "ods")
TEXT_LIMIT = 2000


class PlanWorkbookForm(forms.Form):
    file = SpreadsheetFileField(label=gettext_lazy("Plan workbook (xlsx or ods)"))
    reason = forms.CharField(
        label=gettext_lazy("Reason for change"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy(
            "Needed only when the workbook changes targets or how indicators are assessed (unit, direction, weight, "
            "accrual, formula, evaluation method); kept on their record."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]  # a known format within the size limit (SpreadsheetFileField)
        if reading.file_format(upload.name) not in reading.BOOK_FORMATS:
            raise ValidationError(_("A workbook of several sheets is needed: upload an xlsx or ods file, not csv."))
        if upload.size > layout.MAX_BYTES:
            raise ValidationError(
                _("The file is %(size)s MB, over the limit of %(limit)s MB for a plan workbook.")
                % {"size": f"{upload.size / reading.MEGABYTE:.1f}", "limit": layout.MAX_BYTES // reading.MEGABYTE}
            )
        return upload


def _forbidden(request):
    return render(request, "kpi/_forbidden.html", {"message": NOT_A_PLANNER}, status=403)


def _department_plan(plan_id, department_id) -> DepartmentPlan:
    return get_object_or_404(
        DepartmentPlan.objects.select_related("plan", "department"), plan_id=plan_id, department_id=department_id
    )


def _format(request) -> str:
    fmt = request.GET.get("format", "xlsx")
    return fmt if fmt in FORMATS else "xlsx"


def _purpose(department_plan: DepartmentPlan) -> str:
    return f"plan_workbook:{department_plan.pk}"


@login_required
@require_safe
def plan_workbook_download(request, plan_id, department_id):
    """The department's plan as a workbook laid out like the document's tables."""
    if not access.can_load_plans(request.user):
        return _forbidden(request)
    department_plan = _department_plan(plan_id, department_id)
    stem, ascii_stem = export.file_stem(department_plan.plan, department_plan)
    sheets = export.sheets(department_plan.plan, department_plan)
    return exports.download(_format(request), sheets, stem=stem, ascii_stem=ascii_stem)


@login_required
@require_safe
def plan_workbook_template(request, plan_id):
    """The empty workbook of a plan: the same sheets and columns (its years), no rows, and instructions."""
    if not access.can_load_plans(request.user):
        return _forbidden(request)
    plan = get_object_or_404(Plan, pk=plan_id)
    stem, ascii_stem = export.file_stem(plan, None)
    return exports.download(_format(request), export.sheets(plan, None), stem=stem, ascii_stem=ascii_stem)


def _page(request, department_plan, *, form=None, errors=None, result=None, token="", status=200, outdated=False):
    return render(
        request,
        "kpi/plan_workbook_import.html",
        {
            "department_plan": department_plan,
            "plan": department_plan.plan,
            "department": department_plan.department,
            "form": form or PlanWorkbookForm(),
            "errors": errors or [],
            "preview": result,
            "token": token,
            "outdated": outdated,
            "formats": FORMATS,
            "headings": [(title, layout.HEADINGS[title]) for title in layout.SHEETS],
            "max_mb": layout.MAX_BYTES // reading.MEGABYTE,
        },
        status=status,
    )


def _check(department_plan, data: bytes, name: str, reason: str):
    """(preview, errors): the file read and compared with the stored plan."""
    try:
        workbook = reader.read(data, name, department_plan.plan)
        return services.plan_workbook_preview(department_plan=department_plan, workbook=workbook, reason=reason), []
    except reading.FileError as exc:
        return None, [layout.CellError("", None, "", str(exc))]
    except layout.WorkbookRefused as exc:
        return None, exc.errors


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def plan_workbook_import(request, plan_id, department_id):
    """Upload a workbook: every sheet is checked, then the preview shows what loading it would do."""
    if not access.can_load_plans(request.user):
        return _forbidden(request)
    department_plan = _department_plan(plan_id, department_id)
    if request.method != "POST":
        return _page(request, department_plan)
    form = PlanWorkbookForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, department_plan, form=form, status=400)
    upload = form.cleaned_data["file"]
    data, reason = upload.read(), form.cleaned_data["reason"].strip()
    result, errors = _check(department_plan, data, upload.name, reason)
    if errors:
        return _page(request, department_plan, form=form, errors=errors, status=400)
    token = uploads.keep(
        request,
        purpose=_purpose(department_plan),
        name=upload.name,
        data=data,
        extra={"reason": reason, "fingerprint": result.fingerprint},
    )
    return _page(request, department_plan, form=form, result=result, token=token)


@login_required
@require_POST
def plan_workbook_confirm(request, plan_id, department_id):
    """Load the previewed workbook, exactly as previewed, or nothing."""
    if not access.can_load_plans(request.user):
        return _forbidden(request)
    department_plan = _department_plan(plan_id, department_id)
    token = request.POST.get("token", "")
    kept = uploads.take(request, token, purpose=_purpose(department_plan))
    if kept is None:
        error = layout.CellError(
            "", None, "", _("The uploaded workbook is no longer kept (it expired or was replaced); upload it again.")
        )
        return _page(request, department_plan, errors=[error], status=400)
    reason = str(kept.extra.get("reason", ""))
    try:
        workbook = reader.read(kept.data, kept.name, department_plan.plan)
        result = services.plan_workbook_apply(
            department_plan=department_plan,
            workbook=workbook,
            user=request.user,
            reason=reason,
            fingerprint=str(kept.extra.get("fingerprint", "")),
        )
    except reading.FileError as exc:
        uploads.drop(request, token)
        return _page(request, department_plan, errors=[layout.CellError("", None, "", str(exc))], status=400)
    except layout.WorkbookRefused as exc:
        uploads.drop(request, token)
        return _page(request, department_plan, errors=exc.errors, status=400)
    except services.PreviewOutdated:
        result, errors = _check(department_plan, kept.data, kept.name, reason)
        if errors:
            uploads.drop(request, token)
            return _page(request, department_plan, errors=errors, status=400)
        uploads.update(request, token, fingerprint=result.fingerprint)
        return _page(request, department_plan, result=result, token=token, outdated=True, status=409)
    uploads.drop(request, token)
    counts = result.counts()
    created = sum(c["created"] for c in counts.values())
    changed = sum(c["changed"] for c in counts.values())
    messages.success(
        request,
        _("The plan workbook %(name)s was loaded: %(created)s created, %(changed)s changed.")
        % {"name": kept.name, "created": created, "changed": changed},
    )
    return HttpResponseRedirect(
        reverse("kpi:department_plan", args=[department_plan.plan_id, department_plan.department_id])
    )
