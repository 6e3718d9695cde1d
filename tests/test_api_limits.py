"""A request body over Django's limits gets the API's JSON error, not Django's HTML page.

DATA_UPLOAD_MAX_MEMORY_SIZE (5 MB) bounds a JSON or form body and the non-file fields of a
multipart one; DATA_UPLOAD_MAX_NUMBER_FIELDS and _FILES bound how many fields and files a
form sends. Django raises from `request.data`; the API answers 413 ``{"detail": …}``.
Evidence files are not part of that limit: they have their own (EVIDENCE_MAX_BYTES, 20 MB).
"""

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from drf_spectacular.generators import SchemaGenerator

from kpi import services
from kpi.models import Evidence, ProgressReport
from tests.factories import kpi_by_code

API = "/api/v1/"
MB = 1024 * 1024
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def today(settings):
    settings.KPI_TODAY = datetime.date(2023, 8, 10)  # ROC 112


@pytest.fixture
def draft(staff, periods):
    return services.report_save(
        indicator=kpi_by_code("1-5"), period=periods["112Q2"], user=staff, actual="2", narrative="說明"
    )


def assert_json_413(response, words):
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["detail"]
    assert words in body["detail"]


def test_a_json_body_over_the_limit_is_a_json_413(client, staff, periods):
    client.force_login(staff)
    body = {"indicator": kpi_by_code("1-5").pk, "period": periods["112Q2"].pk, "narrative": "說" * (2 * MB)}

    response = client.post(API + "reports/", json.dumps(body), content_type="application/json")

    assert_json_413(response, "5")
    assert not ProgressReport.objects.exists()


def test_a_form_body_over_the_limit_is_a_json_413(client, staff, draft):
    client.force_login(staff)
    response = client.post(
        API + f"reports/{draft.pk}/evidence/",
        "url=https://example.org/&description=" + "x" * (6 * MB),
        content_type="application/x-www-form-urlencoded",
    )
    assert_json_413(response, "5")
    assert not Evidence.objects.exists()


def test_a_multipart_field_over_the_limit_is_a_json_413(client, staff, draft):
    client.force_login(staff)
    response = client.post(
        API + f"reports/{draft.pk}/evidence/", {"url": "https://example.org/", "description": "x" * (6 * MB)}
    )
    assert_json_413(response, "5")
    assert not Evidence.objects.exists()


@pytest.mark.parametrize("content_type", ["form", "multipart"])
def test_too_many_fields_is_a_json_413(client, staff, draft, settings, content_type):
    client.force_login(staff)
    fields = {f"f{n}": "1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    url = API + f"reports/{draft.pk}/evidence/"
    if content_type == "form":
        response = client.post(
            url, "&".join(f"{k}={v}" for k, v in fields.items()), content_type="application/x-www-form-urlencoded"
        )
    else:
        response = client.post(url, fields)
    assert_json_413(response, str(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS))


def test_too_many_files_is_a_json_413(client, staff, draft, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    client.force_login(staff)
    files = {f"file{n}": SimpleUploadedFile(f"{n}.pdf", PDF) for n in range(4)}
    response = client.post(API + f"reports/{draft.pk}/evidence/", files)
    assert_json_413(response, "3")


def test_the_token_view_too_answers_json(client, seeded_plan):
    # The token view is not an ApiMixin view: the handler is the API's default.
    response = client.post(
        API + "auth/token/", "username=" + "x" * (6 * MB), content_type="application/x-www-form-urlencoded"
    )
    assert_json_413(response, "5")


def test_an_evidence_file_larger_than_the_body_limit_still_uploads(client, staff, draft, settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < 6 * MB < settings.EVIDENCE_MAX_BYTES
    client.force_login(staff)
    big_pdf = PDF[:-6] + b"%" + b"0" * (6 * MB) + b"\n%%EOF\n"

    response = client.post(
        API + f"reports/{draft.pk}/evidence/", {"file": SimpleUploadedFile("紀錄.pdf", big_pdf), "description": "會議"}
    )

    assert response.status_code == 201, response.content[:300]
    assert response.json()["size"] == len(big_pdf)
    Evidence.objects.get().file.delete(save=False)


def test_evidence_over_its_own_limit_is_the_services_400(client, staff, draft, settings):
    settings.EVIDENCE_MAX_BYTES = MB
    client.force_login(staff)
    big_pdf = PDF[:-6] + b"%" + b"0" * (2 * MB) + b"\n%%EOF\n"
    response = client.post(API + f"reports/{draft.pk}/evidence/", {"file": SimpleUploadedFile("紀錄.pdf", big_pdf)})
    assert response.status_code == 400
    assert "file" in response.json()


def test_the_schema_documents_the_413_of_every_operation_with_a_body():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    with_body = [
        (path, method, operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    ]
    assert ("/api/v1/reports/", "post") in {(p, m) for p, m, _o in with_body}
    assert all("413" in operation["responses"] for _p, _m, operation in with_body)
