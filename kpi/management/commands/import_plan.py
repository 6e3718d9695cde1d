"""Load a department's plan from a plan workbook, as the planning office's upload page does.

    manage.py import_plan 都市發展處.xlsx --department 都市發展處 --plan 111-114
    manage.py import_plan 都市發展處.xlsx --department 都市發展處 --plan 111-114 --dry-run
    manage.py import_plan 都市發展處.xlsx --department 都市發展處 --plan 111-114 --reason "依修正計畫"

The checks, the preview and the writes are the page's (`kpi.plan_workbook`,
`kpi.services.plan_workbook_apply`): the whole workbook, or nothing. The preview's summary
is printed; every refusal is printed with its sheet, row and column, and the command then
exits with an error.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from common.spreadsheets import reading
from kpi.management.commands.export_plan import department_plan_of
from kpi.plan_workbook import layout, reader
from kpi.services import plan_workbooks as services


class Command(BaseCommand):
    help = "Load a department's plan from a plan workbook (xlsx or ods), all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The xlsx or ods plan workbook.")
        parser.add_argument("--department", required=True, help="The department's name, e.g. 都市發展處.")
        parser.add_argument("--plan", required=True, help="The plan's ROC years, e.g. 111-114.")
        parser.add_argument("--reason", default="", help="Why targets or assessment settings change (kept on record).")
        parser.add_argument("--dry-run", action="store_true", help="Check and preview only; write nothing.")

    def handle(self, *args, file, department, plan, reason="", dry_run=False, **options):
        department_plan = department_plan_of(department, plan)
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("There is no file “%(file)s”.") % {"file": file})
        try:
            reading.check_size(path.stat().st_size)
            workbook = reader.read(path.read_bytes(), path.name, department_plan.plan)
            if dry_run:
                result = services.plan_workbook_preview(
                    department_plan=department_plan, workbook=workbook, reason=reason
                )
            else:
                result = services.plan_workbook_apply(department_plan=department_plan, workbook=workbook, reason=reason)
        except reading.FileError as exc:
            raise CommandError(str(exc)) from None
        except layout.WorkbookRefused as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(
                _("%(file)s has %(count)s errors; nothing was loaded.") % {"file": path.name, "count": len(exc.errors)}
            ) from None

        for label, created, changed, unchanged in result.summary_rows:
            self.stdout.write(
                _("%(what)s: %(created)s new, %(changed)s changed, %(unchanged)s unchanged")
                % {"what": label, "created": created, "changed": changed, "unchanged": unchanged}
            )
        for objective in result.objectives:
            goal = objective.goal_name or "—"
            self.stdout.write(
                _("Goal %(goal)s → strategic objective %(number)s %(name)s")
                % {"goal": goal, "number": objective.entry.code, "name": objective.entry.name}
            )
        if result.kept:
            self.stdout.write(_("Kept (in the plan, not in the workbook): %(count)s") % {"count": len(result.kept)})
        if dry_run:
            self.stdout.write(_("%(file)s checked, no errors (dry run: nothing written).") % {"file": path.name})
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Loaded %(file)s into %(department)s.") % {"file": path.name, "department": department_plan}
                )
            )
