"""The API's contract: the OpenAPI 3 schema is valid, and the API keeps to it.

`manage.py spectacular --validate --fail-on-warn` must pass, so that the schema says
exactly what the views do. Schemathesis then reads the schema the app serves and sends
each operation generated requests (valid and invalid) on the seeded database, signed in
with a token: any server error, any response that the schema does not describe (status
code, content type, headers, body) fails the test.
"""

import datetime
import json
from decimal import Decimal

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
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
from kpi import services
from kpi.models import PlannedValue, ReportingPeriod, YearlyTarget
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
def token(settings, seeded_plan, home_department, staff, supervisor):
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
    _row, token = token_issue(user=user)
    return token


def load_schema():
    """The schema GET /api/v1/schema/ serves, built when the tests are collected (before any
    database exists, so not through the app, whose requests run in a transaction)."""
    raw = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    loaded = schemathesis.openapi.from_dict(raw)
    loaded.app = get_wsgi_application()
    return loaded


schema = load_schema()


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
