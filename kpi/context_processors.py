"""The navigation's work counts (待填報 n, 審核 n), from the same selector as the pages.

The work is computed lazily — only when a template reads it — and at most once per
request (`kpi.queues.work_for_request`), and only for signed-in users.
"""

from django.utils.functional import SimpleLazyObject

from kpi import queues


def work_counts(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"kpi_work": SimpleLazyObject(lambda: queues.work_for_request(request))}
