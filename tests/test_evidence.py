"""Evidence (佐證資料): uploading with the report form, adding, downloading and removing."""

import datetime
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kpi import services
from kpi.models import Evidence, Indicator, ProgressReport, ReportEvent, ReportStatus

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.KPI_TODAY = datetime.date(2023, 9, 20)  # 112Q3 open for submission (from 9/16)
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def kpi(seeded_plan):
    return Indicator.objects.get(objective__number=1, number=5)


@pytest.fixture
def period(periods):
    return periods[112, 3]


def form_post(client, kpi, period, files=(), action="save", version=0, **fields):
    data = {
        "action": action,
        "version": version,
        "actual": "4",
        "narrative": "辦理四場",
        "shortfall_reason": "",
        "improvement_plan": "",
        "url": "",
        "description": "",
    }
    data.update(fields)
    if files:
        data["file"] = list(files)
    return client.post(reverse("kpi:report", args=[kpi.pk, period.pk]), data)


def stored_files(root: Path):
    return [p for p in root.rglob("*") if p.is_file()]


def nothing_saved(root):
    assert ProgressReport.objects.count() == 0
    assert Evidence.objects.count() == 0
    assert ReportEvent.objects.count() == 0
    assert stored_files(root) == []


# --- Uploading with the report form ------------------------------------------------


def test_a_good_pdf_is_saved_with_the_report(client, staff, kpi, period, media):
    client.force_login(staff)
    upload = SimpleUploadedFile("簽到表.pdf", PDF, content_type="application/pdf")
    response = form_post(client, kpi, period, files=[upload], description="第三季簽到表")
    assert response.status_code == 302
    report = ProgressReport.objects.get()
    evidence = report.evidence.get()
    assert (evidence.original_name, evidence.size, evidence.description) == ("簽到表.pdf", len(PDF), "第三季簽到表")
    assert Path(evidence.file.path).is_relative_to(media)
    assert Path(evidence.file.path).read_bytes() == PDF
    assert list(report.events.values_list("action", flat=True)) == ["created", "evidence_added"]
    assert "新增佐證資料 1 件" in client.get(response["Location"]).content.decode()


def test_several_files_and_a_link_at_once(client, staff, kpi, period):
    client.force_login(staff)
    files = [SimpleUploadedFile("a.pdf", PDF), SimpleUploadedFile("b.png", PNG)]
    response = form_post(client, kpi, period, files=files, url="https://www.klcg.gov.tw/news/1", action="submit")
    assert response.status_code == 302
    report = ProgressReport.objects.get()
    assert report.status == ReportStatus.SUBMITTED
    assert sorted(e.original_name or e.url for e in report.evidence.all()) == [
        "a.pdf",
        "b.png",
        "https://www.klcg.gov.tw/news/1",
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("virus.exe", b"MZ\x90\x00", "不接受「.exe」檔案"),
        ("noextension", b"%PDF-1.4", "不接受「.（無副檔名）」檔案"),
        ("fake.pdf", b"this is not a pdf at all", "檔案內容不是有效的 PDF 檔"),
        ("empty.pdf", b"", "檔案是空的"),
    ],
)
def test_a_bad_file_saves_nothing(client, staff, kpi, period, media, name, content, message):
    client.force_login(staff)
    response = form_post(client, kpi, period, files=[SimpleUploadedFile(name, content)], narrative="我的說明")
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert 'id="id_file_error"' in body  # next to the file field
    assert "我的說明" in body  # what was typed is kept
    assert "儲存前請重新選擇佐證檔案" in body
    nothing_saved(media)


def test_a_file_over_the_limit_saves_nothing(client, staff, kpi, period, media, settings):
    settings.EVIDENCE_MAX_BYTES = 16
    client.force_login(staff)
    response = form_post(client, kpi, period, files=[SimpleUploadedFile("big.pdf", PDF)])
    assert response.status_code == 200
    assert "超過上限" in response.content.decode()
    nothing_saved(media)


def test_one_bad_file_among_good_ones_saves_nothing(client, staff, kpi, period, media):
    client.force_login(staff)
    files = [SimpleUploadedFile("good.pdf", PDF), SimpleUploadedFile("bad.pdf", b"nope")]
    assert form_post(client, kpi, period, files=files).status_code == 200
    nothing_saved(media)


def test_an_evidence_failure_inside_the_save_rolls_the_report_back(client, staff, kpi, period, media, monkeypatch):
    """Even when the file passes the form's first check, a refusal during the save undoes the report."""
    real_add = services.evidence_add
    calls = []

    def add_then_refuse(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise ValidationError({"file": "模擬：檔案無法儲存。"})
        return real_add(**kwargs)

    monkeypatch.setattr(services, "evidence_add", add_then_refuse)
    client.force_login(staff)
    files = [SimpleUploadedFile("one.pdf", PDF), SimpleUploadedFile("two.pdf", PDF)]
    response = form_post(client, kpi, period, files=files, narrative="保留我")
    assert response.status_code == 200
    body = response.content.decode()
    assert "模擬：檔案無法儲存。" in body and "保留我" in body
    nothing_saved(media)  # the first file, already written, is gone too


def test_a_bad_link_saves_nothing(client, staff, kpi, period, media):
    client.force_login(staff)
    response = form_post(client, kpi, period, url="not a link at all")
    assert response.status_code == 200
    assert 'id="id_url_error"' in response.content.decode()
    nothing_saved(media)


# --- Adding and removing on their own ---------------------------------------------


@pytest.fixture
def draft(staff, kpi, period):
    return services.report_save(indicator=kpi, period=period, user=staff, actual="2", expected_version=0)


def test_evidence_add_endpoint(client, staff, draft):
    client.force_login(staff)
    response = client.post(
        reverse("kpi:evidence_add", args=[draft.pk]),
        {"file": [SimpleUploadedFile("x.pdf", PDF)], "url": "", "description": "說明"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("kpi:report", args=[draft.indicator_id, draft.period_id])
    assert draft.evidence.get().original_name == "x.pdf"


def test_evidence_add_needs_a_file_or_a_link(client, staff, draft):
    client.force_login(staff)
    response = client.post(reverse("kpi:evidence_add", args=[draft.pk]), {"url": "", "description": ""})
    assert response.status_code == 302
    assert "請上傳一個檔案或填寫一個連結" in client.get(response["Location"]).content.decode()
    assert not Evidence.objects.exists()


@pytest.mark.parametrize(("user", "status"), [("supervisor", 403), ("other_staff", 404)])
def test_evidence_add_is_for_reporters(client, cast, draft, user, status):
    client.force_login(cast[user])
    response = client.post(reverse("kpi:evidence_add", args=[draft.pk]), {"url": "https://example.org/"})
    assert response.status_code == status
    assert not Evidence.objects.exists()


def test_evidence_cannot_be_added_to_a_submitted_report(client, staff, draft):
    services.report_save(
        indicator=draft.indicator,
        period=draft.period,
        user=staff,
        actual="4",
        narrative="說明",
        expected_version=draft.version,
        submit=True,
    )
    client.force_login(staff)
    response = client.post(reverse("kpi:evidence_add", args=[draft.pk]), {"url": "https://example.org/"})
    assert "不能更改佐證資料" in client.get(response["Location"]).content.decode()
    assert not Evidence.objects.exists()


@pytest.fixture
def evidence(staff, draft):
    return services.evidence_add(report=draft, user=staff, file=SimpleUploadedFile("會議紀錄.pdf", PDF))


def test_staff_removes_evidence_but_the_record_keeps_it(client, staff, evidence, kpi):
    client.force_login(staff)
    form = client.get(reverse("kpi:report", args=[kpi.pk, evidence.report.period_id])).content.decode()
    assert reverse("kpi:evidence_remove", args=[evidence.pk]) in form
    response = client.post(reverse("kpi:evidence_remove", args=[evidence.pk]))
    assert response.status_code == 302
    evidence.refresh_from_db()
    assert evidence.removed_at is not None and evidence.removed_by == staff
    assert Path(evidence.file.path).exists()  # soft removal: the file stays
    # Gone from downloads and lists, still on the record.
    assert client.get(reverse("kpi:evidence_download", args=[evidence.pk])).status_code == 404
    page = client.get(reverse("kpi:detail", args=[kpi.pk]) + "?year=112")
    assert reverse("kpi:evidence_download", args=[evidence.pk]) not in page.content.decode()
    actions = [(e.action, e.comment) for e in page.context["page"].timeline if e.kind == "report"]
    assert ("evidence_removed", "會議紀錄.pdf") in actions
    assert ("evidence_added", "會議紀錄.pdf") in actions


@pytest.mark.parametrize(("user", "status"), [("supervisor", 403), ("other_staff", 404), ("planner", 403)])
def test_only_reporters_remove_evidence(client, cast, evidence, user, status):
    client.force_login(cast[user])
    assert client.post(reverse("kpi:evidence_remove", args=[evidence.pk])).status_code == status
    evidence.refresh_from_db()
    assert evidence.removed_at is None


def test_removing_asks_first(client, staff, evidence):
    client.force_login(staff)
    response = client.get(reverse("kpi:evidence_remove", args=[evidence.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "移除佐證資料？" in body and f'action="{reverse("kpi:evidence_remove", args=[evidence.pk])}"' in body
    evidence.refresh_from_db()
    assert evidence.removed_at is None


# --- Downloading ---------------------------------------------------------------------


@pytest.mark.parametrize("user", ["staff", "supervisor", "planner", "admin"])
def test_download_for_those_who_may_see_the_report(client, cast, evidence, user):
    client.force_login(cast[user])
    response = client.get(reverse("kpi:evidence_download", args=[evidence.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "%E6%9C%83%E8%AD%B0%E7%B4%80%E9%8C%84.pdf" in disposition  # 會議紀錄.pdf
    assert response["Content-Type"] == "application/pdf"


def test_download_is_404_for_another_department(client, other_staff, evidence):
    client.force_login(other_staff)
    assert client.get(reverse("kpi:evidence_download", args=[evidence.pk])).status_code == 404


def test_download_sends_anonymous_visitors_to_sign_in(client, evidence):
    response = client.get(reverse("kpi:evidence_download", args=[evidence.pk]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_download_of_a_missing_file_is_404(client, staff, evidence):
    Path(evidence.file.path).unlink()
    client.force_login(staff)
    assert client.get(reverse("kpi:evidence_download", args=[evidence.pk])).status_code == 404


def test_a_link_goes_to_its_address(client, supervisor, staff, draft):
    link = services.evidence_add(report=draft, user=staff, url="https://www.klcg.gov.tw/news/1")
    client.force_login(supervisor)
    response = client.get(reverse("kpi:evidence_download", args=[link.pk]))
    assert response.status_code == 302
    assert response["Location"] == "https://www.klcg.gov.tw/news/1"


# --- Viewing in the browser ------------------------------------------------------------------

GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 16
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8 " + b"\x00" * 16
XLSX = b"PK\x03\x04" + b"\x00" * 32


@pytest.mark.parametrize(
    ("name", "content", "media_type"),
    [
        ("會議紀錄.pdf", PDF, "application/pdf"),
        ("照片.png", PNG, "image/png"),
        ("照片.jpg", JPEG, "image/jpeg"),
        ("動畫.gif", GIF, "image/gif"),
        ("照片.webp", WEBP, "image/webp"),
    ],
)
def test_pdfs_and_images_open_in_the_browser_sandboxed(client, staff, supervisor, draft, name, content, media_type):
    evidence = services.evidence_add(report=draft, user=staff, file=SimpleUploadedFile(name, content))
    assert evidence.media_type == media_type and evidence.viewable
    client.force_login(supervisor)
    response = client.get(reverse("kpi:evidence_view", args=[evidence.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == media_type
    assert response["Content-Disposition"].startswith("inline")
    policy = response["Content-Security-Policy"]
    assert policy.startswith("sandbox;") and "default-src 'none'" in policy and "script-src" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    # The report form lists it with both links: download and view.
    client.force_login(staff)
    form = client.get(reverse("kpi:report", args=[draft.indicator_id, draft.period_id])).content.decode()
    assert reverse("kpi:evidence_view", args=[evidence.pk]) in form
    assert reverse("kpi:evidence_download", args=[evidence.pk]) in form


def test_other_files_are_only_downloaded(client, staff, draft):
    sheet = services.evidence_add(report=draft, user=staff, file=SimpleUploadedFile("統計表.xlsx", XLSX))
    assert sheet.media_type == "" and not sheet.viewable
    client.force_login(staff)
    form = client.get(reverse("kpi:report", args=[draft.indicator_id, draft.period_id])).content.decode()
    assert reverse("kpi:evidence_view", args=[sheet.pk]) not in form
    response = client.get(reverse("kpi:evidence_view", args=[sheet.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    b"".join(response.streaming_content)


def test_the_stored_files_signature_decides_not_its_name(client, staff, draft):
    """A viewable upload whose stored bytes were replaced by something else is downloaded, not shown."""
    evidence = services.evidence_add(report=draft, user=staff, file=SimpleUploadedFile("看起來.pdf", PDF))
    Path(evidence.file.path).write_bytes(b"<html><script>alert(1)</script></html>")
    client.force_login(staff)
    response = client.get(reverse("kpi:evidence_view", args=[evidence.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    assert "Content-Security-Policy" not in response or "sandbox" not in response["Content-Security-Policy"]
    b"".join(response.streaming_content)


def test_download_stays_an_attachment(client, staff, evidence):
    client.force_login(staff)
    response = client.get(reverse("kpi:evidence_download", args=[evidence.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    b"".join(response.streaming_content)


@pytest.mark.parametrize(("user", "status"), [("other_staff", 404), ("anonymous", 302)])
def test_viewing_is_for_those_who_may_see_the_report(client, cast, evidence, user, status):
    if cast[user]:
        client.force_login(cast[user])
    assert client.get(reverse("kpi:evidence_view", args=[evidence.pk])).status_code == status


def test_removed_evidence_cannot_be_viewed(client, staff, evidence):
    services.evidence_remove(evidence=evidence, user=staff)
    client.force_login(staff)
    assert client.get(reverse("kpi:evidence_view", args=[evidence.pk])).status_code == 404


# --- A description per file ---------------------------------------------------------------------


def test_each_file_gets_its_own_description(client, staff, kpi, period):
    client.force_login(staff)
    files = [SimpleUploadedFile("簽到表.pdf", PDF), SimpleUploadedFile("活動照片.png", PNG)]
    response = form_post(
        client,
        kpi,
        period,
        files=files,
        url="https://www.klcg.gov.tw/news/1",
        description="新聞稿",
        file_description=["第三季簽到表", ""],
    )
    assert response.status_code == 302
    described = {e.original_name or e.url: e.description for e in Evidence.objects.all()}
    # The second file was left empty: it takes the shared description, as the link does.
    assert described == {
        "簽到表.pdf": "第三季簽到表",
        "活動照片.png": "新聞稿",
        "https://www.klcg.gov.tw/news/1": "新聞稿",
    }


def test_without_script_every_file_takes_the_shared_description(client, staff, draft):
    client.force_login(staff)
    response = client.post(
        reverse("kpi:evidence_add", args=[draft.pk]),
        {"file": [SimpleUploadedFile("a.pdf", PDF), SimpleUploadedFile("b.png", PNG)], "description": "成果"},
    )
    assert response.status_code == 302
    assert sorted(draft.evidence.values_list("original_name", "description")) == [("a.pdf", "成果"), ("b.png", "成果")]


def test_the_add_endpoint_takes_a_description_per_file(client, staff, draft):
    client.force_login(staff)
    client.post(
        reverse("kpi:evidence_add", args=[draft.pk]),
        {
            "file": [SimpleUploadedFile("a.pdf", PDF), SimpleUploadedFile("b.png", PNG)],
            "file_description": ["會議紀錄", "現場照片"],
            "description": "",
        },
    )
    assert sorted(draft.evidence.values_list("original_name", "description")) == [
        ("a.pdf", "會議紀錄"),
        ("b.png", "現場照片"),
    ]


def test_the_form_offers_a_description_per_file(client, staff, kpi, period):
    client.force_login(staff)
    body = client.get(reverse("kpi:report", args=[kpi.pk, period.pk])).content.decode()
    assert 'id="file-descriptions"' in body and "js/evidence-upload" in body


# --- Duplicates ------------------------------------------------------------------------------------


def test_the_same_file_twice_on_a_report_is_refused(client, staff, draft, evidence, media):
    assert len(evidence.sha256) == 64
    client.force_login(staff)
    response = client.post(
        reverse("kpi:evidence_add", args=[draft.pk]),
        {"file": [SimpleUploadedFile("另一個名字.pdf", PDF)], "description": ""},
    )
    page = client.get(response["Location"]).content.decode()
    assert "另一個名字.pdf" in page and "會議紀錄.pdf" in page  # names both the new file and the one attached
    assert draft.evidence.count() == 1
    assert len(stored_files(media)) == 1


def test_the_same_file_twice_in_one_upload_saves_nothing(client, staff, kpi, period, media):
    client.force_login(staff)
    files = [SimpleUploadedFile("a.pdf", PDF), SimpleUploadedFile("a-copy.pdf", PDF)]
    response = form_post(client, kpi, period, files=files)
    assert response.status_code == 200
    assert "a-copy.pdf" in response.content.decode()
    nothing_saved(media)


def test_the_same_link_twice_on_a_report_is_refused(staff, draft):
    services.evidence_add(report=draft, user=staff, url="https://www.klcg.gov.tw/news/1")
    with pytest.raises(ValidationError) as refused:
        services.evidence_add(report=draft, user=staff, url=" https://www.klcg.gov.tw/news/1 ")
    assert "https://www.klcg.gov.tw/news/1" in str(refused.value.message_dict["url"])
    assert draft.evidence.count() == 1


def test_a_removed_file_may_be_attached_again(staff, draft, evidence):
    services.evidence_remove(evidence=evidence, user=staff)
    again = services.evidence_add(report=draft, user=staff, file=SimpleUploadedFile("會議紀錄.pdf", PDF))
    assert again.sha256 == evidence.sha256


def test_the_same_file_on_another_report_is_fine(staff, draft, evidence, kpi, periods):
    other = services.report_save(indicator=kpi, period=periods[112, 2], user=staff, actual="1", expected_version=0)
    assert services.evidence_add(report=other, user=staff, file=SimpleUploadedFile("會議紀錄.pdf", PDF)).pk


# --- The review queue shows each report's evidence ------------------------------------------------------


def test_the_review_queue_lists_each_reports_evidence(client, staff, supervisor, draft, evidence):
    link = services.evidence_add(report=draft, user=staff, url="https://www.klcg.gov.tw/news/1", description="新聞稿")
    services.report_save(
        indicator=draft.indicator,
        period=draft.period,
        user=staff,
        actual="4",
        narrative="說明",
        expected_version=draft.version,
        submit=True,
    )
    client.force_login(supervisor)
    body = client.get(reverse("kpi:review_queue")).content.decode()
    assert reverse("kpi:evidence_view", args=[evidence.pk]) in body
    assert reverse("kpi:evidence_download", args=[evidence.pk]) in body
    assert link.url in body and "新聞稿" in body
