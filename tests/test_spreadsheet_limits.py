"""The limits of reading an uploaded spreadsheet (common.spreadsheets.reading).

A 287 KB xlsx can unpack to two million blank rows; blank rows were skipped before
they were counted, so the row limit never applied and one worker read for a minute.
Now every row read counts, blank or not, and so does every cell and the time spent;
the admin's indicator import (tablib) is held to the same limits before tablib reads.
The limits are lowered here so that small files show them (bench/import_limits.py
measures the real ones on two million rows).
"""

import datetime
import io
import itertools
import re
import types
import zipfile

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from common.spreadsheets import reading
from common.spreadsheets.reading import FileError, read_sheet
from kpi.admin import IndicatorAdmin
from kpi.models import Indicator
from kpi.resources import IndicatorResource

FORMATS = ["xlsx", "ods", "csv"]
HEADER = ["編號", "年度", "期別", "累計實績"]


def build(fmt, table):
    """`table` (lists of cells; "" for blank) as the bytes of an xlsx, ods or csv file."""
    if fmt == "csv":
        return "\n".join(",".join(str(c) for c in row) for row in table).encode()
    if fmt == "xlsx":
        book = Workbook()
        for row in table:
            # A blank row is written as a cell holding a space: the row is there, with nothing in it.
            book.active.append([c if c != "" else " " for c in row])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    data = tablib.Dataset(headers=table[0])
    for row in table[1:]:
        data.append([None if c == "" else c for c in row] + [None] * (len(table[0]) - len(row)))
    return data.export("ods")


def rewrite(data, part, change):
    """The zip `data` with the text of `part` passed through `change`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == part:
                content = change(content.decode()).encode()
            target.writestr(info, content)
    return out.getvalue()


def with_blank_rows(blank, *, data_rows=2):
    """A header, a data row, `blank` blank rows, then the other data rows."""
    table = [HEADER, ["1-1", 114, 1, 5]]
    table += [[""] * len(HEADER) for _ in range(blank)]
    table += [["1-2", 114, 1, 6] for _ in range(data_rows - 1)]
    return table


def refused(data, fmt):
    with translation.override("en"), pytest.raises(FileError) as caught:
        read_sheet(data, f"file.{fmt}")
    return str(caught.value)


@pytest.fixture
def rows_limit(monkeypatch):
    monkeypatch.setattr(reading, "MAX_SHEET_ROWS", 20, raising=False)


# --- rows, blank ones included -----------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_blank_rows_count_against_the_row_limit(fmt, rows_limit):
    data = build(fmt, with_blank_rows(30))
    if fmt == "xlsx":  # without its dimension, only counting the rows read can stop it
        data = rewrite(data, "xl/worksheets/sheet1.xml", lambda x: re.sub(r"<dimension [^>]*/>", "", x))

    message = refused(data, fmt)

    assert "20 rows, counting blank rows" in message
    assert "import it in parts" in message


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_within_the_row_limit_is_read(fmt, rows_limit):
    sheet = read_sheet(build(fmt, with_blank_rows(10)), f"file.{fmt}")
    assert [number for number, _cells in sheet.rows] == [2, 13]


def test_an_xlsx_declaring_too_many_rows_is_refused_before_reading(rows_limit):
    data = rewrite(
        build("xlsx", [HEADER, ["1-1", 114, 1, 5]]),
        "xl/worksheets/sheet1.xml",
        lambda x: re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:D2000001"/>', x),
    )
    assert "20 rows, counting blank rows" in refused(data, "xlsx")


def test_an_xlsx_declaring_a_small_size_is_still_counted(rows_limit):
    data = rewrite(
        build("xlsx", with_blank_rows(30)),
        "xl/worksheets/sheet1.xml",
        lambda x: re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1"/>', x),
    )
    assert "20 rows, counting blank rows" in refused(data, "xlsx")


def test_an_xlsx_row_far_below_the_data_counts_the_rows_between(rows_limit):
    data = rewrite(
        build("xlsx", [HEADER, ["1-1", 114, 1, 5]]),
        "xl/worksheets/sheet1.xml",
        lambda x: x.replace("</sheetData>", '<row r="1048576"><c r="A1048576" t="n"><v>1</v></c></row></sheetData>'),
    )
    assert "20 rows, counting blank rows" in refused(data, "xlsx")


def test_libreoffices_repeated_blank_rows_at_the_end_of_an_ods_are_no_work(rows_limit):
    # LibreOffice ends a sheet with one row element repeated to the sheet's last row.
    data = rewrite(
        build("ods", with_blank_rows(0)),
        "content.xml",
        lambda x: x.replace(
            "</table:table>",
            '<table:table-row table:number-rows-repeated="1048570">'
            '<table:table-cell table:number-columns-repeated="16384"/></table:table-row></table:table>',
        ),
    )
    assert len(read_sheet(data, "file.ods").rows) == 2


def test_the_data_row_limit_still_applies(monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    message = refused(build("csv", with_blank_rows(0, data_rows=5)), "csv")
    assert "more than the limit of 3 data rows" in message


# --- cells and columns ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_cells_are_limited(fmt, monkeypatch):
    monkeypatch.setattr(reading, "MAX_CELLS", 40, raising=False)
    table = [HEADER, *[["1-1", 114, 1, n] for n in range(15)]]  # 64 cells

    message = refused(build(fmt, table), fmt)

    assert "40 cells (rows × columns, counting blank ones)" in message


@pytest.mark.parametrize("fmt", FORMATS)
def test_columns_are_limited(fmt, monkeypatch):
    monkeypatch.setattr(reading, "MAX_COLUMNS", 6, raising=False)
    table = [HEADER + ["備註"] * 4, ["1-1", 114, 1, 5]]

    message = refused(build(fmt, table), fmt)

    assert "6 columns" in message
    assert "delete the unused columns" in message


def test_an_ods_with_too_many_elements_is_refused_before_odfpy_reads_it(monkeypatch):
    monkeypatch.setattr(reading, "MAX_ODS_ELEMENTS", 60, raising=False)
    table = [HEADER, *[["1-1", 114, 1, n] for n in range(15)]]  # 16 rows × 4 cells, each with a paragraph

    message = refused(build("ods", table), "ods")

    assert "more than 60 elements" in message


# --- time ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_reading_stops_at_the_deadline(fmt, monkeypatch):
    seconds = itertools.count()  # a clock that moves a second each time it is read
    monkeypatch.setattr(reading, "time", types.SimpleNamespace(monotonic=lambda: next(seconds)), raising=False)
    monkeypatch.setattr(reading, "MAX_READ_SECONDS", 5, raising=False)
    table = [HEADER, *[["1-1", 114, 1, n] for n in range(30)]]

    message = refused(build(fmt, table), fmt)

    assert "longer than the limit of 5 seconds" in message


# --- the importers -------------------------------------------------------------------------


def test_the_report_import_page_shows_the_limit(client, staff, periods, rows_limit, settings):
    settings.KPI_TODAY = datetime.date(2025, 4, 10)
    client.force_login(staff)
    upload = SimpleUploadedFile("reports.csv", build("csv", with_blank_rows(30)))

    response = client.post("/reports/import/", {"file": upload, "mode": "draft"})

    assert response.status_code == 400
    assert str(reading.too_many_rows()) in response.content.decode()


def admin_upload(admin_client, fmt, data):
    titles = [f().get_title() for f in IndicatorAdmin.formats]
    return admin_client.post(
        reverse("admin:kpi_indicator_import"),
        {
            "resource": "0",
            "format": str(titles.index(fmt)),
            "import_file": SimpleUploadedFile(f"indicators.{fmt}", data),
        },
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_admin_indicator_import_has_the_same_limits(fmt, admin_client, seeded_plan, rows_limit):
    exported = tablib.Dataset().load(IndicatorResource().export().export("csv"), format="csv")
    table = [list(exported.headers), list(exported[0])]
    table += [[""] * len(exported.headers) for _ in range(30)]
    table.append(list(exported[1]))
    before = list(Indicator.objects.order_by("pk").values_list("name", flat=True))

    response = admin_upload(admin_client, fmt, build(fmt, table))

    assert response.status_code == 200
    assert "confirm_form" not in response.context
    assert response.context["form"].errors["import_file"] == [str(reading.too_many_rows())]
    assert list(Indicator.objects.order_by("pk").values_list("name", flat=True)) == before


def test_check_limits_passes_a_file_within_them():
    reading.check_limits(build("csv", with_blank_rows(3)), "csv")
