"""Review cycles in a real browser, through the confirmation pages.

1. Two stages (單位主管初核, then 研考複核): staff file KPI 1-5 of 都市發展處 for 民國114年第1季;
   the supervisor looks at it on its review page, then returns it with a comment; staff
   revise and resubmit; the supervisor passes the first review; the supervisor cannot give
   the second; the planning office sees it counted in the navigation, approves it on its
   own queue, and the KPI page shows it approved with 初核 on the record.
2. A correction (撤銷核定／更正) of a figure approved in a published year (民國113年): the
   planning office withdraws the approval with a reason; until the corrected report is
   approved the old figure stays the period's actual (KPI page, report card, public page);
   staff correct it, the supervisor approves it, and the public page shows the new figure
   marked corrected, with the date and the reason.
3. A period locked anyway: with reports still submitted and returned, the lock page lists
   them by department and KPI, refuses the lock without "lock anyway", asks for a reason,
   then locks; the queues then show those reports marked locked, with nothing to act on.

The set-up that is not under test (earlier reports, the published year) goes through
kpi.services; every step under test goes through the pages, as people do it.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Page, expect

from common import formatting
from kpi import services
from kpi.models import (
    PeriodEvent,
    ProgressReport,
    ReportAction,
    ReportEvent,
    ReportStatus,
    YearlyTarget,
)
from plans.models import DepartmentPlan, PublishedYear
from tests.browser.conftest import ARTIFACTS, expect_controls_named, sign_in, sign_out, starts, t, tn
from tests.factories import kpi_by_code, objectives_with_kpis

pytestmark = pytest.mark.browser

CODE = "1-5"  # 召開市港再生標竿計畫平台會議次數: 5 場 a year, cumulative, whole sessions


def field(page: Page, label: str):
    """A form control by its label (which may go on with a note, e.g. "required: behind pace")."""
    return page.get_by_label(re.compile("^" + re.escape(label) + r"(\s|$)"))


def report_label(indicator, period_label: str) -> str:
    return t("%(code)s %(name)s (%(period)s)", code=indicator.code, name=indicator.name, period=period_label)


def roc_date(value) -> str:
    with translation.override(django_settings.LANGUAGE_CODE):
        return formatting.roc_date(value)


def nav(page: Page):
    return page.get_by_role("navigation", name=t("Main navigation"))


def _artifact(name: str):
    """A path for an element's screenshot, beside the `snap` ones in test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"


def message(page: Page, text: str):
    return page.locator("ul.messages").get_by_text(text, exact=True)


@pytest.fixture
def elsewhere(seeded_plan, other_department):
    """民政處's plan is not in the document: give it a KPI (4 場 a year), so that another
    department's report can wait in the queues too."""
    department_plan = DepartmentPlan.objects.get(plan=seeded_plan, department=other_department)
    (indicator,) = objectives_with_kpis(department_plan, objectives=1, kpis=1)
    return indicator


def file_report(indicator, period, user, actual, **texts) -> ProgressReport:
    return services.report_save(
        indicator=indicator,
        period=period,
        user=user,
        actual=str(actual),
        expected_version=0,
        submit=True,
        **texts,
    )


# --- 1. Two stages: returned once, then 初核 and 研考複核 ------------------------------------

TODAY = datetime.date(2025, 4, 10)  # 民國114年第1季 ended on 3/31 and is due on 4/15
PERIOD = "民國114年第1季"
COMMENT = "請附上會議紀錄並說明第二場會議日期"


def test_two_stage_review_with_a_return(
    page: Page, snap, settings, two_stages, periods, staff, supervisor, planner, admin_user, other_staff, elsewhere
):
    settings.KPI_TODAY = TODAY
    kpi = kpi_by_code(CODE)
    period = periods[114, 1]
    # Elsewhere in the city, 民政處 waits for its own first review: the admin, who can give
    # both reviews, sees the two stages side by side.
    file_report(elsewhere, period, other_staff, 1, narrative="民政處第1季辦理情形。")

    # --- Staff file the report through the form ------------------------------------------
    sign_in(page, "staff")
    nav(page).get_by_role("link", name=starts(t("My updates"))).click()
    due = page.get_by_role("region", name=starts(t("Due soon")))
    due.get_by_role("link", name=f"{t('Report')} {CODE} {PERIOD}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Progress report for %(period)s", period=PERIOD))
    field(page, "累計實績").fill("2")
    field(page, "達成情形說明").fill("本季召開市港再生標竿計畫平台會議 2 場。")
    page.get_by_role("button", name=t("Submit for review")).click()
    expect(
        message(page, t("The report of %(period)s was submitted and waits for review.", period=PERIOD))
    ).to_be_visible()
    report = ProgressReport.objects.get(indicator=kpi, period=period)
    assert (report.status, report.review_stages) == (ReportStatus.SUBMITTED, 2)
    sign_out(page)

    # --- Supervisor: the first stage of the queue; looks, then returns it ------------------
    sign_in(page, "supervisor")
    review_link = nav(page).get_by_role("link", name=starts(t("Review")))
    expect(review_link).to_have_accessible_name(
        re.compile(re.escape(tn("(%(counter)s report waiting)", "(%(counter)s reports waiting)", 1)))
    )
    expect(nav(page).locator(".nav-count-second")).to_have_count(0)
    review_link.click()
    expect(page.get_by_role("heading", level=1, name=t("Review queue"))).to_be_visible()
    first = page.get_by_role("region", name=starts(t("First review (department)")))
    expect(page.get_by_role("region", name=starts(t("Second review (planning office)")))).to_have_count(0)
    row = first.get_by_role("row").filter(has=page.get_by_role("link", name=kpi.name))
    expect(row).to_contain_text(PERIOD)
    expect(row).to_contain_text("2 場")
    expect(row).to_contain_text("王小明")
    expect(first.get_by_role("link", name=starts(t("Approve…")))).to_have_count(1)  # not 民政處's
    snap("cycle-01-supervisor-first-stage-queue")
    expect_controls_named(page)

    row.get_by_role("link", name=f"{t('Approve…')} {CODE} {PERIOD}").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(t("First review (department)"))
    expect(heading).to_contain_text(f"{CODE} {kpi.name}")
    submitted = page.get_by_role("region", name=t("What was submitted"))
    expect(submitted).to_contain_text("2 場")
    expect(submitted).to_contain_text("本季召開市港再生標竿計畫平台會議 2 場。")
    approve = page.get_by_role("region", name=t("Pass the first review"))
    expect(approve).to_contain_text(
        t("The report then goes to the planning office for the second review; the figure counts only after that.")
    )
    expect(approve.get_by_label(t("Comment (optional)"))).to_be_focused()  # "Approve…" was chosen
    expect(approve.get_by_role("button", name=t("Confirm the first review"))).to_be_visible()
    expect(page.get_by_role("region", name=t("Return for revision"))).to_be_visible()
    snap("cycle-02-review-page-first-stage")
    expect_controls_named(page)
    # Changing one's mind: back to the queue, nothing done.
    approve.get_by_role("link", name=t("Cancel")).click()
    expect(page.get_by_role("heading", level=1, name=t("Review queue"))).to_be_visible()
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED

    row = (
        page.get_by_role("region", name=starts(t("First review (department)")))
        .get_by_role("row")
        .filter(has=page.get_by_role("link", name=kpi.name))
    )
    row.get_by_role("link", name=f"{t('Return…')} {CODE} {PERIOD}").click()
    back = page.get_by_role("region", name=t("Return for revision"))
    comment = back.get_by_label(t("What needs to be corrected (required)"))
    expect(comment).to_be_focused()
    # Without a comment the browser does not send the form.
    back.get_by_role("button", name=t("Return for revision")).click()
    expect(comment).to_be_focused()
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    comment.fill(COMMENT)
    back.get_by_role("button", name=t("Return for revision")).click()
    expect(
        message(
            page,
            t(
                "The report of %(report)s was returned; the reporter will see your comment.",
                report=report_label(kpi, PERIOD),
            ),
        )
    ).to_be_visible()
    # (The empty queue's heading is not asserted: it falls back to the one-stage title,
    # 待您審核, once no two-stage report is left in it.)
    expect(page.get_by_text(t("Nothing is waiting for your review."))).to_be_visible()
    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED
    sign_out(page)

    # --- Staff: 退回 on My updates; revise and resubmit ----------------------------------------
    sign_in(page, "staff")
    nav(page).get_by_role("link", name=starts(t("My updates"))).click()
    returned = page.get_by_role("region", name=starts(t("Returned for revision")))
    row = returned.get_by_role("row").filter(has=page.get_by_role("rowheader", name=kpi.name))
    expect(row).to_contain_text(PERIOD)
    expect(row).to_contain_text(COMMENT)
    expect(row).to_contain_text("李主任")
    row.get_by_role("link", name=f"{t('Revise')} {CODE} {PERIOD}").click()
    expect(page.get_by_role("region", name=t("Returned for revision"))).to_contain_text(COMMENT)
    expect(field(page, "累計實績")).to_have_value("2")
    field(page, "累計實績").fill("3")
    field(page, "達成情形說明").fill("本季召開平台會議 3 場：1月、2月、3月各 1 場，會議紀錄另送。")
    page.get_by_role("button", name=t("Resubmit for review")).click()
    expect(
        message(page, t("The report of %(period)s was submitted and waits for review.", period=PERIOD))
    ).to_be_visible()
    sign_out(page)

    # --- Supervisor: passes the first review on the confirmation page -----------------------
    sign_in(page, "supervisor")
    nav(page).get_by_role("link", name=starts(t("Review"))).click()
    row = (
        page.get_by_role("region", name=starts(t("First review (department)")))
        .get_by_role("row")
        .filter(has=page.get_by_role("link", name=kpi.name))
    )
    expect(row).to_contain_text("3 場")
    row.get_by_role("link", name=f"{t('Approve…')} {CODE} {PERIOD}").click()
    approve = page.get_by_role("region", name=t("Pass the first review"))
    approve.get_by_label(t("Comment (optional)")).fill("會議紀錄已確認。")
    approve.get_by_role("button", name=t("Confirm the first review")).click()
    expect(
        message(
            page,
            t(
                "The report of %(report)s passed the first review and goes to the planning office.",
                report=report_label(kpi, PERIOD),
            ),
        )
    ).to_be_visible()
    report.refresh_from_db()
    assert (report.status, report.first_reviewed_by) == (ReportStatus.FIRST_APPROVED, supervisor)

    # The supervisor cannot give the second review: not on their queue at stage 2 ...
    expect(nav(page).locator(".nav-count-second")).to_have_count(0)
    page.goto(reverse("kpi:review_queue") + "?stage=2")
    expect(page.get_by_role("region", name=starts(t("Second review (planning office)")))).to_have_count(0)
    expect(page.get_by_role("link", name=kpi.name)).to_have_count(0)
    expect(page.get_by_role("link", name=starts(t("Approve…")))).to_have_count(0)
    # ... and its review page, reached by its address, says why and offers nothing to confirm.
    page.goto(reverse("kpi:review", args=[report.pk]) + "?action=approve")
    refusal = page.get_by_role("region", name=t("No review to give here"))
    expect(refusal).to_contain_text(
        t("You passed this report at the first review; the planning office's review must be someone else's.")
    )
    expect(page.get_by_role("button", name=t("Confirm approval"))).to_have_count(0)
    expect(page.get_by_role("button", name=t("Confirm the first review"))).to_have_count(0)
    snap("cycle-03-supervisor-no-second-review")
    sign_out(page)

    # --- The admin's queue: both stages, each with its own report ----------------------------
    sign_in(page, "admin")  # admins land on admin (kpi.access.landing_url); the queue is a click away
    page.goto(reverse("kpi:home"))
    nav(page).get_by_role("link", name=starts(t("Review"))).click()
    stages = page.get_by_role("navigation", name=t("Review stages"))
    expect(stages.get_by_role("listitem")).to_have_text(
        [t("All stages"), t("First review (department)"), t("Second review (planning office)")]
    )
    first = page.get_by_role("region", name=starts(t("First review (department)")))
    second = page.get_by_role("region", name=starts(t("Second review (planning office)")))
    expect(first.get_by_role("link", name=elsewhere.name)).to_be_visible()
    expect(first.get_by_role("link", name=kpi.name)).to_have_count(0)
    second_row = second.get_by_role("row").filter(has=page.get_by_role("link", name=kpi.name))
    expect(second_row).to_contain_text("李主任")  # who passed the first review
    expect(second_row).to_contain_text("3 場")
    snap("cycle-04-queue-two-stages")
    expect_controls_named(page)
    sign_out(page)

    # --- The planning office: the navigation counts the second review; approves it -----------
    sign_in(page, "planner")
    # One 審核 link; its second badge counts the reports waiting for the second review.
    second_link = nav(page).get_by_role("link", name=starts(t("Review")))
    expect(second_link).to_have_accessible_name(
        re.compile(
            re.escape(
                tn(
                    "(%(counter)s report waiting for the second review)",
                    "(%(counter)s reports waiting for the second review)",
                    1,
                )
            )
        )
    )
    expect(second_link.locator(".nav-count-second")).to_contain_text("1")
    second_link.click()
    expect(page).to_have_url(re.compile(r"/review/\?stage=2$"))
    second = page.get_by_role("region", name=starts(t("Second review (planning office)")))
    row = second.get_by_role("row").filter(has=page.get_by_role("link", name=kpi.name))
    expect(row).to_contain_text("李主任")
    expect(page.get_by_role("link", name=elsewhere.name)).to_have_count(0)  # the department's, not ours
    snap("cycle-05-planner-second-stage-queue")
    expect_controls_named(page)
    row.get_by_role("link", name=f"{t('Approve…')} {CODE} {PERIOD}").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(t("Second review (planning office)"))
    status = page.locator("header .status").filter(has_text=str(ReportStatus.FIRST_APPROVED.label))
    expect(status).not_to_have_css("background-color", "rgba(0, 0, 0, 0)")  # a badge, as the other statuses
    expect(page.get_by_role("region", name=t("What was submitted"))).to_contain_text("李主任")  # first review passed by
    approve = page.get_by_role("region", name=t("Approve"))
    expect(approve).to_contain_text(
        t("Approving makes %(figure)s the actual of %(period)s. Are you sure?", figure="3 場", period=PERIOD)
    )
    snap("cycle-06-review-page-second-stage")
    expect_controls_named(page)
    approve.get_by_role("button", name=t("Confirm approval")).click()
    expect(message(page, t("The report of %(report)s was approved.", report=report_label(kpi, PERIOD)))).to_be_visible()
    report.refresh_from_db()
    assert (report.status, report.reviewed_by) == (ReportStatus.APPROVED, planner)
    expect(nav(page).locator(".nav-count-second")).to_have_count(0)

    # --- The KPI page: approved, the year's actual, and the record with 初核 -------------------
    page.goto(reverse("kpi:detail", args=[kpi.pk]) + "?year=114")
    card = page.get_by_role("article", name=t("Report for %(period)s", period=PERIOD))
    expect(card).to_contain_text(str(ReportStatus.APPROVED.label))
    expect(card).to_contain_text(t("First review passed by"))
    expect(card).to_contain_text("李主任")
    expect(card).to_contain_text(t("Approved by"))
    expect(card).to_contain_text("planner")
    years = page.get_by_role("region", name=t("Targets, actuals and lights by year"))
    year_row = years.get_by_role("row").filter(has=page.get_by_role("rowheader", name=starts("民國114年")))
    expect(year_row.get_by_role("cell").nth(1)).to_contain_text("3 場")
    record = page.get_by_role("region", name=t("The record"))
    entries = record.locator("ol.timeline > li.tl-report").filter(has_text=PERIOD)
    expect(entries.locator(".tl-action")).to_have_text(
        [
            str(ReportAction.APPROVED.label),
            str(ReportAction.FIRST_APPROVED.label),
            str(ReportAction.RESUBMITTED.label),
            str(ReportAction.EDITED.label),
            str(ReportAction.RETURNED.label),
            str(ReportAction.SUBMITTED.label),
            str(ReportAction.CREATED.label),
        ]
    )
    expect(entries.nth(0).locator(".tl-actor")).to_have_text("planner")
    expect(entries.nth(1).locator(".tl-actor")).to_have_text("李主任")
    expect(entries.nth(1)).to_contain_text("會議紀錄已確認。")
    expect(entries.nth(4)).to_contain_text(COMMENT)
    snap("cycle-07-kpi-page-approved")
    expect_controls_named(page)


# --- 2. A correction of an approved, published figure ---------------------------------------

CORRECTION_TODAY = datetime.date(2025, 3, 10)  # 民國114年: 113 is over and published
YEAR = 113
Q4 = "民國113年第4季"
ORIGINAL = {
    "narrative": "辦理平台會議 3 場。",
    "shortfall_reason": "場地延後。",
    "improvement_plan": "提前預約場地。",
}
REASON = "漏計 12 月召開之平台會議 1 場。"
CORRECTED_NARRATIVE = "辦理平台會議 4 場（更正：含 12 月 1 場）。"


def test_correction_of_a_published_figure(
    page: Page, snap, settings, seeded_plan, periods, staff, supervisor, planner, admin_user, home_department
):
    settings.KPI_TODAY = CORRECTION_TODAY
    kpi = kpi_by_code(CODE)
    report = file_report(kpi, periods[f"{YEAR}Q4"], staff, 3, **ORIGINAL)
    report = services.report_approve(report=report, user=supervisor, expected_version=report.version)
    PublishedYear.objects.create(plan=seeded_plan, year=YEAR, published_by=admin_user)
    public_url = reverse("reports:public_department", args=[YEAR, home_department.pk])
    public_card = page.locator(f"#kpi-{kpi.pk}")

    # --- The planning office withdraws the approval ----------------------------------------------
    sign_in(page, "planner")
    page.goto(reverse("kpi:detail", args=[kpi.pk]) + f"?year={YEAR}")
    card = page.get_by_role("article", name=t("Report for %(period)s", period=Q4))
    expect(card).to_contain_text(str(ReportStatus.APPROVED.label))
    card.get_by_role("link", name=t("Withdraw approval for correction…")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Withdraw approval for correction"))
    expect(page.get_by_role("heading", level=2)).to_have_text(t("Approved figure: %(figure)s", figure="3 場"))
    reason = page.get_by_label(t("Reason for the correction (required)"))
    expect(reason).to_be_focused()
    snap("correction-01-reopen-page")
    expect_controls_named(page)
    reason.fill(REASON)
    page.get_by_role("button", name=t("Withdraw approval and return for correction")).click()
    expect(
        message(
            page,
            t(
                "The approval of %(report)s was withdrawn; the report went back to its reporter to be corrected. "
                "The figure that had been approved stays the period's actual until the correction is approved.",
                report=report_label(kpi, Q4),
            ),
        )
    ).to_be_visible()
    report.refresh_from_db()
    assert (report.status, report.correcting) == (ReportStatus.RETURNED, True)
    reopened_at = ReportEvent.objects.get(report=report, action=ReportAction.REOPENED).at

    # The KPI page: the previous figure still counts, in the period's row and on the card.
    period_row = page.locator(f"#period-{report.period_id}")
    expect(period_row).to_contain_text(t("Correction"))
    expect(period_row).to_contain_text(t("Still counts: %(figure)s (approved before the correction)", figure="3 場"))
    card = page.get_by_role("article", name=t("Report for %(period)s", period=Q4))
    expect(card).to_contain_text(t("Correction"))
    expect(card).to_contain_text(
        t(
            "Reopened for correction on %(when)s. Until the corrected report is approved, the figure that had "
            "been approved, %(figure)s, stays the period's actual.",
            when=roc_date(reopened_at),
            figure="3 場",
        )
    )
    expect(card).to_contain_text(REASON)
    years = page.get_by_role("region", name=t("Targets, actuals and lights by year"))
    year_row = years.get_by_role("row").filter(has=page.get_by_role("rowheader", name=starts(f"民國{YEAR}年")))
    expect(year_row.get_by_role("cell").nth(1)).to_contain_text("3 場")
    snap("correction-02-kpi-page-under-correction")
    period_row.screenshot(path=str(_artifact("correction-02a-period-row")))
    card.screenshot(path=str(_artifact("correction-02b-report-card")))
    expect_controls_named(page)
    sign_out(page)

    # The public page still shows the figure approved before, and nothing of the correction.
    page.goto(public_url)
    expect(public_card).to_contain_text("3 場")
    expect(public_card).to_contain_text(ORIGINAL["narrative"])
    expect(public_card.locator('[data-figure="corrected"]')).to_have_count(0)
    expect(public_card).not_to_contain_text(REASON)

    # --- Staff correct it through the form ----------------------------------------------------
    sign_in(page, "staff")
    nav(page).get_by_role("link", name=starts(t("My updates"))).click()
    returned = page.get_by_role("region", name=starts(t("Returned for revision")))
    row = returned.get_by_role("row").filter(has=page.get_by_role("rowheader", name=starts(kpi.name)))
    expect(row).to_contain_text(Q4)
    expect(row).to_contain_text(t("Correction"))
    expect(row).to_contain_text(REASON)
    row.get_by_role("link", name=f"{t('Revise')} {CODE} {Q4}").click()
    banner = page.get_by_role("region", name=t("Reopened for correction"))
    expect(banner).to_contain_text(REASON)
    expect(banner).to_contain_text("3 場")
    field(page, "累計實績").fill("4")
    field(page, "達成情形說明").fill(CORRECTED_NARRATIVE)
    expect(page.locator("#live-hint")).to_contain_text("部分達成")  # 4 of 5: what approval would show
    snap("correction-03-form")
    page.get_by_role("button", name=t("Resubmit for review")).click()
    expect(message(page, t("The report of %(period)s was submitted and waits for review.", period=Q4))).to_be_visible()
    sign_out(page)

    # --- The supervisor approves the correction --------------------------------------------------
    sign_in(page, "supervisor")
    nav(page).get_by_role("link", name=starts(t("Review"))).click()
    queue = page.get_by_role("region", name=starts(t("Waiting for your review")))
    row = queue.get_by_role("row").filter(has=page.get_by_role("link", name=kpi.name))
    expect(row).to_contain_text(t("Correction"))
    expect(row).to_contain_text("4 場")
    row.get_by_role("link", name=f"{t('Approve…')} {CODE} {Q4}").click()
    notice = page.get_by_role("status").filter(has_text=t("Correction"))
    expect(notice).to_contain_text(f"{t('Reason')}")
    expect(notice).to_contain_text(REASON)
    expect(notice).to_contain_text("3 場")
    approve = page.get_by_role("region", name=t("Approve"))
    expect(approve).to_contain_text(
        t("Approving makes %(figure)s the actual of %(period)s. Are you sure?", figure="4 場", period=Q4)
    )
    snap("correction-04-review-page")
    approve.get_by_role("button", name=t("Confirm approval")).click()
    expect(message(page, t("The report of %(report)s was approved.", report=report_label(kpi, Q4)))).to_be_visible()
    report.refresh_from_db()
    assert (report.status, report.correcting, report.actual) == (ReportStatus.APPROVED, False, Decimal(4))
    assert report.correction_reason == REASON
    sign_out(page)

    # --- The public page: the new figure, marked corrected, with the date and the reason ---------
    page.goto(reverse("reports:public_home"))  # the latest published year: 民國113年
    page.get_by_role("link", name=home_department.name, exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(public_url) + "$"))
    expect(public_card).to_contain_text("4 場")
    expect(public_card).to_contain_text(CORRECTED_NARRATIVE)
    expect(public_card).not_to_contain_text(ORIGINAL["narrative"])
    mark = public_card.locator('[data-figure="corrected"]')
    expect(mark).to_contain_text(t("Corrected"))
    expect(mark).to_contain_text(t("on %(date)s", date=roc_date(report.corrected_at)))
    expect(public_card).to_contain_text(
        t("Why the approved actual was corrected on %(date)s", date=roc_date(report.corrected_at))
    )
    expect(public_card).to_contain_text(REASON)
    public_card.scroll_into_view_if_needed()
    snap("correction-05-public-corrected")
    public_card.screenshot(path=str(_artifact("correction-06-public-corrected-card")))
    expect_controls_named(page)


# --- 3. A lock refused, then forced --------------------------------------------------------------

LOCK_REASON = "期中檢討會議已召開，未完成之填報於下季一併處理。"
RETURN_COMMENT = "請補附佐證資料"


def test_lock_refused_then_forced(
    page: Page, snap, settings, periods, staff, supervisor, planner, other_staff, home_department, elsewhere
):
    settings.KPI_TODAY = TODAY
    period = periods[114, 1]

    def target(indicator):
        return YearlyTarget.objects.get(indicator=indicator, year=114).value

    texts = {"narrative": "第1季辦理情形。", "shortfall_reason": "進度落後。", "improvement_plan": "加速辦理。"}
    waiting = kpi_by_code(CODE)
    file_report(waiting, period, staff, 2, **texts)
    sent_back = kpi_by_code("2-1")
    returned = file_report(sent_back, period, staff, target(sent_back), **texts)
    services.report_return(report=returned, user=supervisor, comment=RETURN_COMMENT, expected_version=returned.version)
    done = kpi_by_code("1-1")
    approved = file_report(done, period, staff, target(done), **texts)
    services.report_approve(report=approved, user=supervisor, expected_version=approved.version)
    file_report(elsewhere, period, other_staff, 1, **texts)

    # --- The planning office: the lock page lists what is unfinished -----------------------------
    sign_in(page, "planner")
    nav(page).get_by_role("link", name=t("Reporting periods"), exact=True).click()
    row = page.locator(f"#period-{period.pk}")
    row.get_by_role("link", name=f"{t('Lock…')} {PERIOD}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Lock %(period)s?", period=PERIOD))
    unfinished = page.get_by_role(
        "region", name=tn("%(counter)s report is not finished", "%(counter)s reports are not finished", 3)
    )
    # By department (a heading with its count), then by KPI: code, name and status.
    headings = unfinished.get_by_role("heading", level=3)
    expect(headings).to_have_count(2)
    expect(unfinished.get_by_role("listitem")).to_have_count(3)
    home = headings.filter(has_text=home_department.name)
    expect(home).to_contain_text("2")
    home_items = home.locator("xpath=following-sibling::ul[1]").get_by_role("listitem")
    expect(home_items).to_have_count(2)
    expect(home_items.nth(0)).to_contain_text(f"{CODE} {waiting.name}")
    expect(home_items.nth(0)).to_contain_text(str(ReportStatus.SUBMITTED.label))
    expect(home_items.nth(1)).to_contain_text(f"{sent_back.code} {sent_back.name}")
    expect(home_items.nth(1)).to_contain_text(str(ReportStatus.RETURNED.label))
    away = headings.filter(has_text=elsewhere.department_plan.department.name)
    expect(away).to_contain_text("1")
    away_items = away.locator("xpath=following-sibling::ul[1]").get_by_role("listitem")
    expect(away_items).to_have_text([re.compile(re.escape(elsewhere.name) + ".*" + str(ReportStatus.SUBMITTED.label))])
    expect(unfinished).not_to_contain_text(done.name)  # approved: finished
    snap("lock-01-confirmation")
    expect_controls_named(page)

    # Without "lock anyway": refused, and the page says so.
    force = page.get_by_label(t("Lock anyway, leaving these reports as they are"))
    expect(force).not_to_be_checked()
    # The box sits before its words, on one line (not stretched to a line of its own above them).
    box, words = force.bounding_box(), page.locator("label").filter(has=force).bounding_box()
    assert box["width"] < 40 and words["height"] < 40, (box, words)
    page.get_by_role("button", name=t("Lock anyway"), exact=True).click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(_refusal(PERIOD, 3))
    expect(
        page.get_by_role(
            "region", name=starts(tn("%(counter)s report is not finished", "%(counter)s reports are not finished", 3))
        )
    ).to_be_visible()
    period.refresh_from_db()
    assert not period.is_locked
    snap("lock-02-refused")

    # "Lock anyway" without a reason: the reason field says what is missing.
    page.get_by_label(t("Lock anyway, leaving these reports as they are")).check()
    page.get_by_role("button", name=t("Lock anyway"), exact=True).click()
    why = page.get_by_label(t("Reason for locking anyway (required)"))
    needed = t("A reason is required to lock a period while reports are still submitted or returned.")
    expect(why).to_have_attribute("aria-invalid", "true")
    expect(why).to_have_accessible_description(needed)
    expect(page.get_by_role("alert")).to_contain_text(needed)
    expect(page.get_by_label(t("Lock anyway, leaving these reports as they are"))).to_be_checked()  # kept
    period.refresh_from_db()
    assert not period.is_locked
    snap("lock-03-reason-required")
    expect_controls_named(page)

    why.fill(LOCK_REASON)
    page.get_by_role("button", name=t("Lock anyway"), exact=True).click()
    expect(message(page, t("%(period)s is locked. Reports in it can no longer change.", period=PERIOD))).to_be_visible()
    period.refresh_from_db()
    assert period.is_locked
    event = PeriodEvent.objects.get(period=period)
    assert event.forced and event.reason == LOCK_REASON and len(event.unfinished) == 3
    row = page.locator(f"#period-{period.pk}")
    expect(row).to_contain_text(t("Locked anyway"))
    expect(row).to_contain_text(LOCK_REASON)
    expect(row).to_contain_text(tn("%(counter)s report left unfinished", "%(counter)s reports left unfinished", 3))
    expect(row.get_by_role("link", name=starts(t("Lock…")))).to_have_count(0)
    snap("lock-04-periods-locked")
    sign_out(page)

    # --- The supervisor: the submitted report is under "In locked periods", nothing to approve ---
    sign_in(page, "supervisor")
    nav(page).get_by_role("link", name=starts(t("Review"))).click()
    expect(page.get_by_role("region", name=starts(t("Waiting for your review")))).to_contain_text(
        t("Nothing is waiting for your review.")
    )
    locked = page.get_by_role("region", name=starts(t("In locked periods")))
    entry = locked.get_by_role("listitem").filter(has=page.get_by_role("link", name=waiting.name))
    expect(entry).to_contain_text(t("Locked"))
    expect(entry).to_contain_text(PERIOD)
    expect(entry).to_contain_text(str(ReportStatus.SUBMITTED.label))
    expect(locked.get_by_role("listitem")).to_have_count(1)  # 民政處's is not theirs
    expect(page.get_by_role("link", name=starts(t("Approve…")))).to_have_count(0)
    expect(page.get_by_role("button", name=t("Approve the ticked reports…"))).to_have_count(0)
    snap("lock-05-supervisor-queue")
    expect_controls_named(page)
    sign_out(page)

    # --- Staff: the returned report is marked locked ----------------------------------------------
    sign_in(page, "staff")
    nav(page).get_by_role("link", name=starts(t("My updates"))).click()
    locked = page.get_by_role("region", name=starts(t("Returned, but the period is locked")))
    entry = locked.get_by_role("listitem").filter(has=page.get_by_role("link", name=sent_back.name))
    expect(entry).to_contain_text(t("Locked"))
    expect(entry).to_contain_text(PERIOD)
    expect(entry).to_contain_text(RETURN_COMMENT)
    expect(page.get_by_role("link", name=f"{t('Revise')} {sent_back.code} {PERIOD}")).to_have_count(0)
    snap("lock-06-staff-my-updates")
    expect_controls_named(page)


def _refusal(period: str, count: int) -> str:
    """The lock refusal as the server words it (a plural message whose count is also a value)."""
    with translation.override(django_settings.LANGUAGE_CODE):
        text = translation.ngettext(
            "%(period)s still has %(count)s report submitted or returned. Finish its review first, or "
            "lock anyway with a reason.",
            "%(period)s still has %(count)s reports submitted or returned. Finish their review first, or "
            "lock anyway with a reason.",
            count,
        )
    return text % {"period": period, "count": count}
