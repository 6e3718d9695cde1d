"""English mode: every page type, rendered in English for the member of the cast who uses it,
shows no Chinese outside the plan's own data.

The walk signs in as the right person (tests/conftest.py's cast), sets the language cookie
(`django_language=en`, as the switcher in the header does) and renders each page type:
sign-in, the plans, a department's plan, the KPI page, the report form (new, with a
report, and with an error after an invalid POST), My updates, the review queue, the
periods page, the import page with an error result, the dashboards, the yearly report
(web and print), the public pages and the open-data index, the API's error answers, the
error pages, the password pages and the admin.

What is data stays as written (zh-Hant) and is left out of the check:

- elements marked `lang="zh-*"` (templates mark plan names, narratives and department
  names so; the language switcher names 繁體中文 in its own language);
- the plan's own text: every string of the seeded fixture (names, narratives, measurement
  standards …), departments' names, the people's names of the cast and this test's
  report narratives, comments and reasons;
- the reasons the record stores when the plan is entered (依計畫書核定版建檔, 新增目標值);
- identifiers that are the same in every language: a common indicator's code (共1-1),
  and the open-data licence's legal title. (The import file's column names are marked
  as zh-Hant where the import page shows them.)

Everything else — visible text, the attributes people read (title, aria-label,
placeholder, alt, label, a button's value) and the API's JSON messages — fails the test
on any CJK character, naming the page and the offending snippet. Script and style
contents are not text people read and are not checked.
"""

from __future__ import annotations

import copy
import datetime
import io
import json
import re
import tempfile
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from kpi import importers, services
from kpi.models import Indicator, ProgressReport, ReportingPeriod
from kpi.seeding import SEED_REASON
from kpi.services import NEW_TARGET_REASON
from plans.models import Department, Plan, PublishedYear
from reports.exports import yearly_export_build, yearly_export_request
from tests.conftest import make_cast, module_data
from tests.factories import kpi_by_code
from tests.test_i18n import compiled_catalogue  # noqa: F401  (the fixture: the .mo, compiled when stale)

pytestmark = pytest.mark.usefixtures("compiled_catalogue")

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
COMMON_CODE = re.compile(r"共\s*\d+\s*-\s*\d+")
SHOWN_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "label")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr", "param"}
NOT_TEXT = {"script", "style", "template"}
# Keys of the fixture whose values are codes or notes, not text a page shows as written.
FIXTURE_CODES = {"unit", "direction", "accrual", "evaluation_method", "formula", "dimension", "goal"}
FIXTURE_NOTES = {"_note", "_source", "_accrual_note"}

TODAY = datetime.date(2025, 4, 10)  # ROC 114, the first quarter's reports are due
PAST = 113  # a finished year: approved, published, on the yearly report and the public pages
NARRATIVE = "本季依計畫進度辦理，累計完成規劃作業。"
SHORTFALL = "委託案期中審查延至下季召開。"
IMPROVEMENT = "已要求受託廠商提出趕工計畫。"
RETURN_COMMENT = "請補充會議紀錄及辦理場次。"
UNLOCK_REASON = "都發處補正佐證資料"
EVIDENCE_NOTE = "會議紀錄（市府網站公告）"
TEST_TEXTS = (NARRATIVE, SHORTFALL, IMPROVEMENT, RETURN_COMMENT, UNLOCK_REASON, EVIDENCE_NOTE, "王小明", "李主任")


# --- What counts as data -------------------------------------------------------------


def _fixture_strings(value, key=None):
    if key in FIXTURE_CODES or key in FIXTURE_NOTES:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _fixture_strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _fixture_strings(v, key)
    elif isinstance(value, str):
        yield value


def _pieces(text: str):
    """A data string, and each of its lines (narratives are rendered a paragraph a line)."""
    text = " ".join(text.split()) if "\n" not in text else text
    yield " ".join(text.split())
    for line in text.splitlines():
        if line.strip():
            yield " ".join(line.split())


@pytest.fixture
def plan_data(plan_document):
    strings = set(_fixture_strings(plan_document))
    name = plan_document["plan"]["name"]
    strings.add(name.replace("基隆市政府", ""))  # the plan's name as a department's heading writes it
    strings.update(n for pair in Department.objects.values_list("name", "short_name") for n in pair if n)
    strings.update(TEST_TEXTS)
    strings.update((SEED_REASON, NEW_TARGET_REASON))  # reasons stored on the record when the plan was entered
    strings.add(settings.OPEN_DATA_LICENSE["name"])  # the licence's legal title
    pieces = {p for s in strings for p in _pieces(s) if p and CJK.search(p)}
    return sorted(pieces, key=len, reverse=True)


def without_data(text: str, data: list[str]) -> str:
    text = " ".join(text.split())
    if not text or not CJK.search(text):
        return text
    text = COMMON_CODE.sub(" ", text)
    for piece in data:
        if piece in text:
            text = text.replace(piece, " ")
            if not CJK.search(text):
                return text
    shortened = text.strip().rstrip("…").strip()
    if len(shortened) >= 4 and any(piece.startswith(shortened) for piece in data):
        return ""  # a name shortened for a narrow column
    return text


# --- Reading a page as people read it ------------------------------------------------


class ShownText(HTMLParser):
    """The text and the attributes people read, outside elements marked as zh-Hant data."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, hidden from the check)
        self.found: list[str] = []

    @property
    def hidden(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = (attrs.get("lang") or "").lower()
        hidden = self.hidden or tag in NOT_TEXT or (lang.startswith("zh") and tag != "html")
        if not hidden:
            for name in SHOWN_ATTRIBUTES:
                if attrs.get(name):
                    self.found.append(f'<{tag} {name}="{attrs[name]}">')
            kind = (attrs.get("type") or "").lower()
            if attrs.get("value") and (tag == "button" or (tag == "input" and kind in ("submit", "button", "reset"))):
                self.found.append(f'<{tag} value="{attrs["value"]}">')
        if tag not in VOID:
            self.stack.append((tag, hidden))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.found.append(data)


def offenders_in_html(body: str, data: list[str]) -> list[str]:
    parser = ShownText()
    parser.feed(body)
    parser.close()
    return [text for text in (without_data(t, data) for t in parser.found) if CJK.search(text)]


def _json_strings(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _json_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _json_strings(v)
    elif isinstance(value, str):
        yield value


def offenders_in_json(body: bytes, data: list[str]) -> list[str]:
    return [text for text in (without_data(t, data) for t in _json_strings(json.loads(body))) if CJK.search(text)]


def snippet(text: str) -> str:
    match = CJK.search(text)
    start = max(0, match.start() - 40)
    return text[start : match.start() + 60]


# --- The world the pages show --------------------------------------------------------


@pytest.fixture(scope="module")
def _shared(django_db_setup, django_db_blocker):
    """The cast and the world, built once for the module (tests/conftest.py: module_data)."""
    with override_settings(KPI_TODAY=TODAY), module_data(django_db_blocker):
        cast = make_cast()
        yield cast, build_world(cast)


@pytest.fixture
def cast(_shared, db):
    return copy.deepcopy(_shared[0])


@pytest.fixture
def world(_shared, db, settings):
    settings.KPI_TODAY = TODAY
    return copy.deepcopy(_shared[1])


def build_world(cast) -> dict:
    """Three years of a few indicators' reports: approved and published (113), and in 114
    a draft, a submitted report, a returned one; a locked period and an unlocked one."""
    staff, supervisor, planner = cast["staff"], cast["supervisor"], cast["planner"]
    seeded_plan = Plan.objects.get()
    services.periods_ensure(plan=seeded_plan)
    periods = {(p.year, p.number): p for p in ReportingPeriod.objects.filter(plan=seeded_plan)}
    kpis = [kpi_by_code(code) for code in ("1-1", "1-5", "2-1", "3-1")]
    common = Indicator.objects.get(common_goal__number=1, number=1)

    def report(indicator, period, quarter, *, submit=True, **extra):
        if indicator.formula:
            values = {"inputs": quarter}
        elif indicator.unit == "%":
            values = {"actual": 25 * quarter}
        elif indicator.unit == "式":
            values = {"actual": quarter / 4}
        else:
            values = {"actual": quarter}
        return services.report_save(
            indicator=indicator,
            period=period,
            user=staff,
            narrative=NARRATIVE,
            shortfall_reason=SHORTFALL,
            improvement_plan=IMPROVEMENT,
            submit=submit,
            **values,
            **extra,
        )

    for indicator in kpis:
        for number in (1, 2, 3, 4):
            done = report(indicator, periods[PAST, number], number)
            services.report_approve(report=done, user=supervisor)
    common_report = report(common, periods[PAST, 4], {"budget": "1000", "spent": "900", "reserved": "50"})
    services.report_approve(report=common_report, user=supervisor)
    PublishedYear.objects.create(plan=seeded_plan, year=PAST, published_by=cast["admin"])

    draft = report(kpis[0], periods[114, 1], 1, submit=False)
    services.evidence_add(report=draft, user=staff, url="https://www.klcg.gov.tw/", description=EVIDENCE_NOTE)
    submitted = report(kpis[1], periods[114, 1], 1)
    returned = report(kpis[2], periods[114, 1], 1)
    services.report_return(report=returned, user=supervisor, comment=RETURN_COMMENT)

    services.period_lock(period=periods[PAST, 1], user=planner)
    services.period_lock(period=periods[PAST, 2], user=planner)
    services.period_unlock(period=periods[PAST, 2], user=planner, reason=UNLOCK_REASON)
    return {
        "plan": seeded_plan,
        "periods": periods,
        "kpi": kpis[0],
        "draft": draft,
        "submitted": submitted,
        "department": Department.objects.get(name="都市發展處"),
    }


def english(client, user=None):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        client.force_login(user)
    return client


def csv_file(rows) -> SimpleUploadedFile:
    out = io.StringIO()
    out.write(",".join(importers.COLUMNS) + "\n")
    for row in rows:
        out.write(",".join(str(row.get(c, "")) for c in importers.COLUMNS) + "\n")
    return SimpleUploadedFile("reports.csv", out.getvalue().encode("utf-8-sig"), content_type="text/csv")


# --- The pages ---------------------------------------------------------------------------
# Each page: who views it, and how (a function of the client and the world returning a response).


def _city_export(world, client):
    """The progress page of a finished whole-city download of the planning office's."""
    planner = get_user_model().objects.get(username="planner")
    export = yearly_export_request(user=planner, plan=Plan.objects.get(), year=PAST, fmt="xlsx")
    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        yearly_export_build(export.pk)  # the page reads the row; the file may go
    return reverse("reports:yearly_export", args=[export.pk])


PAGES = {
    "sign-in": (None, lambda c, w: c.get(reverse("login"))),
    "home (plans)": ("staff", lambda c, w: c.get(reverse("kpi:home"))),
    "department plan": (
        "staff",
        lambda c, w: c.get(reverse("kpi:department_plan", args=[w["plan"].pk, w["department"].pk]) + "?gregorian=1"),
    ),
    "KPI page": ("staff", lambda c, w: c.get(reverse("kpi:detail", args=[w["kpi"].pk]))),
    "KPI page of a past year": (
        "staff",
        lambda c, w: c.get(reverse("kpi:detail", args=[w["kpi"].pk]) + f"?year={PAST}"),
    ),
    "report form (new)": (
        "staff",
        lambda c, w: c.get(reverse("kpi:report", args=[kpi_by_code("4-1").pk, w["periods"][114, 1].pk])),
    ),
    "report form (with a report)": (
        "staff",
        lambda c, w: c.get(reverse("kpi:report", args=[w["kpi"].pk, w["periods"][114, 1].pk])),
    ),
    "report form (an error after an invalid POST)": (
        "staff",
        lambda c, w: c.post(
            reverse("kpi:report", args=[kpi_by_code("4-1").pk, w["periods"][114, 1].pk]),
            {"action": "submit", "version": 0, "actual": "abc", "narrative": "", "url": "", "description": ""},
        ),
    ),
    "my updates": ("staff", lambda c, w: c.get(reverse("kpi:my_updates"))),
    "review queue": ("supervisor", lambda c, w: c.get(reverse("kpi:review_queue"))),
    "periods": ("planner", lambda c, w: c.get(reverse("kpi:periods"))),
    "report import (an error result)": (
        "staff",
        lambda c, w: c.post(
            reverse("kpi:report_import"),
            {
                "mode": "draft",
                "file": csv_file(
                    [
                        {"機關": "都市發展處", "編號": "9-9", "年度": 114, "期別": 1, "累計實績": 1},
                        {"機關": "都市發展處", "編號": "1-5", "年度": 2025, "期別": 1, "累計實績": 1},
                        {"機關": "都市發展處", "編號": "1-1", "年度": 114, "期別": 7, "累計實績": 1},
                    ]
                ),
            },
        ),
    ),
    "report import (a file refused)": (
        "staff",
        lambda c, w: c.post(
            reverse("kpi:report_import"),
            {"mode": "draft", "file": SimpleUploadedFile("reports.xls", b"whatever")},
        ),
    ),
    "dashboard (city)": ("planner", lambda c, w: c.get(reverse("reports:overview"))),
    "dashboard (department)": ("planner", lambda c, w: c.get(reverse("reports:department", args=[w["department"].pk]))),
    "dashboard (at risk)": ("planner", lambda c, w: c.get(reverse("reports:at_risk"))),
    "yearly report": (
        "planner",
        lambda c, w: c.get(reverse("reports:yearly") + f"?year={PAST}&department={w['department'].pk}"),
    ),
    "yearly report (city)": ("planner", lambda c, w: c.get(reverse("reports:yearly") + f"?year={PAST}")),
    "yearly report (city download)": ("planner", lambda c, w: c.get(_city_export(w, c))),
    "yearly report (print)": (
        "planner",
        lambda c, w: c.get(reverse("reports:yearly_print") + f"?year={PAST}&department={w['department'].pk}"),
    ),
    "public home": (None, lambda c, w: c.get(reverse("reports:public_home"))),
    "public year": (None, lambda c, w: c.get(reverse("reports:public_year", args=[PAST]))),
    "public department": (
        None,
        lambda c, w: c.get(reverse("reports:public_department", args=[PAST, w["department"].pk])),
    ),
    "open data": (None, lambda c, w: c.get(reverse("reports:open_data"))),
    "404 page": ("staff", lambda c, w: c.get("/kpi/999999/")),
    "403 page": ("staff", lambda c, w: c.post(reverse("kpi:period_lock", args=[w["periods"][114, 1].pk]))),
    "403 (a report of another department)": (
        "other_staff",
        lambda c, w: c.get(reverse("kpi:report", args=[w["kpi"].pk, w["periods"][114, 1].pk])),
    ),
    "password change": ("staff", lambda c, w: c.get(reverse("password_change"))),
    "password change (an error)": (
        "staff",
        lambda c, w: c.post(
            reverse("password_change"), {"old_password": "wrong", "new_password1": "x", "new_password2": "y"}
        ),
    ),
    "password reset": (None, lambda c, w: c.get(reverse("password_reset"))),
    "password reset sent": (None, lambda c, w: c.get(reverse("password_reset_done"))),
    "admin index": ("admin", lambda c, w: c.get(reverse("admin:index"))),
    "admin changelist (indicators)": ("admin", lambda c, w: c.get(reverse("admin:kpi_indicator_changelist"))),
    "admin change form (an indicator)": (
        "admin",
        lambda c, w: c.get(reverse("admin:kpi_indicator_change", args=[w["kpi"].pk])),
    ),
    "admin changelist (progress reports)": (
        "admin",
        lambda c, w: c.get(reverse("admin:kpi_progressreport_changelist")),
    ),
    "admin change form (a department plan)": (
        "admin",
        lambda c, w: c.get(reverse("admin:plans_departmentplan_change", args=[w["kpi"].department_plan_id])),
    ),
}

API = {
    "API 400 (a Gregorian year)": ("staff", lambda c, w: c.get("/api/v1/indicators/?year=2023"), 400),
    "API 400 (bad parameters)": ("staff", lambda c, w: c.get("/api/v1/reports/?page_size=abc&ordering=nope"), 400),
    "API 400 (a report's fields)": (
        "staff",
        lambda c, w: c.post(
            "/api/v1/reports/",
            {"indicator": kpi_by_code("4-1").pk, "period": w["periods"][114, 1].pk, "actual": "abc", "submit": True},
            content_type="application/json",
        ),
        400,
    ),
    "API 403 (reviewing one's own report)": (
        "staff",
        lambda c, w: c.post(
            f"/api/v1/reports/{w['submitted'].pk}/approve/",
            {"version": w["submitted"].version},
            content_type="application/json",
        ),
        403,
    ),
    "API 404 (no such address)": ("staff", lambda c, w: c.get("/api/v1/no-such-thing"), 404),
    "API 404 (no such report)": ("staff", lambda c, w: c.get("/api/v1/reports/999999/"), 404),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_page_in_english_shows_no_chinese_outside_plan_data(name, client, cast, world, plan_data):
    who, fetch = PAGES[name]
    response = fetch(english(client, cast[who] if who else None), world)
    assert response.status_code in (200, 400, 403, 404), (name, response.status_code)
    body = response.content.decode()
    assert '<html lang="en"' in body, f"{name}: not rendered in English"
    found = offenders_in_html(body, plan_data)
    assert not found, f"{name}: Chinese outside plan data:\n" + "\n".join(f"  …{snippet(t)}…" for t in found)


@pytest.mark.parametrize("name", list(API))
def test_api_errors_in_english_show_no_chinese(name, client, cast, world, plan_data):
    who, fetch, status = API[name]
    response = fetch(english(client, cast[who] if who else None), world)
    assert response.status_code == status, (name, response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    found = offenders_in_json(response.content, plan_data)
    assert not found, f"{name}: Chinese in the API's messages:\n" + "\n".join(f"  …{snippet(t)}…" for t in found)


def test_the_check_finds_chinese_outside_data_and_skips_marked_data(db, plan_data):
    page = (
        '<html lang="en"><body><p lang="zh-Hant">都市發展處 達成</p><p>都市發展處</p>'
        '<button title="送出">Save</button><p>Status: 待審核</p><script>var a = "草稿";</script></body></html>'
    )
    assert offenders_in_html(page, plan_data) == ['<button title="送出">', "Status: 待審核"]


@pytest.mark.parametrize("name", ["home (plans)", "department plan"])
def test_plan_data_is_marked_as_zh_hant(name, client, cast, world):
    who, fetch = PAGES[name]
    body = fetch(english(client, cast[who]), world).content.decode()
    assert 'lang="zh-Hant">都市發展處<' in body


def test_the_world_has_what_the_pages_need(world):
    statuses = set(ProgressReport.objects.values_list("status", flat=True))
    assert statuses == {"draft", "submitted", "returned", "approved"}
