"""A file-system storage whose files are either whole and on disk, or absent.

Django's FileSystemStorage opens the final name and streams into it: when the disk fills
(ENOSPC) half-way, a truncated file is left under the name, and nothing is flushed to disk
before the database commits the row that points at it (a power cut then loses a file the
person was told was saved). Here the bytes go to a hidden temporary file in the same
directory, are fsync'ed, and only then get their final name with link(2), which, like
Django's O_EXCL, never replaces an existing file. On any error the temporary file is
removed and the OSError is raised as it is, so the caller can say what happened
(kpi.services.evidence turns ENOSPC/EROFS into a clear refusal).

A crash between writing and linking can leave a ``.upload-*.part`` file behind; it has no
row, so ``manage.py check_evidence`` lists it with the other files without a row.
"""

from __future__ import annotations

import contextlib
import os
import uuid

from django.core.files.storage import FileSystemStorage
from django.core.files.utils import validate_file_name

TEMP_PREFIX = ".upload-"
TEMP_SUFFIX = ".part"


def _fsync_directory(directory: str) -> None:
    """Make a new directory entry durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a directory; the file itself was synced
    finally:
        os.close(fd)


class DurableFileSystemStorage(FileSystemStorage):
    """FileSystemStorage with whole-or-nothing, fsync'ed writes (see the module docstring)."""

    def _save(self, name, content):
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        try:
            os.makedirs(directory, exist_ok=True)
        except FileExistsError:
            raise FileExistsError(f"{directory} exists and is not a directory.") from None
        temp = os.path.join(directory, f"{TEMP_PREFIX}{uuid.uuid4().hex}{TEMP_SUFFIX}")
        try:
            # 0o666 minus the umask, as Django's own storage creates files.
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
            with os.fdopen(fd, "wb") as out:
                for chunk in content.chunks():
                    out.write(chunk if isinstance(chunk, bytes) else chunk.encode())
                out.flush()
                os.fsync(out.fileno())
            if self.file_permissions_mode is not None:
                os.chmod(temp, self.file_permissions_mode)
            while True:
                try:
                    os.link(temp, full_path)
                    break
                except FileExistsError:
                    name = self.get_available_name(name)
                    validate_file_name(name, allow_relative_path=True)
                    full_path = self.path(name)
            _fsync_directory(directory)
        finally:
            # Gone on success (the final name keeps the data); on failure nothing partial stays.
            with contextlib.suppress(OSError):
                os.unlink(temp)
        self._ensure_location_group_id(full_path)
        return str(os.path.relpath(full_path, self.location)).replace("\\", "/")
