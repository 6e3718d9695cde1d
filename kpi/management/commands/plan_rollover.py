"""manage.py plan_rollover --from 111-114 --to 115-118 [--carry-targets] [--plan-name NAME] [--name NAME]

Start the next plan period from the previous plan's structure (`kpi.services.plan_rollover`):
the same departments, goals, objectives, common goals and indicators, its reporting
periods, and no targets — or, with --carry-targets, the old plan's last-year targets as
proposals (目標值提案) that the planning office accepts into targets. All or nothing; the
old plan is left as it is.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kpi.services.rollover import parse_plan_years, plan_rollover, plan_with_years


def _message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


class Command(BaseCommand):
    help = "Create the next plan period from a plan's structure (no targets, or its last-year targets as proposals)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="source", required=True, help="The plan's ROC years, e.g. 111-114.")
        parser.add_argument("--to", dest="target", required=True, help="The new plan's ROC years, e.g. 115-118.")
        parser.add_argument(
            "--carry-targets",
            action="store_true",
            help="Propose the old plan's last-year targets for every year of the new plan (not yet targets).",
        )
        parser.add_argument("--plan-name", default="", help="The old plan's name, when several cover its years.")
        parser.add_argument("--name", default="", help="The new plan's name (default: the old one's, years updated).")

    def handle(self, *args, source, target, carry_targets=False, plan_name="", name="", **options):
        try:
            source_years = parse_plan_years(source, field="from")
            target_years = parse_plan_years(target, field="to")
            old = plan_with_years(*source_years, name=plan_name)
            result = plan_rollover(
                source=old,
                start_year=target_years[0],
                end_year=target_years[1],
                carry_targets=carry_targets,
                name=name,
            )
        except ValidationError as exc:
            raise CommandError(_message(exc)) from None
        detail = ", ".join(f"{label} {count}" for label, count in result.created.items())
        self.stdout.write(self.style.SUCCESS(f"Created {result.plan} from {result.source}: {detail}."))
