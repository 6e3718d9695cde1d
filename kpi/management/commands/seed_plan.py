from django.core.management.base import BaseCommand

from kpi.seeding import DEFAULT_FIXTURE, load_fixture, seed_plan


class Command(BaseCommand):
    help = "Seed a plan from a structured fixture (default: the Keelung 111–114 plan). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("fixture", nargs="?", default=str(DEFAULT_FIXTURE))

    def handle(self, *args, fixture, **options):
        plan, result = seed_plan(load_fixture(fixture))
        detail = ", ".join(f"{name} {count}" for name, count in result.created.items() if count)
        self.stdout.write(self.style.SUCCESS(f"Seeded {plan}: created {detail or 'nothing (already seeded)'}."))
