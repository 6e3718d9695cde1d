"""Check the evidence files against their rows; exit 1 when anything is wrong.

    manage.py check_evidence                                   # report only
    manage.py check_evidence --delete-orphan-files             # also list what would be deleted
    manage.py check_evidence --delete-orphan-files --apply     # and delete it
    manage.py check_evidence --language en                     # the report in English

It finds, with counts and names:
- rows whose file is missing (a lost or incompletely restored MEDIA_ROOT);
- files under MEDIA_ROOT/evidence that no row names (an upload whose transaction rolled
  back while the server crashed, a ``.upload-*.part`` file left by a crash mid-write, a
  MEDIA_ROOT restored from a later backup than the database);
- files whose SHA-256 no longer matches their row (altered or damaged on disk).

Files modified less than ``--min-age`` minutes ago (default 60) are not judged: their rows
may not have committed yet. Only files without a row are ever deleted, and only with
``--delete-orphan-files --apply``; rows are never deleted or changed. For cron or a
monitoring check (exit status 0 all well, 1 problems found), e.g. nightly:

    30 2 * * *  cd /srv/kpi && .venv/bin/python manage.py check_evidence --language en
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kpi import services

# How many names of each kind are printed; the counts are always whole.
SHOWN = 50


class Command(BaseCommand):
    help = "Check evidence files against their rows (missing, without a row, altered); exit 1 if anything is wrong."

    def add_arguments(self, parser):
        parser.add_argument(
            "--delete-orphan-files",
            action="store_true",
            help="List the files without a row that would be deleted (a dry run unless --apply is given).",
        )
        parser.add_argument(
            "--apply",
            action="store_true",
            help="With --delete-orphan-files: really delete them. Rows are never deleted.",
        )
        parser.add_argument(
            "--min-age",
            type=int,
            default=60,
            help="Minutes: files modified more recently are not judged (uploads under way). Default 60.",
        )
        parser.add_argument(
            "--no-content",
            action="store_true",
            help="Do not read the files to compare their SHA-256 (faster; missing and orphan files only).",
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="The language of the report (default: LANGUAGE_CODE).",
        )

    def handle(self, *args, **options):
        if options["apply"] and not options["delete_orphan_files"]:
            raise CommandError("--apply only goes with --delete-orphan-files.")
        if options["min_age"] < 0:
            raise CommandError("--min-age must be 0 or more.")
        min_age = datetime.timedelta(minutes=options["min_age"])
        with translation.override(options["language"]):
            audit = services.evidence_audit(min_age=min_age, verify_content=not options["no_content"])
            deleted = []
            if options["delete_orphan_files"] and options["apply"]:
                deleted = services.evidence_delete_orphan_files(audit, min_age=min_age)
            self._report(audit, deleted, options, min_age)
            remaining = audit.problems - len(deleted)
            if remaining:
                raise CommandError(
                    ngettext(
                        "%(count)s problem found in the evidence files.",
                        "%(count)s problems found in the evidence files.",
                        remaining,
                    )
                    % {"count": remaining},
                    returncode=1,
                )

    def _section(self, title: str, items: list[str]) -> None:
        self.stdout.write(f"{title}: {len(items)}")
        for item in items[:SHOWN]:
            self.stdout.write(f"  - {item}")
        if len(items) > SHOWN:
            self.stdout.write("  " + _("… and %(count)s more") % {"count": len(items) - SHOWN})

    def _report(self, audit, deleted, options, min_age) -> None:
        def row(evidence):
            label = _("#%(id)s %(name)s (%(file)s), report %(report)s") % {
                "id": evidence.pk,
                "name": evidence.original_name,
                "file": evidence.file.name,
                "report": evidence.report,
            }
            return label + (" " + _("[removed]") if evidence.removed_at else "")

        self.stdout.write(_("Evidence files under %(root)s") % {"root": audit.root})
        self.stdout.write(_("Rows with a file: %(count)s") % {"count": audit.rows_checked})
        self.stdout.write(_("Files in the evidence directory: %(count)s") % {"count": audit.files_seen})
        self._section(_("Rows whose file is missing"), [row(e) for e in audit.missing])
        self._section(_("Files with no row"), audit.orphans)
        if options["no_content"]:
            self.stdout.write(_("File contents were not compared (--no-content)."))
        else:
            self._section(
                _("Files whose content no longer matches the recorded SHA-256"), [row(e) for e in audit.altered]
            )
        if audit.unchecked:
            self.stdout.write(
                _("Rows with no SHA-256 recorded (not compared): %(count)s") % {"count": len(audit.unchecked)}
            )
        if audit.recent:
            self.stdout.write(
                _("Files modified in the last %(minutes)s minutes, not judged: %(count)s")
                % {"minutes": int(min_age.total_seconds() // 60), "count": len(audit.recent)}
            )
        if options["delete_orphan_files"]:
            if options["apply"]:
                self._section(_("Files with no row deleted"), deleted)
            elif audit.orphans:
                self.stdout.write(
                    ngettext(
                        "Dry run: the %(count)s file with no row above would be deleted; add --apply to delete it.",
                        "Dry run: the %(count)s files with no row above would be deleted; add --apply to delete them.",
                        len(audit.orphans),
                    )
                    % {"count": len(audit.orphans)}
                )
        if audit.problems - len(deleted) == 0:
            self.stdout.write(_("Everything matches."))
