"""A client generated from the API's schema works (issue #17).

openapi-python-client (requirements-dev.txt) generates a Python client from the schema that
`GET /api/v1/schema/` serves, offline, into a temporary directory; the test then walks the
whole reporting cycle through it against pytest-django's live server, as a script of a
department would: a token for the reporter, the indicators, a draft saved and saved again,
an evidence file uploaded, the report submitted; a token for the supervisor, who approves;
the attainment read back. Every answer is parsed by the generated models, and a status the
schema does not list raises (`raise_on_unexpected_status`).
"""

import datetime
import importlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from tests.factories import kpi_by_code

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "kpi_client"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def schema_json() -> bytes:
    """The schema GET /api/v1/schema/ serves (built without a request, as tests/test_api_schema.py does)."""
    return OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True))


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The generated client package, imported from a temporary directory."""
    root = tmp_path_factory.mktemp("generated")
    (root / "schema.json").write_bytes(schema_json())
    # No post-generation hooks: they run ruff from PATH to format the code, which is not needed to use it.
    (root / "config.json").write_text(json.dumps({"post_hooks": []}))
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(root / "schema.json"),
            "--config",
            str(root / "config.json"),
            "--meta",
            "none",
            "--output-path",
            str(root / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The generator warns of any operation or model it had to leave out: there must be none.
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def module(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_every_operation_module_of_the_generated_client_imports(generated):
    # The token module once failed to import (NameError: Unset) for its three request bodies.
    api = Path(generated.__file__).parent / "api"
    names = sorted(p.relative_to(api.parent).with_suffix("") for p in api.glob("*/*.py") if p.stem != "__init__")
    assert len(names) > 30
    for path in names:
        module(".".join(path.parts))


def ok(response, status: int = 200):
    """The parsed answer of a `sync_detailed` call, which must have the expected status."""
    assert response.status_code == status, response.content.decode()
    return response.parsed


def test_the_reporting_cycle_through_the_generated_client(
    generated, live_server, settings, tmp_path, staff, supervisor
):
    settings.KPI_TODAY = datetime.date(2023, 10, 5)  # ROC 112, after its Q3 (open for submission)
    settings.MEDIA_ROOT = tmp_path  # the evidence file
    client_module = module("client")
    models = module("models")
    types = module("types")

    def api(name: str):
        tag, _sep, _rest = name.partition("_")
        return module(f"api.{tag}.{name}")

    anonymous = client_module.Client(base_url=live_server.url, raise_on_unexpected_status=True)

    def signed_in(username: str):
        body = models.TokenRequest(username=username, password=f"pw-{username}")
        token = ok(api("auth_token_create").sync_detailed(client=anonymous, body=body))
        assert isinstance(token, models.Token) and token.expires > datetime.datetime.now(datetime.UTC)
        return client_module.AuthenticatedClient(
            base_url=live_server.url, token=token.token, prefix="Token", raise_on_unexpected_status=True
        )

    # Wrong credentials: the field errors of the schema's 400, not an exception.
    wrong = api("auth_token_create").sync_detailed(
        client=anonymous, body=models.TokenRequest(username="staff", password="wrong")
    )
    assert wrong.status_code == 400

    reporter = signed_in("staff")

    # The open-data indicators, then the plan's periods of 112.
    kpi = kpi_by_code("1-5")
    indicators = ok(api("indicators_list").sync_detailed(client=reporter))
    indicator = next(i for i in indicators if i.id == kpi.pk)
    assert (indicator.code, indicator.department) == ("1-5", "都市發展處")
    plan_id = kpi.department_plan.plan_id
    periods = ok(api("periods_list").sync_detailed(client=reporter, plan=plan_id, year=112))
    period = next(p for p in periods.results if p.number == 3)

    # A draft, saved again with a figure behind plan (so the reason and the measures are needed).
    report = ok(
        api("reports_create").sync_detailed(
            client=reporter,
            body=models.ReportCreate(indicator=indicator.id, period=period.id, actual=2, narrative="已召開 2 場。"),
        ),
        201,
    )
    assert (report.status, report.actual, report.version) == (models.StatusEnum.DRAFT, 2, 1)
    report = ok(
        api("reports_partial_update").sync_detailed(
            client=reporter,
            id=report.id,
            body=models.PatchedReportUpdate(
                version=report.version,
                actual="3",
                narrative="召開市港溝通平台會議 3 場。",
                shortfall_reason="第 4 場延至第 4 季。",
                improvement_plan="第 4 季加開。",
            ),
        )
    )
    assert (report.status, report.actual, report.version) == (models.StatusEnum.DRAFT, 3, 2)

    # Evidence: a PDF uploaded as the multipart body's binary part.
    upload = models.EvidenceUpload(
        file=types.File(payload=io.BytesIO(PDF), file_name="簽到表.pdf", mime_type="application/pdf"),
        description="會議簽到表",
    )
    evidence = ok(api("reports_evidence_create").sync_detailed(client=reporter, id=report.id, body=upload), 201)
    assert (evidence.original_name, evidence.size, evidence.description) == ("簽到表.pdf", len(PDF), "會議簽到表")

    report = ok(
        api("reports_submit_create").sync_detailed(
            client=reporter, id=report.id, body=models.Version(version=report.version)
        )
    )
    assert report.status == models.StatusEnum.SUBMITTED
    assert [e.original_name for e in report.evidence] == ["簽到表.pdf"]

    # The reporter may not approve; the supervisor, with a token of their own, does.
    refused = api("reports_approve_create").sync_detailed(
        client=reporter, id=report.id, body=models.Approve(version=report.version)
    )
    assert refused.status_code == 403
    reviewer = signed_in("supervisor")
    report = ok(
        api("reports_approve_create").sync_detailed(
            client=reviewer, id=report.id, body=models.Approve(version=report.version, comment="同意。")
        )
    )
    assert (report.status, report.reviewed_by.id) == (models.StatusEnum.APPROVED, supervisor.pk)

    # The attainment: 3 of the 4 sessions planned by Q3 (3.75, whole), 75%: red.
    attainment = ok(api("attainment_retrieve").sync_detailed(client=reviewer, plan=plan_id, year=112))
    row = next(r for r in attainment.indicators if r.indicator == indicator.id)
    assert (row.actual, row.report, row.planned_to_date, row.light) == (3, report.id, 4, models.LightEnum.RED)
    assert row.year_raw == 60  # 3 of the year's 5
