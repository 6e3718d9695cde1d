"""django-import-export's export formats, written by common.spreadsheets.writing.

django-import-export writes xlsx through tablib, which turns any text starting with "="
into a live formula, and csv raw. Its own IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT only
drops a leading "=" (not + - @), changes the text, and turns every cell, numbers too,
into text. These formats hand the exported dataset to `writing.export_dataset` instead,
so admin's files follow the app's one rule (`writing.is_formula_text`): csv text
escaped with an apostrophe, xlsx and ods text typed as text, numbers as numbers.

The csv goes both ways as bytes (`is_binary`): the export is `writing.csv_bytes`' (UTF-8
with a byte-order mark, so Excel on a zh-TW Windows shows the Chinese), and the import
decodes the upload with `reading.decode_csv`, the rule of every csv import (UTF-8 with or
without a BOM, or Big5 as Excel saves it), where django-import-export would read UTF-8
only and stop on a Big5 file with an English UnicodeDecodeError.

An admin offers them as its `export_formats` (`EXPORT_FORMATS`); tests/test_formula_escaping.py
checks that every admin with an export offers these and nothing else.
"""

from __future__ import annotations

import tablib
from import_export.formats import base_formats

from common.spreadsheets import reading, writing


class EscapedExport:
    """A format whose export goes through `writing.export_dataset`."""

    fmt = ""

    def export_data(self, dataset, **kwargs):
        return writing.export_dataset(self.fmt, dataset)


class XLSX(EscapedExport, base_formats.XLSX):
    fmt = "xlsx"


class ODS(EscapedExport, base_formats.ODS):
    fmt = "ods"

    def is_binary(self):
        return True  # the export is a zip file's bytes, not text to encode


class CSV(EscapedExport, base_formats.CSV):
    """Bytes both ways: written with a byte-order mark, read in UTF-8 or Big5 (`reading.decode_csv`).

    The import undoes what the export did to a cell (`writing.csv_text_read`): the
    apostrophe before formula-like text, a code's ="…". A file that is neither encoding
    raises `reading.FileError` with the zh-Hant message; the admin's import form
    (kpi.admin_forms.IndicatorImportForm) reads the file with `reading.check_limits`
    first, so the clerk sees that message on the form.
    """

    fmt = "csv"
    CONTENT_TYPE = writing.FORMATS["csv"]

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            in_stream, _encoding = reading.decode_csv(in_stream)
        dataset = tablib.import_set(in_stream, format="csv", **kwargs)
        rows = [[writing.csv_text_read(cell) for cell in row] for row in dataset]
        return tablib.Dataset(*rows, headers=dataset.headers, title=dataset.title)


EXPORT_FORMATS = [XLSX, ODS, CSV]
