"""The reporting walk in a real browser, as people do it.

Staff report KPI 1-5 of 都市發展處 (召開市港再生標竿計畫平台會議次數, 5 場 in 民國114年) for
民國114年第1季: a wrong figure is refused next to its field, a figure behind plan needs the
reason and the measures, the preview shows the light approval would give (against the
department's planned value for Q1, 2 場) and the full-year ratio, a PDF goes with it.
The supervisor returns it with a comment; staff revise and resubmit; the supervisor
approves it on the KPI page, which then shows the year's actual, attainment, light,
evidence and the whole record.

And the report form can be filled in and submitted with the keyboard alone.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from kpi import queues, services
from kpi.models import (
    Indicator,
    PlannedStatus,
    PlannedValue,
    ProgressReport,
    ReportAction,
    ReportingPeriod,
    ReportStatus,
    YearlyTarget,
)
from tests.browser.conftest import expect_controls_named, sign_in, sign_out, starts, t, tn

pytestmark = pytest.mark.browser

TODAY = datetime.date(2025, 4, 10)  # 民國114年第1季 ended on 3/31 and is due on 4/15
PERIOD = "民國114年第1季"
CODE = "1-5"
MEASURE = "召開市港再生標竿計畫平台會議次數"
PDF = b"%PDF-1.4\n%test\n"
COMMENT = "請補充會議紀錄"


@pytest.fixture
def kpi(settings, home_department):
    settings.KPI_TODAY = TODAY
    indicator = Indicator.objects.select_related("department_plan__plan").get(
        department_plan__department=home_department, objective__number=1, number=5
    )
    # The department planned 2 場 by the end of Q1 (the default would be 1: 1.25, whole sessions).
    target = YearlyTarget.objects.get(indicator=indicator, year=114)
    PlannedValue.objects.create(target=target, number=1, value=Decimal(2), status=PlannedStatus.PROPOSED)
    return indicator


def the_report(indicator) -> ProgressReport | None:
    return ProgressReport.objects.filter(indicator=indicator, period__year=114, period__number=1).first()


def field(page: Page, label: str):
    """A form control by its label (which may go on with a note, e.g. "required: behind pace")."""
    return page.get_by_label(re.compile("^" + re.escape(label) + r"(\s|$)"))


def expect_field_error(page: Page, label: str, message: str | re.Pattern) -> None:
    """The error is shown in the field's own box and read out with the field (aria-describedby)."""
    control = field(page, label)
    expect(control).to_have_attribute("aria-invalid", "true")
    expect(control).to_have_accessible_description(re.compile(re.escape(message)))
    box = page.locator("div.field").filter(has=control)
    expect(box.locator(".errorlist")).to_contain_text(message)


def expect_nothing_saved(page: Page) -> None:
    expect(page.get_by_role("alert").filter(has_text=t("Nothing was saved. Please check:"))).to_be_visible()


def test_report_returned_revised_and_approved(page: Page, snap, staff, supervisor, kpi, tmp_path):
    pdf = tmp_path / "114Q1-會議紀錄.pdf"
    pdf.write_bytes(PDF)
    nav = page.get_by_role("navigation", name=t("Main navigation"))

    # --- Staff: what is due, and the report form -----------------------------------------
    sign_in(page, "staff")
    due_count = queues.work_for(staff, today=TODAY).to_report_count
    assert due_count > 0
    my_updates = nav.get_by_role("link", name=starts(t("My updates")))
    expect(my_updates).to_have_accessible_name(
        re.compile(re.escape(tn("(%(counter)s item to do)", "(%(counter)s items to do)", due_count)))
    )
    expect(my_updates.locator(".nav-count")).to_have_text(str(due_count))
    my_updates.click()
    expect(page.get_by_role("heading", level=1, name=t("My updates"))).to_be_visible()
    due = page.get_by_role("region", name=starts(t("Due soon")))
    group = due.get_by_role("rowgroup").filter(has=page.get_by_role("rowheader", name=starts(PERIOD)))
    row = group.get_by_role("row").filter(has=page.get_by_role("rowheader", name=kpi.name))
    expect(row).to_contain_text(CODE)
    expect(row).to_contain_text(t("Not started"))
    snap("walk-01-staff-my-updates")
    expect_controls_named(page)
    row.get_by_role("link", name=f"{t('Report')} {CODE} {PERIOD}").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(t("Progress report for %(period)s", period=PERIOD))
    aside = page.get_by_role("complementary", name=t("Targets and preview"))
    expect(aside.get_by_role("region", name=t("Target for %(year)s", year="民國114年"))).to_contain_text("5 場")

    # A count of meetings cannot be 1.5: refused next to the field, nothing saved.
    field(page, "累計實績").fill("1.5")
    page.get_by_role("button", name=t("Save draft")).click()
    expect_nothing_saved(page)
    expect_field_error(page, "累計實績", "整數")
    expect(field(page, "累計實績")).to_have_value("1.5")
    snap("walk-02-bad-figure")
    expect_controls_named(page)
    assert the_report(kpi) is None

    # 1 場 by the end of Q1 is behind the plan (2 場 planned): submitting needs the
    # reason for the shortfall and the improvement measures.
    field(page, "累計實績").fill("1")
    field(page, "達成情形說明").fill("本季召開市港再生標竿計畫平台會議 1 場，討論西二西三倉庫改建。")
    page.get_by_role("button", name=t("Submit for review")).click()
    expect_nothing_saved(page)
    expect_field_error(page, "未達成原因", "未達成原因")
    expect_field_error(page, "改善措施", "改善措施")
    expect(field(page, "達成情形說明")).not_to_have_attribute("aria-invalid", "true")
    snap("walk-03-explanation-required")
    assert the_report(kpi) is None

    field(page, "未達成原因").fill("第二場會議因颱風延至4月。")
    field(page, "改善措施").fill("4月補開會議，並排定每月一次。")
    page.get_by_role("button", name=t("Preview")).click()
    preview = aside.get_by_role("region", name=t("Attainment preview"))
    expect(preview).to_contain_text("114Q1 進度")  # the light approval would give, and its period
    expect(preview).to_contain_text("未達成")
    expect(preview).to_contain_text("2 場")  # planned by the end of Q1
    expect(preview).to_contain_text("50%")  # 1 of the planned 2
    expect(preview).to_contain_text("20%")  # of the year's 5 場: the full-year ratio, a figure, not a second light
    expect(preview).not_to_contain_text("部分達成")
    expect(preview).to_contain_text(
        t("Behind plan: to submit, fill in the reason for the shortfall and the improvement measures.")
    )
    snap("walk-04-preview")
    expect_controls_named(page)
    assert the_report(kpi) is None

    field(page, t("Evidence files")).set_input_files(str(pdf))
    field(page, t("Evidence description")).fill("第1季平台會議紀錄")
    page.get_by_role("button", name=t("Submit for review")).click()
    expect(page.get_by_text(f"已送出{PERIOD}的填報，等待主管審核。新增佐證資料 1 件。")).to_be_visible()
    report = the_report(kpi)
    assert report.status == ReportStatus.SUBMITTED
    assert report.actual == Decimal("1")
    assert [e.original_name for e in report.evidence.all()] == [pdf.name]
    snap("walk-05-submitted")
    sign_out(page)

    # --- Supervisor: returns it with a comment -------------------------------------------
    sign_in(page, "supervisor")
    review = nav.get_by_role("link", name=starts(t("Review")))
    expect(review).to_have_accessible_name(
        re.compile(re.escape(tn("(%(counter)s report waiting)", "(%(counter)s reports waiting)", 1)))
    )
    review.click()
    queue = page.get_by_role("region", name=starts(t("Waiting for your review")))
    row = queue.get_by_role("row").filter(has=page.get_by_role("link", name=kpi.name))
    expect(row).to_contain_text(PERIOD)
    expect(row).to_contain_text("1 場")
    expect(row).to_contain_text("未達成")  # the same light the preview showed
    expect(row).to_contain_text("114Q1 進度")
    snap("walk-06-review-queue")
    expect_controls_named(page)
    # Returning asks on the report's own review page, with the comment required there.
    row.get_by_role("link", name=f"{t('Return…')} {CODE} {PERIOD}").click()
    back = page.get_by_role("region", name=t("Return for revision"))
    back.get_by_label(t("What needs to be corrected (required)")).fill(COMMENT)
    back.get_by_role("button", name=t("Return for revision")).click()
    expect(page.get_by_text(re.compile(r"^已退回 .*填報人會看到你的意見。$"))).to_be_visible()
    expect(page.get_by_role("region", name=starts(t("Waiting for your review")))).to_contain_text(
        t("Nothing is waiting for your review.")
    )
    assert the_report(kpi).status == ReportStatus.RETURNED
    sign_out(page)

    # --- Staff: sees the comment, revises and resubmits ----------------------------------
    sign_in(page, "staff")
    nav.get_by_role("link", name=starts(t("My updates"))).click()
    returned = page.get_by_role("region", name=starts(t("Returned for revision")))
    row = returned.get_by_role("row").filter(has=page.get_by_role("rowheader", name=kpi.name))
    expect(row).to_contain_text(PERIOD)
    expect(row).to_contain_text(COMMENT)
    expect(row).to_contain_text("李主任")
    snap("walk-07-returned")
    expect_controls_named(page)
    row.get_by_role("link", name=f"{t('Revise')} {CODE} {PERIOD}").click()

    banner = page.get_by_role("region", name=t("Returned for revision"))
    expect(banner).to_contain_text(COMMENT)
    expect(field(page, "累計實績")).to_have_value("1")
    expect(page.get_by_role("link", name=pdf.name, exact=True)).to_be_visible()  # the evidence is still attached
    field(page, "累計實績").fill("2")
    field(page, "達成情形說明").fill("本季召開市港再生標竿計畫平台會議 2 場，會議紀錄已上傳。")
    page.get_by_role("button", name=t("Resubmit for review")).click()
    expect(page.get_by_text(f"已送出{PERIOD}的填報，等待主管審核。")).to_be_visible()
    assert the_report(kpi).status == ReportStatus.SUBMITTED
    sign_out(page)

    # --- Supervisor: approves on the KPI page ----------------------------------------------
    sign_in(page, "supervisor")
    nav.get_by_role("link", name=starts(t("Review"))).click()
    row = (
        page.get_by_role("region", name=starts(t("Waiting for your review")))
        .get_by_role("row")
        .filter(has=page.get_by_role("link", name=kpi.name))
    )
    expect(row).to_contain_text("2 場")
    row.get_by_role("link", name=kpi.name).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(kpi.name)
    expect(page.get_by_text(MEASURE)).to_be_visible()
    card = page.get_by_role("article", name=t("Report for %(period)s", period=PERIOD))
    expect(card).to_contain_text(COMMENT)  # the comment when it was last returned
    # The card's "Approve…" opens the review page, which asks for confirmation and comes back here.
    card.get_by_role("link", name=t("Approve…")).click()
    page.get_by_role("region", name=t("Approve")).get_by_role("button", name=t("Confirm approval")).click()
    expect(page.get_by_text(re.compile(r"^已核定 .*的填報。$"))).to_be_visible()
    assert the_report(kpi).status == ReportStatus.APPROVED

    # The year's figure: the latest approved report of 民國114年.
    years = page.get_by_role("region", name=t("Targets, actuals and lights by year"))
    row = years.get_by_role("row").filter(has=page.get_by_role("rowheader", name=starts("民國114年")))
    cells = row.get_by_role("cell")
    expect(cells.nth(0)).to_contain_text("5 場")
    expect(cells.nth(1)).to_contain_text("2 場")
    expect(cells.nth(1)).to_contain_text(PERIOD)
    expect(cells.nth(2)).to_have_text("100%")  # 2 of Q1's planned 2
    expect(cells.nth(3)).to_contain_text("達成")
    expect(cells.nth(3)).to_contain_text("114Q1 進度")
    expect(cells.nth(3)).to_contain_text("全年 40%")  # 2 of the year's 5

    # The evidence can be downloaded.
    card = page.get_by_role("article", name=t("Report for %(period)s", period=PERIOD))
    evidence = card.get_by_role("link", name=pdf.name, exact=True)
    expect(evidence).to_be_visible()
    response = page.request.get(evidence.get_attribute("href"))
    assert response.status == 200
    assert response.body() == PDF

    # The record, newest first: every step, and the reviewer's comment on the return.
    record = page.get_by_role("region", name=t("The record"))
    entries = record.locator("ol.timeline > li.tl-report").filter(has_text=PERIOD)
    expect(entries.locator(".tl-action")).to_have_text(
        [
            str(ReportAction.APPROVED.label),
            str(ReportAction.RESUBMITTED.label),
            str(ReportAction.EDITED.label),
            str(ReportAction.RETURNED.label),
            str(ReportAction.SUBMITTED.label),
            str(ReportAction.EVIDENCE_ADDED.label),
            str(ReportAction.CREATED.label),
        ]
    )
    expect(entries.nth(3)).to_contain_text(COMMENT)
    expect(entries.nth(3)).to_contain_text("李主任")
    expect(entries.nth(2)).to_contain_text("累計實績")
    expect(entries.nth(5)).to_contain_text(pdf.name)
    snap("walk-08-kpi-page-approved")
    expect_controls_named(page)
    sign_out(page)


def tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches `selector` (only looks; the keyboard acts)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            # ... and where the focus is can be seen (WCAG 2.4.7).
            outline = page.evaluate(
                "() => { const s = getComputedStyle(document.activeElement);"
                " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
            )
            assert outline[0] != "none" and outline[1] >= 2, f"no visible focus on {selector}: {outline}"
            return
    raise AssertionError(f"{selector} cannot be reached with Tab")


def test_report_form_by_keyboard_alone(page: Page, snap, staff, kpi):
    services.periods_ensure(plan=kpi.department_plan.plan)
    period = ReportingPeriod.objects.get(plan=kpi.department_plan.plan, year=114, number=1, frequency="quarterly")
    sign_in(page, "staff")
    page.goto(reverse("kpi:report", args=[kpi.pk, period.pk]))
    keyboard = page.keyboard

    # The skip link comes first.
    keyboard.press("Tab")
    expect(page.get_by_role("link", name=t("Skip to content"))).to_be_focused()

    tab_to(page, "#id_actual")
    keyboard.type("3")
    # Enter in the figure previews (the form's first button): nothing is saved.
    keyboard.press("Enter")
    preview = page.get_by_role("region", name=t("Attainment preview"))
    expect(preview).to_contain_text("60%")
    expect(field(page, "累計實績")).to_have_value("3")
    assert the_report(kpi) is None

    # Submitting without the narrative: the focus goes to the list of errors, whose link
    # leads to the field.
    tab_to(page, "button[value=submit]")
    keyboard.press("Enter")
    summary = page.get_by_role("alert").filter(has_text=t("Nothing was saved. Please check:"))
    expect(summary).to_be_focused()
    keyboard.press("Tab")
    expect(summary.get_by_role("link", name="達成情形說明")).to_be_focused()
    keyboard.press("Enter")
    expect(field(page, "達成情形說明")).to_be_focused()
    keyboard.type("本季召開平台會議 3 場。")
    tab_to(page, "#id_description")
    keyboard.type("鍵盤操作測試")
    tab_to(page, "button[value=submit]")
    snap("keyboard-01-before-submit")
    keyboard.press("Enter")

    expect(page.get_by_text(f"已送出{PERIOD}的填報，等待主管審核。")).to_be_visible()
    report = the_report(kpi)
    assert report.status == ReportStatus.SUBMITTED
    assert report.actual == Decimal("3")
    assert report.narrative == "本季召開平台會議 3 場。"
