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
    settings.KPI_TODAY = datetime.date(2023, 8, 10)
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
