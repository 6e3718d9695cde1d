"""The department's grid in a real browser: staff report 民國114年第3季 for 都市發展處 at once.

A column copied from a spreadsheet is pasted into the actual cells (a clipboard paste
event of several lines) and another into the narratives; Enter moves down a column; a
figure behind plan lights up and asks for the reason and the measures; a bad figure is
refused beside its field with nothing saved; a report changed by someone else meanwhile
shows both versions while the rest of the typing is kept; the second try submits.
"""

import datetime
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from kpi import services
from kpi.models import ProgressReport, ReportStatus
from tests.browser.conftest import expect_controls_named, sign_in, t, tn
from tests.factories import kpi_by_code

pytestmark = pytest.mark.browser

TODAY = datetime.date(2025, 10, 8)  # 民國114年第3季 ended on 9/30
PERIOD = "民國114年第3季"
SHOTS = Path("/tmp/shots")


@pytest.fixture
def q3(settings, periods):
    settings.KPI_TODAY = TODAY
    return periods["114Q3"]


def target(code) -> str:
    value = kpi_by_code(code).targets.get(year=114).value
    return format(value.normalize(), "f")


CODES = ("1-1", "1-2", "1-3", "1-4", "1-5", "2-1")


@pytest.fixture
def ids(q3):
    """The indicators' ids, read before the browser starts: the test thread then stays off the
    database while the live server answers the page's requests (they share SQLite's connection)."""
    return {code: kpi_by_code(code).pk for code in CODES}


def paste(locator, text: str) -> None:
    """What Ctrl+V of cells copied from Excel does: a paste event carrying tab/newline text."""
    locator.focus()
    locator.evaluate(
        """(el, text) => {
            const data = new DataTransfer();
            data.setData("text/plain", text);
            el.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
        }""",
        text,
    )


def test_report_a_quarter_in_the_grid(page: Page, staff, q3, ids):
    SHOTS.mkdir(parents=True, exist_ok=True)

    def cell(code, name):
        return page.locator(f"#g-{ids[code]}-{name}")

    def row(code):
        return page.locator(f"#row-{ids[code]}")

    # A draft of 1-2 from earlier: someone else will change it while the grid is open.
    one_two = kpi_by_code("1-2")
    draft = services.report_save(indicator=one_two, period=q3, user=staff, actual="1", narrative="草稿。")
    figures = [target("1-1"), target("1-2"), target("1-3")]  # on target

    sign_in(page, "staff")
    page.goto(reverse("kpi:my_updates"))
    page.get_by_role(
        "link", name=t("Report %(period)s of %(department)s in one grid", period=PERIOD, department="都市發展處")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Report grid for %(period)s", period=PERIOD))
    expect(page.locator("tr.grid-row")).to_have_count(23)
    expect(cell("1-2", "actual")).to_have_value("1")

    # A column of figures copied from a spreadsheet fills 1-1, 1-2 and 1-3.
    paste(cell("1-1", "actual"), "\r\n".join(figures) + "\r\n")
    for code, figure in zip(("1-1", "1-2", "1-3"), figures, strict=True):
        expect(cell(code, "actual")).to_have_value(figure)
    # ... and their narratives, a column of text.
    paste(cell("1-1", "narrative"), "已完成第一項。\n已完成第二項。\n已完成第三項。")
    expect(cell("1-3", "narrative")).to_have_value("已完成第三項。")
    # The light of each row is the server's preview.
    expect(row("1-1").locator("[data-light]")).to_have_attribute("data-light", "green")

    # Enter moves down the column.
    cell("1-3", "actual").focus()
    page.keyboard.press("Enter")
    expect(cell("1-4", "actual")).to_be_focused()
    page.keyboard.press("Tab")  # Tab too goes down the column, not across the row
    expect(cell("1-5", "actual")).to_be_focused()
    page.keyboard.press("Shift+Enter")
    expect(cell("1-4", "actual")).to_be_focused()

    # 0 meetings by Q3 is behind plan: red, and the reason and measures become required.
    cell("1-5", "actual").fill("0")
    cell("1-5", "narrative").fill("會議因颱風延期。")
    expect(row("1-5").locator("[data-light]")).to_have_attribute("data-light", "red")
    expect(cell("1-5", "shortfall_reason")).to_have_class("is-required")

    # A figure that is not a number: refused beside its field, nothing saved, the typing kept.
    cell("2-1", "actual").fill("abc")
    page.get_by_role("button", name=t("Save all as drafts")).click()
    expect(page.get_by_role("alert").filter(has_text=t("Nothing was saved. Please check:"))).to_be_visible()
    expect(cell("2-1", "actual")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#err-{ids['2-1']}-actual")).to_be_visible()
    expect(cell("1-1", "actual")).to_have_value(figures[0])
    expect(cell("1-3", "narrative")).to_have_value("已完成第三項。")
    assert ProgressReport.objects.filter(period=q3).count() == 1
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(SHOTS / "grid.png"))
    expect_controls_named(page)

    # Submitting: the behind row needs its reason and measures.
    cell("2-1", "actual").fill("")
    page.get_by_role("button", name=t("Submit the rows that are ready")).click()
    expect(row("1-5").locator(f"#err-{ids['1-5']}-shortfall_reason")).to_be_visible()
    expect(row("1-5").locator(f"#err-{ids['1-5']}-improvement_plan")).to_be_visible()
    assert ProgressReport.objects.filter(period=q3).count() == 1
    cell("1-5", "shortfall_reason").fill("颱風停班，會議延至10月。")
    cell("1-5", "improvement_plan").fill("10月補開兩場會議。")

    # Meanwhile a colleague changes the draft of 1-2.
    services.report_save(
        indicator=one_two,
        period=q3,
        user=staff,
        actual="1",
        narrative="同事改寫的說明。",
        expected_version=draft.version,
    )
    page.get_by_role("button", name=t("Submit the rows that are ready")).click()
    panel = page.locator(".conflict-panel")
    expect(panel).to_contain_text("同事改寫的說明。")
    expect(panel).to_contain_text("已完成第二項。")
    expect(cell("1-5", "improvement_plan")).to_have_value("10月補開兩場會議。")  # the rest is kept
    panel.screenshot(path=str(SHOTS / "grid-conflict.png"))
    assert ProgressReport.objects.filter(period=q3, status=ReportStatus.SUBMITTED).count() == 0

    # Submitting again on purpose goes through: four rows with a figure.
    page.get_by_role("button", name=t("Submit the rows that are ready")).click()
    expect(
        page.get_by_text(
            tn(
                "%(counter)s report of %(period)s was submitted and waits for review.",
                "%(counter)s reports of %(period)s were submitted and wait for review.",
                4,
                period=PERIOD,
            )
        )
    ).to_be_visible()
    submitted = ProgressReport.objects.filter(period=q3, status=ReportStatus.SUBMITTED)
    assert {r.indicator.code for r in submitted} == {"1-1", "1-2", "1-3", "1-5"}
    assert submitted.get(indicator=one_two).narrative == "已完成第二項。"
    # Submitted rows are read-only now, with their status.
    expect(cell("1-1", "actual")).to_have_count(0)
    expect(row("1-1")).to_contain_text(t("Submitted"))

    page.set_viewport_size({"width": 400, "height": 800})
    page.screenshot(path=str(SHOTS / "grid-narrow.png"))
    cell("1-4", "actual").focus()
    page.keyboard.press("Enter")
    expect(cell("2-1", "actual")).to_be_focused()


def test_leaving_the_grid_with_typed_figures_asks_first(page: Page, staff, q3, ids, home_department):
    sign_in(page, "staff")
    page.goto(reverse("kpi:grid", args=[home_department.pk, q3.pk]))
    asked = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    page.locator(f"#g-{ids['1-1']}-actual").fill("50")
    page.get_by_role("navigation", name=t("Breadcrumbs")).get_by_role("link").last.click()
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"]
    expect(page.locator(f"#g-{ids['1-1']}-actual")).to_have_value("50")
