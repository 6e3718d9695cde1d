"""A report's conversation (留言): one rule for the KPI page and the API."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.text import plain_text
from kpi import access
from kpi.models import ProgressReport, ReportAction, ReportEvent
from kpi.services.notifications import notify_commented
from kpi.services.reports import MAX_TEXT

# Also the API's refusal of a comment left out or blank (kpi/api/serializers.py).
COMMENT_NEEDS_TEXT = gettext_lazy("Write a comment first.")


def comments_of(report: ProgressReport) -> QuerySet[ReportEvent]:
    """The report's comments, oldest first: entries of its record (so also on the timeline)."""
    return report.events.filter(action=ReportAction.COMMENTED).select_related("actor").order_by("at", "id")


@transaction.atomic
def report_comment(*, report: ProgressReport, user, text: str) -> ReportEvent:
    """Add a comment to a report's conversation.

    Whoever may see the report may comment on it (`access.reports_for`): its reporters, its
    reviewers, the planning office. A comment changes nothing of the report; it is kept on
    the report's record and its participants are notified.
    """
    if not access.reports_for(user).filter(pk=report.pk).exists():
        raise PermissionDenied(_("You may not comment on this report."))
    text = plain_text(text or "").strip()
    if not text:
        raise ValidationError({"text": str(COMMENT_NEEDS_TEXT)})
    if len(text) > MAX_TEXT:
        raise ValidationError({"text": _("Keep the text within %(limit)s characters.") % {"limit": MAX_TEXT}})
    event = ReportEvent.objects.create(report=report, action=ReportAction.COMMENTED, actor=user, comment=text)
    notify_commented(report=report, actor=user, text=text)
    return event
