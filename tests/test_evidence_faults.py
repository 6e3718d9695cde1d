"""The evidence disk full or read-only: the upload is refused with a clear message, no row
points at a missing file, no file is left without a row, and once the disk is fine again
an upload works.

The disk is a real one where the container allows it: a 64 KiB tmpfs (a bigger upload runs
out of space half-way, ENOSPC from the kernel) or a tmpfs remounted read-only (EROFS, which
binds root too, unlike permission bits). Where mounting is not allowed (no CAP_SYS_ADMIN,
as in most CI runners) those cases skip, and the same faults come from the lowest level
instead: `os.open` under MEDIA_ROOT refuses with EROFS, or creates the file but hands back
/dev/full, whose every write fails with ENOSPC. Either way nothing of ours is patched.
"""

from __future__ import annotations

import datetime
import errno
import os
import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import translation

from common.errors import StorageUnavailable
from kpi import services
from kpi.models import Evidence, Indicator, ProgressReport, ReportEvent

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
# Bigger than the 64 KiB disk: the write runs out of space part-way through.
BIG_PDF = PDF + b"%" + b"x" * (200 * 1024) + b"\n"
API = "/api/v1/"


def stored_files(root: Path) -> list[Path]:
    """Every file under the evidence root, hidden temporary ones included."""
    return sorted(p for p in root.rglob("*") if p.is_file())


# --- Disks --------------------------------------------------------------------------------------


def _run(*args) -> bool:
    try:
        return subprocess.run(args, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


class TmpfsDisk:
    """A real, tiny file system: full or read-only as the kernel says it."""

    def __init__(self, root: Path, kind: str):
        self.root, self.kind = root, kind
        root.mkdir()
        if not _run("mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", str(root)):
            pytest.skip("mounting a tmpfs is not permitted here; the os.open cases cover this fault")

    def break_(self):
        if self.kind == "read_only":
            assert _run("mount", "-o", "remount,ro", str(self.root))

    def repair(self):
        assert _run("mount", "-o", "remount,rw,size=1m", str(self.root))

    def close(self):
        if not _run("umount", str(self.root)):
            _run("umount", "-l", str(self.root))


class OsOpenDisk:
    """The same faults raised by `os.open` itself for paths under the evidence root."""

    def __init__(self, root: Path, kind: str):
        self.root, self.kind = root, kind
        root.mkdir()
        self.patch = pytest.MonkeyPatch()
        if kind == "full" and not os.path.exists("/dev/full"):
            pytest.skip("/dev/full is not available")

    def break_(self):
        real_open, root, kind = os.open, str(self.root), self.kind

        def open_(path, flags, mode=0o777, **kwargs):
            if not os.fspath(path).startswith(root) or not flags & os.O_CREAT:
                return real_open(path, flags, mode, **kwargs)
            if kind == "read_only":
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fspath(path))
            # The file is created, as on a real disk, but nothing can be written into it.
            os.close(real_open(path, flags, mode, **kwargs))
            return real_open("/dev/full", os.O_WRONLY)

        self.patch.setattr(os, "open", open_)

    def repair(self):
        self.patch.undo()

    def close(self):
        self.patch.undo()


@pytest.fixture(
    params=[("full", TmpfsDisk), ("read_only", TmpfsDisk), ("full", OsOpenDisk), ("read_only", OsOpenDisk)],
    ids=["full-tmpfs", "read_only-tmpfs", "full-os_open", "read_only-os_open"],
)
def broken_disk(request, settings, tmp_path):
    kind, disk_class = request.param
    settings.MEDIA_ROOT = tmp_path / "media"
    disk = disk_class(tmp_path / "media", kind)
    try:
        disk.break_()
        yield disk
    finally:
        disk.close()


@pytest.fixture(autouse=True)
def today(settings):
    settings.KPI_TODAY = datetime.date(2023, 8, 10)


@pytest.fixture
def kpi(seeded_plan):
    return Indicator.objects.get(objective__number=1, number=5)


@pytest.fixture
def period(periods):
    return periods[112, 3]


@pytest.fixture
def draft(staff, kpi, period):
    return services.report_save(indicator=kpi, period=period, user=staff, actual="2", expected_version=0)


def refusal(kind: str, name: str) -> str:
    """The message the person must see, in the active language (zh-Hant once translated)."""
    code = errno.ENOSPC if kind == "full" else errno.EROFS
    return services.storage_refusal(OSError(code, os.strerror(code)), name).detail


def nothing_added(draft, disk):
    assert Evidence.objects.filter(report=draft).count() == 0
    assert not ReportEvent.objects.filter(report=draft, action="evidence_added").exists()
    assert stored_files(disk.root) == []


def upload_works_again(client, draft, disk):
    disk.repair()
    response = client.post(API + f"reports/{draft.pk}/evidence/", {"file": SimpleUploadedFile("紀錄.pdf", BIG_PDF)})
    assert response.status_code == 201, response.content
    evidence = Evidence.objects.get(pk=response.json()["id"])
    assert Path(evidence.file.path).read_bytes() == BIG_PDF
    assert stored_files(disk.root) == [Path(evidence.file.path)]


# --- Through the API, the evidence page and the report form ------------------------------------


@pytest.mark.parametrize("spooled", [False, True], ids=["in_memory", "spooled_to_disk"])
def test_api_upload_on_a_broken_disk_is_a_503_and_leaves_nothing(client, staff, draft, broken_disk, settings, spooled):
    if spooled:  # big uploads arrive as a temporary file (Django used to move it into place)
        settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    client.force_login(staff)
    response = client.post(API + f"reports/{draft.pk}/evidence/", {"file": SimpleUploadedFile("紀錄.pdf", BIG_PDF)})
    assert response.status_code == 503
    assert response.json() == {"detail": refusal(broken_disk.kind, "紀錄.pdf"), "code": f"storage_{broken_disk.kind}"}
    assert int(response["Retry-After"]) > 0
    nothing_added(draft, broken_disk)
    upload_works_again(client, draft, broken_disk)


def test_evidence_page_on_a_broken_disk_says_so_and_leaves_nothing(client, staff, draft, broken_disk):
    client.force_login(staff)
    files = [SimpleUploadedFile("小.pdf", PDF), SimpleUploadedFile("紀錄.pdf", BIG_PDF)]
    response = client.post(reverse("kpi:evidence_add", args=[draft.pk]), {"file": files}, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    # The small file may fit on the full tmpfs (then the big one is refused, and the small one
    # goes with the rolled-back request); anywhere else the small one is already refused.
    assert any(refusal(broken_disk.kind, name) in body for name in ("小.pdf", "紀錄.pdf"))
    nothing_added(draft, broken_disk)
    upload_works_again(client, draft, broken_disk)


def test_report_form_on_a_broken_disk_saves_nothing_and_keeps_what_was_typed(client, staff, kpi, period, broken_disk):
    client.force_login(staff)
    data = {
        "action": "save",
        "version": 0,
        "actual": "4",
        "narrative": "辦理四場",
        "shortfall_reason": "",
        "improvement_plan": "",
        "url": "",
        "description": "",
        "file": [SimpleUploadedFile("紀錄.pdf", BIG_PDF)],
    }
    response = client.post(reverse("kpi:report", args=[kpi.pk, period.pk]), data)
    assert response.status_code == 503
    body = response.content.decode()
    assert refusal(broken_disk.kind, "紀錄.pdf") in body
    assert 'id="id_file_error"' in body  # next to the file field
    assert "辦理四場" in body  # what was typed is kept
    assert not ProgressReport.objects.filter(indicator=kpi, period=period).exists()
    assert stored_files(broken_disk.root) == []


def test_the_refusals_say_what_happened_in_english(broken_disk):
    with translation.override("en"):
        text = refusal(broken_disk.kind, "紀錄.pdf")
    assert "紀錄.pdf" in text and "nothing was changed" in text and "system administrator" in text
    assert ("storage is full" if broken_disk.kind == "full" else "cannot be written to") in text


@pytest.mark.parametrize(
    ("code", "reason"),
    [(errno.ENOSPC, "full"), (errno.EDQUOT, "full"), (errno.EROFS, "read_only"), (errno.EACCES, "read_only")]
    + [(errno.EIO, "error")],
)
def test_each_os_error_has_its_reason(code, reason):
    refused = services.storage_refusal(OSError(code, os.strerror(code)), "a.pdf")
    assert isinstance(refused, StorageUnavailable)
    assert refused.reason == reason
    assert refused.message_dict == {"file": [refused.detail]}


# --- A rollback after the file was written takes the file with it ---------------------------


def test_a_failure_after_the_file_is_written_removes_the_file(staff, draft, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path

    def refuse(**kwargs):
        raise DatabaseError("simulated: the event could not be inserted")

    monkeypatch.setattr(ReportEvent.objects, "create", refuse)
    with pytest.raises(DatabaseError):
        services.evidence_add(report=draft, user=staff, file=SimpleUploadedFile("紀錄.pdf", PDF))
    assert not Evidence.objects.filter(report=draft).exists()
    assert stored_files(tmp_path) == []


def test_a_request_that_rolls_back_after_the_upload_leaves_no_file(
    client, staff, draft, settings, tmp_path, monkeypatch
):
    """The API's row is inserted and its file written; then the response fails (500) and the
    request's transaction (ATOMIC_REQUESTS) rolls back: the file must go too."""
    settings.MEDIA_ROOT = tmp_path
    from kpi.api import serializers

    def broken(self, instance):
        raise RuntimeError("simulated: the response could not be built")

    monkeypatch.setattr(serializers.EvidenceSerializer, "to_representation", broken)
    client.force_login(staff)
    client.raise_request_exception = False
    response = client.post(API + f"reports/{draft.pk}/evidence/", {"file": SimpleUploadedFile("紀錄.pdf", PDF)})
    assert response.status_code == 500
    assert not Evidence.objects.filter(report=draft).exists()
    assert stored_files(tmp_path) == []


@pytest.mark.django_db(transaction=True)
def test_an_outer_transaction_that_rolls_back_leaves_no_file(staff, kpi, period, settings, tmp_path, seeded_plan):
    """A caller's own transaction (a command, a task) that rolls back after the upload."""
    settings.MEDIA_ROOT = tmp_path
    # Earlier tests' uploads were rolled back with their test transactions: forget them first.
    services.evidence_discard_uncommitted()
    draft = services.report_save(indicator=kpi, period=period, user=staff, actual="2", expected_version=0)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.evidence_add(report=draft, user=staff, file=SimpleUploadedFile("紀錄.pdf", PDF))
        assert len(stored_files(tmp_path)) == 1
        raise RuntimeError("simulated: a later step failed")
    # Found and deleted the next time anything asks (every request's end, every failed upload).
    assert services.evidence_discard_uncommitted() == 1
    assert stored_files(tmp_path) == []
    kept = services.evidence_add(report=draft, user=staff, file=SimpleUploadedFile("紀錄.pdf", PDF))
    assert services.evidence_discard_uncommitted() == 0
    assert stored_files(tmp_path) == [Path(kept.file.path)]  # a committed file is never removed
