"""django-import-export's export formats, written by common.spreadsheets.writing.

django-import-export writes xlsx through tablib, which turns any text starting with "="
into a live formula, and csv raw. Its own IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT only
drops a leading "=" (not + - @), changes the text, and turns every cell, numbers too,
into text. These formats hand the exported dataset to `writing.export_dataset` instead,
so admin's files follow the app's one rule (`writing.is_formula_text`): csv text
escaped with an apostrophe, xlsx and ods text typed as text, numbers as numbers.

An admin offers them as its `export_formats` (`EXPORT_FORMATS`); tests/test_formula_escaping.py
checks that every admin with an export offers these and nothing else.
"""

from __future__ import annotations

import tablib
from import_export.formats import base_formats

from common.spreadsheets import writing


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
    """Also for import: the apostrophe the export put before formula-like text goes again."""

    fmt = "csv"

    def create_dataset(self, in_stream, **kwargs):
        dataset = super().create_dataset(in_stream, **kwargs)
        rows = [[writing.csv_text_read(cell) for cell in row] for row in dataset]
        return tablib.Dataset(*rows, headers=dataset.headers, title=dataset.title)


EXPORT_FORMATS = [XLSX, ODS, CSV]
