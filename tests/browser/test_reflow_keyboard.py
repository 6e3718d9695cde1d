"""Small screens, the keyboard and announcements (issue #17, WCAG 1.4.10, 1.4.11, 3.2.2, 4.1.3).

- Reflow: every page type of test_accessibility.py, opened at 320 CSS px as its user, does
  not scroll sideways (a wide table scrolls inside its own box; the page does not).
- No change-on-select: the yearly report's selects and the language switcher change nothing
  when an arrow key changes their value; their button does.
- The focus ring: its colours are read from the rendered page and their contrast computed
  against white, the page's grey and the header's blue.
- Messages after a redirect are in a role=status (role=alert for errors) region that has the focus.
- The review queue: J and K go from row to row, so the 24th report's Approve is a few keys away.
"""

import datetime
import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from kpi.models import ProgressReport
from plans.models import DepartmentPlan
from tests.browser.conftest import sign_in, t
from tests.browser.test_accessibility import PAGES, PageType, open_page, world  # noqa: F401 (world: a fixture)
from tests.factories import objectives_with_kpis, reports_for_indicators

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 640}

# The elements that stick out of the viewport and are not inside a box that scrolls or clips:
# what makes the page scroll sideways, named for the failure message.
WIDE_ELEMENTS = """
() => {
  const width = document.documentElement.clientWidth;
  const contained = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === "auto" || o === "scroll" || o === "hidden" || o === "clip") return true;
    }
    return false;
  };
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > width + 0.5 && !contained(el)) {
      out.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${[...el.classList].join(".")} right=${Math.round(r.right)}`);
    }
  }
  return out.slice(0, 12);
}
"""

REFLOW = [p for p in PAGES if not p.no_reflow]


@pytest.mark.parametrize("kind", REFLOW, ids=[p.name for p in REFLOW])
def test_page_does_not_scroll_sideways_at_320_px(page: Page, request, world, live_server, kind: PageType):  # noqa: F811
    page.set_viewport_size(NARROW)
    open_page(page, request, live_server, world, kind)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= NARROW["width"], f"{page.url}: {width} px wide at 320 px: {page.evaluate(WIDE_ELEMENTS)}"


# --- No change-on-select (WCAG 3.2.2) -----------------------------------------------------------


def stays(page: Page):
    """A mark in the page's window that a navigation would wipe out."""
    page.evaluate("() => { window.__stayed = true; }")
    return lambda: page.evaluate("() => window.__stayed === true")


def test_yearly_report_selects_wait_for_their_button(page: Page, world, supervisor):  # noqa: F811
    sign_in(page, "supervisor")
    page.goto(reverse("reports:yearly") + "?year=114")
    year = page.locator("#report-year")
    still_here = stays(page)

    year.focus()
    page.keyboard.press("ArrowUp")  # 113: the value changes ...
    expect(year).to_have_value("113")
    page.wait_for_timeout(500)
    assert still_here(), "an arrow key on the year reloaded the page"  # ... the page does not
    expect(year).to_be_focused()
    department = page.locator("#report-department")
    department.focus()
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(500)
    assert still_here(), "an arrow key on the department reloaded the page"

    # The button shows the choice; it is reached with Tab and pressed with Enter.
    page.keyboard.press("Tab")
    button = page.locator(".report-filters").get_by_role("button", name=t("Show"))
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"year=113"))
    expect(page.locator("#report-year")).to_have_value("113")
    expect(page.locator("#report-department")).not_to_have_value("")


def test_language_switcher_waits_for_its_button(page: Page, staff):
    sign_in(page, "staff")
    page.goto(reverse("kpi:my_updates"))
    assert page.locator("html").get_attribute("lang").lower().startswith("zh")
    still_here = stays(page)
    switcher = page.locator("#lang-select")
    switcher.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(500)
    assert still_here(), "an arrow key on the language reloaded the page"
    expect(switcher).to_be_focused()

    switcher.select_option("en")
    page.wait_for_timeout(300)
    assert still_here(), "choosing a language reloaded the page"
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(re.escape(reverse("kpi:my_updates")) + "$"))


# --- The focus ring (WCAG 1.4.11) ---------------------------------------------------------------


def luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def rgb(css: str) -> tuple[int, int, int]:
    match = re.search(r"rgba?\((\d+),\s*(\d+),\s*(\d+)", css)
    assert match, f"not a colour: {css!r}"
    return tuple(int(x) for x in match.groups())


RING = """
(el) => {
  const s = getComputedStyle(el);
  let bg = "rgb(255, 255, 255)";
  for (let p = el.parentElement; p; p = p.parentElement) {
    const c = getComputedStyle(p).backgroundColor;
    if (c && c !== "rgba(0, 0, 0, 0)" && c !== "transparent") { bg = c; break; }
  }
  return {outline: s.outlineColor, style: s.outlineStyle, width: parseFloat(s.outlineWidth),
          offset: parseFloat(s.outlineOffset), shadow: s.boxShadow, around: bg};
}
"""


def test_focus_ring_stands_out_on_white_grey_and_the_header(page: Page, staff):
    sign_in(page, "staff")
    page.goto(reverse("kpi:my_updates"))
    white = (255, 255, 255)
    grey = rgb(page.evaluate("() => getComputedStyle(document.documentElement).backgroundColor"))

    # A header link, reached with the keyboard (so :focus-visible applies).
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the site's name, in the header
    header_link = page.locator(".site-header .brand")
    expect(header_link).to_be_focused()
    ring = header_link.evaluate(RING)
    assert ring["style"] == "solid" and ring["width"] >= 2, ring
    dark, halo, header = rgb(ring["outline"]), rgb(ring["shadow"]), rgb(ring["around"])
    # The halo hugs the element (a spread as wide as the outline's offset), the ring is outside it.
    assert re.search(r"0px 0px 0px (\d+)px", ring["shadow"]).group(1) == str(int(ring["offset"])), ring

    ratios = {
        "ring on white": contrast(dark, white),
        "ring on the page's grey": contrast(dark, grey),
        "halo on the header": contrast(halo, header),
        "ring against halo": contrast(dark, halo),
    }
    assert all(r >= 3 for r in ratios.values()), {k: round(v, 2) for k, v in ratios.items()}

    # A link in the page's content gets the same two rings.
    skip = page.get_by_role("link", name=t("Skip to content"))
    skip.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    in_main = page.evaluate("() => !!document.activeElement.closest('main')")
    assert in_main, "Tab after the skip link is not in the page's content"
    content_ring = page.locator(":focus").evaluate(RING)
    assert rgb(content_ring["outline"]) == dark and rgb(content_ring["shadow"]) == halo, content_ring
    assert contrast(dark, rgb(content_ring["around"])) >= 3, content_ring


# --- Messages (WCAG 4.1.3) ------------------------------------------------------------------------


def test_a_success_after_a_redirect_is_a_focused_status(page: Page, world, supervisor):  # noqa: F811
    sign_in(page, "supervisor")
    report = ProgressReport.objects.get(indicator=world.waiting, period=world.period)
    page.goto(reverse("kpi:review", args=[report.pk]) + "?action=approve")
    page.locator("form:has(input[name=action][value=approve]) button[type=submit]").click()
    region = page.locator("[data-messages]")
    expect(region).to_be_focused()
    status = region.locator("[role=status]")
    expect(status).to_have_count(1)
    expect(status).to_contain_text(str(world.waiting.code))
    expect(region.locator("[role=alert]")).to_have_count(0)
    # The keyboard goes on from the message, into the page.
    page.keyboard.press("Tab")
    assert page.evaluate("() => !!document.activeElement.closest('main')")


def test_an_error_after_a_redirect_is_a_focused_alert(page: Page, world, supervisor):  # noqa: F811
    sign_in(page, "supervisor")
    page.goto(reverse("kpi:review_queue"))
    page.get_by_role("button", name=t("Approve the ticked reports…")).click()  # none ticked
    region = page.locator("[data-messages]")
    expect(region).to_be_focused()
    expect(region.locator("[role=alert]")).to_have_text(t("Tick the reports to approve first."))
    expect(region.locator("[role=status]")).to_have_count(0)


def test_a_page_with_its_own_focus_keeps_it(page: Page, world, staff):  # noqa: F811
    """The report form's error summary (autofocus) keeps the focus; no message takes it."""
    sign_in(page, "staff")
    page.goto(reverse("kpi:report", args=[world.to_report.pk, world.period.pk]))
    page.locator("#id_actual").fill("abc")
    page.locator("button[name=action][value=save]").click()
    expect(page.locator(".error-summary")).to_be_focused()


# --- The review queue, row by row -------------------------------------------------------------------

ROWS = 24


@pytest.fixture
def long_queue(seeded_plan, periods, home_department, staff):
    plan = DepartmentPlan.objects.get(plan=seeded_plan, department=home_department)
    indicators = objectives_with_kpis(plan, objectives=3, kpis=ROWS // 3)
    return reports_for_indicators(indicators, periods["114Q1"], status="submitted", reporter=staff)


def focused_row(page: Page) -> str:
    return page.evaluate("() => document.activeElement.closest('tr') && document.activeElement.closest('tr').id")


def test_the_24th_approve_button_is_a_few_keys_away(page: Page, settings, long_queue, supervisor):
    settings.KPI_TODAY = datetime.date(2025, 4, 10)
    sign_in(page, "supervisor")
    page.goto(reverse("kpi:review_queue"))
    rows = page.locator("tr[data-row]")
    expect(rows).to_have_count(ROWS)
    expect(page.locator("[data-row-jump-hint]")).to_be_visible()

    # The skip link, then Tab to the first row's Approve, then J down the rows.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name=t("Skip to content"))).to_be_focused()
    page.keyboard.press("Enter")
    presses = 2
    first_approve = rows.first.locator("[data-jump=approve]")
    for _ in range(120):
        page.keyboard.press("Tab")
        presses += 1
        if first_approve.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError("the first Approve cannot be reached with Tab")
    for _ in range(ROWS - 1):
        page.keyboard.press("j")
        presses += 1
    last_approve = rows.last.locator("[data-jump=approve]")
    expect(last_approve).to_be_focused()
    assert presses <= 40, f"{presses} key presses to the 24th report's Approve (111 Tabs before)"

    # At the last row J stays; K goes back one row, to the same control.
    page.keyboard.press("j")
    expect(last_approve).to_be_focused()
    page.keyboard.press("k")
    expect(rows.nth(ROWS - 2).locator("[data-jump=approve]")).to_be_focused()
    # From a row's box, J goes to the next row's box; with Ctrl it does nothing.
    rows.nth(3).locator("[data-jump=pick]").focus()
    page.keyboard.press("j")
    expect(rows.nth(4).locator("[data-jump=pick]")).to_be_focused()
    page.keyboard.press("Control+j")
    expect(rows.nth(4).locator("[data-jump=pick]")).to_be_focused()
    # Enter on the focused Approve opens that report's review.
    target = rows.nth(10)
    target.locator("[data-jump=approve]").focus()
    report_id = target.get_attribute("id").removeprefix("report-")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/reports/{report_id}/review/\?action=approve"))
