"""Under /api/ every error is JSON, and a value sent is never read as a format (issue #17).

- A query parameter holding `%`, `%s`, `%(x)s` or `{}` is refused with a 400 naming it (or,
  for a name, simply matches nothing): the value goes into the message as a parameter.
- An address under /api/ that does not exist, a newline in it included, is a JSON 404; a 400,
  403 or 500 raised outside the API's views is JSON there too, while the pages keep theirs.
"""

import json

import pytest
from django.core.exceptions import PermissionDenied
from rest_framework.test import APIClient

from config import middleware

API = "/api/v1/"
FORMATS = ["%", "%s", "%(x)s", "{}", "113%", "1%", "%%", "%d", "{0}", "%(year)s", "%(value)s"]

# (address, parameter) pairs whose parameter is refused unless it is a number, a choice or a boolean.
CHECKED = [
    ("periods/", "year"),
    ("periods/", "plan"),
    ("periods/", "locked"),
    ("periods/", "frequency"),
    ("periods/", "ordering"),
    ("reports/", "plan"),
    ("reports/", "year"),
    ("reports/", "status"),
    ("reports/", "page"),
    ("reports/", "page_size"),
    ("departments/", "plan"),
    ("plans/", "year"),
    ("goals/", "department"),
    ("indicators/", "year"),
]


@pytest.fixture
def api(staff):
    client = APIClient()
    client.force_authenticate(staff)
    return client


@pytest.mark.parametrize("value", FORMATS)
@pytest.mark.parametrize(("path", "name"), CHECKED)
def test_a_format_in_a_parameter_is_a_400_naming_it(api, path, name, value):
    response = api.get(API + path, {name: value})
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    messages = response.json()[name]
    assert len(messages) == 1
    # The value as sent, inside the message (never formatted: "%(x)s" stays "%(x)s").
    assert value.strip() in messages[0], messages


@pytest.mark.parametrize("value", FORMATS)
def test_a_format_in_the_attainments_parameters_is_a_400(api, seeded_plan, value):
    for params, name in (({"plan": value, "year": 112}, "plan"), ({"plan": seeded_plan.pk, "year": value}, "year")):
        response = api.get(API + "attainment/", params)
        assert response.status_code == 400, response.content
        assert value in response.json()[name][0]


@pytest.mark.parametrize("value", FORMATS)
def test_a_format_in_a_department_name_matches_nothing(client, db, value):
    response = client.get(API + "indicators/", {"department": value})
    assert response.status_code == 200
    assert response.json() == []


# --- Addresses that do not exist ---------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/reports/%0A/",
        "/api/v1/reports/%0A",
        "/api/v1/reports/1%0A/",
        "/api/v1/reports/%0A/events/",
        "/api/v1/%0A",
        "/api/v1/no-such-thing/",
        "/api/v1/reports/99999999999999999999/",
        "/api/",
        "/api",
        "/api/%0A/",
        "/api/v2/reports/",
    ],
)
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_an_api_address_that_does_not_exist_is_a_json_404(api, path, method):
    response = getattr(api, method)(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}
    assert response.json()["detail"].startswith("找不到這個 API 位址。")


def test_a_page_that_does_not_exist_keeps_its_page(client, db):
    response = client.get("/kpi/%0A/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_bad_host_under_the_api_is_a_json_400(client, db):
    response = client.get(API + "plans/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}
    page = client.get("/", HTTP_HOST="evil.example")
    assert (page.status_code, page["Content-Type"].startswith("text/html")) == (400, True)


def test_a_refusal_or_a_failure_outside_a_view_is_json_under_the_api(rf, db):
    denied = middleware.permission_denied(rf.get(API + "reports/"), PermissionDenied("不可以"))
    assert (denied.status_code, denied["Content-Type"]) == (403, "application/json")
    assert json.loads(denied.content) == {"detail": "不可以"}
    failed = middleware.server_error(rf.get(API + "reports/"))
    assert (failed.status_code, failed["Content-Type"]) == (500, "application/json")
    assert set(json.loads(failed.content)) == {"detail"}
    page = middleware.server_error(rf.get("/kpi/"))
    assert (page.status_code, page["Content-Type"].startswith("text/html")) == (500, True)


def test_a_token_that_is_not_valid_is_a_401_even_on_open_data(client, db):
    response = client.get(API + "indicators/", HTTP_AUTHORIZATION="Token " + "0" * 64)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")
    assert set(response.json()) == {"detail"}
    assert client.get(API + "indicators/").status_code == 200  # without one, open data
