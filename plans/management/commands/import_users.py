"""Import accounts and their roles from a spreadsheet, as the import page does.

    manage.py import_users people.xlsx --dry-run       # check and show what would change
    manage.py import_users people.xlsx                 # write it, all or nothing
    manage.py import_users people.csv --send-links     # and e-mail new accounts their link

The file, the checks and the writes are `plans.people`' (the page's). Every error is
printed with its row and column; the command then exits with an error and writes nothing.
New accounts get no password: `--send-links` e-mails each the link to set one (the page
does this by default), or an admin sends it later from admin's list of accounts.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from common.spreadsheets import reading
from plans import people


class Command(BaseCommand):
    help = "Import accounts and roles (帳號, 姓名, 電子郵件, 單位, 角色, 啟用) from an xlsx, ods or csv file, all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The xlsx, ods or csv file: one row per person.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the whole file and show the changes; write nothing."
        )
        parser.add_argument(
            "--send-links", action="store_true", help="E-mail each new account a link to set its password."
        )

    def handle(self, *args, file, dry_run=False, send_links=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("There is no file “%(file)s”.") % {"file": file})
        try:
            reading.check_size(path.stat().st_size)
            rows = people.read_people(path.read_bytes(), path.name)
        except reading.FileError as exc:
            raise CommandError(str(exc)) from None

        if dry_run:
            result = people.check_people(rows, filename=path.name)
        else:
            with transaction.atomic():
                result = people.users_import(rows=rows, filename=path.name)
                created = [p.user for p in result.people if p.created] if result.applied else []
                if send_links and created:
                    transaction.on_commit(lambda: people.password_links_send(created))

        for plan in result.error_rows:
            for error in plan.errors:
                self.stderr.write(_("Row %(row)s: %(error)s") % {"row": plan.row.number, "error": error})
        if not result.ok:
            raise CommandError(
                _("%(file)s has %(count)s errors; nothing was imported.")
                % {"file": path.name, "count": result.error_count}
            )
        for plan in result.people:
            if plan.outcome != people.UNCHANGED:
                self.stdout.write(self._line(plan, result))
        counts = {
            "created": result.count(people.CREATED),
            "roles": result.role_changes,
            "off": result.count("deactivated"),
            "on": result.count("reactivated"),
            "unchanged": result.count(people.UNCHANGED),
        }
        summary = (
            _(
                "New accounts %(created)s, roles changed %(roles)s, deactivated %(off)s, reactivated %(on)s, unchanged %(unchanged)s."
            )
            % counts
        )
        if dry_run:
            self.stdout.write(_("Checked only; nothing was written. %(summary)s") % {"summary": summary})
        else:
            self.stdout.write(self.style.SUCCESS(_("Imported. %(summary)s") % {"summary": summary}))

    def _line(self, plan: people.PersonPlan, result: people.UserImport) -> str:
        parts = []
        if plan.created:
            parts.append(_("new account"))
        if plan.deactivated:
            parts.append(_("deactivated"))
        if plan.reactivated:
            parts.append(_("reactivated"))
        if plan.added and not plan.created:
            parts.append("+" + "、".join(result.role_text(r) for r in plan.added))
        if plan.removed:
            parts.append("−" + "、".join(result.role_text(r) for r in plan.removed))
        if plan.details:
            parts.append("、".join(plan.details))
        roles = "、".join(result.role_text(r) for r in sorted(plan.roles, key=people.role_order))
        return f"{plan.row.number:>5}  {plan.row.username}: {'; '.join(parts)} → {roles}"
