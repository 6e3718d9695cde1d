import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from common import dates
from kpi.seeding import DEFAULT_FIXTURE, load_fixture, seed_plan
from plans.demo import TAIPEI, plan_published_at


def _moment(text: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--as-of takes an ISO date or date and time, e.g. 2022-02-15 or 2022-02-15T10:00; not {text!r}."
        ) from None
    if len(text) == 10:  # a day: 10:00 that morning
        moment = moment.replace(hour=10)
    return moment if moment.tzinfo else moment.replace(tzinfo=TAIPEI)


class Command(BaseCommand):
    help = "Seed a plan from a structured fixture (default: the Keelung 111–114 plan). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("fixture", nargs="?", default=str(DEFAULT_FIXTURE))
        parser.add_argument(
            "--as-of",
            help=(
                "Date what is created (targets and their first revision, the record of changes) at this "
                "moment, Taipei time, for a demo or training database. In DEMO_MODE it defaults to the "
                "plan's publication (the 15th of its month); otherwise to now."
            ),
        )

    def handle(self, *args, fixture, as_of=None, **options):
        data = load_fixture(fixture)
        if as_of:
            moment = _moment(as_of)
        elif settings.DEMO_MODE:
            moment = plan_published_at(data["plan"]["published_year"], data["plan"]["published_month"])
        else:
            moment = None
        if moment is None:
            plan, result = seed_plan(data)
        else:
            with dates.Clock(moment).running():
                plan, result = seed_plan(data)
        detail = ", ".join(f"{name} {count}" for name, count in result.created.items() if count)
        when = f" as of {moment.isoformat()}" if moment and result.total_created else ""
        self.stdout.write(self.style.SUCCESS(f"Seeded {plan}{when}: created {detail or 'nothing (already seeded)'}."))
