"""Evidence (佐證資料): files and links attached to a report while it can still be edited."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.wording import join_list
from kpi import access
from kpi.models import Evidence, ProgressReport, ReportAction, ReportEvent
from kpi.services.reports import EDITABLE_STATUSES, check_report_open

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


@transaction.atomic
def evidence_add(*, report: ProgressReport, user, file=None, url: str = "", description: str = "") -> Evidence:
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
    evidence.save()
    ReportEvent.objects.create(
        report=report, action=ReportAction.EVIDENCE_ADDED, actor=user, comment=evidence.original_name or evidence.url
    )
    return evidence


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
