"""Errors that the services raise and every surface (pages, API, importers) understands."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class ConflictError(ValidationError):
    """Someone else saved the object after this copy was opened (optimistic concurrency).

    `changes` maps field → (value in the database now, value this person sent), so a form
    can show what changed and keep what they typed; the API answers 409 with them.
    """

    def __init__(self, message: str, *, current_version: int, current_status: str, changes: dict[str, tuple]):
        super().__init__(message)
        self.current_version = current_version
        self.current_status = current_status
        self.changes = changes


class StorageUnavailable(ValidationError):
    """A file could not be stored: the disk is full, read-only, or failing.

    A refusal like any other (pages show the message where the file was chosen, and the
    whole save is undone), but not the person's fault and not fixed by changing the
    request: the API answers 503 with Retry-After (`common.api.base`). `reason` is
    "full", "read_only" or "error"; `field` is the form field the file came in.
    """

    def __init__(self, message: str, *, reason: str, field: str = "file"):
        super().__init__({field: [message]})
        self.reason = reason
        self.detail = message
