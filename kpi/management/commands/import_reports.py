"""Import a spreadsheet of progress reports as a given user, as the upload page does.

    manage.py import_reports 114Q1.xlsx --user staff             # save as drafts
    manage.py import_reports 114Q1.xlsx --user staff --submit    # submit for review
    manage.py import_reports 114Q1.csv --user staff --dry-run    # check only, write nothing

The file, the checks and the rules are `kpi.importers`' (the page's): the user must be
able to report on every row's department, and the file is imported whole or not at
all. Every error is printed with its row number; the command then exits with an error.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from common.spreadsheets import reading
from kpi import importers


class Command(BaseCommand):
    help = "Import year-to-date progress reports from an xlsx, ods or csv file, all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The xlsx, ods or csv file (columns as in the template).")
        parser.add_argument("--user", required=True, help="Username of the person the reports are filed as.")
        parser.add_argument("--submit", action="store_true", help="Submit the reports for review (default: drafts).")
        parser.add_argument("--dry-run", action="store_true", help="Check the whole file; write nothing.")

    def handle(self, *args, file, user, submit=False, dry_run=False, **options):
        try:
            person = get_user_model().objects.get(username=user)
        except get_user_model().DoesNotExist:
            raise CommandError(_("There is no user “%(user)s”.") % {"user": user}) from None
        if not person.is_active:
            raise CommandError(_("The user “%(user)s” is inactive.") % {"user": user})
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("There is no file “%(file)s”.") % {"file": file})
        try:
            reading.check_size(path.stat().st_size)
        except reading.FileError as exc:
            raise CommandError(str(exc)) from None

        result = importers.import_reports(path.read_bytes(), path.name, user=person, submit=submit, dry_run=dry_run)

        if result.encoding_note:
            self.stdout.write(result.encoding_note)
        for message in result.file_errors:
            self.stderr.write(message)
        for row in result.error_rows:
            for error in row.errors:
                self.stderr.write(_("Row %(row)s: %(error)s") % {"row": row.number, "error": error})
        if not result.ok:
            raise CommandError(
                _("%(file)s has %(count)s errors; nothing was imported.")
                % {"file": path.name, "count": result.error_count}
            )

        counts = _(
            "%(created)s new, %(updated)s updated, %(unchanged)s unchanged, %(submitted)s submitted for review, "
            "%(skipped)s rows skipped (nothing filled in)"
        ) % {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "submitted": result.submitted,
            "skipped": result.skipped,
        }
        if dry_run:
            self.stdout.write(
                _("%(file)s checked, no errors (checked only, nothing written): it would make %(counts)s.")
                % {"file": path.name, "counts": counts}
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(_("Imported %(file)s: %(counts)s.") % {"file": path.name, "counts": counts})
            )
