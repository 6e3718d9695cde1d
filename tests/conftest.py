"""Fixtures shared by the whole suite: the seeded Keelung plan and a fixed cast of users.

The cast (as healthchecks' alice/bob/charlie): staff of the Urban Development
Department, staff of another department, the department's supervisor, the planning
office, an admin, and the anonymous visitor (the test client without a login).
"""

import io
from contextlib import contextmanager

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.test import override_settings
from django.utils import translation

from kpi.models import ReportingPeriod
from kpi.seeding import load_fixture, seed_plan
from plans.demo import DEMO_TODAY
from plans.models import Department, DepartmentPlan, Membership, Plan, Role

HOME = "都市發展處"
OTHER = "民政處"


@pytest.fixture(scope="session")
def plan_document():
    return load_fixture()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Seed the Keelung plan once per test database; each test's transaction rolls back to it."""
    with django_db_blocker.unblock():
        _seed()
        _snapshot.update(_take_snapshot())


def _seed():
    plan, _ = seed_plan(load_fixture())
    # Keelung reviews in two stages (the fixture says so, tests/test_review_stages.py
    # checks it); most tests exercise one stage, and the two-stage tests ask for
    # `two_stages`, so that each rule is tested on its own.
    Plan.objects.filter(pk=plan.pk).update(review_stages=1)
    return plan


# --- The seeded state, put back after a flush ------------------------------------------------
#
# A transactional test (live_server, transaction=True) ends by flushing every table. Seeding the
# plan again through the ORM takes 2 s on PostgreSQL; the rows as they were after the first
# seeding, written back in one transaction, take 0.1 s. The same rows, ids included: a content type
# or a permission keeps the id that code cached before the flush.

_snapshot: dict[str, tuple[list[str], list[tuple]]] = {}


def _tables() -> list[str]:
    return sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))


def _take_snapshot() -> dict[str, tuple[list[str], list[tuple]]]:
    rows = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in _tables():
            cursor.execute(f"SELECT * FROM {quote(table)}")
            found = cursor.fetchall()
            if found:
                rows[table] = ([column[0] for column in cursor.description], found)
    return rows


def _restore_seeded_state():
    """Every table as it was after the session's seeding (the rows post_migrate put back after
    the flush, content types and permissions, replaced by the snapshot's); sequences past the ids."""
    quote = connection.ops.quote_name
    # post_migrate refills only tables it had filled before the snapshot: those in it.
    models = [m for m in apps.get_models(include_auto_created=True) if m._meta.db_table in _snapshot]
    with transaction.atomic(), connection.cursor() as cursor:
        for table, (columns, rows) in _snapshot.items():
            cursor.execute(f"DELETE FROM {quote(table)}")
            names = ", ".join(quote(c) for c in columns)
            row = "(" + ", ".join(["%s"] * len(columns)) + ")"
            per_statement = max(1, (connection.features.max_query_params or 999) // len(columns))
            for start in range(0, len(rows), per_statement):
                chunk = rows[start : start + per_statement]
                cursor.execute(
                    f"INSERT INTO {quote(table)} ({names}) VALUES {', '.join([row] * len(chunk))}",
                    [value for r in chunk for value in r],
                )
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
    ContentType.objects.clear_cache()


def _reseed():
    # PostgreSQL only: on SQLite the live server thread shares the test's in-memory database,
    # and the browser tests' flush then met a locked table after a restore (CI, 2026-12-07);
    # seeding through the ORM costs about 1 s there.
    if _snapshot and connection.vendor == "postgresql":
        _restore_seeded_state()
        return Plan.objects.get()
    return _seed()


@contextmanager
def module_data(django_db_blocker):
    """Rows built once for a module's tests, as Django's TestCase.setUpTestData builds them for a
    class: inside a transaction that each test's own (a savepoint) nests in, rolled back after
    the module. Tests must not change the objects built here in memory: copy them first."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# --- The demo ---------------------------------------------------------------------------------


def empty_database():
    """Remove the plan the suite seeded at the real date, and its record (the test's or the
    module's transaction puts them back)."""
    from kpi.models import Indicator, TargetRevision

    Indicator.objects.all().delete()
    DepartmentPlan.objects.all().delete()
    Plan.objects.all().delete()
    for model in apps.get_models():
        if model.__name__.startswith("Historical"):
            model.objects.all().delete()
    assert not TargetRevision.objects.exists()


@pytest.fixture(scope="module")
def _demo_seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """`make demo` on an empty database (seed_plan, seed_demo_users, seed_demo_reports with the
    demo's today), once per module that asks for it: about 15 s. Yields (media, the commands' output)."""
    media = tmp_path_factory.mktemp("demo-media")
    with override_settings(DEMO_MODE=True, KPI_TODAY=DEMO_TODAY, MEDIA_ROOT=media), module_data(django_db_blocker):
        empty_database()
        out = io.StringIO()
        call_command("seed_plan", stdout=out)
        call_command("seed_demo_users", stdout=out)
        call_command("seed_demo_reports", stdout=out)
        yield media, out.getvalue()


@pytest.fixture
def demo_seeded(_demo_seeded, db, settings):
    """The demo as `make demo` seeds it, under the demo's settings; returns the seeding's output."""
    media, output = _demo_seeded
    settings.DEMO_MODE, settings.KPI_TODAY, settings.MEDIA_ROOT = True, DEMO_TODAY, media
    return output


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language (zh-Hant). A request in English (the language
    cookie) leaves English active in the thread afterwards, and messages built outside a
    request (services, commands) would follow it into the next test."""
    translation.deactivate()
    yield
    translation.deactivate()


def clear_page_cache():
    """Delete this test process's cache keys: the database rolls back after each test, and with it the
    public version (reports.page_cache), so a page cached by one test could be taken for the next
    one's. Only this process's keys (config.test_settings): the Redis database is shared."""
    from django.core.cache import cache

    from common.caching import cache_reset

    cache_reset()
    backend = getattr(cache, "_cache", None)
    if not hasattr(backend, "get_client"):
        cache.clear()  # local memory: this process's own
        return
    try:
        client = backend.get_client(None, write=True)
        keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    except Exception:  # noqa: BLE001 — no Redis: nothing cached either (the page cache fails safe)
        pass


@pytest.fixture(autouse=True)
def _empty_page_cache():
    clear_page_cache()
    yield
    clear_page_cache()


_blocker_key = pytest.StashKey[object]()


@pytest.fixture(autouse=True)
def _reseed_after_flush(request, django_db_blocker):
    """Transactional tests (live_server, transaction=True) end by flushing the database;
    mark them so that the hook below puts the seeded plan back for the tests after them."""
    marker = request.node.get_closest_marker("django_db")
    if {"transactional_db", "live_server"} & set(request.fixturenames) or (marker and marker.kwargs.get("transaction")):
        request.node.stash[_blocker_key] = django_db_blocker


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    result = yield
    # After the last test the test database is already gone: nothing to put back.
    if nextitem is not None and _blocker_key in item.stash:
        with item.stash[_blocker_key].unblock():
            if not Plan.objects.exists():
                _reseed()
    return result


@pytest.fixture
def seeded_plan(db, plan_document):
    # Already there unless a transactional test flushed the database; then seed again.
    plan = Plan.objects.filter(
        name=plan_document["plan"]["name"], start_year=plan_document["plan"]["start_year"]
    ).first()
    if plan is None:
        plan = _reseed()
    return plan


@pytest.fixture
def two_stages(seeded_plan):
    """The seeded plan reviewed as Keelung reviews: 單位主管初核, then 研考複核."""
    Plan.objects.filter(pk=seeded_plan.pk).update(review_stages=2)
    seeded_plan.refresh_from_db()
    return seeded_plan


class Periods(dict):
    """The seeded plan's reporting periods by short label ("114Q1"), also reachable as
    ``periods[114, 1]`` (year, number)."""

    def __getitem__(self, key):
        if isinstance(key, tuple):
            year, number = key
            return next(p for p in self.values() if p.year == year and p.number == number)
        return super().__getitem__(key)


@pytest.fixture
def periods(seeded_plan):
    """The seeded plan's periods (created with the plan, see kpi.signals)."""
    return Periods(
        (p.short_label, p) for p in ReportingPeriod.objects.filter(plan=seeded_plan).order_by("year", "number")
    )


@pytest.fixture
def home_department(seeded_plan):
    return Department.objects.get(name=HOME)


@pytest.fixture
def other_department(seeded_plan):
    return Department.objects.get(name=OTHER)


def _user(username, **extra):
    return get_user_model().objects.create_user(username=username, password="pw-" + username, **extra)


def make_staff():
    user = _user("staff", first_name="王小明")
    Membership.objects.create(user=user, department=Department.objects.get(name=HOME), role=Role.REPORTER)
    return user


def make_other_staff():
    user = _user("other")
    Membership.objects.create(user=user, department=Department.objects.get(name=OTHER), role=Role.REPORTER)
    return user


def make_supervisor():
    user = _user("supervisor", first_name="李主任")
    Membership.objects.create(user=user, department=Department.objects.get(name=HOME), role=Role.REVIEWER)
    return user


def make_planner():
    user = _user("planner")
    Membership.objects.create(user=user, department=None, role=Role.PLANNING_OFFICE)
    return user


def make_admin():
    return get_user_model().objects.create_superuser(username="admin", password="pw-admin")


def make_cast() -> dict:
    """The cast as `cast` gives it, for rows built once per module (`module_data`)."""
    return {
        "staff": make_staff(),
        "other_staff": make_other_staff(),
        "supervisor": make_supervisor(),
        "planner": make_planner(),
        "admin": make_admin(),
        "anonymous": None,
    }


@pytest.fixture
def staff(home_department):
    return make_staff()


@pytest.fixture
def other_staff(other_department):
    return make_other_staff()


@pytest.fixture
def supervisor(home_department):
    return make_supervisor()


@pytest.fixture
def planner(seeded_plan):
    return make_planner()


@pytest.fixture
def admin_user(seeded_plan):
    return make_admin()


@pytest.fixture
def cast(staff, other_staff, supervisor, planner, admin_user):
    return {
        "staff": staff,
        "other_staff": other_staff,
        "supervisor": supervisor,
        "planner": planner,
        "admin": admin_user,
        "anonymous": None,
    }
