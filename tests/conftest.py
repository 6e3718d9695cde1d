"""Fixtures shared by the whole suite: the seeded Keelung plan and a fixed cast of users.

The cast (as healthchecks' alice/bob/charlie): staff of the Urban Development
Department, staff of another department, the department's supervisor, the planning
office, an admin, and the anonymous visitor (the test client without a login).
"""

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from kpi.models import ReportingPeriod
from kpi.seeding import load_fixture, seed_plan
from plans.models import Department, Membership, Plan, Role

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


def _seed():
    plan, _ = seed_plan(load_fixture())
    # Keelung reviews in two stages (the fixture says so, tests/test_review_stages.py
    # checks it); most tests exercise one stage, and the two-stage tests ask for
    # `two_stages`, so that each rule is tested on its own.
    Plan.objects.filter(pk=plan.pk).update(review_stages=1)
    return plan


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

    from reports.page_cache import cache_reset

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
                _seed()
    return result


@pytest.fixture
def seeded_plan(db, plan_document):
    # Already there unless a transactional test flushed the database; then seed again.
    plan = Plan.objects.filter(
        name=plan_document["plan"]["name"], start_year=plan_document["plan"]["start_year"]
    ).first()
    if plan is None:
        plan = _seed()
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


@pytest.fixture
def staff(home_department):
    user = _user("staff", first_name="王小明")
    Membership.objects.create(user=user, department=home_department, role=Role.REPORTER)
    return user


@pytest.fixture
def other_staff(other_department):
    user = _user("other")
    Membership.objects.create(user=user, department=other_department, role=Role.REPORTER)
    return user


@pytest.fixture
def supervisor(home_department):
    user = _user("supervisor", first_name="李主任")
    Membership.objects.create(user=user, department=home_department, role=Role.REVIEWER)
    return user


@pytest.fixture
def planner(seeded_plan):
    user = _user("planner")
    Membership.objects.create(user=user, department=None, role=Role.PLANNING_OFFICE)
    return user


@pytest.fixture
def admin_user(seeded_plan):
    return get_user_model().objects.create_superuser(username="admin", password="pw-admin")


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
