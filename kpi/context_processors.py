"""The navigation's work counts (待填報 n, 審核 n), from the same selector as the pages.

The inbox's unread count (收件匣 n) is one more query, as lazy.

The work is computed lazily — only when a template reads it — at most once per request,
and only for signed-in users. Pages that computed the full work (`work_for_request`)
share it; elsewhere the reports waiting for review are only counted
(`kpi.queues.nav_work_for_request`), so the badge costs the same at any city size.
"""

from django.utils.functional import SimpleLazyObject

from kpi import queues
from kpi.services import notifications


def work_counts(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "kpi_work": SimpleLazyObject(lambda: queues.nav_work_for_request(request)),
        # The inbox's unread count: one indexed COUNT, only when the navigation is drawn.
        "kpi_unread": SimpleLazyObject(lambda: notifications.unread_count(user)),
    }
