"""The API's contract: the OpenAPI 3 schema is valid, and the API keeps to it.

`manage.py spectacular --validate --fail-on-warn` must pass, so that the schema says
exactly what the views do. Schemathesis then reads the schema the app serves and sends
each operation generated requests (valid and invalid) on the seeded database, signed in
with a token: any server error, any response that the schema does not describe (status
code, content type, headers, body) fails the test.
"""

import datetime
import json
import re
from decimal import Decimal

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.validators import URLValidator
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from common.api.tokens import token_issue
from common.text import plain_text
from kpi import services
from kpi.api.serializers import FIGURE_TEXT, LINK_PATTERN, SOME_TEXT
from kpi.models import PlannedValue, ReportingPeriod, YearlyTarget
from kpi.services.targets import parse_decimal
from plans.models import Membership, Role
from tests.factories import UserFactory, kpi_by_code

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def test_the_schema_validates_without_warnings(tmp_path):
    # Raises (and so fails) on any error or warning of drf-spectacular or the OpenAPI validator.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text(encoding="utf-8").startswith("openapi: 3.")


@pytest.fixture(autouse=True)
def keep_the_connection():
    # Requests go through the WSGI app inside the test's transaction: keep Django from closing
    # the connection at the start and end of each request (as its test client does).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(settings, tmp_path, seeded_plan, home_department, staff, supervisor):
    """A reporter of 都市發展處 who is also in the planning office, with a few reports and a planned value to find."""
    settings.KPI_TODAY = datetime.date(2023, 8, 10)
    user = UserFactory(username="fuzzer")
    Membership.objects.create(user=user, department=home_department, role=Role.REPORTER)
    Membership.objects.create(user=user, department=None, role=Role.PLANNING_OFFICE)
    services.periods_ensure(plan=seeded_plan)
    q1, q2 = ReportingPeriod.objects.filter(plan=seeded_plan, year=112, number__in=[1, 2]).order_by("number")
    extra = {"narrative": "說明", "shortfall_reason": "原因", "improvement_plan": "措施"}
    approved = services.report_save(
        indicator=kpi_by_code("1-5"), period=q1, user=staff, actual="1", submit=True, **extra
    )
    services.report_approve(report=approved, user=supervisor)
    # 112 is in progress: 1-5 is judged against its planned value for Q1 (one set, the rest by default).
    PlannedValue.objects.create(
        target=YearlyTarget.objects.get(indicator=kpi_by_code("1-5"), year=112), number=1, value=Decimal("1")
    )
    services.report_save(indicator=kpi_by_code("1-5"), period=q2, user=staff, actual="2", submit=True, **extra)
    draft = services.report_save(indicator=kpi_by_code("4-3"), period=q2, user=user, actual="1", **extra)
    services.evidence_add(report=draft, user=user, url="https://example.org/minutes")
    # And a file: its `url` is "" (once typed as a URI, which "" is not).
    settings.MEDIA_ROOT = tmp_path
    services.evidence_add(report=draft, user=user, file=SimpleUploadedFile("議程.pdf", b"%PDF-1.4\n%%EOF\n"))
    _row, token = token_issue(user=user)
    return token


def built_schema() -> dict:
    """The schema GET /api/v1/schema/ serves, built when the tests are collected (before any
    database exists, so not through the app, whose requests run in a transaction)."""
    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


def load_schema(raw: dict):
    loaded = schemathesis.openapi.from_dict(raw)
    loaded.app = get_wsgi_application()
    return loaded


RAW = built_schema()
schema = load_schema(RAW)


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_keeps_to_its_schema(db, case, token):
    if case.operation.path == "/api/v1/auth/token/":
        case.call_and_validate(checks=CHECKS)
    else:
        case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)


# --- What a generated client needs (tests/test_generated_client.py) ------------------------------


def resolved(node: dict) -> dict:
    while "$ref" in node:
        node = RAW["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def operations():
    for path, item in RAW["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_operation_takes_at_most_one_kind_of_body():
    # openapi-python-client could not import a module whose operation declared three (the token's).
    for path, method, operation in operations():
        if "requestBody" in operation:
            assert len(operation["requestBody"]["content"]) == 1, (method, path)


def test_the_token_endpoint_declares_one_json_body():
    body = RAW["paths"]["/api/v1/auth/token/"]["post"]["requestBody"]
    assert list(body["content"]) == ["application/json"]
    assert body["required"] is True
    token = resolved(body["content"]["application/json"]["schema"])
    assert sorted(token["required"]) == ["password", "username"]


def test_evidence_is_uploaded_as_a_binary_part():
    content = RAW["paths"]["/api/v1/reports/{id}/evidence/"]["post"]["requestBody"]["content"]
    assert list(content) == ["multipart/form-data"]
    fields = resolved(content["multipart/form-data"]["schema"])["properties"]
    assert (fields["file"]["type"], fields["file"]["format"]) == ("string", "binary")
    link = next(branch for branch in fields["url"].get("oneOf", [fields["url"]]) if "pattern" in branch)
    assert (link["maxLength"], link["pattern"]) == (500, LINK_PATTERN)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/reports/{id}/return/", "comment"),
        ("/api/v1/reports/{id}/reopen/", "reason"),
        ("/api/v1/periods/{id}/unlock/", "reason"),
        ("/api/v1/reports/{id}/comments/", "text"),
    ],
)
def test_a_text_the_workflow_requires_is_required_in_the_schema(path, field):
    body = RAW["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    schema = resolved(body)
    assert field in schema["required"]
    assert schema["properties"][field]["minLength"] == 1
    assert "pattern" in schema["properties"][field]


@pytest.mark.parametrize(
    ("text", "kept"),
    [("請補附簽到表", True), ("  x ", True), ("", False), ("   ", False), ("\x01\x02", False), ("\u3000\n", False)],
)
def test_the_required_text_pattern_matches_what_the_services_keep(text, kept):
    assert bool(re.search(SOME_TEXT, text)) is kept is bool(plain_text(text))


@pytest.mark.parametrize(
    "text", ["1", " 1,200 ", "85%", "-3.5", "+0.25", ".5", "9999999999.9999", "1.", "", "  ", "0 %", "1e20", "1.23456"]
)
def test_every_figure_the_schema_allows_is_read_as_a_number(text):
    assert re.match(FIGURE_TEXT, text)
    if text.strip():
        parse_decimal(text)


@pytest.mark.parametrize("text", ["abc", "1e", "NaN", "Infinity", "1 2", "%", "--1", "1%%", "0x10", "1\x00"])
def test_the_figure_pattern_refuses_what_is_not_a_number(text):
    assert not re.match(FIGURE_TEXT, text)


@pytest.mark.parametrize(
    ("link", "allowed"),
    [
        ("https://example.org/minutes", True),
        ("http://www.keelung.gov.tw/", True),
        ("HTTPS://data.gov.tw/dataset/1?x=1#y", True),
        ("ftp://example.org/", True),
        ("https://localhost:8443/x", True),
        ("http://10.1.2.3/公文", True),
        ("http://user:pw@example.org.", True),
        ("https://example.org/a b", False),
        ("https://-x.org/", False),
        ("http://[@example.org/", False),
        ("mailto:someone@example.org", False),
        ("http://256.1.1.1/", False),
    ],
)
def test_every_link_the_schema_allows_passes_the_url_validator(link, allowed):
    assert bool(re.match(LINK_PATTERN, link)) is allowed
    if allowed:
        URLValidator()(link)
