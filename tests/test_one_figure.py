"""One status everywhere: every surface shows the same light, attainment and basis for every KPI-year.

The light is THE status (`kpi.assessments.status_of`): a closed year's year status; for the
year in progress (114 on the demo's today) the period status of the latest approved
period, labelled with that period (「114Q3 進度」), with the full-year ratio beside it as a
figure. Pages mark the label data-figure="basis" and the full-year ratio
data-figure="year-ratio"; each shown label and ratio must be the service's, and the
dashboard, the KPI page and the yearly report must show both for every KPI-year judged on
a period. The downloads carry them as 燈號依據 and 全年達成度(%).

The demo data are seeded as `make demo` seeds them (seed_plan, seed_demo_users,
seed_demo_reports, with today 2025-10-08 as the demo's .env says), years 111–113 are
published, and then each surface is read the way people read it:

- the department dashboard, the KPI page (each year selected), the yearly report page
  and its xlsx, ods and csv downloads, the public department page, the open-data JSON
  and CSV, and the attainment API — against the batch service
  (`kpi.assessments.plan_years_attainment`): the percentage as `common.formatting.percent`
  writes the service's raw attainment, and the light with its label (`Light.label`);
- the report form's preview of the report that gives a year its actual: its
  "for the year" figure is that same assessment;
- the review queue: it judges a submitted figure, not the year's approved actual, so the
  light it shows (what approving it would show), its attainment, label and full-year
  ratio must equal the report form's preview of that report and the single-report rule
  (`kpi.assessments.report_preview`).

Pages mark the cell that shows a KPI-year's attainment with data-figure="attainment" and
the one that shows its light with data-figure="light" (both with data-indicator and
data-year); the light itself is the light mark (kpi/templatetags/marks.py)'s data-light. Each page is fetched once
per department and year (the KPI page and the report form once per KPI-year: they are
per-indicator pages). A disagreement fails with a list of every surface and KPI-year
that differs.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
import tablib
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from common import formatting
from common.spreadsheets import writing
from kpi import assessments
from kpi.attainment import Light
from kpi.models import Indicator, ProgressReport, ReportStatus
from plans.models import Plan, PublishedYear
from tests.test_i18n import compiled_catalogue  # noqa: F401  (the zh-Hant catalogue the labels read)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_catalogue")]

DEMO_TODAY = datetime.date(2025, 10, 8)  # KPI_TODAY in the demo's .env (scripts/make-local-env.sh)
PUBLISHED = (111, 112, 113)
DASH = formatting.DASH


@dataclass(frozen=True)
class Shown:
    """What one surface shows for one KPI-year."""

    percent: str  # as the page writes it: '42.2%', '—'
    light: str  # the light's code: green, yellow, red, white
    label: str  # the light's words next to it


# --- reading what the pages show -------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Figures(HTMLParser):
    """Every element marked data-figure, with its text and the first data-light inside it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.open: list[dict] = []
        self.found: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        self.depth += 1
        attrs = dict(attrs)
        if "data-light" in attrs:
            for figure in self.open:
                if figure["light"] is None:
                    figure["light"], figure["label_depth"] = attrs["data-light"], self.depth
        if "data-figure" in attrs:
            self.open.append(
                {
                    "figure": attrs["data-figure"],
                    "indicator": int(attrs["data-indicator"]),
                    "year": int(attrs["data-year"]),
                    "report": int(attrs["data-report"]) if attrs.get("data-report") else None,
                    "depth": self.depth,
                    "text": [],
                    "light": None,
                    "label": [],
                    "label_depth": None,
                }
            )

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        for figure in self.open:
            if figure["label_depth"] == self.depth:
                figure["label_depth"] = -1  # the light's words are read
        self.found += [f for f in self.open if f["depth"] >= self.depth]
        self.open = [f for f in self.open if f["depth"] < self.depth]
        self.depth -= 1

    def handle_data(self, data):
        for figure in self.open:
            figure["text"].append(data)
            if figure["label_depth"] is not None and figure["label_depth"] > 0:
                figure["label"].append(data)


def words(parts) -> str:
    return " ".join("".join(parts).split())


def figures(html: str) -> list[dict]:
    parser = Figures()
    parser.feed(html)
    parser.close()
    for figure in parser.found:
        figure["text"], figure["label"] = words(figure["text"]), words(figure["label"])
    return parser.found


def page_figures(response, *, attainment="attainment", light="light") -> dict[tuple, list[Shown]]:
    """(indicator, year, report) → what the page shows, one entry per place it shows it.

    A KPI-year's attainment and light may sit in separate cells: they are paired in the
    order the page shows them.
    """
    assert response.status_code == 200, response
    percents, lights = defaultdict(list), defaultdict(list)
    for f in figures(response.content.decode()):
        key = (f["indicator"], f["year"], f["report"])
        if f["figure"] == attainment:
            percents[key].append(f["text"])
        elif f["figure"] == light:
            lights[key].append((f["light"], f["label"]))
    shown = {}
    for key in set(percents) | set(lights):
        texts, marks = percents.get(key, []), lights.get(key, [])
        # A page without an attainment beside a light (the form's white preview) shows none: —.
        texts = texts or [DASH] * len(marks)
        marks = marks or [(None, "")] * len(texts)
        if len(texts) != len(marks):
            shown[key] = [Shown(f"{len(texts)} attainment cells", f"{len(marks)} light cells", "")]
            continue
        shown[key] = [Shown(t, code, label) for t, (code, label) in zip(texts, marks, strict=True)]
    return shown


def extra_figures(response) -> dict[tuple, dict[str, list[str]]]:
    """(indicator, year, report) → {"basis": [labels shown], "year-ratio": [ratios shown]}."""
    out: dict[tuple, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for f in figures(response.content.decode()):
        if f["figure"] in ("basis", "year-ratio"):
            out[(f["indicator"], f["year"], f["report"])][f["figure"]].append(f["text"])
    return out


@dataclass(frozen=True)
class Basis:
    """The basis of a KPI-year's light: its period label ("" for a year status) and the full-year ratio."""

    label: str
    ratio: str | None  # None: no full-year ratio is shown beside it (judged on the year, or no figure)


def expected_basis(result) -> Basis:
    label = result.status.label if result.status is not None else ""
    shows_ratio = bool(label) and result.report is not None
    return Basis(label, formatting.percent(result.year_assessment.raw) if shows_ratio else None)


# --- the demo, as `make demo` builds it ------------------------------------------------------


@pytest.fixture
def demo(settings, client):
    settings.DEMO_MODE = True
    settings.KPI_TODAY = DEMO_TODAY
    call_command("seed_plan", verbosity=0)
    call_command("seed_demo_users", verbosity=0)
    call_command("seed_demo_reports", stdout=io.StringIO())
    plan = Plan.objects.order_by("-start_year").get()
    for year in PUBLISHED:  # the demo publishes its completed years itself; the rest here
        PublishedYear.objects.get_or_create(plan=plan, year=year)
    return plan


def login(client, username):
    client.logout()
    client.force_login(get_user_model().objects.get(username=username))


class Disagreements:
    def __init__(self, expected: dict, names: dict):
        self.expected, self.names, self.problems = expected, names, []
        self.seen: dict[str, set] = defaultdict(set)

    def where(self, indicator_id: int, year: int) -> str:
        return f"{self.names[indicator_id]} 民國{year}年"

    def check(self, surface: str, indicator_id: int, year: int, shown: Shown, expected: Shown | None = None):
        expected = expected or self.expected.get((indicator_id, year))
        self.seen[surface].add((indicator_id, year))
        if expected is None:
            self.problems.append(f"{surface}: {self.where(indicator_id, year)} is not a KPI-year of the plan")
            return
        mismatches = []
        if shown.percent != expected.percent:
            mismatches.append(f"attainment {shown.percent!r}, expected {expected.percent!r}")
        if shown.light is not None and shown.light != expected.light:
            mismatches.append(f"light {shown.light!r}, expected {expected.light!r}")
        if shown.label != expected.label:
            mismatches.append(f"light label {shown.label!r}, expected {expected.label!r}")
        if mismatches:
            self.problems.append(f"{surface}: {self.where(indicator_id, year)}: " + "; ".join(mismatches))

    def check_basis(self, surface: str, key: tuple, shown: dict[str, list[str]], expected: Basis, *, required=True):
        """The period label and the full-year ratio beside the light: the service's, and there when due."""
        indicator_id, year = key[:2]
        where = f"{surface}: {self.where(indicator_id, year)}"
        for label in shown.get("basis", []):
            if label != expected.label:
                self.problems.append(f"{where}: basis {label!r}, expected {expected.label!r}")
        for ratio in shown.get("year-ratio", []):
            if ratio != expected.ratio:
                self.problems.append(f"{where}: full-year ratio {ratio!r}, expected {expected.ratio!r}")
        if required and expected.label and not shown.get("basis"):
            self.problems.append(f"{where}: the period label {expected.label!r} is not shown")
        if required and expected.ratio is not None and not shown.get("year-ratio"):
            self.problems.append(f"{where}: the full-year ratio {expected.ratio!r} is not shown")

    def covered(self, surface: str, wanted: set):
        missing = wanted - self.seen[surface]
        for indicator_id, year in sorted(missing):
            self.problems.append(f"{surface}: {self.where(indicator_id, year)} is not shown")

    def assert_none(self):
        assert not self.problems, f"{len(self.problems)} disagreement(s):\n" + "\n".join(self.problems)


def expected_shown(assessment) -> Shown:
    return Shown(formatting.percent(assessment.raw), assessment.light.value, assessment.light.label)


def from_label(label: str) -> str | None:
    return {light.label: light.value for light in Light}.get(label)


# --- the test --------------------------------------------------------------------------------


def test_every_surface_shows_the_same_attainment_and_light_for_every_kpi_year(client, demo):
    plan = demo
    computed = assessments.plan_years_attainment(plan=plan)
    indicators = {
        i.pk: i
        for i in Indicator.objects.filter(department_plan__plan=plan).select_related("department_plan__department")
    }
    assert len(indicators) == 23 and len(plan.years) == 4
    expected = {
        (pk, year): expected_shown(computed[year].indicators[pk].assessment) for pk in indicators for year in plan.years
    }
    bases = {(pk, year): expected_basis(computed[year].indicators[pk]) for pk in indicators for year in plan.years}
    # 114 is in progress on the demo's today: every KPI with an approved figure is judged on its period.
    for (pk, year), basis in bases.items():
        if year == 114 and computed[year].indicators[pk].report is not None:
            assert basis.label.startswith("114Q") and basis.label.endswith("進度"), (pk, basis)
        elif year != 114:
            assert basis == Basis("", None), (pk, year, basis)
    by_code = {(i.department_plan.department.name, i.code): i.pk for i in indicators.values()}
    departments = sorted({i.department_plan.department_id for i in indicators.values()})
    check = Disagreements(expected, {pk: f"{i.code}（#{pk}）" for pk, i in indicators.items()})
    every = set(expected)
    lights_seen = {e.light for e in expected.values()}
    assert {"green", "yellow", "red", "white"} <= lights_seen, "the demo should show every light"

    # The dashboards, the KPI page, the yearly report and the API, as the planning office.
    login(client, "planner")
    for department_id in departments:
        for year in plan.years:
            for surface, url in (
                ("department dashboard", reverse("reports:department", args=[department_id]) + f"?year={year}"),
                ("yearly report page", reverse("reports:yearly") + f"?year={year}&department={department_id}"),
            ):
                response = client.get(url)
                for (pk, y, _), shown in page_figures(response).items():
                    for s in shown:
                        check.check(surface, pk, y, s)
                    check.check_basis(surface, (pk, y), extra_figures(response).get((pk, y, None), {}), bases[(pk, y)])

            base = reverse("reports:yearly_download") + f"?year={year}&department={department_id}&format="
            for fmt, rows in downloads(client, base).items():
                for row in rows:
                    pk = by_code[(row["機關"], row["編號"])]
                    label = row["燈號"]
                    value = row["達成度(%)"]
                    percent = formatting.percent(None if value in (None, "") else value)
                    check.check(f"yearly report {fmt}", pk, year, Shown(percent, from_label(label), label))
                    ratio = row["全年達成度(%)"]
                    shown_basis = {
                        "basis": [row["燈號依據"]] if row["燈號依據"] != "年度達成" else [],
                        "year-ratio": [formatting.percent(None if ratio in (None, "") else ratio)]
                        if bases[(pk, year)].ratio is not None
                        else [],
                    }
                    check.check_basis(f"yearly report {fmt}", (pk, year), shown_basis, bases[(pk, year)])
    for surface in (
        "department dashboard",
        "yearly report page",
        "yearly report xlsx",
        "yearly report ods",
        "yearly report csv",
    ):
        check.covered(surface, every)

    for pk in indicators:
        for year in plan.years:
            url = reverse("kpi:detail", args=[pk]) + f"?year={year}"
            response = client.get(url)
            shown_by_page = page_figures(response)
            for (ind, y, _), extra in extra_figures(response).items():
                check.check_basis("KPI page", (ind, y), extra, bases[(ind, y)])
                # The years table, the chart's table and the year above its periods each label a period status.
                if bases[(ind, y)].label and len(extra.get("basis", [])) != (3 if y == year else 2):
                    check.problems.append(f"KPI page: {check.where(ind, y)} labels its status {extra.get('basis')}")
            assert (pk, year, None) in shown_by_page, f"the KPI page of #{pk} shows nothing for {year}"
            # Each year in the years table and the chart's table; the selected year once more above its periods.
            assert len(shown_by_page[(pk, year, None)]) == 3, (pk, year, shown_by_page[(pk, year, None)])
            for (ind, y, _), shown in shown_by_page.items():
                for s in shown:
                    check.check("KPI page", ind, y, s)
    check.covered("KPI page", every)

    for year in plan.years:
        response = client.get(reverse("api:attainment") + f"?plan={plan.pk}&year={year}&level=indicator")
        assert response.status_code == 200, response.content
        for row in response.json()["indicators"]:
            shown = Shown(formatting.percent(row["raw"]), row["light"], row["light_label"])
            check.check("API attainment", row["indicator"], year, shown)
    check.covered("API attainment", every)

    # The public side and open data: published years only.
    client.logout()
    published = {k for k in every if k[1] in PUBLISHED}
    for year in PUBLISHED:
        for department_id in departments:
            url = reverse("reports:public_department", args=[year, department_id])
            for (pk, y, _), shown in page_figures(client.get(url)).items():
                for s in shown:
                    check.check("public page", pk, y, s)
        document = client.get(reverse("reports:open_data_json", args=[year]))
        assert document.status_code == 200
        for record in json.loads(document.content)["indicators"]:
            shown = Shown(formatting.percent(record["attainment"]), record["light"], record["light_label"])
            check.check("open data JSON", record["indicator_id"], record["year"], shown)
        body = client.get(reverse("reports:open_data_csv", args=[year])).content.decode("utf-8-sig")
        for record in csv.DictReader(io.StringIO(body)):
            shown = Shown(formatting.percent(record["attainment"] or None), record["light"], record["light_label"])
            check.check("open data CSV", int(record["indicator_id"]), int(record["year"]), shown)
    for surface in ("public page", "open data JSON", "open data CSV"):
        check.covered(surface, published)
    assert client.get(reverse("reports:public_year", args=[114])).status_code == 404  # not published

    # The report form's preview of the report that gives each year its actual.
    login(client, "staff")
    with_actual = set()
    for (pk, year), _ in expected.items():
        report = computed[year].indicators[pk].report
        if report is None:
            continue
        with_actual.add((pk, year))
        url = reverse("kpi:report", args=[pk, report.period_id])
        response = client.get(url)
        for (ind, y, _), shown in page_figures(response).items():
            for s in shown:
                check.check("report form preview", ind, y, s)
        for key, extra in extra_figures(response).items():
            check.check_basis("report form preview", key, extra, bases[key[:2]])
    assert len(with_actual) >= 4 * 23 - 1, "every year of the demo has an approved figure for nearly every KPI"
    check.covered("report form preview", with_actual)

    # The review queue judges submitted figures: it agrees with the form's preview of each of them.
    login(client, "supervisor")
    queue = client.get(reverse("kpi:review_queue"))
    queued = page_figures(queue)
    queued_basis = extra_figures(queue)
    submitted = ProgressReport.objects.filter(
        status=ReportStatus.SUBMITTED, indicator__department_plan__plan=plan
    ).select_related("period", "indicator__department_plan__plan")
    assert submitted.count() >= 20 and len(queued) == submitted.count()
    login(client, "staff")
    for report in submitted:
        key = (report.indicator_id, report.period.year, report.pk)
        rule = assessments.report_preview(indicator=report.indicator, period=report.period, actual=report.actual)
        response = client.get(reverse("kpi:report", args=[report.indicator_id, report.period_id]))
        form = page_figures(response)
        # What approving it would show: THE status of the figure, its label and the full-year ratio.
        wanted = expected_shown(rule.pace)
        wanted_basis = Basis(rule.label, formatting.percent(rule.year.raw) if rule.label else None)
        for s in queued.get(key, []):
            check.check("review queue", report.indicator_id, report.period.year, s, wanted)
        check.check_basis("review queue", key, queued_basis.get(key, {}), wanted_basis)
        year_shown = form.get(key, [])
        for s in year_shown:
            check.check("report form preview (submitted)", report.indicator_id, report.period.year, s, wanted)
        check.check_basis("report form preview (submitted)", key, extra_figures(response).get(key, {}), wanted_basis)
        if not queued.get(key):
            check.problems.append(f"review queue: report #{report.pk} ({check.where(*key[:2])}) is not shown")
        if not year_shown:
            check.problems.append(f"report form preview: report #{report.pk} ({check.where(*key[:2])}) shows no figure")

    check.assert_none()


def downloads(client, base: str) -> dict[str, list[dict]]:
    """The yearly report's data sheet in each format, as header → value rows."""
    out = {}
    content = client.get(base + "xlsx").content
    sheet = load_workbook(io.BytesIO(content))["績效年報"]
    rows = list(sheet.iter_rows(values_only=True))
    out["xlsx"] = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    book = tablib.Databook()
    book.load(client.get(base + "ods").content, format="ods")
    data = book.sheets()[0]
    out["ods"] = [dict(zip(data.headers, r, strict=True)) for r in data]
    text = client.get(base + "csv").content.decode("utf-8-sig")
    out["csv"] = list(csv.DictReader(io.StringIO(text)))
    for row in out["csv"]:
        row["編號"] = writing.csv_text_read(row["編號"])  # ="1-5": written for Excel to keep as text
    return out
