"""E-mail each person what is due, overdue, returned to them and waiting for their review.

For cron, e.g. every weekday at 08:00:

    0 8 * * 1-5  cd /srv/kpi && .venv/bin/python manage.py send_reminders

The items come from `kpi.queues.work_for`, the same selector as the "My updates" page,
so an e-mail never says something the page does not. People with nothing to do, and
people without an e-mail address, get no e-mail. Links are built from settings.SITE_URL.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.management.base import BaseCommand, CommandError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from common import dates
from kpi import queues
from kpi.templatetags.kpi_tags import roc_date

DEFAULT_SITE_URL = "http://127.0.0.1:8000"


def site_url() -> str:
    return getattr(settings, "SITE_URL", DEFAULT_SITE_URL).rstrip("/")


class Command(BaseCommand):
    help = "E-mail each user a reminder of reports due within N days, overdue, returned, and waiting for review."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Remind of reports due within this many days (default: settings.REMINDER_DAYS).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Print who would be e-mailed; send nothing.")

    def handle(self, *args, days=None, dry_run=False, **options):
        days = settings.REMINDER_DAYS if days is None else days
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        today = dates.today()
        base = site_url()
        links = {
            "my_updates": base + reverse("kpi:my_updates"),
            "review_queue": base + reverse("kpi:review_queue"),
        }
        messages, item_total = [], 0
        users = get_user_model().objects.filter(is_active=True).exclude(email="").order_by("username")
        with translation.override("zh-hant"):
            for user in users:
                work = queues.work_for(user, today)
                context = {
                    "user": user,
                    "name": user.get_full_name() or user.get_username(),
                    "today": today,
                    "days": days,
                    "overdue": work.overdue,
                    "due": work.due_within(days),
                    "returned": work.returned,
                    "to_review": work.to_review,
                    "links": links,
                    "site_url": base,
                    "opens_days": queues.OPENS_DAYS_BEFORE_END,
                }
                count = sum(len(context[k]) for k in ("overdue", "due", "returned", "to_review"))
                if not count:
                    continue
                item_total += count
                subject = f"【績效指標填報提醒】您有 {count} 項待辦（{roc_date(today)}）"
                text = render_to_string("kpi/email/reminder.txt", context)
                html = render_to_string("kpi/email/reminder.html", context)
                message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
                message.attach_alternative(html, "text/html")
                messages.append(message)
                self.stdout.write(
                    f"{user.get_username()} <{user.email}>: 逾期 {len(work.overdue)}、即將到期 {len(context['due'])}、"
                    f"退回 {len(work.returned)}、待審核 {len(work.to_review)}"
                )
        if dry_run:
            self.stdout.write(
                f"試跑（--dry-run）：將寄出 {len(messages)} 封提醒，共 {item_total} 項待辦；未寄出任何郵件。"
            )
            return
        sent = get_connection().send_messages(messages) if messages else 0
        self.stdout.write(self.style.SUCCESS(f"已寄出 {sent or 0} 封提醒，共 {item_total} 項待辦。"))
