"""Notifications (通知) and how each person wants to hear of them by e-mail."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from common.templatetags.a11y import zh
from kpi.models.reporting import ProgressReport


class NotificationKind(models.TextChoices):
    RETURNED = "returned", _("Returned for revision")
    APPROVED = "approved", _("Approved")
    FIRST_APPROVED = "first_approved", _("Passed first review")
    REOPENED = "reopened", _("Approval withdrawn for correction")
    TO_REVIEW = "to_review", _("Waiting for your review")
    COMMENTED = "commented", _("New comment")
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")


class Notification(models.Model):
    """通知: something a person should know about — their report was returned, approved or
    reopened, a report waits for their review, someone commented, reports are due or overdue.

    Written in the same transaction as the change it reports (kpi.services.notifications),
    shown in the person's inbox (收件匣) until read, and e-mailed outside the request by a
    Celery task (kpi.tasks) as the person chose (`NotificationPreference`). The e-mail's
    fate is kept on the row: a failed send is retried and never loses the notification.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    # Reminders (due soon, overdue) are about a person's list of work, not one report.
    report = models.ForeignKey(
        ProgressReport,
        verbose_name=_("report"),
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    text = models.TextField(_("text"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # The e-mail: when it went out, how many tries it took, and the last failure.
    sent_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("sending attempts"), default=0)
    last_error = models.TextField(_("last sending error"), blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The navigation's unread count, on every page.
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=NotificationKind.values), name="notification_kind_valid"),
        ]

    def __str__(self):
        return f"{self.recipient}: {self.get_kind_display()}"

    @property
    def headline(self) -> str:
        """One sentence in the active language: what happened, to which report, by whom."""
        return self._headline(str)

    @property
    def headline_html(self) -> str:
        """The headline for a page: the KPI and the person in it, written in Chinese, are
        marked zh-Hant on a page in another language (common.templatetags.a11y.zh)."""
        return mark_safe(self._headline(zh, escape))

    def _headline(self, value, text=str) -> str:
        """The headline, with `value` applied to what it quotes and `text` to its own words."""
        who = (self.actor.get_full_name() or self.actor.get_username()) if self.actor else ""
        if self.report is None:
            if self.kind == NotificationKind.OVERDUE:
                return text(_("You have overdue reports to file."))
            return text(_("You have reports due soon."))
        values = {
            "who": value(who),
            "indicator": value(f"{self.report.indicator.code} {self.report.indicator.name}"),
            "period": value(self.report.period.label),
        }
        headlines = {
            NotificationKind.RETURNED: _("%(who)s returned the report on %(indicator)s for %(period)s for revision."),
            NotificationKind.APPROVED: _("%(who)s approved the report on %(indicator)s for %(period)s."),
            NotificationKind.FIRST_APPROVED: _(
                "%(who)s passed the first review of the report on %(indicator)s for %(period)s."
            ),
            NotificationKind.REOPENED: _(
                "%(who)s withdrew the approval of the report on %(indicator)s for %(period)s for correction."
            ),
            NotificationKind.TO_REVIEW: _("The report on %(indicator)s for %(period)s is waiting for your review."),
            NotificationKind.COMMENTED: _("%(who)s commented on the report on %(indicator)s for %(period)s."),
        }
        template = headlines.get(self.kind, _("%(indicator)s, %(period)s: %(who)s"))
        return text(str(template)) % values


class EmailChoice(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediately, one e-mail each")
    DIGEST = "digest", _("Once a day, in a digest")
    NONE = "none", _("Never (the inbox only)")


class NotificationPreference(models.Model):
    """通知設定: how a person wants notifications e-mailed. Without a row, immediately."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email = models.CharField(
        _("e-mail notifications"), max_length=10, choices=EmailChoice.choices, default=EmailChoice.IMMEDIATE
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.CheckConstraint(condition=Q(email__in=EmailChoice.values), name="notification_email_valid"),
        ]

    def __str__(self):
        return f"{self.user}: {self.get_email_display()}"
