"""Production settings keep database connections open between requests (issue #15, point 4).

Opening a PostgreSQL connection costs 8–20 ms, more than many pages spend on their
queries; each gunicorn worker thread keeps its own for DB_CONN_MAX_AGE seconds, checked
before reuse. Loaded as tests/test_settings.py loads the production settings: in a fresh
interpreter from an environment built from scratch.
"""

import json

import pytest

from tests.test_settings import run_settings

PRINT_CONNECTIONS = """
import json
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({"CONN_MAX_AGE": db.get("CONN_MAX_AGE"), "CONN_HEALTH_CHECKS": db.get("CONN_HEALTH_CHECKS")}))
"""
POSTGRES = "postgres://kpi:secret@db.example:5432/kpi"


def connections(**variables) -> dict:
    variables.setdefault("DB_CONN_MAX_AGE", None)  # never from the outer environment
    result = run_settings(PRINT_CONNECTIONS, SECRET_KEY="k", **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("url", [POSTGRES, None], ids=["postgresql", "sqlite-default"])
def test_connections_persist_by_default_and_are_checked_before_reuse(url):
    settings = connections(DATABASE_URL=url)
    assert settings["CONN_MAX_AGE"] == 60
    assert settings["CONN_HEALTH_CHECKS"] is True


def test_db_conn_max_age_sets_the_lifetime_and_zero_closes_after_each_request():
    assert connections(DATABASE_URL=POSTGRES, DB_CONN_MAX_AGE="300")["CONN_MAX_AGE"] == 300
    # Behind PgBouncer in transaction mode: no persistent connections.
    assert connections(DATABASE_URL=POSTGRES, DB_CONN_MAX_AGE="0")["CONN_MAX_AGE"] == 0


def test_conn_max_age_in_the_database_url_wins():
    settings = connections(DATABASE_URL=POSTGRES + "?conn_max_age=5", DB_CONN_MAX_AGE="300")
    assert settings["CONN_MAX_AGE"] == 5
    assert settings["CONN_HEALTH_CHECKS"] is True


@pytest.mark.parametrize("value", ["sixty", "-1", ""])
def test_a_bad_lifetime_fails_loudly(value):
    result = run_settings(PRINT_CONNECTIONS, SECRET_KEY="k", DATABASE_URL=POSTGRES, DB_CONN_MAX_AGE=value)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DB_CONN_MAX_AGE" in result.stderr
