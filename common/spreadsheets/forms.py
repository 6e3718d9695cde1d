"""The upload field of every spreadsheet import page (progress reports, accounts, plan workbooks)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from common.spreadsheets import reading


class SpreadsheetFileField(forms.FileField):
    """A spreadsheet upload whose format is known by its name (xlsx, ods, csv) and whose size is
    within the limit (`reading.file_format`, `reading.check_size`); otherwise a field error in
    the reader's own words. Its content is checked by the import that reads it."""

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload:
            try:
                reading.file_format(upload.name)
                reading.check_size(upload.size)
            except reading.FileError as exc:
                raise ValidationError(str(exc)) from None
        return upload
