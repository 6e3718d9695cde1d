"""Nothing typed is lost, in a real browser (issue #13).

Staff write a long narrative for KPI 1-5 in 民國114年第1季: autosave keeps it as a draft a few
seconds after they stop typing. Their session then ends (the session row is deleted, as the
30 idle minutes would); they press 儲存草稿, land on the sign-in page told what happened, sign
in again, and find what they had typed back in the form, not yet saved, with a message.
A few minutes before the session ends, a dialog offers to stay signed in; leaving a form with
unsaved changes asks first, and submitting the form does not.
"""

import datetime
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.sessions.models import Session
from django.urls import reverse
from playwright.sync_api import Page, expect

from kpi import services
from kpi.models import Indicator, ProgressReport, ReportingPeriod, ReportStatus
from tests.browser.conftest import expect_controls_named, sign_in, t
from tests.browser.test_accessibility import AXE_OPTIONS, describe

pytestmark = pytest.mark.browser

TODAY = datetime.date(2025, 4, 10)  # 民國114年第1季 is open and due on 4/15
NARRATIVE = "本季召開市港再生標竿計畫平台會議 1 場，討論西二西三倉庫改建與港區開放空間。\n" * 30
MORE = "\n補充：第二場會議因颱風延至4月，已排定日期。"


@pytest.fixture
def kpi(settings, home_department):
    settings.KPI_TODAY = TODAY
    return Indicator.objects.select_related("department_plan__plan").get(
        department_plan__department=home_department, objective__number=1, number=5
    )


@pytest.fixture
def q1(kpi):
    services.periods_ensure(plan=kpi.department_plan.plan)
    return ReportingPeriod.objects.get(plan=kpi.department_plan.plan, year=114, number=1, frequency="quarterly")


def the_report(kpi, period) -> ProgressReport | None:
    return ProgressReport.objects.filter(indicator=kpi, period=period).first()


def narrative(page: Page):
    return page.get_by_label(re.compile("^" + re.escape("達成情形說明")))


def lines(text: str) -> str:
    """A form posts its line breaks as CRLF (the report form's Save draft stores them so too)."""
    return text.replace("\r\n", "\n")


def saved_automatically() -> re.Pattern:
    prefix, _, suffix = t("Saved automatically at %(time)s").partition("%(time)s")
    return re.compile(re.escape(prefix) + r"\d\d:\d\d" + re.escape(suffix))


def test_typed_text_survives_an_expired_session(page: Page, snap, staff, kpi, q1):
    sign_in(page, "staff")
    page.goto(reverse("kpi:report", args=[kpi.pk, q1.pk]))
    page.get_by_label(re.compile("^累計實績")).fill("1")
    narrative(page).fill(NARRATIVE)

    # Autosave: a draft a few seconds after the typing stopped, and the status line says so.
    status = page.locator("#autosave-status")
    expect(status).to_have_text(saved_automatically())
    expect(status).to_have_attribute("role", "status")
    report = the_report(kpi, q1)
    assert report.status == ReportStatus.DRAFT
    assert lines(report.narrative) == NARRATIVE.strip()
    assert page.locator("input[name=version]").input_value() == str(report.version)

    # More typing, and the session ends before it is saved (30 idle minutes; typing alone
    # is not a request): the session row goes, as it would.
    narrative(page).press("Control+End")
    narrative(page).press_sequentially(MORE[:5])
    narrative(page).evaluate("(el, more) => { el.value = el.value + more; }", MORE[5:])
    Session.objects.all().delete()
    page.get_by_role("button", name=t("Save draft")).click()

    # The sign-in page says what happened.
    expect(page.get_by_label(t("Username"))).to_be_visible()
    signed_out = t(
        "Sessions end after %(minutes)s minutes without activity: yours had ended, so nothing was saved. "
        "What you typed is kept: sign in again and it will be put back into the form.",
        minutes=30,
    )
    expect(page.locator(".messages")).to_contain_text(signed_out)
    page.get_by_label(t("Username")).fill("staff")
    page.get_by_label(t("Password")).fill("pw-staff")
    page.get_by_role("button", name=t("Sign in"), exact=True).click()

    # Back on the form: what was typed, not saved yet, and a message saying so.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Progress report for %(period)s", period="民國114年第1季")
    )
    expected = NARRATIVE + MORE
    expect(narrative(page)).to_have_value(expected)
    expect(page.get_by_label(re.compile("^累計實績"))).to_have_value("1")
    message = t(
        "Your session had ended, so what you typed was not saved. It has been put back into the form: "
        "check it and save it now."
    )
    expect(page.locator(".messages")).to_contain_text(message)
    assert lines(the_report(kpi, q1).narrative) == NARRATIVE.strip()  # the autosaved draft; the rest is unsaved
    snap("nothing-lost-restored")

    # Saving it now keeps all of it.
    page.get_by_role("button", name=t("Save draft")).click()
    saved = t("The report of %(period)s was saved as a draft (not yet submitted for review).", period="民國114年第1季")
    expect(page.locator(".messages")).to_contain_text(saved)
    assert lines(the_report(kpi, q1).narrative) == expected.strip()


def test_the_session_warning_offers_to_stay_signed_in(page: Page, snap, settings, staff, kpi, q1):
    page.clock.install()
    sign_in(page, "staff")
    page.goto(reverse("kpi:report", args=[kpi.pk, q1.pk]))
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_be_hidden()

    # Five minutes before the end (30 idle minutes), the dialog.
    page.clock.run_for(settings.SESSION_COOKIE_AGE * 1000 - settings.SESSION_WARNING_SECONDS * 1000 + 6000)
    expect(dialog).to_be_visible()
    expect(dialog).to_have_accessible_name(t("Your session is about to end"))
    stay = dialog.get_by_role("button", name=t("Stay signed in"))
    expect(stay).to_be_focused()
    expect_controls_named(page)
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, describe(violations)
    snap("nothing-lost-expiry")

    # Staying signed in extends the session on the server and closes the dialog.
    before = Session.objects.get().expire_date
    stay.click()
    expect(dialog).to_be_hidden()
    assert Session.objects.get().expire_date > before

    # Left alone past the end: the dialog says so and offers to sign in again.
    page.clock.run_for(settings.SESSION_COOKIE_AGE * 1000 + 6000)
    expect(dialog).to_be_visible()
    expect(dialog).to_have_accessible_name(t("Your session has ended"))
    expect(dialog.get_by_role("link", name=t("Sign in again"))).to_be_focused()


def test_leaving_a_changed_form_asks_first_but_submitting_it_does_not(page: Page, staff, kpi, q1):
    page.clock.install()  # autosave (3 s after typing) waits for the clock: the form stays unsaved
    sign_in(page, "staff")
    url = reverse("kpi:report", args=[kpi.pk, q1.pk])
    page.goto(url)
    asked = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    narrative(page).click()
    page.keyboard.type("本季召開會議 1 場。")
    page.get_by_role("navigation", name=t("Breadcrumbs")).get_by_role("link").last.click()
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"]
    assert page.url.endswith(url)
    expect(narrative(page)).to_have_value("本季召開會議 1 場。")

    # Saving the form itself does not ask.
    page.get_by_role("button", name=t("Save draft")).click()
    expect(page).to_have_url(re.compile(r"/kpi/\d+/\?year=114"))
    assert asked == ["beforeunload"]
    assert the_report(kpi, q1).narrative == "本季召開會議 1 場。"


def test_saving_while_an_autosave_is_on_its_way_is_not_a_conflict_with_itself(page: Page, staff, kpi, q1):
    sign_in(page, "staff")
    page.goto(reverse("kpi:report", args=[kpi.pk, q1.pk]))
    held = []
    # The autosave reaches the server (which saves version 1); its answer reaches the page late.
    page.route("**/report/autosave/", lambda route: held.append((route, route.fetch())))
    narrative(page).fill("本季召開會議 1 場。")
    page.wait_for_timeout(3500)
    assert len(held) == 1

    # 儲存草稿 while the autosave has not been answered: the form waits for it, then goes with
    # the version it answered.
    page.get_by_role("button", name=t("Save draft")).click()
    assert the_report(kpi, q1).version == 1
    route, response = held[0]
    route.fulfill(response=response)
    saved = t("The report of %(period)s was saved as a draft (not yet submitted for review).", period="民國114年第1季")
    expect(page.locator(".messages")).to_contain_text(saved)
    report = the_report(kpi, q1)
    assert lines(report.narrative) == "本季召開會議 1 場。"
    assert report.status == ReportStatus.DRAFT
