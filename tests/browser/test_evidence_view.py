"""Evidence in Chromium: one description per chosen file, and a PDF opened inline — under its
sandboxing Content-Security-Policy — in Chromium's own PDF viewer."""

import datetime
import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from kpi.management.commands.seed_demo_reports import demo_pdf
from kpi.models import Evidence, Indicator
from tests.browser.conftest import ARTIFACTS, sign_in, t

pytestmark = pytest.mark.browser

PDF_VIEWER = "chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/"  # Chromium's built-in PDF viewer
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_files_described_one_by_one_and_a_pdf_viewed_inline(page: Page, context, settings, staff, tmp_path):
    settings.KPI_TODAY = datetime.date(2025, 4, 10)
    kpi = Indicator.objects.get(department_plan__department__name="都市發展處", objective__number=2, number=1)
    period = kpi.department_plan.plan.periods.get(year=114, number=1)
    pdf = tmp_path / "簽到表.pdf"
    pdf.write_bytes(demo_pdf(["Keelung Urban Development", "2-1 Sign-in sheet, 114 Q1"]))
    photo = tmp_path / "活動照片.png"
    photo.write_bytes(PNG)

    sign_in(page, "staff")
    expect(page).to_have_url(re.compile(re.escape(reverse("kpi:my_updates")) + "$"))  # a reporter lands on 待填報
    page.goto(reverse("kpi:report", args=[kpi.pk, period.pk]))
    page.get_by_label(re.compile("^" + re.escape(t("Evidence files")))).set_input_files([str(pdf), str(photo)])
    # One description per chosen file appears; an empty one takes the shared description.
    own = page.locator("#file-descriptions input[name=file_description]")
    expect(own).to_have_count(2)
    own.nth(0).fill("第1季簽到表")
    page.get_by_label(re.compile("^" + re.escape(t("Evidence description")))).fill("活動成果")
    page.get_by_label(re.compile("^" + re.escape("累計實績"))).fill("1")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("fieldset").filter(has=own.first).screenshot(path=str(ARTIFACTS / "evidence-per-file.png"))
    page.get_by_role("button", name=t("Save draft")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(kpi.name)
    described = dict(Evidence.objects.values_list("original_name", "description"))
    assert described == {"簽到表.pdf": "第1季簽到表", "活動照片.png": "活動成果"}

    page.goto(reverse("kpi:report", args=[kpi.pk, period.pk]))
    view = page.get_by_role("link", name=f"{t('View')} 簽到表.pdf")
    with context.expect_page() as opened:
        view.click()
    viewer = opened.value
    viewer.wait_for_load_state()
    # Chromium's PDF viewer shows it despite the sandbox.
    for _ in range(40):
        if any(f.url.startswith(PDF_VIEWER) for f in viewer.frames):
            break
        viewer.wait_for_timeout(250)
    assert any(f.url.startswith(PDF_VIEWER) for f in viewer.frames), [f.url for f in viewer.frames]
    viewer.wait_for_timeout(1000)
    viewer.screenshot(path=str(ARTIFACTS / "evidence-pdf-inline.png"))
    viewer.close()  # before the test's database is flushed under the viewer's requests
    response = page.request.get(
        reverse("kpi:evidence_view", args=[Evidence.objects.get(original_name="簽到表.pdf").pk])
    )
    assert response.headers["content-security-policy"].startswith("sandbox")
    assert response.headers["content-disposition"].startswith("inline")
