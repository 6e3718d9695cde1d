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
