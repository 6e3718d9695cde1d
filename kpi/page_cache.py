"""The KPI page's content, rendered once per version of what it shows.

The KPI page (`kpi.views.reporting.indicator_detail`) is the most visited page of the quarterly
cycle, and the same for everyone who may see the indicator, apart from a few buttons: the
record, the years, the charts and the reports are built from the indicator's data alone. So
its content (everything inside the page's frame) is kept in the cache under a key made of

- the versions of the three scopes the content is built from (`kpi.models.PageVersion`):
  the indicator ("indicator:<id>": its reports, their record, evidence and corrections, its
  targets, revisions, planned values, settings and their history), its plan ("plan:<id>":
  thresholds, periods and their locks) and "all" (people's names, departments, the plan's
  structure, bulk loads). Every save or deletion of those gives its scope a new random value
  in the same transaction (`kpi.signals`): a page cached before the change is never served
  once the change has committed, and nothing needs invalidating;
- what the viewer may do there (`kpi.selectors.PageViewer`: report, reopen, and which
  reports they may review), read live on every request: people who may do the same share the
  content, and a change of someone's roles shows at once;
- the year, whether the whole record is shown, the day ("today" decides overdue periods and
  the period a year in progress is judged on), the language and the release.

The content's forms carry each visitor's own CSRF token (`common.caching.with_own_csrf_token`).
A writer with no signal (`bulk_create`, `QuerySet.update`) moves the versions itself
(`kpi.services.report_batches.write_reports`, the plan workbook's `written_in_bulk`,
`manage.py generate_city`). A scope with no row yet reads as 0; `migrate` gives "all" a random
value, so that two databases sharing one cache never share a key.

The cache is a help, never a dependency (`common.caching`): when it fails, the page is built
as if there were no cache.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.conf import settings
from django.utils import translation

from common.caching import fetch, release, with_own_csrf_token
from common.dates import today
from kpi.models import PageVersion

PREFIX = "kpi-page"
TIMEOUT = 24 * 60 * 60  # a key under an old version or day is never asked for again
ALL = "all"


def indicator_scope(indicator_id: int) -> str:
    return f"indicator:{indicator_id}"


def plan_scope(plan_id: int) -> str:
    return f"plan:{plan_id}"


# --- Moving the versions (in the writer's transaction) -------------------------------------------


def moved(scopes: Iterable[str]) -> None:
    """Give each scope a new random version, inside the caller's transaction.

    One upsert; rows in a fixed order, so that two transactions moving the same scopes take
    their locks in the same order. A scope written twice in one transaction (a report's save,
    then its record entry's) is moved twice on purpose: a page read between the two writes,
    in that transaction, is kept under the first value and must not be served after the second."""
    rows = [PageVersion(scope=scope, value=secrets.randbits(63) or 1) for scope in sorted(set(scopes))]
    if rows:
        PageVersion.objects.bulk_create(rows, update_conflicts=True, unique_fields=["scope"], update_fields=["value"])


def indicators_moved(indicator_ids: Iterable[int | None]) -> None:
    moved(indicator_scope(pk) for pk in indicator_ids if pk is not None)


def plans_moved(plan_ids: Iterable[int | None]) -> None:
    moved(plan_scope(pk) for pk in plan_ids if pk is not None)


def everything_moved() -> None:
    moved([ALL])


# --- Reading them ---------------------------------------------------------------------------------


def versions(indicator) -> tuple[int, int, int]:
    """The indicator's, its plan's and the "all" versions (one query; 0 for a scope never moved)."""
    scopes = (indicator_scope(indicator.pk), plan_scope(indicator.department_plan.plan_id), ALL)
    found = dict(PageVersion.objects.filter(scope__in=scopes).values_list("scope", "value"))
    return tuple(found.get(scope, 0) for scope in scopes)


def key(indicator, year: int, *, whole_record: bool, viewer) -> str:
    reviewable = ".".join(str(pk) for pk in sorted(viewer.reviewable)) or "-"
    return ":".join(
        (
            PREFIX,
            release(),
            ".".join(str(v) for v in versions(indicator)),
            today().isoformat(),
            translation.get_language() or settings.LANGUAGE_CODE,
            str(indicator.pk),
            str(year),
            "all" if whole_record else "latest",
            f"r{int(viewer.can_report)}o{int(viewer.can_reopen)}v{reviewable}",
        )
    )


def content(request, indicator, year: int, *, whole_record: bool, viewer, render) -> str:
    """The page's content from the cache, or `render()` and kept; with the visitor's own CSRF token."""
    html = fetch(key(indicator, year, whole_record=whole_record, viewer=viewer), render, TIMEOUT)
    return with_own_csrf_token(request, html)
