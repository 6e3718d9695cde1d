"""Evidence (佐證資料): files and links attached to a report while it can still be edited.

A file and its row live or die together. The file is written (whole and fsync'ed, by
`common.storage.DurableFileSystemStorage`) only after every check has passed, just before
its row is inserted. When the disk refuses it (full, read-only), nothing is saved and the
person is told so (`common.errors.StorageUnavailable`). When the transaction that holds the
row rolls back after the file was written (a later refusal in the same save, a failed
commit), the file is deleted: `evidence_discard_uncommitted`, run when `evidence_add` fails
and at the end of every request. `manage.py check_evidence` finds whatever a crash left.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import hashlib
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import StorageUnavailable
from common.wording import join_list
from kpi import access
from kpi.models import Evidence, ProgressReport, ReportAction, ReportEvent
from kpi.services.reports import EDITABLE_STATUSES, check_report_open

logger = logging.getLogger(__name__)

# Extension → the bytes such a file starts with. Office Open XML and ODF files are
# ZIP archives; legacy Office files are OLE compound documents.
_ZIP, _OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
EVIDENCE_SIGNATURES = {
    "pdf": (b"%PDF",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "webp": (b"RIFF",),  # and "WEBP" at bytes 8–12, checked below
    "docx": (_ZIP,),
    "xlsx": (_ZIP,),
    "pptx": (_ZIP,),
    "odt": (_ZIP,),
    "ods": (_ZIP,),
    "odp": (_ZIP,),
    "doc": (_OLE,),
    "xls": (_OLE,),
    "ppt": (_OLE,),
}


# The types a browser shows by itself, by the bytes the stored file starts with (never by its
# name): these open inline (kpi.views.reporting.evidence_view); everything else is downloaded.
VIEWABLE_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}


def sniff(head: bytes) -> str:
    """The media type of a viewable file from its first 16 bytes, or "" (not one browsers show)."""
    for kind, media_type in VIEWABLE_TYPES.items():
        if any(head.startswith(sig) for sig in EVIDENCE_SIGNATURES[kind]):
            if kind == "webp" and head[8:12] != b"WEBP":
                continue
            return media_type
    return ""


def file_digest(handle) -> tuple[str, bytes]:
    """The SHA-256 of a file (hex) and its first 16 bytes; the file is left at its start."""
    handle.seek(0)
    digest = hashlib.sha256()
    head = b""
    for chunk in iter(lambda: handle.read(1 << 16), b""):
        if not head:
            head = chunk[:16]
        digest.update(chunk)
    handle.seek(0)
    return digest.hexdigest(), head


def validate_evidence_file(upload) -> str:
    """Return the checked extension, or raise a ValidationError saying what is wrong."""
    name = upload.name or ""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in EVIDENCE_SIGNATURES:
        allowed = join_list(sorted({e.upper() for e in EVIDENCE_SIGNATURES}))
        if not ext:
            message = _("Files without an extension are not accepted. Allowed: %(allowed)s.") % {"allowed": allowed}
        else:
            message = _("“.%(ext)s” files are not accepted. Allowed: %(allowed)s.") % {"ext": ext, "allowed": allowed}
        raise ValidationError({"file": message})
    limit = settings.EVIDENCE_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            {
                "file": _("The file is %(size)s MB, over the limit of %(limit)s MB.")
                % {"size": f"{upload.size / 1048576:.1f}", "limit": limit // 1048576}
            }
        )
    if upload.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(sig) for sig in EVIDENCE_SIGNATURES[ext]) or (ext == "webp" and head[8:12] != b"WEBP"):
        raise ValidationError(
            {
                "file": _(
                    "The file's content is not a valid %(type)s file; check that it is not damaged and that "
                    "its extension is right."
                )
                % {"type": ext.upper()}
            }
        )
    return ext


def _check_evidence_editable(report: ProgressReport, user) -> None:
    if not access.can_report(user, report.indicator):
        raise PermissionDenied(_("You may not report on this indicator."))
    check_report_open(report)
    if report.status not in EDITABLE_STATUSES:
        raise ValidationError(
            _("This report is now “%(status)s”; its evidence cannot be changed.")
            % {"status": report.get_status_display()}
        )


def evidence_add(*, report: ProgressReport, user, file=None, url: str = "", description: str = "") -> Evidence:
    """Attach a file or a link to a draft or returned report; raises ValidationError (and its
    StorageUnavailable) or PermissionDenied, and then no file of this call stays on disk."""
    try:
        return _evidence_add(report=report, user=user, file=file, url=url, description=description)
    except BaseException:
        # Our savepoint, or our whole transaction and its commit, has rolled back.
        evidence_discard_uncommitted()
        raise


@transaction.atomic
def _evidence_add(*, report: ProgressReport, user, file=None, url: str = "", description: str = "") -> Evidence:
    # Re-read the report (locked): the caller's copy may predate a submission.
    report = (
        ProgressReport.objects.select_for_update(of=("self",))
        .select_related("period", "indicator__department_plan")
        .get(pk=report.pk)
    )
    _check_evidence_editable(report, user)
    url = (url or "").strip()
    if bool(file) == bool(url):
        raise ValidationError({"file": _("Upload one file or give one link (not both).")})
    evidence = Evidence(report=report, url=url, description=(description or "").strip()[:200], uploaded_by=user)
    active = Evidence.objects.filter(report=report, removed_at__isnull=True)
    if file:
        validate_evidence_file(file)
        evidence.original_name = file.name[-255:]
        evidence.size = file.size
        evidence.sha256, head = file_digest(file)
        evidence.media_type = sniff(head)
        same = active.filter(sha256=evidence.sha256).first()
        if same is not None:
            raise ValidationError(
                {
                    "file": _(
                        "“%(name)s” is the same file as “%(existing)s”, already attached to this report; "
                        "it was not added again."
                    )
                    % {"name": evidence.original_name, "existing": same.original_name}
                }
            )
        evidence.file = file
    elif active.filter(url=url).exists():
        raise ValidationError(
            {"url": _("The link %(url)s is already attached to this report; it was not added again.") % {"url": url}}
        )
    evidence.full_clean(exclude=["file"])
    if file:
        _save_with_file(evidence)
    else:
        evidence.save()
    ReportEvent.objects.create(
        report=report, action=ReportAction.EVIDENCE_ADDED, actor=user, comment=evidence.original_name or evidence.url
    )
    return evidence


# Which OSErrors mean what, for the person who uploads and for the API's `code`.
FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}


def storage_refusal(exc: OSError, name: str) -> StorageUnavailable:
    """The refusal to show when the disk would not take a file."""
    if exc.errno in FULL_ERRNOS:
        reason = "full"
        message = _(
            "The evidence storage is full, so “%(name)s” was not saved and nothing was changed. "
            "Please tell the system administrator, and try again once space has been freed."
        )
    elif exc.errno in READ_ONLY_ERRNOS:
        reason = "read_only"
        message = _(
            "The evidence storage cannot be written to at the moment, so “%(name)s” was not saved and "
            "nothing was changed. Please tell the system administrator, and try again later."
        )
    else:
        reason = "error"
        message = _(
            "“%(name)s” could not be stored because of a storage error, so nothing was changed. "
            "Please try again later; if it keeps failing, tell the system administrator."
        )
    return StorageUnavailable(message % {"name": name}, reason=reason)


def _save_with_file(evidence: Evidence) -> None:
    """Insert the row, writing its file first; the file is deleted if the row does not commit."""
    try:
        evidence.save()  # FileField.pre_save writes the file, then the row is inserted
    except OSError as exc:
        # Logged for whoever watches the server: this is the disk's fault, not the person's.
        logger.error(
            "Evidence file %r was not stored: %s (errno %s)",
            evidence.original_name,
            exc.strerror or exc,
            errno.errorcode.get(exc.errno, exc.errno),
        )
        raise storage_refusal(exc, evidence.original_name) from exc
    finally:
        # Whether the insert succeeded or not, a written file must go if the row does not commit.
        if evidence.file and evidence.file._committed:
            _track_until_commit(evidence.file.name, evidence.file.path)


# Files written by this thread (connections are per thread too) whose rows are not known to be
# committed yet: (name in the database, absolute path). On commit an entry is dropped; an entry
# whose row has vanished was rolled back, and its file is deleted.
_unconfirmed = threading.local()


def _pending() -> list[tuple[str, str]]:
    if not hasattr(_unconfirmed, "files"):
        _unconfirmed.files = []
    return _unconfirmed.files


def _track_until_commit(name: str, path: str) -> None:
    pending = _pending()
    entry = (name, path)
    pending.append(entry)

    def committed():
        if entry in pending:
            pending.remove(entry)

    transaction.on_commit(committed, robust=True)


def evidence_discard_uncommitted() -> int:
    """Delete the files this thread wrote whose evidence rows were rolled back; return how many.

    The database decides, not the bookkeeping: a file is deleted only when no row that this
    connection can see names it, so a committed file is never removed (even if some other
    on-commit callback failed before ours ran). Safe to call at any time.
    """
    pending = _pending()
    if not pending:
        return 0
    connection = transaction.get_connection()
    if connection.needs_rollback:
        return 0  # a broken transaction cannot be asked; its own end (or the request's) will
    try:
        names = {name for name, _ in pending}
        kept = set(Evidence.objects.filter(file__in=names).values_list("file", flat=True))
    except DatabaseError:
        logger.exception("Could not check which evidence files were rolled back")
        return 0
    removed = 0
    for entry in list(pending):
        name, path = entry
        if name in kept:
            if not connection.in_atomic_block:
                pending.remove(entry)  # its row is committed
            continue
        pending.remove(entry)
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
            removed += 1
            logger.info("Deleted evidence file %s: its row was rolled back", name)
    return removed


@transaction.atomic
def evidence_remove(*, evidence: Evidence, user) -> None:
    report = (
        ProgressReport.objects.select_for_update(of=("self",))
        .select_related("period", "indicator__department_plan")
        .get(pk=evidence.report_id)
    )
    _check_evidence_editable(report, user)
    if Evidence.objects.select_for_update().get(pk=evidence.pk).removed_at is not None:
        raise ValidationError(_("This evidence has already been removed."))
    label = evidence.original_name or evidence.url
    evidence.removed_at = timezone.now()
    evidence.removed_by = user
    evidence.save(update_fields=["removed_at", "removed_by"])
    ReportEvent.objects.create(report=report, action=ReportAction.EVIDENCE_REMOVED, actor=user, comment=label)


# --- Checking the evidence directory against the rows (manage.py check_evidence) -------------

# The directory under MEDIA_ROOT that Evidence.file's upload_to writes into.
EVIDENCE_DIR = "evidence"


@dataclass
class EvidenceAudit:
    """What `evidence_audit` found. Names are relative to MEDIA_ROOT, as the rows store them."""

    root: Path
    rows_checked: int = 0
    files_seen: int = 0
    missing: list[Evidence] = field(default_factory=list)  # rows whose file is not there
    altered: list[Evidence] = field(default_factory=list)  # rows whose file's SHA-256 differs
    unchecked: list[Evidence] = field(default_factory=list)  # rows with no SHA-256 recorded
    orphans: list[str] = field(default_factory=list)  # files no row names
    recent: list[str] = field(default_factory=list)  # files too new to judge (uploads under way)

    @property
    def problems(self) -> int:
        return len(self.missing) + len(self.altered) + len(self.orphans)


def _files_under(root: Path) -> list[str]:
    directory = root / EVIDENCE_DIR
    if not directory.is_dir():
        return []
    return sorted(path.relative_to(root).as_posix() for path in directory.rglob("*") if path.is_file())


def _is_recent(path: Path, min_age: datetime.timedelta) -> bool:
    try:
        modified = datetime.datetime.fromtimestamp(path.stat().st_mtime, tz=datetime.UTC)
    except FileNotFoundError:
        return True  # it went while we looked: not ours to judge
    return timezone.now() - modified < min_age


def evidence_audit(*, min_age: datetime.timedelta, verify_content: bool = True) -> EvidenceAudit:
    """Compare the evidence rows with the files under MEDIA_ROOT/evidence.

    Files are listed before the rows are read, so a file whose row commits in between is not
    taken for an orphan; files younger than `min_age` are set aside anyway (their row may not
    have committed yet). Removed evidence keeps its file (the record stays whole), so its rows
    count like any other.
    """
    root = Path(settings.MEDIA_ROOT)
    audit = EvidenceAudit(root=root)
    files = _files_under(root)
    audit.files_seen = len(files)
    named = set()
    for evidence in Evidence.objects.exclude(file="").select_related("report__indicator", "report__period"):
        audit.rows_checked += 1
        named.add(evidence.file.name)
        path = root / evidence.file.name
        if not path.is_file():
            audit.missing.append(evidence)
        elif not evidence.sha256:
            audit.unchecked.append(evidence)
        elif verify_content:
            with path.open("rb") as handle:
                if file_digest(handle)[0] != evidence.sha256:
                    audit.altered.append(evidence)
    for name in files:
        if name in named:
            continue
        (audit.recent if _is_recent(root / name, min_age) else audit.orphans).append(name)
    return audit


def evidence_delete_orphan_files(audit: EvidenceAudit, *, min_age: datetime.timedelta) -> list[str]:
    """Delete the audit's files without a row; never a row, never a file a row names.

    Each file is checked again just before it goes (a row may have been committed since the
    audit, or the file rewritten); return the names deleted.
    """
    deleted = []
    for name in audit.orphans:
        path = audit.root / name
        if Evidence.objects.filter(file=name).exists() or _is_recent(path, min_age):
            continue
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            deleted.append(name)
            logger.info("Deleted evidence file %s: no row names it", name)
    return deleted
