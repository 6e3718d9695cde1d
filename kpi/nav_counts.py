"""The navigation's work counts (待填報 n, 審核 n), kept in the cache while nothing that moves them changes.

Every signed-in page draws the counts (`kpi.queues.work_for(..., counts_only=True)`): three
queries and most of a page's frame. They change only when a report of the person's
departments changes, or when the plan's structure does (its periods, indicators, department
plans). So they are kept per person under versions that those changes move:

- one version per department (`work-version:<department id>`), moved by every save or
  deletion of a report of the department or of an entry of its record (evidence added or
  removed is one), and by the bulk write of reports (`kpi.services.report_batches.write_reports`);
- one version for the structure (`work-version:structure`), moved by every save or deletion
  of a reporting period (a lock), an indicator, a department plan or a plan, and by the plan
  workbook's bulk load.

A version is a random token; moving it deletes it, at once and again when the transaction
commits (`bump`), so a reader never keeps counts read before the change under the version
after it: the reader reads the versions before the counts, and whatever it stores lands
under a version the commit has already replaced. The counts' key also holds the day
(periods open and fall due by the date) and who may report and review where (read live from
the memberships on every request).

Only people whose work lies in named departments are served from the cache; the planning
office and admins review the whole city, whose counts any report anywhere moves, and are
counted live. Only a cache that every process shares serves them (Redis, as in production):
a version moved in one gunicorn worker's own memory would not reach the others, so with
a per-process cache (the demo's) the counts are always computed. Entries expire after
`TIMEOUT` in any case. When the cache fails, the counts are computed live (`common.caching`).
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Callable, Iterable

from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction

from common.caching import cache_call, fetch
from kpi.models import Indicator, ProgressReport

VERSION_PREFIX = "work-version"
COUNTS_PREFIX = "work-counts"
STRUCTURE = "structure"
# An upper bound on how long counts stay, whatever happens: a version lives as long as
# nothing moves it, counts at most this long.
TIMEOUT = 5 * 60
VERSION_TIMEOUT = 24 * 60 * 60


def shared_cache() -> bool:
    """Whether the cache is one every process sees (not a process's own memory, not none)."""
    backend = caches["default"]
    return not isinstance(backend, LocMemCache | DummyCache)


def _version_key(name: object) -> str:
    return f"{VERSION_PREFIX}:{name}"


def bump(department_ids: Iterable[int] = (), *, structure: bool = False) -> None:
    """Move the versions of these departments (and of the structure): now, and when the
    caller's transaction commits."""
    keys = [_version_key(d) for d in sorted(set(department_ids))]
    if structure:
        keys.append(_version_key(STRUCTURE))
    if not keys:
        return
    cache_call("delete_many", keys)

    def after_commit():
        cache_call("delete_many", keys)

    after_commit.moves_work_counts = True
    transaction.on_commit(after_commit)


def _moved_in_this_transaction() -> bool:
    """Whether this transaction has moved a version and not committed yet: counts read now
    may hold its writes, which could still roll back, so they are not kept. (Django drops a
    callback with the savepoint that registered it, and all of them at commit.)"""
    connection = transaction.get_connection()
    return any(getattr(entry[1], "moves_work_counts", False) for entry in connection.run_on_commit)


def departments_of(reports: Iterable[ProgressReport]) -> set[int]:
    """The departments of these reports: from the objects loaded with them, and one query for the rest."""
    found, unknown = set(), set()
    for report in reports:
        indicator = report.indicator if ProgressReport.indicator.is_cached(report) else None
        if indicator is not None and Indicator.department_plan.is_cached(indicator):
            found.add(indicator.department_plan.department_id)
        else:
            unknown.add(report.indicator_id)
    if unknown:
        found |= set(
            Indicator.objects.filter(pk__in=unknown).values_list("department_plan__department_id", flat=True).distinct()
        )
    return found


def _versions(keys: list[str]) -> list[str] | None:
    found = cache_call("get_many", keys)
    if found is None:
        return None
    for key in keys:
        if key not in found:
            cache_call("add", key, secrets.token_hex(8), VERSION_TIMEOUT)
            found[key] = cache_call("get", key)
            if found[key] is None:
                return None
    return [found[key] for key in keys]


def cached(
    *,
    user_id: int,
    today: datetime.date,
    report_departments: Iterable[int],
    review_departments: Iterable[int],
    compute: Callable[[], tuple],
) -> tuple:
    """`compute()` (the counts), or what it returned before while no version has moved."""
    if not shared_cache() or _moved_in_this_transaction():
        return compute()
    reporting, reviewing = sorted(set(report_departments)), sorted(set(review_departments))
    departments = sorted(set(reporting) | set(reviewing))
    versions = _versions([_version_key(d) for d in departments] + [_version_key(STRUCTURE)])
    if versions is None:
        return compute()
    digest = hashlib.sha256(repr((reporting, reviewing, versions)).encode()).hexdigest()[:24]
    return fetch(f"{COUNTS_PREFIX}:{user_id}:{today.isoformat()}:{digest}", compute, TIMEOUT)
