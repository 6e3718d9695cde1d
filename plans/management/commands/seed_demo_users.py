from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from plans.demo import DEMO_JOINED, DEMO_PASSWORD, DEMO_USERS, ensure_demo_users


class Command(BaseCommand):
    help = "Create one demo account per role (local demo mode only) and print their logins."

    def handle(self, *args, **options):
        if not settings.DEMO_MODE:
            raise CommandError("Demo accounts are only created when DEMO_MODE is on (local demo).")
        ensure_demo_users(joined=DEMO_JOINED)  # the demo's accounts were opened before its first report
        self.stdout.write(self.style.SUCCESS(f"Demo accounts (password for all: {DEMO_PASSWORD}):"))
        for user in DEMO_USERS:
            self.stdout.write(f"  {user.username:<12} {user.description}")
        self.stdout.write(
            f"Sign in at http://127.0.0.1:8000/accounts/login/ ({get_user_model().objects.count()} users)"
        )
