"""The plan workbook's pages: download, template, upload → preview → confirm (planning office and admins)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kpi import uploads
from plans.models import Goal, StrategicObjective
from tests.plan_workbooks import edited, home_department_plan, new_department_plan, row_counts, snapshot, workbook_bytes


@pytest.fixture
def home_plan(seeded_plan):
    return home_department_plan(seeded_plan)


@pytest.fixture
def empty_plan(seeded_plan):
    return new_department_plan(seeded_plan)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _urls(dp):
    args = [dp.plan_id, dp.department_id]
    return {
        "download": reverse("kpi:plan_workbook", args=args),
        "template": reverse("kpi:plan_workbook_template", args=[dp.plan_id]),
        "import": reverse("kpi:plan_workbook_import", args=args),
        "confirm": reverse("kpi:plan_workbook_confirm", args=args),
    }


def _upload(data, name="都市發展處.xlsx"):
    return SimpleUploadedFile(name, data, content_type=XLSX)


@pytest.mark.parametrize("who", ["staff", "supervisor", "other_staff"])
def test_only_the_planning_office_and_admins_reach_the_workbook_pages(client, cast, home_plan, empty_plan, who):
    client.force_login(cast[who])
    urls = _urls(empty_plan)
    before = row_counts()
    assert client.get(urls["download"]).status_code == 403
    assert client.get(urls["template"]).status_code == 403
    assert client.get(urls["import"]).status_code == 403
    assert client.post(urls["import"], {"file": _upload(workbook_bytes(home_plan))}).status_code == 403
    assert client.post(urls["confirm"], {"token": "x"}).status_code == 403
    assert row_counts() == before


@pytest.mark.parametrize("who", ["planner", "admin"])
def test_planners_download_the_plan_and_the_template(client, cast, home_plan, who):
    client.force_login(cast[who])
    urls = _urls(home_plan)
    response = client.get(urls["download"] + "?format=ods")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oasis.opendocument.spreadsheet"
    assert "filename*=UTF-8''%E4%B8%AD%E7%A8%8B" in response["Content-Disposition"]  # 中程施政計畫_都市發展處_111-114
    response = client.get(urls["template"] + "?format=xlsx")
    assert response.status_code == 200 and response["Content-Type"] == XLSX


def test_the_planning_index_links_the_workbooks_for_planners_only(client, planner, staff, home_plan):
    client.force_login(planner)
    page = client.get(reverse("kpi:planning_index")).content.decode()
    assert _urls(home_plan)["import"] in page and _urls(home_plan)["template"] in page
    client.force_login(staff)
    page = client.get(reverse("kpi:planning_index")).content.decode()
    assert _urls(home_plan)["import"] not in page


def test_upload_previews_then_confirm_loads_the_whole_plan(
    client, planner, home_plan, empty_plan, django_assert_max_num_queries
):
    client.force_login(planner)
    urls = _urls(empty_plan)
    before = row_counts()
    upload = _upload(workbook_bytes(home_plan))
    # The session, the person, the department plan, the stored plan (six at most), the navigation's counts.
    with django_assert_max_num_queries(16):
        response = client.post(urls["import"], {"file": upload})
    assert response.status_code == 200
    page = response.content.decode()
    assert row_counts() == before  # the preview writes nothing
    preview = response.context["preview"]
    assert [o.entry.name for o in preview.goals[0].objectives] == ["市港再生", "創意城市"]
    assert "繽紛·魅力" in page and "市港再生" in page and "確認並匯入工作簿" in page
    token = response.context["token"]
    assert token and token in page

    with django_assert_max_num_queries(42):  # +2: the KPI pages' version (kpi.page_cache), see test_plan_workbook
        response = client.post(urls["confirm"], {"token": token})
    assert response.status_code == 302
    assert response["Location"] == reverse("kpi:department_plan", args=[empty_plan.plan_id, empty_plan.department_id])
    assert snapshot(empty_plan) == snapshot(home_plan)
    # The kept upload is gone: the same confirmation cannot load it twice.
    assert client.post(urls["confirm"], {"token": token}).status_code == 400


def test_a_refused_upload_lists_the_cells_and_writes_nothing(client, planner, home_plan, empty_plan):
    client.force_login(planner)

    def edit(book):
        book["關鍵績效指標"]["H5"] = "約一百"
        book["關鍵績效指標"].merge_cells("A8:A9")

    before = row_counts()
    response = client.post(_urls(empty_plan)["import"], {"file": _upload(edited(workbook_bytes(home_plan), edit))})
    assert response.status_code == 400
    page = response.content.decode()
    assert "工作表『關鍵績效指標』第 8 列 A 欄：合併儲存格（A8:A9）" in page
    assert response.context["preview"] is None and row_counts() == before


def test_a_csv_upload_is_refused(client, planner, empty_plan):
    client.force_login(planner)
    response = client.post(_urls(empty_plan)["import"], {"file": _upload(b"a,b\n", "plan.csv")})
    assert response.status_code == 400 and "xlsx" in response.content.decode()


def test_the_kept_upload_is_the_uploaders_and_the_department_plans_only(
    client, planner, admin_user, home_plan, empty_plan
):
    client.force_login(planner)
    response = client.post(_urls(empty_plan)["import"], {"file": _upload(workbook_bytes(home_plan))})
    token = response.context["token"]
    before = row_counts()
    # Another department plan's confirmation does not take it …
    assert client.post(_urls(home_plan)["confirm"], {"token": token}).status_code == 400
    # … nor does another person, in another session.
    client.force_login(admin_user)
    assert client.post(_urls(empty_plan)["confirm"], {"token": token}).status_code == 400
    assert row_counts() == before


def test_a_plan_changed_after_the_preview_is_not_loaded_blind(client, planner, home_plan, empty_plan):
    client.force_login(planner)
    urls = _urls(empty_plan)
    token = client.post(urls["import"], {"file": _upload(workbook_bytes(home_plan))}).context["token"]
    Goal.objects.create(department_plan=empty_plan, number=1, name="先建立的目標")  # someone else, meanwhile
    response = client.post(urls["confirm"], {"token": token})
    assert response.status_code == 409
    assert not StrategicObjective.objects.filter(department_plan=empty_plan).exists()
    assert response.context["outdated"] and response.context["preview"].goals[0].entry.status == "changed"
    # Confirming the new preview loads it.
    assert client.post(urls["confirm"], {"token": token}).status_code == 302
    assert Goal.objects.get(department_plan=empty_plan, number=1).name == "繽紛·魅力"


def test_a_kept_upload_expires(client, planner, home_plan, empty_plan, monkeypatch):
    client.force_login(planner)
    urls = _urls(empty_plan)
    token = client.post(urls["import"], {"file": _upload(workbook_bytes(home_plan))}).context["token"]
    monkeypatch.setattr(uploads, "MAX_AGE", -1)
    before = row_counts()
    assert client.post(urls["confirm"], {"token": token}).status_code == 400
    assert row_counts() == before
