"""Importing accounts and their roles (帳號匯入): upload, preview, confirm.

The page only asks and shows: `plans.people` reads and checks the file and writes it, all
or nothing; who may import is `kpi.access.can_manage_people` (admins).

Nothing is written by the upload. The checked rows are kept server-side in the person's
session (as `kpi.stash` keeps a report form: bound to the session, to the person and to a
random id, for `STASH_MAX_AGE`), and the page shows what they would do. The confirm form
carries only that id; the rows come from the session, never from the form, and are checked
again when confirmed. If the accounts changed since the preview, so that the rows would now
do something else, nothing is written and the new preview is shown to confirm again.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_safe

from common.spreadsheets import reading
from common.spreadsheets import writing as exports
from common.spreadsheets.forms import SpreadsheetFileField
from common.wording import join_list
from kpi import access, tasks
from plans import people

SESSION_KEY = "kpi_user_import"
STASH_MAX_AGE = 30 * 60  # seconds: the session's own idle limit
NOT_AN_ADMIN = gettext_lazy("Only administrators can import accounts and give roles.")


class UserImportForm(forms.Form):
    file = SpreadsheetFileField(label=gettext_lazy("Spreadsheet file (xlsx, ods or csv)"))
    send_links = forms.BooleanField(
        label=gettext_lazy("E-mail each new account a link to set its password"), required=False, initial=True
    )


def _forbidden(request):
    return render(request, "kpi/_forbidden.html", {"message": NOT_AN_ADMIN}, status=403)


# --- The stash ----------------------------------------------------------------------------


def _keep(request, result: people.UserImport, rows: list[people.PersonRow], send_links: bool) -> str:
    stash_id = secrets.token_urlsafe(16)
    request.session[SESSION_KEY] = {
        "id": stash_id,
        "owner": request.user.pk,
        "at": time.time(),
        "filename": result.filename,
        "digest": result.digest,
        "send_links": send_links,
        "rows": [r.as_dict() for r in rows],
    }
    return stash_id


def _take(request, stash_id: str) -> dict | None:
    """The stash the confirm form names, if it is this person's and fresh; dropped either way."""
    stash = request.session.pop(SESSION_KEY, None)
    if not isinstance(stash, dict) or not stash_id or not secrets.compare_digest(str(stash.get("id", "")), stash_id):
        return None
    if stash.get("owner") != request.user.pk or time.time() - float(stash.get("at", 0)) > STASH_MAX_AGE:
        return None
    return stash


# --- What the page shows ------------------------------------------------------------------


@dataclass
class PersonView:
    number: int
    username: str
    name: str
    email: str
    outcome: str
    roles: list[str]
    added: list[str]
    removed: list[str]
    details: str
    deactivated: bool
    reactivated: bool
    active: bool
    errors: list[people.RowError]


OUTCOME_LABELS = {
    people.CREATED: gettext_lazy("New account"),
    people.UPDATED: gettext_lazy("Changes"),
    people.UNCHANGED: gettext_lazy("Unchanged"),
}


def _person_view(plan: people.PersonPlan, result: people.UserImport) -> PersonView:
    ordered = sorted(plan.roles, key=people.role_order)
    return PersonView(
        number=plan.row.number,
        username=plan.row.username,
        name=plan.name,
        email=plan.email,
        outcome=str(OUTCOME_LABELS[plan.outcome]),
        roles=[result.role_text(r) for r in ordered],
        added=[] if plan.created else [result.role_text(r) for r in plan.added],
        removed=[result.role_text(r) for r in plan.removed],
        details=join_list(plan.details),
        deactivated=plan.deactivated,
        reactivated=plan.reactivated,
        active=plan.active,
        errors=plan.errors,
    )


def _render(request, form, *, result=None, stash_id="", notice="", status=200):
    context = {
        "form": form,
        "result": result,
        "stash_id": stash_id,
        "notice": notice,
        "columns": people.COLUMNS,
        "role_words": people.ROLE_WORD.values(),
        "max_rows": reading.MAX_ROWS,
        "max_mb": reading.MAX_FILE_BYTES // reading.MEGABYTE,
    }
    if result is not None:
        if result.ok:
            changing = [p for p in result.people if p.outcome != people.UNCHANGED]
            context.update(
                rows=[_person_view(p, result) for p in changing],
                unchanged=result.count(people.UNCHANGED),
                created=result.count(people.CREATED),
                role_changes=result.role_changes,
                deactivated=result.count("deactivated"),
                reactivated=result.count("reactivated"),
            )
        else:
            context.update(
                rows=[_person_view(p, result) for p in result.error_rows],
                other_rows=len(result.people) - len(result.error_rows),
            )
    return render(request, "kpi/user_import.html", context, status=status)


# --- The page -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def user_import(request):
    """Upload a list of people (check and preview), then confirm it (write it all) or discard it."""
    if not access.can_manage_people(request.user):
        return _forbidden(request)
    if request.method != "POST":
        return _render(request, UserImportForm())
    step = request.POST.get("step", "check")
    if step == "discard":
        request.session.pop(SESSION_KEY, None)
        messages.info(request, _("The checked file was discarded; nothing was imported."))
        return redirect("kpi:user_import")
    if step == "confirm":
        return _confirm(request)
    form = UserImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, form, status=400)
    upload = form.cleaned_data["file"]
    result = people.UserImport(filename=upload.name)
    try:
        rows = people.read_people(upload.read(), upload.name)
    except reading.FileError as exc:
        result.file_errors.append(str(exc))
        return _render(request, form, result=result, status=400)
    result = people.check_people(rows, by=request.user, filename=upload.name)
    if not result.ok:
        return _render(request, form, result=result, status=400)
    stash_id = _keep(request, result, rows, form.cleaned_data["send_links"]) if _changes(result) else ""
    return _render(request, UserImportForm(), result=result, stash_id=stash_id)


def _changes(result: people.UserImport) -> bool:
    return any(p.outcome != people.UNCHANGED for p in result.people)


def _confirm(request):
    stash = _take(request, request.POST.get("stash", ""))
    form = UserImportForm()
    if stash is None:
        notice = _(
            "The checked file is no longer waiting: it was imported or discarded already, or more than "
            "30 minutes have passed. Upload it again."
        )
        return _render(request, form, notice=notice, status=400)
    rows = [people.PersonRow.from_dict(r) for r in stash["rows"]]
    try:
        result = people.users_import(
            rows=rows, by=request.user, filename=stash["filename"], expected_digest=stash["digest"]
        )
    except people.ImportChanged as changed:
        result = changed.args[0]
        stash_id = _keep(request, result, rows, stash["send_links"]) if _changes(result) else ""
        notice = _(
            "Accounts or roles changed since you checked the file, so it would now do what is shown below. "
            "Nothing was written; confirm again if this is right."
        )
        return _render(request, form, result=result, stash_id=stash_id, notice=notice, status=409)
    if not result.ok:
        return _render(request, form, result=result, status=400)
    created = [p.user for p in result.people if p.created]
    if stash["send_links"]:
        for user in created:
            # Queued once the accounts exist; a broker that is down is logged (robust), and an
            # admin sends the links again from admin's list of accounts.
            transaction.on_commit(lambda pk=user.pk: tasks.send_password_link.delay(pk), robust=True)
    messages.success(
        request,
        _(
            "%(name)s was imported: %(created)s new accounts, %(roles)s people with changed roles, %(off)s deactivated, %(on)s reactivated."
        )
        % {
            "name": result.filename,
            "created": len(created),
            "roles": result.role_changes,
            "off": result.count("deactivated"),
            "on": result.count("reactivated"),
        },
    )
    if created and stash["send_links"]:
        messages.info(
            request,
            ngettext(
                "A link to set the password is being e-mailed to %(count)s new account.",
                "A link to set the password is being e-mailed to each of the %(count)s new accounts.",
                len(created),
            )
            % {"count": len(created)},
        )
    elif created:
        messages.info(
            request,
            _(
                "The new accounts have no password yet: in admin's list of accounts, choose them and "
                "“E-mail the selected accounts a link to set their password”."
            ),
        )
    return redirect("kpi:user_import")


@login_required
@require_safe
def user_import_template(request):
    """The people who hold a role now, one row each, as an import file to edit and upload again."""
    if not access.can_manage_people(request.user):
        return _forbidden(request)
    fmt = request.GET.get("format", "xlsx")
    if fmt not in reading.FORMATS:
        fmt = "xlsx"
    sheet = exports.Sheet(title="帳號匯入", headers=list(people.COLUMNS), rows=people.current_people_rows())
    return exports.download(fmt, [sheet], stem="帳號匯入範本", ascii_stem="user-import")
