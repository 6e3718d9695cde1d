"""manage.py check_evidence: rows without their file, files without a row, altered files;
exit status 1 when anything is wrong; orphan files deleted only when asked, rows never."""

from __future__ import annotations

import datetime
import io
import os
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from kpi import services
from kpi.models import Evidence, Indicator

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
OLD = time.time() - 2 * 3600  # older than the default --min-age of 60 minutes


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.KPI_TODAY = datetime.date(2023, 8, 10)
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def draft(staff, seeded_plan, periods):
    kpi = Indicator.objects.get(objective__number=1, number=5)
    return services.report_save(indicator=kpi, period=periods[112, 3], user=staff, actual="2", expected_version=0)


@pytest.fixture
def evidence(draft, staff):
    """Two files and a link, as uploaded."""
    pdf = services.evidence_add(report=draft, user=staff, file=SimpleUploadedFile("紀錄.pdf", PDF))
    png = services.evidence_add(report=draft, user=staff, file=SimpleUploadedFile("照片.png", PNG))
    services.evidence_add(report=draft, user=staff, url="https://www.klcg.gov.tw/")
    return pdf, png


def check(*args) -> tuple[int, str]:
    """(exit status, what was printed), as cron would see them."""
    out = io.StringIO()
    try:
        call_command("check_evidence", *args, "--language", "en", stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


def orphan(media: Path, name: str = "evidence/2023/08/遺留.pdf", age: float = OLD) -> Path:
    path = media / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(PDF + b"orphan")
    os.utime(path, (age, age))
    return path


def test_all_in_order_exits_0(evidence):
    status, out = check()
    assert status == 0
    assert "Rows with a file: 2" in out
    assert "Files in the evidence directory: 2" in out
    assert "Rows whose file is missing: 0" in out and "Files with no row: 0" in out
    assert "Everything matches." in out


def test_a_row_whose_file_is_missing(evidence):
    pdf, _png = evidence
    Path(pdf.file.path).unlink()
    status, out = check()
    assert status == 1
    assert "Rows whose file is missing: 1" in out
    assert f"#{pdf.pk} 紀錄.pdf ({pdf.file.name})" in out
    assert "1 problem found in the evidence files." in out


def test_a_removed_rows_file_still_counts(evidence, staff):
    pdf, _png = evidence
    services.evidence_remove(evidence=pdf, user=staff)
    Path(pdf.file.path).unlink()
    status, out = check()
    assert status == 1
    assert "[removed]" in out


def test_a_file_with_no_row_is_reported_and_kept_by_default(evidence, media):
    path = orphan(media)
    part = orphan(media, "evidence/2023/08/.upload-0123abcd.part")  # a crash mid-write
    status, out = check()
    assert status == 1
    assert "Files with no row: 2" in out
    assert "evidence/2023/08/遺留.pdf" in out and ".upload-0123abcd.part" in out
    assert path.exists() and part.exists()


def test_delete_orphan_files_is_a_dry_run_without_apply(evidence, media):
    path = orphan(media)
    status, out = check("--delete-orphan-files")
    assert status == 1
    assert "Dry run: the 1 file with no row above would be deleted; add --apply to delete it." in out
    assert path.exists()


def test_delete_orphan_files_apply_deletes_only_files_without_a_row(evidence, media):
    pdf, png = evidence
    path = orphan(media)
    Path(png.file.path).unlink()  # a missing file: its row must stay
    status, out = check("--delete-orphan-files", "--apply")
    assert not path.exists()
    assert "Files with no row deleted: 1" in out
    assert Path(pdf.file.path).exists()
    assert Evidence.objects.count() == 3  # no row deleted
    assert status == 1  # the missing file is still wrong
    Path(png.file.path).write_bytes(PNG)
    assert check()[0] == 0


def test_recent_files_are_not_judged_nor_deleted(evidence, media):
    """An upload under way has its file before its row commits."""
    path = orphan(media, age=time.time())
    status, out = check("--delete-orphan-files", "--apply")
    assert status == 0
    assert "Files modified in the last 60 minutes, not judged: 1" in out
    assert path.exists()
    status, out = check("--min-age", "0")
    assert status == 1 and "Files with no row: 1" in out


def test_a_file_whose_content_changed(evidence):
    pdf, _png = evidence
    Path(pdf.file.path).write_bytes(PDF + b"altered")
    status, out = check("--delete-orphan-files", "--apply")
    assert status == 1
    assert "Files whose content no longer matches the recorded SHA-256: 1" in out
    assert Path(pdf.file.path).exists()  # never deleted: it has a row
    assert check("--no-content")[0] == 0


def test_no_evidence_directory_at_all_is_fine(db, media):
    assert check()[0] == 0


def test_apply_needs_delete_orphan_files(db):
    with pytest.raises(CommandError, match="--apply"):
        call_command("check_evidence", "--apply")


def test_the_report_is_in_the_default_language_unless_asked(evidence):
    with translation.override("zh-hant"):
        expected = (_("Rows with a file: %(count)s") % {"count": 2}, _("Everything matches."))
    out = io.StringIO()
    call_command("check_evidence", stdout=out)
    assert all(line in out.getvalue() for line in expected)
