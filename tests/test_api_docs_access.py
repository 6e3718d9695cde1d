"""Who may read the API's schema and documentation pages: `API_DOCS_PUBLIC` (common.api.docs).

Default: DEBUG, so public on a developer's machine and signed-in only in production (the
test settings run with DEBUG off, as production does). Closed, an anonymous caller of the
schema gets the API's 401 JSON answer; of a page, the sign-in page with `next=`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.urls import reverse

from common.api.tokens import token_issue

API = "/api/v1/"
PAGES = ["docs/", "redoc/", "docs/?script="]


def test_closed_by_default_off_debug(settings):
    assert settings.DEBUG is False
    assert settings.API_DOCS_PUBLIC is False


@pytest.mark.parametrize(("debug", "expected"), [("off", "False"), ("on", "True")])
def test_the_default_follows_debug(debug, expected):
    """Read from a fresh interpreter, as at start-up: API_DOCS_PUBLIC unset follows DEBUG."""
    code = "from django.conf import settings; print(settings.API_DOCS_PUBLIC)"
    env = {
        "PATH": "",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ENV_FILE": "",
        "SECRET_KEY": "x",
        "DEBUG": debug,
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True
    )
    assert result.stdout.strip() == expected, result.stderr


def test_closed_schema_answers_anonymous_with_401_json(client, db):
    response = client.get(API + "schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert set(response.json()) == {"detail"}
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("path", PAGES)
def test_closed_pages_send_anonymous_to_sign_in(client, db, path):
    response = client.get(API + path)
    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=" + quote(API + path, safe="/")


def test_closed_docs_are_open_to_the_signed_in(client, staff):
    client.force_login(staff)
    assert client.get(API + "schema/", HTTP_ACCEPT="application/json").json()["openapi"].startswith("3.")
    for path in PAGES:
        assert client.get(API + path).status_code == 200, path


def test_closed_schema_is_open_to_a_token(client, staff):
    _row, token = token_issue(user=staff)
    response = client.get(API + "schema/", HTTP_ACCEPT="application/json", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200


def test_public_docs_are_open_to_everyone(client, db, settings):
    settings.API_DOCS_PUBLIC = True
    assert client.get(API + "schema/", HTTP_ACCEPT="application/json").status_code == 200
    for path in PAGES:
        assert client.get(API + path).status_code == 200, path
