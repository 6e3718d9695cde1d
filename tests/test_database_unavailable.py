"""The database failing is a 503 "try again", not a 500 (config/middleware.py): JSON under /api/,
a page elsewhere, rendered without the database. The real failures (a PostgreSQL restart, SQLite's
write lock) are in tests/faults/; here, the mapping itself."""

import sqlite3

import psycopg2
import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client
from django.urls import path
from django.utils.translation import gettext

from config.middleware import server_error
from config.urls import urlpatterns as site

CAUSES = {
    "lost": lambda: OperationalError("server closed the connection unexpectedly"),
    "refused": lambda: OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused'),
    "closed": lambda: InterfaceError("connection already closed"),
    "locked": lambda: OperationalError("database is locked"),
    "bug": lambda: OperationalError("no such table: kpi_nothing"),
}
DRIVER = {
    "lost": psycopg2.OperationalError,
    "refused": psycopg2.OperationalError,
    "closed": psycopg2.InterfaceError,
    "locked": sqlite3.OperationalError,
    "bug": sqlite3.OperationalError,
}


def fail(request, kind):
    error = CAUSES[kind]()
    raise error from DRIVER[kind](str(error))


urlpatterns = [path("test-only/fail/<str:kind>/", fail), path("api/v1/test-only/fail/<str:kind>/", fail), *site]
pytestmark = pytest.mark.urls(__name__)

UNAVAILABLE = (
    "The service is briefly unavailable: the database is not answering. Try again in a minute; "
    "if you were saving, check first whether the save went through."
)
LOCKED = (
    "Someone else is saving at this moment and this request could not wait its turn. "
    "Nothing was saved: send it again in a moment."
)


@pytest.mark.parametrize("kind", ["lost", "refused", "closed"])
def test_a_lost_database_is_a_503_page_in_zh_hant(client, db, kind):
    response = client.get(f"/test-only/fail/{kind}/")
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    body = response.content.decode()
    assert '<html lang="zh-Hant-TW">' in body
    assert gettext("Service briefly unavailable") in body and "503" in body
    assert "OperationalError" not in body and "5432" not in body  # nothing technical


@pytest.mark.parametrize("kind", ["lost", "refused", "closed"])
def test_a_lost_database_is_a_503_in_json_for_the_api(client, db, kind):
    response = client.get(f"/api/v1/test-only/fail/{kind}/")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": gettext(UNAVAILABLE)}


def test_sqlite_lock_not_had_in_time_says_someone_else_is_saving(client, db):
    api = client.get("/api/v1/test-only/fail/locked/")
    assert (api.status_code, api["Retry-After"], api.json()) == (503, "5", {"detail": gettext(LOCKED)})
    page = client.get("/test-only/fail/locked/")
    assert page.status_code == 503 and gettext("Someone else is saving") in page.content.decode()


def test_a_missing_table_is_still_a_500_a_bug_is_not_hidden_as_a_wait(db):
    response = Client(raise_request_exception=False).get("/test-only/fail/bug/")
    assert response.status_code == 500


def test_a_failure_outside_a_view_gets_the_same_answer(rf):
    # A middleware's query (the session, the user) fails before any view: Django's handler500.
    # No database in this test: the page must not need it.
    try:
        raise OperationalError("server closed the connection unexpectedly") from psycopg2.OperationalError()
    except OperationalError:
        response = server_error(rf.get("/kpi/"))
    assert response.status_code == 503 and gettext("Service briefly unavailable") in response.content.decode()
    try:
        raise ValueError("anything else")
    except ValueError:
        response = server_error(rf.get("/kpi/"))
    assert response.status_code == 500 and "錯誤代碼：500" in response.content.decode()
