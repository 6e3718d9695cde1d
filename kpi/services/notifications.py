"""Notifications (通知): who hears of what, written in the transaction of the change.

The report services call `notify_*` as they change a report, so the web pages, the API
and the importers notify alike. A notification is a row first (the inbox reads it);
its e-mail is sent by a Celery task (`kpi.tasks.send_notification_email`) once the
transaction commits, and only to people who chose immediate e-mail and have an address.
The rules of who hears of what:

- returned, approved, passed first review, reopened: the reporters (填報人) of the
  report's department;
- waiting for review: the reviewers of the stage the report now waits for — the
  department's reviewers for the first (or only) review, the planning office for the
  second (研考複核), and for the only review of a department without reviewers;
- a comment: the report's participants — its department's reporters and whoever has acted
  on or commented on the report — who may still see it;
- due soon, overdue: each person with such work (`manage.py send_reminders`).

Never the person who acted, and never an inactive account.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from kpi import access
from kpi.models import (
    EmailChoice,
    Notification,
    NotificationKind,
    NotificationPreference,
    ProgressReport,
    ReportEvent,
)
from plans.models import Membership, Role

logger = logging.getLogger(__name__)


def email_choice(user) -> str:
    """How the user wants notifications e-mailed (immediately when they never said)."""
    return (
        NotificationPreference.objects.filter(user=user).values_list("email", flat=True).first()
        or EmailChoice.IMMEDIATE
    )


def preference_set(*, user, email: str) -> NotificationPreference:
    """Save how the user wants notifications e-mailed."""
    preference = NotificationPreference.objects.filter(user=user).first() or NotificationPreference(user=user)
    preference.email = email
    preference.full_clean(exclude=["user"])
    preference.save()
    return preference


def _active(users: QuerySet) -> QuerySet:
    return users.filter(is_active=True)


def department_members(report: ProgressReport, role: str) -> QuerySet:
    department_id = report.indicator.department_plan.department_id
    ids = Membership.objects.filter(department_id=department_id, role=role).values("user_id")
    return _active(get_user_model().objects.filter(pk__in=ids))


def planning_office() -> QuerySet:
    ids = Membership.objects.filter(role=Role.PLANNING_OFFICE).values("user_id")
    return _active(get_user_model().objects.filter(pk__in=ids))


def reviewers_waited_for(report: ProgressReport) -> QuerySet:
    """Who should hear that the report waits for them: see the module's rules."""
    stage = access.review_stage(report)
    if stage is None:
        return get_user_model().objects.none()
    if stage == access.SECOND:
        return planning_office().exclude(pk=report.first_reviewed_by_id)
    reviewers = department_members(report, Role.REVIEWER)
    if report.review_stages == 1 and not reviewers.exists():
        return planning_office()  # who else may review it under one stage
    return reviewers


def participants(report: ProgressReport) -> list:
    """The report's department's reporters and whoever acted on it, who may still see it."""
    actor_ids = ReportEvent.objects.filter(report=report).values("actor_id")
    department_id = report.indicator.department_plan.department_id
    reporters = Membership.objects.filter(department_id=department_id, role=Role.REPORTER).values("user_id")
    people = _active(get_user_model().objects.filter(Q(pk__in=actor_ids) | Q(pk__in=reporters)))
    return list(people.filter(access.department_viewers(department_id)))


def notify(
    *,
    kind: str,
    recipients: Iterable,
    actor=None,
    report: ProgressReport | None = None,
    text: str = "",
    send: bool = True,
) -> list[Notification]:
    """Write one notification per recipient (never the actor), and send the e-mails of those
    who want them at once after the transaction commits (`send=False`: the caller e-mails)."""
    return _write(_notifications(kind, recipients, actor, report, text), send=send)


def _notifications(kind: str, recipients: Iterable, actor, report, text: str) -> list[Notification]:
    """One notification per recipient (unsaved): never the actor, nor an inactive account."""
    seen, rows = set(), []
    for user in recipients:
        if user.pk in seen or (actor is not None and user.pk == actor.pk) or not user.is_active:
            continue
        seen.add(user.pk)
        rows.append(Notification(recipient=user, kind=kind, report=report, actor=actor, text=text))
    return rows


def _write(rows: list[Notification], *, send: bool) -> list[Notification]:
    if not rows:
        return []
    created = Notification.objects.bulk_create(rows)
    if any(n.pk is None for n in created):  # a database without RETURNING ids: read them back
        reports = {n.report_id for n in rows}
        about = Q(report__in=reports - {None}) | (Q(report__isnull=True) if None in reports else Q(pk__in=[]))
        created = list(
            Notification.objects.filter(
                about, kind__in={n.kind for n in rows}, recipient_id__in={n.recipient_id for n in rows}, sent_at=None
            ).select_related("recipient")
        )
    if send:
        _send_later([n for n in created if n.recipient.email])
    return created


def _send_later(notifications: list[Notification]) -> None:
    if not notifications:
        return
    by_user = {n.recipient_id: n for n in notifications}
    later = set(
        NotificationPreference.objects.filter(user_id__in=by_user)
        .exclude(email=EmailChoice.IMMEDIATE)
        .values_list("user_id", flat=True)
    )
    ids = [n.pk for n in notifications if n.recipient_id not in later]
    if not ids:
        return
    from kpi import tasks  # the tasks import this module

    for pk in ids:
        # robust: a broker that is down must not turn a committed change into an error page;
        # the row stays unsent and `kpi.tasks.send_unsent` (Celery beat) queues it again.
        transaction.on_commit(lambda pk=pk: tasks.send_notification_email.delay(pk), robust=True)


# --- What the report services call ------------------------------------------------------


def notify_submitted(*, report: ProgressReport, actor) -> None:
    notify(kind=NotificationKind.TO_REVIEW, recipients=reviewers_waited_for(report), actor=actor, report=report)


def notify_submitted_many(*, reports: Iterable[ProgressReport], actor) -> list[Notification]:
    """`notify_submitted` for many reports (an import), written at once.

    `reviewers_waited_for` is asked once for each group of reports it answers alike —
    the same department, review stages, stage and first reviewer, all it reads — so the
    queries grow with the departments, not with the reports.
    """
    recipients: dict[tuple, list] = {}
    rows = []
    for report in reports:
        key = (
            report.indicator.department_plan.department_id,
            report.review_stages,
            access.review_stage(report),
            report.first_reviewed_by_id,
        )
        if key not in recipients:
            recipients[key] = list(reviewers_waited_for(report))
        rows += _notifications(NotificationKind.TO_REVIEW, recipients[key], actor, report, "")
    return _write(rows, send=True)


def notify_returned(*, report: ProgressReport, actor, comment: str) -> None:
    reporters = department_members(report, Role.REPORTER)
    notify(kind=NotificationKind.RETURNED, recipients=reporters, actor=actor, report=report, text=comment)


def notify_approved(*, report: ProgressReport, actor, comment: str = "") -> None:
    kind = NotificationKind.FIRST_APPROVED if access.review_stage(report) else NotificationKind.APPROVED
    notify(kind=kind, recipients=department_members(report, Role.REPORTER), actor=actor, report=report, text=comment)
    if access.review_stage(report):  # passed the first review: now it waits for the planning office
        notify_submitted(report=report, actor=actor)


def notify_reopened(*, report: ProgressReport, actor, reason: str) -> None:
    reporters = department_members(report, Role.REPORTER)
    notify(kind=NotificationKind.REOPENED, recipients=reporters, actor=actor, report=report, text=reason)


def notify_commented(*, report: ProgressReport, actor, text: str) -> None:
    notify(kind=NotificationKind.COMMENTED, recipients=participants(report), actor=actor, report=report, text=text)


# --- The inbox --------------------------------------------------------------------------


def inbox_for_all() -> QuerySet[Notification]:
    """Notifications with what their headline and link read, in the same query."""
    return Notification.objects.select_related(
        "actor", "report__period", "report__indicator__objective", "report__indicator__common_goal"
    )


def inbox_for(user) -> QuerySet[Notification]:
    return inbox_for_all().filter(recipient=user)


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_mark_read(*, user, notification_id: int) -> int:
    """Mark one of the user's notifications read; how many changed (0 when it is not theirs)."""
    return Notification.objects.filter(recipient=user, pk=notification_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


# --- E-mail -------------------------------------------------------------------------------


def site_url() -> str:
    return settings.SITE_URL.rstrip("/")


def link(notification: Notification) -> str:
    """Where the notification leads: the review page, the report on its KPI page, or My updates."""
    report = notification.report
    if report is None:
        return reverse("kpi:my_updates")
    if notification.kind == NotificationKind.TO_REVIEW:
        return reverse("kpi:review", args=[report.pk])
    return reverse("kpi:detail", args=[report.indicator_id]) + f"?year={report.period.year}#report-{report.pk}"


def notification_email(notification: Notification) -> EmailMultiAlternatives:
    """The e-mail of one notification, in zh-Hant (as the reminders)."""
    with translation.override("zh-hant"):
        context = {"n": notification, "url": site_url() + link(notification), "site_url": site_url()}
        subject = render_to_string("kpi/email/notification_subject.txt", context).strip()
        body = render_to_string("kpi/email/notification.txt", context)
    return EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [notification.recipient.email])


def digest_email(user, notifications: list[Notification]) -> EmailMultiAlternatives:
    with translation.override("zh-hant"):
        items = [{"n": n, "url": site_url() + link(n)} for n in notifications]
        context = {"user": user, "items": items, "site_url": site_url(), "inbox": site_url() + reverse("kpi:inbox")}
        subject = render_to_string("kpi/email/digest_subject.txt", context).strip()
        body = render_to_string("kpi/email/digest.txt", context)
    return EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
