"""What is meant for one person is never cached: `Cache-Control: private, no-store`
(config.middleware.PrivateNoStoreMiddleware).

Signed-in pages, downloads, evidence and API answers carry it, whoever asks and whatever
the status; the API carries it for anonymous callers too, but for the open-data list.
The public pages and the open-data files, fetched without signing in, keep their own
headers and may be cached.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from common.api.tokens import token_issue
from tests.test_permissions import ACTIONS, walk_world  # noqa: F401 (a fixture)

MIDDLEWARE = "config.middleware.PrivateNoStoreMiddleware"
SIGNED_IN = ["staff", "other_staff", "supervisor", "planner", "admin"]
# Routes of the walk that must be among those checked: a page, each kind of download, evidence, the API.
MUST_WALK = {
    "home",
    "detail",
    "yearly_download",
    "yearly_export",
    "yearly_export_file",
    "report_import_template",
    "evidence_download",
}
PUBLIC = ["public_home", "public_year", "public_department", "open_data", "open_data_json", "open_data_csv"]


def no_store(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


def fetch(client, url):
    response = client.get(url)
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
        if getattr(response, "file_to_stream", None):
            response.file_to_stream.close()
    return response


@pytest.mark.parametrize("actor", SIGNED_IN)
def test_every_signed_in_answer_is_private_no_store(client, cast, walk_world, actor):  # noqa: F811 (the fixture)
    """Every route of the permission walk, signed in, whatever it answers (200, 302, 403, 404 …)."""
    client.force_login(cast[actor])
    walked, cached = set(), []
    for action, build in ACTIONS.items():
        method, url, _data = build(walk_world)
        if method != "get" or action == "logout":
            continue
        response = fetch(client, url)
        walked.add(action)
        if not no_store(response):
            cached.append((action, url, response.status_code, response.get("Cache-Control")))
    assert MUST_WALK <= walked
    assert cached == []


def test_the_api_with_a_token_is_private_no_store(client, staff, walk_world):  # noqa: F811 (the fixture)
    _row, token = token_issue(user=staff)
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    for url in (
        "/api/v1/reports/",
        "/api/v1/periods/",
        f"/api/v1/reports/{walk_world.draft.pk}/",
        "/api/v1/indicators/",
    ):
        response = client.get(url, **auth)
        assert response.status_code == 200, url
        assert no_store(response), (url, response.get("Cache-Control"))


def test_the_token_itself_is_never_cached(client, staff):
    response = client.post("/api/v1/auth/token/", {"username": "staff", "password": "pw-staff"})
    assert response.status_code == 200
    assert no_store(response)


def test_anonymous_api_answers_are_no_store_but_open_data(client, walk_world):  # noqa: F811 (the fixture)
    refused = client.get("/api/v1/reports/")
    assert refused.status_code == 401
    assert no_store(refused)
    assert no_store(client.get("/api/v1/no-such-thing/"))
    open_data = client.get("/api/v1/indicators/")
    assert open_data.status_code == 200
    assert not no_store(open_data)
    assert "Cache-Control" not in open_data


@pytest.mark.parametrize("action", PUBLIC)
def test_public_pages_and_open_data_fetched_anonymously_may_be_cached(client, settings, walk_world, action):  # noqa: F811 (the fixture)
    """They send what they sent before the middleware: no no-store, no Vary added."""
    _method, url, _data = ACTIONS[action](walk_world)
    response = fetch(client, url)
    assert response.status_code == 200
    assert not no_store(response)
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]
    without = fetch(client, url)
    for header in ("Cache-Control", "Expires", "Vary"):
        assert response.get(header) == without.get(header), header


def test_a_public_page_seen_signed_in_is_private(client, staff, walk_world):  # noqa: F811 (the fixture)
    """It shows the signed-in navigation (name, work counts): not for a shared cache."""
    client.force_login(staff)
    assert no_store(client.get(reverse("reports:public_home")))
