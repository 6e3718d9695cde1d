"""One status on every screen, in a real browser: the department dashboard, the KPI page
and the review queue agree about a KPI's light (issue 11, "Done means").

The demo is seeded as `make demo` seeds it, on its today 2025-10-08: 民國114年 is in
progress, so each KPI is judged on the latest approved period (114Q2) against that
period's planned value. Three KPIs of 都市發展處 are read as the planning office sees them:

- 4-1 (環境景觀總顧問平台會議, 場): on pace on the default straight line — green;
- 2-3 (86 設計公寓出租率, a level): behind its target, judged as it stands — yellow;
- 共1-1 (經常門業務費賸餘數百分比): a year-end figure, white in-year.

The light is read from the markup, not the words: the light mark (kpi/templatetags/marks.py)'s data-light inside the
element that carries data-indicator and data-year (the wording, e.g. 「114Q2 進度」, may
change around it).
"""

import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Page, expect

from kpi import assessments, services
from kpi.models import ProgressReport, ReportingPeriod, ReportStatus
from plans.demo import DEMO_PASSWORD, HOME_DEPARTMENT
from plans.models import DepartmentPlan
from tests.browser.conftest import t

pytestmark = pytest.mark.browser

DEMO_TODAY = datetime.date(2025, 10, 8)  # KPI_TODAY in the demo's .env
YEAR = 114
CASES = {"4-1": "green", "2-3": "yellow", "共1-1": "white"}  # on pace, behind, year-end


@pytest.fixture
def demo(settings, live_server):
    settings.DEMO_MODE = True
    settings.KPI_TODAY = DEMO_TODAY
    call_command("seed_plan", verbosity=0)
    call_command("seed_demo_users", verbosity=0)
    call_command("seed_demo_reports", stdout=io.StringIO())
    dp = DepartmentPlan.objects.select_related("plan").get(department__name=HOME_DEPARTMENT)
    indicators = {i.code: i for i in dp.indicators.select_related("objective", "common_goal") if i.code in CASES}
    submitted = ProgressReport.objects.filter(
        indicator__in=indicators.values(), period__year=YEAR, status=ReportStatus.SUBMITTED
    ).values_list("indicator_id", flat=True)
    awaiting = {code for code, i in indicators.items() if i.pk in set(submitted)}
    if not awaiting:  # the queue should show one of them: 4-1's third quarter, on pace
        staff = dp.department.memberships.get(user__username="staff").user
        period = ReportingPeriod.objects.get(plan=dp.plan, year=YEAR, number=3)
        services.report_save(
            indicator=indicators["4-1"],
            period=period,
            user=staff,
            actual="4",
            narrative="召開環境景觀總顧問平台會議 1 場，累計 4 場。",
            submit=True,
        )
        awaiting = {"4-1"}
    return dp, indicators, awaiting


def sign_in(page: Page, username: str) -> None:
    """The sign-in form as in the demo (DEMO_MODE lists the demo accounts beside it: labels matched exactly)."""
    page.goto(reverse("login"))
    page.get_by_label(t("Username"), exact=True).fill(username)
    page.get_by_label(t("Password"), exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=t("Sign in"), exact=True).click()
    expect(page.get_by_role("button", name=t("Sign out"))).to_be_visible()


def lights(page: Page, indicator_id: int) -> set[str]:
    """Every light the page shows for the KPI-year, read from data-light."""
    within = f'[data-indicator="{indicator_id}"][data-year="{YEAR}"]'
    marks = page.locator(f"{within} [data-light], {within}[data-light]")
    expect(marks.first).to_be_attached()
    return {m.get_attribute("data-light") for m in marks.all()}


def test_dashboard_kpi_page_and_review_queue_agree(page: Page, snap, demo):
    dp, indicators, awaiting = demo
    computed = assessments.plan_year_attainment(plan=dp.plan, year=YEAR, department_ids=[dp.department_id])
    # The service's status is the one the screens must show; the demo makes them the three cases.
    status = {code: computed.indicators[i.pk].assessment.light for code, i in indicators.items()}
    assert status == CASES

    sign_in(page, "planner")

    page.goto(reverse("reports:department", args=[dp.department_id]) + f"?year={YEAR}")
    snap("status-agreement-01-department")
    on_dashboard = {code: lights(page, i.pk) for code, i in indicators.items()}

    on_kpi_page = {}
    for code, indicator in indicators.items():
        page.goto(reverse("kpi:detail", args=[indicator.pk]) + f"?year={YEAR}")
        on_kpi_page[code] = lights(page, indicator.pk)
    snap("status-agreement-02-kpi-page")

    page.goto(reverse("kpi:review_queue") + f"?year={YEAR}")
    snap("status-agreement-03-review-queue")
    on_queue = {code: lights(page, indicators[code].pk) for code in awaiting}

    for code, light in CASES.items():
        assert on_dashboard[code] == {light}, (code, "department dashboard", on_dashboard[code])
        assert on_kpi_page[code] == {light}, (code, "KPI page", on_kpi_page[code])
        if code in on_queue:
            assert on_queue[code] == {light}, (code, "review queue", on_queue[code])
    assert on_queue, "the review queue shows one of the three KPIs"
