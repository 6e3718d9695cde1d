"""The navigation's work counts (待填報 n, 審核 n), from the same selector as the pages.

The work is computed lazily — only when a template reads it — at most once per request,
and only for signed-in users. Pages that computed the full work (`work_for_request`)
share it; elsewhere the reports waiting for review are only counted
(`kpi.queues.nav_work_for_request`), so the badge costs the same at any city size.
"""

from django.utils.functional import SimpleLazyObject

from kpi import queues


def work_counts(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"kpi_work": SimpleLazyObject(lambda: queues.nav_work_for_request(request))}
