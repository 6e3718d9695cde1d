"""Write a department's plan as a plan workbook (the planning office's download).

    manage.py export_plan --department 都市發展處 --plan 111-114 都市發展處.xlsx
    manage.py export_plan --department 都市發展處 --plan 111-114 都市發展處.ods

The format is the file's extension (xlsx or ods); the sheets are `kpi.plan_workbook.export`'s.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from common.spreadsheets import writing
from kpi.plan_workbook import export
from kpi.resources.columns import PLAN_YEARS
from plans.models import Department, DepartmentPlan, Plan

FORMATS = ("xlsx", "ods")


def department_plan_of(department: str, plan: str) -> DepartmentPlan:
    """The department plan named on the command line (a department's name, a plan's years "111-114")."""
    match = PLAN_YEARS.match(plan or "")
    if match is None:
        raise CommandError(_("Write the plan as its ROC years, e.g. 111-114 (not “%(plan)s”).") % {"plan": plan})
    start, end = int(match.group(1)), int(match.group(2))
    plans = list(Plan.objects.filter(start_year=start, end_year=end)[:2])
    if not plans:
        raise CommandError(_("There is no plan for %(start)s–%(end)s.") % {"start": start, "end": end})
    if len(plans) > 1:
        raise CommandError(_("More than one plan covers %(start)s–%(end)s.") % {"start": start, "end": end})
    found = Department.objects.filter(name=department.strip()).first() or (
        Department.objects.filter(short_name=department.strip()).exclude(short_name="").first()
    )
    if found is None:
        raise CommandError(_("There is no department “%(department)s”.") % {"department": department})
    department_plan = (
        DepartmentPlan.objects.select_related("plan", "department").filter(plan=plans[0], department=found).first()
    )
    if department_plan is None:
        raise CommandError(
            _("%(department)s has no part in the plan %(plan)s.") % {"department": found.name, "plan": plans[0]}
        )
    return department_plan


class Command(BaseCommand):
    help = "Write a department's plan as a plan workbook (xlsx or ods, from the file's extension)."

    def add_arguments(self, parser):
        parser.add_argument("--department", required=True, help="The department's name, e.g. 都市發展處.")
        parser.add_argument("--plan", required=True, help="The plan's ROC years, e.g. 111-114.")
        parser.add_argument("file", help="Where to write: a name ending in .xlsx or .ods.")

    def handle(self, *args, department, plan, file, **options):
        path = Path(file)
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            raise CommandError(_("The file's name must end in .xlsx or .ods (not “%(file)s”).") % {"file": file})
        department_plan = department_plan_of(department, plan)
        data = writing.render(fmt, export.sheets(department_plan.plan, department_plan))
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise CommandError(_("Cannot write %(file)s: %(error)s") % {"file": file, "error": exc.strerror}) from None
        self.stdout.write(self.style.SUCCESS(_("Wrote %(file)s.") % {"file": path}))
