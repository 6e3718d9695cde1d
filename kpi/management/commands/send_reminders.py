"""E-mail each person what is due, overdue, returned to them and waiting for their review.

For cron, e.g. every weekday at 08:00:

    0 8 * * 1-5  cd /srv/kpi && .venv/bin/python manage.py send_reminders

The items come from `kpi.queues.work_for`, the same selector as the "My updates" page,
so an e-mail never says something the page does not. People with nothing to do get
nothing. Everyone with reports due soon or overdue also gets a notification in their
inbox (once a day per kind), e-mail or not. People with work but no e-mail address, or
who chose no e-mail (通知設定), are listed as skipped, with the reason. Links are built
from settings.SITE_URL. Celery beat runs this command daily (`kpi.tasks.send_reminders`).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common import dates
from common.formatting import roc_date
from kpi import queues
from kpi.models import EmailChoice, Notification, NotificationKind, NotificationPreference
from kpi.services import notifications

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
        messages, item_total, skipped, reminded = [], 0, [], {}
        users = get_user_model().objects.filter(is_active=True).order_by("username")
        no_email = set(NotificationPreference.objects.filter(email=EmailChoice.NONE).values_list("user_id", flat=True))
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
                if not dry_run:
                    reminded[user.pk] = self._notify(user, context["overdue"], context["due"], today)
                if not user.email:
                    skipped.append((user, _("no e-mail address")))
                    continue
                if user.pk in no_email:
                    skipped.append((user, _("chose no e-mail")))
                    continue
                item_total += count
                subject = ngettext(
                    "[KPI reporting reminder] You have %(count)s item to do (%(date)s)",
                    "[KPI reporting reminder] You have %(count)s items to do (%(date)s)",
                    count,
                ) % {"count": count, "date": roc_date(today)}
                text = render_to_string("kpi/email/reminder.txt", context)
                html = render_to_string("kpi/email/reminder.html", context)
                message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
                message.attach_alternative(html, "text/html")
                messages.append(message)
                self.stdout.write(
                    _(
                        "%(user)s <%(email)s>: %(overdue)s overdue, %(due)s due soon, %(returned)s returned, "
                        "%(to_review)s to review"
                    )
                    % {
                        "user": user.get_username(),
                        "email": user.email,
                        "overdue": len(work.overdue),
                        "due": len(context["due"]),
                        "returned": len(work.returned),
                        "to_review": len(work.to_review),
                    }
                )
        for user, reason in skipped:
            self.stdout.write(_("Skipped %(user)s: %(reason)s.") % {"user": user.get_username(), "reason": reason})
        if dry_run:
            self.stdout.write(
                _(
                    "Dry run (--dry-run): %(messages)s reminders would be sent, %(items)s items in all; no e-mail was sent."
                )
                % {"messages": len(messages), "items": item_total}
            )
            return
        sent = get_connection().send_messages(messages) if messages else 0
        # The reminder e-mail carried the day's due-soon and overdue notifications.
        emailed = {message.to[0] for message in messages}
        ids = [pk for user in users if user.email in emailed for pk in reminded.get(user.pk, [])]
        Notification.objects.filter(pk__in=ids).update(sent_at=timezone.now(), attempts=F("attempts") + 1)
        self.stdout.write(
            self.style.SUCCESS(
                _("Sent %(messages)s reminders, %(items)s items in all.") % {"messages": sent or 0, "items": item_total}
            )
        )

    @transaction.atomic
    def _notify(self, user, overdue, due, today) -> list[int]:
        """The inbox's due-soon and overdue notifications, once a day per kind; their ids."""
        made = []
        for kind, items in ((NotificationKind.OVERDUE, overdue), (NotificationKind.DUE_SOON, due)):
            if not items:
                continue
            if Notification.objects.filter(recipient=user, kind=kind, created_at__date=timezone.localdate()).exists():
                continue
            text = "\n".join(f"{item.indicator.code} {item.indicator.name} · {item.period.label}" for item in items)
            made += [n.pk for n in notifications.notify(kind=kind, recipients=[user], text=text, send=False)]
        return made
