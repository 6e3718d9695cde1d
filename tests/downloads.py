"""The whole city's yearly report file, fetched the way a person gets it: ask for it (POST),
the background task runs when that request commits (eagerly: no broker in the tests), the
progress page links to the file, and the file is downloaded (reports.exports)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass

from django.test import TestCase, override_settings
from django.urls import reverse

from reports.models import YearlyExport


@dataclass
class Downloaded:
    status_code: int
    content: bytes
    headers: dict[str, str]

    def __getitem__(self, name: str) -> str:
        return self.headers[name]


def city_download(client, fmt: str, year: int) -> Downloaded:
    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        return _city_download(client, fmt, year)


def _city_download(client, fmt: str, year: int) -> Downloaded:
    with TestCase.captureOnCommitCallbacks(execute=True):
        asked = client.post(reverse("reports:yearly_export_start"), {"format": fmt, "year": year})
    assert asked.status_code == 303, (asked.status_code, asked.content[:300])
    export = YearlyExport.objects.order_by("-created_at").first()
    assert asked["Location"] == reverse("reports:yearly_export", args=[export.pk])
    page = client.get(asked["Location"])
    file_url = reverse("reports:yearly_export_file", args=[export.pk])
    assert page.status_code == 200 and file_url in page.content.decode(), page.content.decode()[:2000]
    response = client.get(file_url)
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    if getattr(response, "file_to_stream", None):  # not response.close(): see tests/test_permissions.py
        response.file_to_stream.close()
    return Downloaded(response.status_code, content, dict(response.headers))


def city_section(client, year: int, department_id: int) -> str:
    """One department's tables as the whole city's page fetches them when opened."""
    response = client.get(reverse("reports:yearly_section"), {"year": year, "department": department_id})
    assert response.status_code == 200
    return response.content.decode()
