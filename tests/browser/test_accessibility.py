"""Accessibility (WCAG 2.1 AA, as Taiwan requires of government web pages): every page type,
opened in Chromium as the person who uses it, passes axe-core's WCAG 2.0/2.1 A and AA rules
and its best-practice rules, says it is in zh-Hant, and gives its charts a text alternative
(an accessible name and a table with the same figures). Admin's pages (sign-in, index, a
change form, a change list) are among them, and every page is checked again in English,
where the plan's own Chinese text must say it is zh-Hant (WCAG 3.1.2).

Reflow at 320 px, the keyboard and the announcements are in test_reflow_keyboard.py.

Keyboard use of the report form is covered by test_report_walk.py.

The data come from the services (kpi.services): KPI 1-5 of 都市發展處 has approved figures
for 民國113年 and 民國114年 (so its charts and the dashboard's are drawn), KPI 1-4 has a
report waiting for review, 民國114年 is published for the public pages.
"""

import datetime
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page, expect

from kpi import services
from kpi.models import Indicator, ReportingPeriod
from plans.models import PublishedYear

pytestmark = pytest.mark.browser

TODAY = datetime.date(2025, 4, 10)  # 民國114年第1季 ended on 3/31 and is due on 4/15
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# axe's best practices (landmarks, one h1, heading order, no empty table header, …) too.
BEST_PRACTICE = "best-practice"
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": [*WCAG_TAGS, BEST_PRACTICE]}, "resultTypes": ["violations"]}

_axe = Axe()


@dataclass
class World:
    plan: object
    home: object
    kpi: object  # 1-5, approved figures (charts)
    waiting: object  # 1-4, a report submitted for review
    to_report: object  # 1-3, nothing reported yet
    period: object  # 民國114年第1季


@pytest.fixture
def world(settings, home_department, staff, supervisor, planner, admin_user):
    settings.KPI_TODAY = TODAY
    indicators = {
        i.number: i
        for i in Indicator.objects.select_related("department_plan__plan").filter(
            department_plan__department=home_department, objective__number=1, number__in=(3, 4, 5)
        )
    }
    kpi = indicators[5]
    plan = kpi.department_plan.plan
    services.periods_ensure(plan=plan)

    def period(year, number):
        return ReportingPeriod.objects.get(plan=plan, frequency=plan.reporting_frequency, year=year, number=number)

    for year, number, actual in ((113, 4, "5"), (114, 1, "2")):
        report = services.report_save(
            indicator=kpi,
            period=period(year, number),
            user=staff,
            actual=actual,
            narrative=f"民國{year}年累計召開平台會議 {actual} 場。",
            shortfall_reason="颱風延會。" if year == 114 else "",
            improvement_plan="下季補開。" if year == 114 else "",
            submit=True,
        )
        services.report_approve(report=report, user=supervisor, expected_version=report.version)
    q1 = period(114, 1)
    waiting = indicators[4]
    report = services.report_save(
        indicator=waiting,
        period=q1,
        user=staff,
        actual="0",
        narrative="本季進行中。",
        shortfall_reason="延宕。",
        improvement_plan="加速辦理。",
    )
    services.report_submit(report=report, user=staff, expected_version=report.version)
    PublishedYear.objects.create(plan=plan, year=114, published_by=admin_user)
    return World(plan=plan, home=home_department, kpi=kpi, waiting=waiting, to_report=indicators[3], period=q1)


def _bad_figure(page: Page) -> None:
    """The report form after a bad figure: errors shown next to the field and in the summary."""
    page.locator("#id_actual").fill("abc")
    page.locator("button[name=action][value=save]").click()
    expect(page.locator("#id_actual")).to_have_attribute("aria-invalid", "true")


def _grid_bad_figure(page: Page) -> None:
    """The department's grid after a bad figure: the row's error beside its field and in the summary."""
    first = page.locator("input[data-col=actual]").first
    first.fill("abc")
    page.locator("button[name=action][value=save]").click()
    expect(page.locator("input[data-col=actual]").first).to_have_attribute("aria-invalid", "true")


def _new_api_token(page: Page) -> None:
    """The API tokens page with a token just created: shown once, and listed."""
    page.locator(f"form[action='{reverse('api_token_create')}'] button").click()
    expect(page.locator("#new-token")).to_be_visible()


def _mismatched_passwords(page: Page) -> None:
    """The password form after a wrong current password: errors next to the fields."""
    page.locator("#id_old_password").fill("wrong")
    page.locator("#id_new_password1").fill("Keelung-harbour-2025!")
    page.locator("#id_new_password2").fill("Keelung-harbour-2025!")
    page.locator("main button[type=submit]").click()
    expect(page.locator("#id_old_password")).to_have_attribute("aria-invalid", "true")


@dataclass
class PageType:
    name: str
    user: str | None  # a fixture name, or None for anonymous
    url: Callable[[World], str]
    then: Callable[[Page], None] | None = None
    charts: bool = False
    # The language the page is written in. The API's documentation pages (Swagger UI and
    # ReDoc, kpi/api/docs.py) are third-party UIs in English, with English text of ours:
    # their lang="en" is the true one (WCAG 3.1.1), so they are not held to zh-Hant.
    lang: str = "zh-Hant"
    # axe rules left out on third-party UIs we cannot fix without patching them: {rule id: why}.
    known: dict[str, str] = field(default_factory=dict)
    status: int = 200  # the error pages answer 403 or 404
    # Held to axe's best practices as well as WCAG's rules (all our own pages are).
    best_practice: bool = True
    # Checked again with the UI in English (the API's English-only UIs need not be).
    english: bool = True
    # Why the page is left out of the 320 px reflow check (test_reflow_keyboard.py), if it is.
    no_reflow: str = ""


SWAGGER_UI = {
    # Swagger UI (drf-spectacular-sidecar's bundle) renders its own markup and stylesheet:
    # grey version stamps and the "Authorize" button fall below 4.5:1, and each operation's
    # summary is a <button> holding other controls. Only its upstream can change them.
    "color-contrast": "Swagger UI's own stylesheet (version stamps, Authorize button)",
    "nested-interactive": "Swagger UI's operation summary: a button containing controls",
}
UPSTREAM_UI = "Swagger UI's and ReDoc's own layout; the plain endpoint list (api-endpoints) is checked"
DJANGO_ADMIN_CHANGE_FORM: dict[str, str] = {
    # Nothing excluded: the yearly-target inline gives each input an aria-label
    # (kpi/admin_forms.py) and templates/admin/base_site.html underlines links in text.
}


PAGES = [
    PageType("login", None, lambda w: reverse("login")),
    PageType("plans-home", "staff", lambda w: reverse("kpi:home")),
    PageType("department-plan", "staff", lambda w: reverse("kpi:department_plan", args=[w.plan.pk, w.home.pk])),
    PageType("my-updates", "staff", lambda w: reverse("kpi:my_updates")),
    PageType("report-form", "staff", lambda w: reverse("kpi:report", args=[w.to_report.pk, w.period.pk])),
    PageType(
        "report-form-errors", "staff", lambda w: reverse("kpi:report", args=[w.to_report.pk, w.period.pk]), _bad_figure
    ),
    PageType("report-grid", "staff", lambda w: reverse("kpi:grid", args=[w.home.pk, w.period.pk])),
    PageType(
        "report-grid-errors",
        "staff",
        lambda w: reverse("kpi:grid", args=[w.home.pk, w.period.pk]),
        _grid_bad_figure,
    ),
    PageType(
        "kpi-page",
        "supervisor",
        lambda w: reverse("kpi:detail", args=[w.kpi.pk]),
        charts=True,
    ),
    PageType("review-queue", "supervisor", lambda w: reverse("kpi:review_queue")),
    PageType("inbox", "staff", lambda w: reverse("kpi:inbox")),
    PageType("notification-settings", "staff", lambda w: reverse("kpi:notification_settings")),
    PageType("api-tokens", "staff", lambda w: reverse("api_tokens"), then=_new_api_token),
    PageType("periods", "planner", lambda w: reverse("kpi:periods")),
    PageType(
        "dashboard",
        "supervisor",
        lambda w: reverse("reports:overview") + "?year=114",
        charts=True,
    ),
    PageType(
        "department-dashboard",
        "supervisor",
        lambda w: reverse("reports:department", args=[w.home.pk]) + "?year=114",
    ),
    PageType("at-risk", "supervisor", lambda w: reverse("reports:at_risk") + "?year=114"),
    PageType("yearly-report", "supervisor", lambda w: reverse("reports:yearly") + "?year=114"),
    PageType(
        "yearly-print",
        "supervisor",
        lambda w: reverse("reports:yearly_print") + "?year=114",
    ),
    PageType("report-import", "staff", lambda w: reverse("kpi:report_import")),
    PageType("public-home", None, lambda w: reverse("reports:public_year", args=[114])),
    PageType(
        "public-department",
        None,
        lambda w: reverse("reports:public_department", args=[114, w.home.pk]),
    ),
    PageType("open-data", None, lambda w: reverse("reports:open_data")),
    # Swagger UI and ReDoc: upstream UIs with hundreds of best-practice faults and a fixed
    # wide layout; the API is also described by our plain endpoint list, held to every rule.
    PageType(
        "api-docs",
        "staff",
        lambda w: "/api/v1/docs/",
        lang="en",
        known=SWAGGER_UI,
        best_practice=False,
        english=False,
        no_reflow=UPSTREAM_UI,
    ),
    PageType(
        "api-redoc",
        "staff",
        lambda w: "/api/v1/redoc/",
        lang="en",
        best_practice=False,
        english=False,
        no_reflow=UPSTREAM_UI,
    ),
    PageType("api-endpoints", "staff", lambda w: reverse("api:endpoints")),
    PageType("planning-index", "staff", lambda w: reverse("kpi:planning_index")),
    PageType(
        "planning",
        "staff",
        lambda w: reverse("kpi:planning", args=[w.plan.pk, w.home.pk, 114]),
    ),
    PageType("password-change", "staff", lambda w: reverse("password_change"), then=_mismatched_passwords),
    PageType("password-reset", None, lambda w: reverse("password_reset")),
    PageType("password-reset-expired-link", None, lambda w: reverse("password_reset_confirm", args=["MQ", "x"])),
    PageType("not-found", "staff", lambda w: "/kpi/999999/", status=404),
    PageType(
        "forbidden", "supervisor", lambda w: reverse("kpi:report", args=[w.to_report.pk, w.period.pk]), status=403
    ),
    PageType("admin-index", "admin_user", lambda w: reverse("admin:index")),
    PageType(
        "admin-indicator",
        "admin_user",
        lambda w: reverse("admin:kpi_indicator_change", args=[w.kpi.pk]),
        known=DJANGO_ADMIN_CHANGE_FORM,
    ),
    PageType("admin-login", None, lambda w: reverse("admin:login")),
    PageType(
        "admin-indicators",
        "admin_user",
        lambda w: reverse("admin:kpi_indicator_changelist"),
    ),
]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['id']}] ({v.get('impact')}) {v['help']} — {v.get('helpUrl', '')}")
        for node in v["nodes"][:4]:
            lines.append(f"    at {node['target']}: {node['html'][:300]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"       {summary[:300]}")
        if len(v["nodes"]) > 4:
            lines.append(f"    … and {len(v['nodes']) - 4} more")
    return "\n".join(lines)


def expect_charts_have_text_alternatives(page: Page) -> None:
    canvases = page.locator("canvas")
    assert canvases.count() > 0, "no chart on the page"
    for i in range(canvases.count()):
        canvas = canvases.nth(i)
        expect(canvas).to_have_attribute("role", "img")
        expect(canvas).to_have_accessible_name(re.compile(r"\S"))
        # The figures are also in a table next to the chart (same figure or section).
        box = canvas.locator("xpath=ancestor::*[self::figure or self::section][1]")
        table = box.locator("table")
        expect(table.first).to_be_attached()
        assert table.first.locator("th").count() > 0, "the chart's table has no headers"
        assert table.first.locator("tbody tr").count() > 0, "the chart's table is empty"
        # ... the same figures: every label of the chart, and every value (whole part, as
        # the table rounds and adds units), are in its table.
        data = json.loads(page.locator(f"#{canvas.get_attribute('data-chart')}").text_content())
        text = table.first.inner_text()
        missing = [label for label in data["labels"] if label not in text]
        missing += [
            f"{dataset['label']}: {value}"
            for dataset in data["datasets"]
            for value in dataset["data"]
            if value is not None and str(int(value)) not in text
        ]
        assert not missing, f"#{canvas.get_attribute('id')}: not in its table: {missing}"


def open_page(page: Page, request, live_server, world, kind: PageType, language: str | None = None):
    """Open `kind` as its user (signed in through a session cookie), in `language` if given
    (the switcher's cookie); returns the response after the page settled."""
    page.goto(reverse("login"))  # a page of the site, so that the cookie has an origin
    cookies = []
    if language:
        cookies.append({"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url})
    if kind.user:
        user = request.getfixturevalue(kind.user)
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        cookies.append({"name": cookie.key, "value": cookie.value, "url": live_server.url})
    if cookies:
        page.context.add_cookies(cookies)
    response = page.goto(kind.url(world))
    assert response.status == kind.status, f"{kind.url(world)}: {response.status}"
    page.wait_for_load_state("networkidle")
    if kind.then:
        kind.then(page)
        page.wait_for_load_state("networkidle")
    return response


# Text nodes with Chinese in them whose nearest lang="…" is not Chinese: on an English page,
# the plan's own text (names, narratives) must carry lang="zh-Hant". Hidden text counts too
# (a screen reader may read it); <script>, <style> and <template> do not.
CHINESE_WITHOUT_LANG = r"""
() => {
  const han = /[\u3400-\u9fff\uf900-\ufaff]/;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const found = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || !han.test(node.data) || parent.closest("script, style, template, noscript")) continue;
    const marked = parent.closest("[lang]");
    const lang = marked ? marked.getAttribute("lang").toLowerCase() : "";
    if (!lang.startsWith("zh")) found.push(`<${parent.tagName.toLowerCase()}> ${node.data.trim().slice(0, 60)}`);
  }
  return [...new Set(found)];
}
"""

ENGLISH = "en"


@pytest.mark.parametrize("kind", PAGES, ids=[p.name for p in PAGES])
def test_page_meets_wcag_21_aa(page: Page, request, world, live_server, kind: PageType):
    """The page in zh-Hant, then (one world, one flush) in English where the page has English."""
    for language in (None, ENGLISH) if kind.english else (None,):
        check_page(page, request, live_server, world, kind, language)


def check_page(page: Page, request, live_server, world, kind: PageType, language: str | None) -> None:
    open_page(page, request, live_server, world, kind, language)
    shown = language or "zh-Hant"

    lang = page.locator("html").get_attribute("lang") or ""
    expected = language or kind.lang
    # Language tags are case-insensitive (BCP 47): Django's admin writes "zh-hant".
    assert lang.lower().startswith(expected.lower()), f"{page.url}: <html lang={lang!r}>, not {expected}"

    if kind.charts:
        page.wait_for_function(
            "() => window.Chart && [...document.querySelectorAll('canvas')].every(c => Chart.getChart(c))"
        )
        expect_charts_have_text_alternatives(page)

    options = dict(AXE_OPTIONS)
    if not kind.best_practice:
        options["runOnly"] = {"type": "tag", "values": WCAG_TAGS}
    if kind.known:
        options["rules"] = {rule: {"enabled": False} for rule in kind.known}
    results = _axe.run(page, options=options)
    violations = results.response["violations"]
    assert not violations, f"{page.url} ({shown}): {len(violations)} axe violation(s)\n" + describe(violations)

    if language == ENGLISH:
        unmarked = page.evaluate(CHINESE_WITHOUT_LANG)
        assert not unmarked, f"{page.url}: Chinese text not marked lang=zh-Hant on an English page: {unmarked}"
