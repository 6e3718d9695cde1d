"""Slow work, run by a Celery worker outside the request (see config/celery.py).

- `send_notification_email`: one notification's e-mail, enqueued when the change that made
  it commits. A failure is retried with exponential backoff; the notification itself is
  never lost: its row keeps `attempts` and `last_error` until `sent_at` is set.
- `send_unsent`: every few minutes, enqueues again the immediate e-mails that never reached
  a worker (the broker was down when the change committed).
- `send_digests`: once a day, one e-mail per person who chose the daily digest.
- `send_reminders`: `manage.py send_reminders` (due soon, overdue) on Celery beat.
- `send_password_link`: a new account's link to set its password (the account import).

The beat schedule is `CELERY_BEAT_SCHEDULE` in config/settings.py. Without a broker (the
SQLite demo) the tasks run at once, in the process that asks for them.
"""

from __future__ import annotations

import datetime
import logging
from io import StringIO

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.mail import get_connection
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kpi.models import EmailChoice, Notification, NotificationKind
from kpi.services import notifications
from plans import people

logger = logging.getLogger(__name__)

MAX_RETRIES = 6  # with backoff 1, 2, 4 … 32 s between tries (capped at 10 minutes)
REMINDER_KINDS = (NotificationKind.DUE_SOON, NotificationKind.OVERDUE)  # e-mailed by send_reminders
# A task that sends one e-mail: retried on any failure with backoff, its result not kept.
MAILING = {
    "autoretry_for": (Exception,),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": False,
    "max_retries": MAX_RETRIES,
    "ignore_result": True,
}


@shared_task(**MAILING)
def send_notification_email(notification_id: int) -> bool:
    """E-mail one notification; True when sent now, False when there was nothing to send."""
    notification = (
        notifications.inbox_for_all()
        .select_related("recipient")
        .filter(pk=notification_id, sent_at__isnull=True)
        .first()
    )
    if notification is None or not notification.recipient.email:
        return False  # already sent (a retried task), gone, or no address any more
    message = notifications.notification_email(notification)
    _send(notification, lambda: message.send())
    return True


def _send(notification: Notification, send) -> None:
    """Send, and keep what happened on the row (committed at once, whatever follows)."""
    notification.attempts += 1
    try:
        send()
    except Exception as exc:
        notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        notification.save(update_fields=["attempts", "last_error"])
        logger.warning("notification %s: sending failed (attempt %s): %s", notification.pk, notification.attempts, exc)
        raise
    notification.sent_at = timezone.now()
    notification.last_error = ""
    notification.save(update_fields=["attempts", "last_error", "sent_at"])


UNSENT_AFTER = datetime.timedelta(minutes=10)  # a queued e-mail has had its chance by then
UNSENT_FOR = datetime.timedelta(days=2)  # older ones are left to the inbox (and admin)


@shared_task(ignore_result=True)
def send_unsent() -> int:
    """Queue again the immediate e-mails that no worker tried (attempts 0: the broker was down
    when the change committed); how many were queued."""
    now = timezone.now()
    ids = list(
        Notification.objects.filter(
            sent_at__isnull=True,
            attempts=0,
            created_at__lte=now - UNSENT_AFTER,
            created_at__gte=now - UNSENT_FOR,
            recipient__is_active=True,
        )
        .exclude(recipient__email="")
        .exclude(kind__in=REMINDER_KINDS)
        .filter(
            Q(recipient__notification_preference__isnull=True)
            | Q(recipient__notification_preference__email=EmailChoice.IMMEDIATE)
        )
        .values_list("pk", flat=True)
    )
    for pk in ids:
        send_notification_email.delay(pk)
    return len(ids)


@shared_task(ignore_result=True)
def send_digests() -> int:
    """One e-mail per person who chose the daily digest, of what they have not been e-mailed
    yet; how many were sent. A failure leaves that person's notifications for tomorrow."""
    pending = (
        notifications.inbox_for_all()
        .select_related("recipient")
        .filter(
            sent_at__isnull=True,
            recipient__is_active=True,
            recipient__notification_preference__email=EmailChoice.DIGEST,
        )
        .exclude(recipient__email="")
        .exclude(kind__in=REMINDER_KINDS)
        .order_by("recipient_id", "created_at", "id")
    )
    by_user: dict[int, list[Notification]] = {}
    for n in pending:
        by_user.setdefault(n.recipient_id, []).append(n)
    sent = 0
    connection = get_connection()
    for items in by_user.values():
        user = items[0].recipient
        try:
            connection.send_messages([notifications.digest_email(user, items)])
        except Exception as exc:
            Notification.objects.filter(pk__in=[n.pk for n in items]).update(last_error=str(exc)[:2000])
            logger.warning("digest for %s failed: %s", user.get_username(), exc)
            continue
        with transaction.atomic():
            Notification.objects.filter(pk__in=[n.pk for n in items]).update(sent_at=timezone.now(), last_error="")
        sent += 1
    return sent


@shared_task(ignore_result=True)
def send_reminders() -> str:
    """`manage.py send_reminders` on Celery beat; its report goes to the worker's log."""
    out = StringIO()
    call_command("send_reminders", stdout=out)
    logger.info("send_reminders: %s", out.getvalue())
    return out.getvalue()


@shared_task(**MAILING)
def send_password_link(user_id: int) -> bool:
    """E-mail a new account the link to set its password (plans.people.password_links_send),
    one task per account so that a retry sends no one a second link. The link is made when
    the e-mail is sent, so it lasts its full time from then."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None:
        return False
    return people.password_links_send([user]) == 1
