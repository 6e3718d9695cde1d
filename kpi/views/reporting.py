"""The KPI page, the report form, review, and evidence.

Views only ask and show: what a user may see comes from `kpi.access` (through
`kpi.selectors`), page data from `kpi.selectors`, and every write goes through
`kpi.services`, whose zh-Hant messages are shown as they are.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from common import formatting
from common.errors import StorageUnavailable
from common.numbers import MAX_ID, optional_int
from kpi import access, assessments, page_cache, selectors, services, stash, units
from kpi.forms import EvidenceForm, ReportForm
from kpi.models import ReportingPeriod

ACTIONS = ("preview", "save", "submit")
NO_REPORT_PERMISSION = gettext_lazy(
    "You may view this indicator but not report on it: only the department's own reporters may."
)


def _forbidden(request, message: str, indicator=None):
    return render(request, "kpi/_forbidden.html", {"message": message, "indicator": indicator}, status=403)


def _detail_url(indicator_id: int, year: int | None = None, anchor: str = "") -> str:
    url = reverse("kpi:detail", args=[indicator_id])
    if year:
        url += f"?year={year}"
    return url + (f"#{anchor}" if anchor else "")


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path on this site only: a bare word ("abc") is not a place to go back to, and
    # redirect() would take it for a view's name (NoReverseMatch, a 500).
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# --- The KPI page ----------------------------------------------------------------


RECORD_SHOWN = 30  # entries of the KPI page's record shown before "show the whole record"


@login_required
@require_safe
def indicator_detail(request, indicator_id):
    """An indicator's targets, actuals, lights, periods, latest reports and its record.

    The content is the same for everyone who may do the same there (`selectors.page_viewer`),
    so it is kept rendered (`kpi.page_cache`) and built only when what it shows has moved."""
    indicator = get_object_or_404(selectors.indicator_queryset(request.user, with_targets=False), pk=indicator_id)
    plan = indicator.department_plan.plan
    year = selectors.year_from_param(plan, request.GET.get("year"))
    viewer = selectors.page_viewer(request.user, indicator, year)
    # The record, newest first: the latest entries, and all of them on request (?record=all).
    whole_record = request.GET.get("record") == "all"

    def build():
        prefetch_related_objects([indicator], selectors.targets_prefetch())
        return selectors.indicator_page(indicator, year, viewer)

    # Built only on a miss (and when a test reads it from the response's context).
    page = SimpleLazyObject(build)
    charts = SimpleLazyObject(lambda: selectors.indicator_charts(page))

    def render_content() -> str:
        context = {
            "page": page,
            "record": page.timeline if whole_record else page.timeline[:RECORD_SHOWN],
            "record_hidden": 0 if whole_record else max(0, len(page.timeline) - RECORD_SHOWN),
            "charts": charts,
            "indicator": indicator,
            "plan": plan,
            "department": indicator.department_plan.department,
            "thresholds": assessments.thresholds_for(plan),
            "labels": services.FIELD_LABELS,
        }
        return render_to_string("kpi/indicator_body.html", context, request)

    content = page_cache.content(
        request, indicator, year, whole_record=whole_record, viewer=viewer, render=render_content
    )
    return render(
        request,
        "kpi/indicator_detail.html",
        {"indicator": indicator, "content": mark_safe(content), "page": page, "charts": charts},  # noqa: S308
    )


# --- The report form -------------------------------------------------------------


def _quiet_preview(indicator, period, values):
    """The preview of what was typed, or None when the figure itself is not valid."""
    try:
        return services.report_clean(indicator=indicator, period=period, submitting=False, **values).preview
    except ValidationError:
        return None


def _report_values(report) -> dict:
    return {
        "actual": report.actual,
        "inputs": report.inputs,
        "narrative": report.narrative,
        "shortfall_reason": report.shortfall_reason,
        "improvement_plan": report.improvement_plan,
    }


def not_editable_reason(period, report) -> str:
    if period.is_locked and not (report is not None and report.correcting):
        return "locked"
    if report is not None and report.status not in services.EDITABLE_STATUSES:
        return "status"
    return ""


def conflict_panel(indicator, exc: services.ConflictError) -> dict:
    current = exc.report
    return {
        "who": current.updated_by.get_full_name() or current.updated_by.get_username(),
        "when": current.updated_at,
        "version": current.version,
        "status": selectors.status_label(current.status),
        "message": exc.messages[0] if exc.messages else "",
        "rows": [
            {
                "label": services.FIELD_LABELS.get(name, name),
                "current": selectors.format_field(indicator, name, theirs),
                "yours": selectors.format_field(indicator, name, yours),
            }
            for name, (theirs, yours) in exc.changes.items()
        ],
    }


def _save(request, form: ReportForm, indicator, period, action: str):
    """Save (and maybe submit) the report and its new evidence in one transaction.

    A failure rolls back the report and the evidence rows, and the files already written go
    with them (`services.evidence_discard_uncommitted`).
    """
    data = form.cleaned_data
    user = request.user
    added = []
    try:
        with transaction.atomic():
            report = services.report_save(
                indicator=indicator,
                period=period,
                user=user,
                expected_version=data.get("version") or 0,
                submit=False,
                **form.report_values(),
            )
            shared = data.get("description", "")
            for upload, description in zip(data.get("file") or [], file_descriptions(request, shared), strict=False):
                added.append(services.evidence_add(report=report, user=user, file=upload, description=description))
            if data.get("url"):
                added.append(
                    services.evidence_add(
                        report=report, user=user, url=data["url"], description=data.get("description", "")
                    )
                )
            if action == "submit":
                report = services.report_submit(report=report, user=user, expected_version=report.version)
    except Exception:
        services.evidence_discard_uncommitted()
        raise
    return report, len(added)


def _session_ended(request):
    """A POST after the session ended: keep what was typed (`kpi.stash`) and send the person to
    sign in, back to this form, where it is put back. A GET simply goes to sign in."""
    path = request.path
    if request.method == "POST" and stash.keep(request, path):
        messages.warning(
            request,
            _(
                "Sessions end after %(minutes)s minutes without activity: yours had ended, so nothing was saved. "
                "What you typed is kept: sign in again and it will be put back into the form."
            )
            % {"minutes": settings.SESSION_COOKIE_AGE // 60},
        )
    return redirect_to_login(path)


@require_http_methods(["GET", "HEAD", "POST"])
def report_form(request, indicator_id, period_id):
    """Enter or revise a year-to-date figure; preview, save a draft, or submit for review."""
    if not request.user.is_authenticated:
        return _session_ended(request)
    indicator = get_object_or_404(selectors.indicator_queryset(request.user), pk=indicator_id)
    plan = indicator.department_plan.plan
    period = get_object_or_404(ReportingPeriod.objects.select_related("plan"), pk=period_id, plan=plan)
    if not access.can_report(request.user, indicator):
        return _forbidden(request, NO_REPORT_PERMISSION, indicator)
    report = selectors.load_report(selectors.reports_query().filter(indicator=indicator, period=period))
    not_editable = not_editable_reason(period, report)
    context = {"conflict": None, "preview": None, "files_dropped": False}

    if request.method != "POST":
        kept = stash.take(request, request.path)
        if kept is not None:
            return _render_restored(request, indicator, period, report, not_editable, context, kept)
        form = ReportForm(
            initial=ReportForm.initial_for(indicator, report), indicator=indicator, read_only=bool(not_editable)
        )
        if report is not None:
            context["preview"] = _quiet_preview(indicator, period, _report_values(report))
        return _render_form(request, indicator, period, report, form, not_editable, context)

    action = request.POST.get("action")
    action = action if action in ACTIONS else "preview"
    form = ReportForm(request.POST, request.FILES, indicator=indicator, read_only=bool(not_editable))
    form.is_valid()  # the form's own checks (link, lengths); the rules are workflow's
    values = form.report_values()
    files = form.cleaned_data.get("file") or []

    if not_editable and action == "preview":
        return _render_form(request, indicator, period, report, form, not_editable, context)
    if not not_editable:
        # Check everything first so that every error shows at once; the save below checks again.
        try:
            context["preview"] = services.report_clean(
                indicator=indicator,
                period=period,
                submitting=action == "submit",
                status=report.status if report is not None else None,
                **values,
            ).preview
        except ValidationError as exc:
            form.add_service_errors(exc)
            context["preview"] = _quiet_preview(indicator, period, values)
        if action != "preview":
            for upload in files:
                try:
                    services.validate_evidence_file(upload)
                except ValidationError as exc:
                    form.add_service_errors(exc)
        if action == "preview" or form.errors:
            context["files_dropped"] = bool(files)
            return _render_form(request, indicator, period, report, form, not_editable, context)

    try:
        report, evidence_count = _save(request, form, indicator, period, action)
    except services.ConflictError as exc:
        # Keep what the person typed, based on the version now saved, so that a deliberate
        # second save goes through.
        report = selectors.load_report(selectors.reports_query().filter(pk=exc.report.pk))
        not_editable = not_editable_reason(period, report)
        data = request.POST.copy()
        data["version"] = str(exc.report.version)
        form = ReportForm(data, indicator=indicator, read_only=bool(not_editable))
        form.is_valid()
        context.update(conflict=conflict_panel(indicator, exc), files_dropped=bool(files))
        context["preview"] = _quiet_preview(indicator, period, form.report_values())
        return _render_form(request, indicator, period, report, form, not_editable, context)
    except PermissionDenied as exc:
        return _forbidden(request, str(exc) or NO_REPORT_PERMISSION, indicator)
    except ValidationError as exc:
        form.add_service_errors(exc)
        context["files_dropped"] = bool(files)
        response = _render_form(request, indicator, period, report, form, not_editable, context)
        if isinstance(exc, StorageUnavailable):
            response.status_code = 503  # the server's trouble, not the form's: visible to monitoring
        return response

    if action == "submit":
        text = _("The report of %(period)s was submitted and waits for review.") % {"period": period.label}
    else:
        text = _("The report of %(period)s was saved as a draft (not yet submitted for review).") % {
            "period": period.label
        }
    if evidence_count:
        text += ngettext(
            " %(count)s piece of evidence added.", " %(count)s pieces of evidence added.", evidence_count
        ) % {"count": evidence_count}
    messages.success(request, text)
    # Back to where the person came from (the department's grid), else the KPI page.
    return redirect(_safe_next(request, _detail_url(indicator.pk, period.year, f"period-{period.pk}")))


def _render_restored(request, indicator, period, report, not_editable, context, kept):
    """The form filled in with what was typed before the session ended: shown, not saved."""
    fields = kept["fields"]
    version = optional_int(fields.get("version"), minimum=0, maximum=MAX_ID) or 0
    initial = {**fields, "version": version}
    form = ReportForm(initial=initial, indicator=indicator, read_only=bool(not_editable))
    values = {name: fields.get(name, "") for name in ReportForm.TEXT_FIELDS}
    if form.input_names:
        values["inputs"] = {name.split(".", 1)[1]: fields.get(name, "") for name in form.input_names}
    else:
        values["actual"] = fields.get("actual", "")
    context["preview"] = _quiet_preview(indicator, period, values)
    context["restored"] = True
    context["files_dropped"] = bool(kept.get("files"))
    text = _(
        "Your session had ended, so what you typed was not saved. It has been put back into the form: "
        "check it and save it now."
    )
    if kept.get("files"):
        text += " " + _("Files you had chosen cannot be kept: choose them again.")
    messages.warning(request, text)
    return _render_form(request, indicator, period, report, form, not_editable, context)


def _render_form(request, indicator, period, report, form, not_editable, context):
    targets = selectors.targets_by_year(indicator)
    year_target = targets.get(period.year)
    preview = context.get("preview")
    # What the figure will be judged against: the period's planned value (分期預定值), or why nothing is.
    outlook = (
        preview if preview is not None else assessments.report_preview(indicator=indicator, period=period, actual=None)
    )
    return render(
        request,
        "kpi/report_form.html",
        {
            **context,
            "indicator": indicator,
            "plan": indicator.department_plan.plan,
            "department": indicator.department_plan.department,
            "period": period,
            "report": report,
            "form": form,
            "read_only": bool(not_editable),
            "can_remove_evidence": not not_editable,
            "not_editable": not_editable,
            "status_label": selectors.status_label(report.status if report else ""),
            "year_target": year_target,
            "year_target_revisions": [r for r in year_target.revisions.all() if r.old_value is not None]
            if year_target
            else [],
            "period_target": outlook.period_target,
            "period_basis": outlook.status.basis if outlook.status is not None else assessments.YEAR,
            "not_assessed_reason": assessments.not_assessed_reason(indicator, year_target, period),
            "preview_url": reverse("kpi:report_preview", args=[indicator.pk, period.pk]),
            "needs_explanation": bool(preview and preview.actual is not None and preview.needs_explanation),
            "evidence": getattr(report, "active_evidence", []) if report else [],
            "thresholds": assessments.thresholds_for(indicator.department_plan.plan),
            "owner_token": stash.owner_token(request.user, request.path),
            "autosave_url": "" if not_editable else reverse("kpi:report_autosave", args=[indicator.pk, period.pk]),
            "next_url": _safe_next(request, ""),
        },
    )


@login_required
@require_safe
def report_preview(request, indicator_id, period_id):
    """The server's preview of a typed figure, as JSON, for the report form's live hint.

    Exactly what the form's Preview button shows (`kpi.assessments.report_preview` through
    `services.report_clean`): the light approval would give, its period label, the planned
    value and the full-year ratio. GET only; nothing is saved. Only the indicator's reporters may ask.
    """
    indicator = get_object_or_404(selectors.indicator_queryset(request.user), pk=indicator_id)
    period = get_object_or_404(
        ReportingPeriod.objects.select_related("plan"), pk=period_id, plan=indicator.department_plan.plan
    )
    if not access.can_report(request.user, indicator):
        return JsonResponse({"detail": str(NO_REPORT_PERMISSION)}, status=403)
    try:
        clean = services.report_clean(
            indicator=indicator, period=period, submitting=False, actual=request.GET.get("actual", "")
        )
    except ValidationError as exc:
        return JsonResponse({"errors": exc.message_dict}, status=400)
    preview = clean.preview
    if preview.actual is None:
        return JsonResponse({"hint": ""})
    light = preview.pace.light
    status = preview.status
    by_period = status is not None and status.basis == assessments.PERIOD
    parts = [
        _("%(basis)s: %(light)s") % {"basis": preview.label if by_period else _("year status"), "light": light.label}
    ]
    if preview.pace.reason:
        parts.append(preview.pace.reason)
    elif by_period and preview.period_target is not None:
        parts.append(
            _("%(attainment)s of the planned %(planned)s")
            % {
                "attainment": formatting.percent(preview.pace.raw),
                "planned": units.amount(indicator, preview.period_target, derived=True),
            }
        )
    if by_period and preview.year.raw is not None:
        parts.append(_("full year %(ratio)s") % {"ratio": formatting.percent(preview.year.raw)})
    return JsonResponse(
        {
            "light": light.value,
            "light_label": str(light.label),
            "basis": status.basis if status is not None else assessments.YEAR,
            "label": preview.label,
            "attainment": formatting.percent(preview.pace.raw),
            "planned": units.amount(indicator, preview.period_target, derived=True)
            if preview.period_target is not None
            else "",
            "year_ratio": formatting.percent(preview.year.raw),
            "reason": preview.pace.reason,
            "needs_explanation": preview.needs_explanation,
            "hint": pgettext("list of clauses", "; ").join(str(p) for p in parts),
        }
    )


@require_POST
def report_autosave(request, indicator_id, period_id):
    """The report form's autosave: what is typed, saved as a draft, as JSON (never submitted).

    The same save as the form's Save draft (`services.report_save`, with the version the form
    is based on), without evidence. Answers the new version and 「已自動儲存 14:05」; 409 when
    someone else saved meanwhile or the report can no longer change (the page stops autosaving
    and says so; what was typed stays in the form); 400 with the field errors of a figure that
    cannot be saved yet; 401 once the session has ended (no redirect: the page tells the person).
    """
    if not request.user.is_authenticated:
        return JsonResponse({"detail": _("Your session has ended: sign in again.")}, status=401)
    indicator = get_object_or_404(selectors.indicator_queryset(request.user), pk=indicator_id)
    period = get_object_or_404(
        ReportingPeriod.objects.select_related("plan"), pk=period_id, plan=indicator.department_plan.plan
    )
    if not access.can_report(request.user, indicator):
        return JsonResponse({"detail": str(NO_REPORT_PERMISSION)}, status=403)
    report = selectors.load_report(selectors.reports_query().filter(indicator=indicator, period=period))
    reason = not_editable_reason(period, report)
    if reason:
        message = services.locked_message(period) if reason == "locked" else _("This report can no longer be changed.")
        return JsonResponse({"stop": True, "detail": message}, status=409)
    form = ReportForm(request.POST, indicator=indicator)
    if not form.is_valid() and "version" in form.errors:
        return JsonResponse({"errors": form.errors}, status=400)
    values = form.report_values()
    typed = any(values.get(n) for n in ReportForm.TEXT_FIELDS) or values.get("actual")
    if report is None and not (typed or any((values.get("inputs") or {}).values())):
        return JsonResponse({"saved": False, "version": 0})  # nothing typed yet: no empty draft
    try:
        report = services.report_save(
            indicator=indicator,
            period=period,
            user=request.user,
            expected_version=form.cleaned_data.get("version") or 0,
            submit=False,
            **values,
        )
    except services.ConflictError as exc:
        return JsonResponse(
            {"stop": True, "conflict": True, "detail": exc.messages[0], "version": exc.current_version}, status=409
        )
    except PermissionDenied as exc:
        return JsonResponse({"detail": str(exc) or str(NO_REPORT_PERMISSION)}, status=403)
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            return JsonResponse({"stop": True, "detail": " ".join(exc.messages)}, status=409)
        return JsonResponse({"errors": exc.message_dict}, status=400)
    time = timezone.localtime().strftime("%H:%M")
    return JsonResponse(
        {
            "saved": True,
            "version": report.version,
            "time": time,
            "message": _("Saved automatically at %(time)s") % {"time": time},
        }
    )


# --- Evidence --------------------------------------------------------------------


def _form_url(report) -> str:
    return reverse("kpi:report", args=[report.indicator_id, report.period_id])


def file_descriptions(request, shared: str):
    """Each uploaded file's own description (the `file_description` inputs the upload script adds,
    one per chosen file, in the files' order), or the shared description where one is left
    empty or the browser runs no script. Endless: zip it with the files."""
    own = request.POST.getlist("file_description")
    n = 0
    while True:
        typed = own[n].strip() if n < len(own) else ""
        yield typed or shared
        n += 1


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def evidence_add(request, report_id):
    """Add files and/or a link to an editable report (the form does the same on save).
    A GET (a refreshed upload) goes to the report's form, where evidence is added."""
    report = get_object_or_404(access.reports_for(request.user, access.VIEW), pk=report_id)
    if request.method != "POST":
        return redirect(_form_url(report))
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect(_safe_next(request, _form_url(report)))
    files, url, description = (form.cleaned_data[k] for k in ("file", "url", "description"))
    added = []
    try:
        with transaction.atomic():
            if not files and not url:
                services.evidence_add(report=report, user=request.user)  # says what is missing
            for upload, own in zip(files, file_descriptions(request, description), strict=False):
                added.append(services.evidence_add(report=report, user=request.user, file=upload, description=own))
            if url:
                added.append(services.evidence_add(report=report, user=request.user, url=url, description=description))
    except PermissionDenied as exc:
        return _forbidden(request, str(exc) or NO_REPORT_PERMISSION, report.indicator)
    except ValidationError as exc:
        services.evidence_discard_uncommitted()  # the files of this request's rolled-back rows
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            ngettext("%(count)s piece of evidence added.", "%(count)s pieces of evidence added.", len(added))
            % {"count": len(added)},
        )
    return redirect(_safe_next(request, _form_url(report)))


# What an inline file may do: nothing. It is shown in a sandbox (no script, no form, no
# same-origin access), loads nothing but itself, and is never sniffed into another type.
# Chromium's PDF viewer still shows a PDF under it (tests/browser/test_evidence_view.py).
INLINE_CSP = "sandbox; default-src 'none'; img-src 'self'; object-src 'self'; style-src 'unsafe-inline'"


def _visible_evidence(request, evidence_id):
    return get_object_or_404(access.evidence_for(request.user).filter(removed_at__isnull=True), pk=evidence_id)


def _file_response(evidence, *, inline: bool):
    try:
        handle = evidence.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404(_("The file cannot be found.")) from None
    name = evidence.original_name or evidence.file.name.rsplit("/", 1)[-1]
    media_type = ""
    if inline:
        # Decided by the stored file's own first bytes, not by its name or the upload's record.
        media_type = services.sniff(handle.read(16))
        handle.seek(0)
    if not media_type:
        response = FileResponse(handle, as_attachment=True, filename=name)
    else:
        response = FileResponse(handle, as_attachment=False, filename=name, content_type=media_type)
        response["Content-Security-Policy"] = INLINE_CSP
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_safe
def evidence_download(request, evidence_id):
    """A file to those who may see its report; a link goes to its address. Removed evidence: 404."""
    evidence = _visible_evidence(request, evidence_id)
    if evidence.url:
        return HttpResponseRedirect(evidence.url)
    return _file_response(evidence, inline=False)


@login_required
@require_safe
def evidence_view(request, evidence_id):
    """A PDF or an image opened in the browser (inline, sandboxed), to those who may see its report.
    The type is the stored file's signature; any other file is downloaded, a link followed."""
    evidence = _visible_evidence(request, evidence_id)
    if evidence.url:
        return HttpResponseRedirect(evidence.url)
    return _file_response(evidence, inline=True)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def evidence_remove(request, evidence_id):
    """Hide a file or link from an editable report; the record keeps it. GET asks first."""
    evidence = access.evidence_for(request.user).filter(pk=evidence_id).select_related("report__period").first()
    if evidence is None:
        raise Http404(_("The evidence cannot be found."))
    report = evidence.report
    if evidence.removed_at is not None:
        messages.info(request, _("This evidence was already removed (the record keeps it)."))
        return redirect(_safe_next(request, _form_url(report)))
    if request.method != "POST":
        return render(
            request,
            "kpi/evidence_remove.html",
            {
                "evidence": evidence,
                "report": report,
                "indicator": report.indicator,
                "next_url": _safe_next(request, _form_url(report)),
            },
        )
    try:
        services.evidence_remove(evidence=evidence, user=request.user)
    except PermissionDenied as exc:
        return _forbidden(request, str(exc) or NO_REPORT_PERMISSION, report.indicator)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The evidence “%(name)s” was removed (the record keeps it).")
            % {"name": evidence.original_name or evidence.url},
        )
    return redirect(_safe_next(request, _form_url(report)))


__all__ = [
    "evidence_add",
    "evidence_download",
    "evidence_remove",
    "evidence_view",
    "indicator_detail",
    "report_autosave",
    "report_form",
]
