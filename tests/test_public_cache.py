"""The public pages' cache (reports.page_cache): served again without recomputing, never stale.

An anonymous visitor's second request for a public page or open-data file is answered from the
cache with one query (the public version). Publishing or withdrawing a year, and approving a
corrected figure through the correction services, move the version in the same transaction,
so the very next request shows the change. Each language has its own copy; signed-in people
never get nor leave one; each visitor gets their own CSRF token; and a cache that fails
(Redis down) costs the page nothing but its speed.

The scenario is test_corrections_public's: 1-5 and 2-1 of 都市發展處 approved for 民國113年,
113 published, "today" in 114.
"""

from __future__ import annotations

import datetime
import logging
import re

import pytest
from django.conf import settings
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.http import HttpRequest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common import caching
from kpi.models import ProgressReport, ReportStatus
from kpi.services import target_set
from plans.models import PublishedYear
from reports import page_cache
from reports.models import PublicVersion
from tests.conftest import clear_page_cache
from tests.factories import kpi_by_code
from tests.test_corrections_public import (  # noqa: F401 (approved is a fixture, used by every test)
    CODE,
    CORRECTED,
    ORIGINAL,
    REASON,
    YEAR,
    _approve,
    _correct,
    _file,
    _reopen,
    approved,
)

pytestmark = pytest.mark.usefixtures("approved")

NEXT = YEAR + 1


@pytest.fixture(autouse=True)
def today(settings):
    settings.KPI_TODAY = datetime.date(2025, 3, 10)  # ROC 114: year 113 is over


def urls(department) -> list[str]:
    return [
        reverse("reports:public_home"),
        reverse("reports:public_year", args=[YEAR]),
        reverse("reports:public_department", args=[YEAR, department.pk]),
        reverse("reports:open_data"),
        reverse("reports:open_data_json", args=[YEAR]),
        reverse("reports:open_data_csv", args=[YEAR]),
    ]


def get(client, url):
    """GET, and the SELECTs it ran (ATOMIC_REQUESTS adds a savepoint and its release)."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    selects = sum(1 for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("SELECT"))
    return response, selects


def without_token(content: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[A-Za-z0-9]+"', b"TOKEN", content)


def token(content: bytes) -> str:
    return re.search(rb'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"', content).group(1).decode()


def department_page(client, department) -> str:
    response = client.get(reverse("reports:public_department", args=[YEAR, department.pk]))
    assert response.status_code == 200
    return response.content.decode()


# --- Served from the cache ---------------------------------------------------------------------


@pytest.mark.parametrize("index", range(6), ids=["home", "year", "department", "open_data", "json", "csv"])
def test_the_second_anonymous_request_is_served_from_the_cache(client, home_department, index):
    url = urls(home_department)[index]
    first, cold = get(client, url)
    assert first.status_code == 200 and cold > 1
    again, warm = get(client, url)
    # Pinned: one query, the public version; nothing of the page is computed again.
    assert warm == 1
    assert again.status_code == 200
    assert again["Content-Type"] == first["Content-Type"]
    assert again.get("Content-Disposition") == first.get("Content-Disposition")
    assert again.get("Access-Control-Allow-Origin") == first.get("Access-Control-Allow-Origin")
    assert without_token(again.content) == without_token(first.content)
    # The cached copy is still a public answer: no private headers, no cookie but CSRF's.
    assert "private" not in again.get("Cache-Control", "")


def test_a_query_string_is_neither_served_from_nor_stored_in_the_page_cache(client):
    url = reverse("reports:public_year", args=[YEAR]) + "?utm_source=x"
    _, cold = get(client, url)
    _, again = get(client, url)
    # Rendered again, not the cached page; its content from the fragment cache, whose key has no
    # query string: any query string finds the same entry and adds none.
    assert cold > again > 1
    _, other = get(client, url.replace("=x", "=y"))
    assert other == again


def test_a_new_release_does_not_serve_the_previous_ones_pages(client, monkeypatch):
    url = reverse("reports:public_year", args=[YEAR])
    _, cold = get(client, url)
    monkeypatch.setattr(page_cache, "release", lambda: "another-release")
    _, after_deploy = get(client, url)
    assert after_deploy == cold


# --- Never stale ----------------------------------------------------------------------------------


def test_publishing_a_year_shows_at_once(client, seeded_plan, admin_user):
    home = reverse("reports:public_home")
    before = client.get(home).content.decode()
    _, warm = get(client, home)
    assert warm == 1  # cached
    assert reverse("reports:public_year", args=[NEXT]) not in before
    assert client.get(reverse("reports:public_year", args=[NEXT])).status_code == 404

    # Published through the admin, as the city does.
    client.force_login(admin_user)
    response = client.post(reverse("admin:plans_publishedyear_add"), {"plan": seeded_plan.pk, "year": NEXT, "note": ""})
    assert response.status_code == 302
    client.logout()

    after = client.get(home).content.decode()
    assert reverse("reports:public_year", args=[NEXT]) in after  # the newest year is the default now
    assert client.get(reverse("reports:public_year", args=[NEXT])).status_code == 200


def test_withdrawing_a_year_shows_at_once(client, home_department):
    for url in urls(home_department):
        assert client.get(url).status_code == 200
    PublishedYear.objects.filter(year=YEAR).get().delete()
    home, _, _, index, *_ = urls(home_department)
    for url in urls(home_department):
        if url not in (home, index):
            assert client.get(url).status_code == 404, url
    assert reverse("reports:public_year", args=[YEAR]) not in client.get(home).content.decode()
    assert reverse("reports:open_data_json", args=[YEAR]) not in client.get(index).content.decode()


def test_an_approved_correction_shows_at_once(client, request, home_department, staff, supervisor, planner):
    report = request.getfixturevalue("approved")

    def shown():
        body = department_page(client, home_department)
        row = next(
            r
            for r in client.get(reverse("reports:open_data_json", args=[YEAR])).json()["indicators"]
            if r["code"] == CODE and r["department"] == home_department.name
        )
        return body, row

    body, row = shown()
    assert ORIGINAL["narrative"] in body and row["actual"] == 3
    _, warm = get(client, reverse("reports:public_department", args=[YEAR, home_department.pk]))
    assert warm == 1  # the page is cached now

    _reopen(report, planner, REASON)
    body, row = shown()
    assert ORIGINAL["narrative"] in body and row["actual"] == 3 and row["corrected_at"] == ""  # rule 3

    corrected = _correct(report, staff, 4, **CORRECTED)
    body, row = shown()
    assert ORIGINAL["narrative"] in body and row["actual"] == 3  # submitted, not approved yet

    _approve(corrected, supervisor)
    body, row = shown()
    assert CORRECTED["narrative"] in body and ORIGINAL["narrative"] not in body
    assert REASON in body
    assert row["actual"] == 4 and row["correction_reason"] == REASON


def test_a_renamed_department_and_a_revised_target_show_at_once(client, home_department, admin_user):
    url = reverse("reports:public_department", args=[YEAR, home_department.pk])
    department_page(client, home_department)
    _, warm = get(client, url)
    assert warm == 1
    home_department.name = "都市發展處（新名）"
    home_department.save()
    assert "都市發展處（新名）" in department_page(client, home_department)

    indicator = kpi_by_code(CODE, department="都市發展處（新名）")

    def row():
        rows = client.get(reverse("reports:open_data_json", args=[YEAR])).json()["indicators"]
        return next(r for r in rows if r["indicator_id"] == indicator.pk)

    assert row()["target"] == 5 and row()["target_revised"] is False  # the second one from the cache
    target_set(indicator=indicator, year=YEAR, value="7", reason="市府核定修正目標。", user=admin_user)
    assert row()["target"] == 7 and row()["target_revised"] is True


def test_a_database_restored_from_a_backup_never_reuses_a_later_pages_key(client, seeded_plan, admin_user):
    home = reverse("reports:public_home")
    PublicVersion.objects.filter(pk=1).update(value=1000)  # the backup is taken at this version
    client.get(home)
    PublishedYear.objects.create(plan=seeded_plan, year=NEXT, published_by=admin_user)
    assert reverse("reports:public_year", args=[NEXT]) in client.get(home).content.decode()  # cached, too

    # The backup is restored: the row published since, and the version, are as they were.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM plans_publishedyear WHERE year = %s", [NEXT])
    PublicVersion.objects.filter(pk=1).update(value=1000)
    assert reverse("reports:public_year", args=[NEXT]) not in client.get(home).content.decode()

    # The next change must not land on the version the lost change had (1001, had it been counted).
    PublishedYear.objects.create(plan=seeded_plan, year=YEAR - 1, published_by=admin_user)
    body = client.get(home).content.decode()
    assert reverse("reports:public_year", args=[YEAR - 1]) in body
    assert reverse("reports:public_year", args=[NEXT]) not in body


def test_what_the_public_shows_moves_the_version_and_drafts_do_not(periods, staff, supervisor):
    def version():
        return PublicVersion.objects.get(pk=1).value

    start = version()
    draft = _file("2-2", periods[f"{YEAR}Q4"], staff, 1, narrative="草稿")
    assert draft.status == ReportStatus.SUBMITTED
    assert version() == start  # submitting is not public
    _approve(draft, supervisor)
    assert version() != start
    start = version()
    ProgressReport.objects.get(pk=draft.pk).delete()
    assert version() != start


# --- Whose copy -----------------------------------------------------------------------------------


def test_each_language_has_its_own_copy(client, home_department):
    url = reverse("reports:public_department", args=[YEAR, home_department.pk])
    chinese = client.get(url).content.decode()
    assert 'lang="zh-Hant-TW"' in chinese
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(url).content.decode()
    assert '<html lang="en">' in english and "Public performance report" in english
    again = client.get(url).content.decode()  # now from the cache: still English
    assert '<html lang="en">' in again
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hant"
    assert 'lang="zh-Hant-TW"' in client.get(url).content.decode()


def test_signed_in_people_neither_get_nor_leave_a_cached_copy(client, home_department, staff):
    url = reverse("reports:public_year", args=[YEAR])
    client.force_login(staff)
    mine = client.get(url).content.decode()
    assert "王小明" in mine  # their own header
    assert "private" in client.get(url)["Cache-Control"]

    anonymous = Client()
    first, cold = get(anonymous, url)
    assert cold > 1  # nothing was left by the signed-in requests
    assert "王小明" not in first.content.decode()
    _, warm = get(anonymous, url)
    assert warm == 1

    again, selects = get(client, url)  # the anonymous copy is not served to the signed-in
    assert selects > 1
    assert "王小明" in again.content.decode()


def test_signed_in_people_get_the_cached_content_inside_their_own_page(client, home_department, staff):
    """The frame (navigation, name, work counts) is theirs; the content is computed once."""
    other = Client()
    other.force_login(staff)
    for url in urls(home_department)[1:3]:
        client.force_login(staff)
        first, cold = get(client, url)
        again, warm = get(other, url)
        assert warm < cold
        assert "王小明" in again.content.decode() and "private" in again["Cache-Control"]
        assert without_token(again.content) == without_token(first.content)
        # Anonymous visitors get the same content, in a page without anyone's name.
        anonymous = Client().get(url).content.decode()
        assert "王小明" not in anonymous
        content = re.search(r'<div class="public">.*</div>', first.content.decode(), re.S).group(0)
        assert content.split('<p class="public-colophon')[0] in anonymous


def test_signed_in_people_see_a_correction_at_once(client, request, home_department, staff, supervisor, planner):
    report = request.getfixturevalue("approved")
    url = reverse("reports:public_department", args=[YEAR, home_department.pk])
    viewer = Client()
    viewer.force_login(planner)
    assert ORIGINAL["narrative"] in viewer.get(url).content.decode()
    _, warm = get(viewer, url)
    clear_page_cache()
    _, cold = get(viewer, url)
    assert warm < cold  # the content came from the cache

    _reopen(report, planner, REASON)
    _approve(_correct(report, staff, 4, **CORRECTED), supervisor)
    body = viewer.get(url).content.decode()
    assert CORRECTED["narrative"] in body and ORIGINAL["narrative"] not in body


def test_each_visitor_gets_their_own_csrf_token():
    url = reverse("reports:public_year", args=[YEAR])
    first = Client(enforce_csrf_checks=True)
    second = Client(enforce_csrf_checks=True)
    a = first.get(url)
    b, selects = get(second, url)
    assert selects == 1  # from the cache
    assert token(a.content) != token(b.content)
    # The language switcher of the cached page works for the second visitor.
    response = second.post(
        reverse("set_language"), {"language": "en", "next": url, "csrfmiddlewaretoken": token(b.content)}
    )
    assert response.status_code == 302


def test_a_message_waiting_is_shown_to_its_visitor_only(client):
    url = reverse("reports:public_year", args=[YEAR])
    client.get(url)  # cached

    storage = CookieStorage(HttpRequest())
    client.cookies[storage.cookie_name] = storage._encode([Message(constants.INFO, "ONE-VISITOR-MESSAGE")])
    response, selects = get(client, url)
    assert selects > 1  # rendered for them, not served from the cache
    assert "ONE-VISITOR-MESSAGE" in response.content.decode()

    others, warm = get(Client(), url)
    assert warm == 1 and "ONE-VISITOR-MESSAGE" not in others.content.decode()


# --- The cache failing ------------------------------------------------------------------------------


def test_redis_down_the_pages_still_render(client, home_department, settings, caplog):
    clear_page_cache()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/1",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    with caplog.at_level(logging.WARNING, logger="common.caching"):
        for url in urls(home_department):
            first, _ = get(client, url)
            assert first.status_code == 200, url
            again, selects = get(client, url)
            assert again.status_code == 200 and selects > 1  # computed each time
    assert "cache unavailable" in caplog.text
    caching.cache_reset()


def test_a_cache_that_fails_on_write_costs_nothing(client, monkeypatch):
    class Broken:
        def get(self, key):
            return None

        def set(self, *args):
            raise ConnectionError("the cache went away")

    monkeypatch.setattr(caching, "cache", Broken())
    response = client.get(reverse("reports:public_year", args=[YEAR]))
    assert response.status_code == 200
    caching.cache_reset()
