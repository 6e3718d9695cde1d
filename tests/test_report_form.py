"""The report form (kpi:report) and review (kpi:review): what staff type, what they are told, what is kept."""

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from kpi import services
from kpi.models import Indicator, ProgressReport, ReportEvent, ReportStatus
from plans.models import Membership, Role


@pytest.fixture(autouse=True)
def today(settings):
    settings.KPI_TODAY = datetime.date(2023, 9, 20)  # ROC 112, 112Q3 open (from 9/16) for submission


def indicator(code: str) -> Indicator:
    common = code.startswith("共")
    parent, number = code.removeprefix("共").split("-")
    if common:
        return Indicator.objects.get(common_goal__number=parent, number=number)
    return Indicator.objects.get(objective__number=parent, number=number)


def url(ind, period):
    return reverse("kpi:report", args=[ind.pk, period.pk])


def post(client, ind, period, action="save", version=0, **fields):
    data = {
        "action": action,
        "version": version,
        "narrative": "",
        "shortfall_reason": "",
        "improvement_plan": "",
        "url": "",
        "description": "",
    }
    if not ind.formula:
        data["actual"] = ""
    data.update(fields)
    return client.post(url(ind, period), data)


def field_errors(body: str, field_id: str) -> str:
    """The text of the error list Django renders for a field (id="<field id>_error")."""
    match = re.search(rf'<ul class="errorlist" id="{re.escape(field_id)}_error">(.*?)</ul>', body, re.S)
    return html.unescape(match.group(1)) if match else ""


def nothing_saved():
    assert ProgressReport.objects.count() == 0
    assert ReportEvent.objects.count() == 0


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


# --- GET ------------------------------------------------------------------------


def test_staff_gets_a_new_form(staff_client, periods):
    ind = indicator("1-5")
    response = staff_client.get(url(ind, periods[112, 3]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="version" value="0"' in body
    assert 'name="actual"' in body
    assert "場" in body and "整數" not in field_errors(body, "id_actual")
    for action in ("preview", "save", "submit"):
        assert f'name="action" value="{action}"' in body
    assert "民國112年第3季" in body
    assert 'src="/static/js/report-form.js"' in body
    assert "<script>" not in body  # no inline scripts


def test_form_shows_the_existing_report_and_its_version(staff_client, staff, periods):
    ind = indicator("1-5")
    report = services.report_save(
        indicator=ind, period=periods[112, 3], user=staff, actual="3", narrative="已辦理三場", expected_version=0
    )
    body = staff_client.get(url(ind, periods[112, 3])).content.decode()
    assert f'name="version" value="{report.version}"' in body
    assert 'value="3"' in body
    assert "已辦理三場" in body


@pytest.mark.parametrize(
    ("user", "status"),
    [("other_staff", 404), ("supervisor", 403), ("planner", 403), ("admin", 403)],
)
def test_only_reporters_of_the_department_get_the_form(client, cast, periods, user, status):
    client.force_login(cast[user])
    response = client.get(url(indicator("1-5"), periods[112, 3]))
    assert response.status_code == status
    if status == 403:
        assert "沒有填報權限" in response.content.decode()


def test_anonymous_is_sent_to_sign_in(client, periods):
    response = client.get(url(indicator("1-5"), periods[112, 3]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_other_staff_cannot_post_either(client, other_staff, periods):
    client.force_login(other_staff)
    assert post(client, indicator("1-5"), periods[112, 3], actual="1").status_code == 404
    nothing_saved()


def test_supervisor_post_is_forbidden(client, supervisor, periods):
    client.force_login(supervisor)
    assert post(client, indicator("1-5"), periods[112, 3], actual="1").status_code == 403
    nothing_saved()


def test_a_period_of_another_plan_is_not_found(staff_client, periods):
    ind = indicator("1-5")
    assert staff_client.get(reverse("kpi:report", args=[ind.pk, 999999])).status_code == 404


# --- Saving ---------------------------------------------------------------------


def test_save_draft_redirects_to_the_kpi_page_with_a_message(staff_client, periods):
    ind = indicator("1-5")
    period = periods[112, 3]
    response = post(staff_client, ind, period, actual="4", narrative="辦理四場")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("kpi:detail", args=[ind.pk]) + "?year=112")
    report = ProgressReport.objects.get()
    assert (report.status, report.actual, report.narrative, report.version) == (
        ReportStatus.DRAFT,
        Decimal(4),
        "辦理四場",
        1,
    )
    page = staff_client.get(response["Location"]).content.decode()
    assert "已儲存民國112年第3季的填報草稿" in page


def test_a_draft_may_be_incomplete(staff_client, periods):
    response = post(staff_client, indicator("1-5"), periods[112, 3], actual="1")
    assert response.status_code == 302
    assert ProgressReport.objects.get().status == ReportStatus.DRAFT


def test_submit_sends_the_report_for_review(staff_client, staff, periods):
    response = post(staff_client, indicator("1-5"), periods[112, 3], action="submit", actual="4", narrative="辦理四場")
    assert response.status_code == 302
    report = ProgressReport.objects.get()
    assert report.status == ReportStatus.SUBMITTED
    assert report.submitted_by == staff
    assert list(report.events.values_list("action", flat=True)) == ["created", "submitted"]


def test_editing_a_draft_needs_its_version(staff_client, staff, periods):
    ind = indicator("1-5")
    report = services.report_save(indicator=ind, period=periods[112, 3], user=staff, actual="1", expected_version=0)
    response = post(staff_client, ind, periods[112, 3], version=report.version, actual="2", narrative="更新")
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.actual, report.version) == (Decimal(2), 2)


# --- Validation: the zh message next to the field, typed values kept, nothing saved -------------


@pytest.mark.parametrize(
    ("code", "typed", "message"),
    [
        ("1-5", "abc", "「abc」不是數字。"),
        ("1-5", "-1", "以「場」計的實績必須是大於或等於 0 的整數。"),
        ("1-5", "2.5", "以「場」計的實績必須是大於或等於 0 的整數。"),
        ("4-3", "1.5", "以「處」計的實績必須是大於或等於 0 的整數。"),
        ("1-3", "1.5", "以「式」計的實績是完成比例"),
        ("1-3", "-0.5", "以「式」計的實績是完成比例"),
        ("5-3", "101", "百分比請填 0 到 100 之間的數字"),
        ("1-1", "120", "百分比請填 0 到 100 之間的數字"),
    ],
)
def test_a_bad_figure_is_refused_next_to_the_field(staff_client, periods, code, typed, message):
    response = post(staff_client, indicator(code), periods[112, 3], action="save", actual=typed, narrative="我打的說明")
    assert response.status_code == 200
    body = response.content.decode()
    assert message in field_errors(body, "id_actual")
    assert f'value="{typed}"' in body
    assert "我打的說明" in body
    nothing_saved()


@pytest.mark.parametrize("action", ["submit", "preview"])
def test_a_bad_figure_is_refused_whatever_the_button(staff_client, periods, action):
    response = post(staff_client, indicator("1-5"), periods[112, 3], action=action, actual="2.5", narrative="說明")
    assert response.status_code == 200
    assert "以「場」計的實績必須是大於或等於 0 的整數。" in field_errors(response.content.decode(), "id_actual")
    nothing_saved()


def test_submitting_behind_pace_needs_the_reason_and_the_measures(staff_client, periods):
    # 1 場 by the end of Q3 against 3.75 expected: red.
    ind, period = indicator("1-5"), periods[112, 3]
    response = post(staff_client, ind, period, action="submit", actual="1", narrative="只辦了一場")
    assert response.status_code == 200
    body = response.content.decode()
    assert "進度落後（黃燈或紅燈）時必須填寫未達成原因。" in field_errors(body, "id_shortfall_reason")
    assert "進度落後（黃燈或紅燈）時必須填寫改善措施。" in field_errors(body, "id_improvement_plan")
    assert "（進度落後，必填）" in body
    assert "未達成" in body  # the preview's light, with its text
    assert "只辦了一場" in body
    nothing_saved()

    response = post(
        staff_client,
        ind,
        period,
        action="submit",
        actual="1",
        narrative="只辦了一場",
        shortfall_reason="場地整修",
        improvement_plan="第四季加開三場",
    )
    assert response.status_code == 302
    assert ProgressReport.objects.get().status == ReportStatus.SUBMITTED


def test_submitting_a_yellow_figure_needs_the_explanations_too(staff_client, periods):
    # 4 of the 5 expected by the year's end = 80%: yellow.
    response = post(staff_client, indicator("1-5"), periods[112, 4], action="submit", actual="4", narrative="四場")
    body = response.content.decode()
    assert "部分達成" in body
    assert field_errors(body, "id_shortfall_reason")
    assert field_errors(body, "id_improvement_plan")
    nothing_saved()


def test_submitting_needs_the_narrative(staff_client, periods):
    response = post(staff_client, indicator("1-5"), periods[112, 3], action="submit", actual="4")
    assert response.status_code == 200
    assert "送出前請填寫達成情形說明。" in field_errors(response.content.decode(), "id_narrative")
    nothing_saved()


def test_submitting_needs_the_figure(staff_client, periods):
    response = post(staff_client, indicator("1-5"), periods[112, 3], action="submit", narrative="說明")
    assert "請填寫累計實績。" in field_errors(response.content.decode(), "id_actual")
    nothing_saved()


def test_an_error_summary_links_to_the_fields(staff_client, periods):
    body = post(staff_client, indicator("1-5"), periods[112, 3], action="submit", actual="x").content.decode()
    assert 'class="error-summary"' in body
    assert 'href="#id_actual"' in body
    assert 'aria-describedby="id_actual_helptext id_actual_error"' in body
    assert 'aria-invalid="true"' in body


# --- Preview ----------------------------------------------------------------------


def test_preview_shows_attainment_and_light_without_saving(staff_client, periods):
    response = post(staff_client, indicator("1-5"), periods[112, 3], action="preview", actual="4", narrative="四場")
    assert response.status_code == 200
    body = response.content.decode()
    # The light approval would show: three quarters of 5 sessions is 3.75, planned in whole
    # sessions (nobody holds 3.75), so 4 of 4 = 100% (達成), labelled 112Q3 進度; the full
    # year, 4 of 5 = 80%, is a figure beside it, not a second light.
    assert "112Q3 進度" in body and 'data-light="green"' in body
    assert 'data-light="yellow"' not in body and "部分達成" not in body
    assert 'data-figure="year-ratio"' in body and ">80%</span>" in body
    assert "4 場" in body and "3.75 場" not in body
    assert "100%" in body and "106.7%" not in body
    nothing_saved()


def test_the_saved_report_is_previewed_on_get(staff_client, staff, periods):
    ind = indicator("1-5")
    services.report_save(indicator=ind, period=periods[112, 3], user=staff, actual="5", expected_version=0)
    body = staff_client.get(url(ind, periods[112, 3])).content.decode()
    assert "100%" in body and "125%" in body  # year 5 of 5; pace 5 of 4 (3.75, whole sessions)


# --- Common indicators: inputs and the computed value -----------------------------


def test_common_indicator_form_has_one_field_per_input(staff_client, periods):
    body = staff_client.get(url(indicator("共1-1"), periods[112, 2])).content.decode()
    for key, label in (("budget", "預算數"), ("spent", "實支數"), ("reserved", "保留數")):
        assert f'name="inputs.{key}"' in body
        assert label in body
    assert 'name="actual"' not in body


@pytest.mark.parametrize(
    ("inputs", "field", "message"),
    [
        ({"budget": "", "spent": "900000", "reserved": "0"}, "budget", "請填寫預算數。"),
        ({"budget": "1000000", "spent": "-5", "reserved": "0"}, "spent", "實支數不可為負數。"),
        ({"budget": "0", "spent": "0", "reserved": "0"}, "budget", "預算數必須大於 0。"),
        ({"budget": "1000000", "spent": "abc", "reserved": "0"}, "spent", "實支數必須是數字。"),
    ],
)
def test_common_indicator_inputs_are_checked(staff_client, periods, inputs, field, message):
    data = {f"inputs.{k}": v for k, v in inputs.items()}
    response = post(staff_client, indicator("共1-1"), periods[112, 2], action="submit", narrative="說明", **data)
    assert response.status_code == 200
    body = response.content.decode()
    assert message in field_errors(body, f"id_inputs.{field}")
    for value in inputs.values():
        if value:
            assert f'value="{value}"' in body
    nothing_saved()


def test_common_indicator_value_is_computed_and_stored(staff_client, periods):
    ind, period = indicator("共1-1"), periods[112, 2]
    data = {"inputs.budget": "1000000", "inputs.spent": "900000", "inputs.reserved": "80000"}
    preview = post(staff_client, ind, period, action="preview", **data).content.decode()
    assert "2%" in preview
    assert "決算數 980,000" in preview  # the working
    nothing_saved()

    response = post(staff_client, ind, period, action="submit", narrative="賸餘 2%", **data)
    assert response.status_code == 302
    report = ProgressReport.objects.get()
    assert report.actual == Decimal(2)
    assert report.inputs == {"budget": "1000000", "spent": "900000", "reserved": "80000"}
    assert report.status == ReportStatus.SUBMITTED


def test_lower_is_better_common_indicator(staff_client, periods):
    ind, period = indicator("共2-1"), periods[112, 2]
    data = {"inputs.last_year_staff": "10", "inputs.this_year_staff": "11"}
    body = post(staff_client, ind, period, action="preview", **data).content.decode()
    assert "10%" in body  # growth of 10% against a 0% target
    assert "未達成" in body


# --- Conflicts --------------------------------------------------------------------


@pytest.fixture
def second_reporter(home_department):
    user = get_user_model().objects.create_user(username="staff2", password="pw", first_name="張小華")
    Membership.objects.create(user=user, department=home_department, role=Role.REPORTER)
    return user


def test_a_stale_save_shows_the_conflict_and_keeps_both(client, staff, second_reporter, periods):
    from django.test import Client

    ind, period = indicator("1-5"), periods[112, 3]
    first, second = Client(), client
    first.force_login(second_reporter)
    second.force_login(staff)
    # Both open the new form (version 0); the first saves.
    assert 'name="version" value="0"' in first.get(url(ind, period)).content.decode()
    assert 'name="version" value="0"' in second.get(url(ind, period)).content.decode()
    assert post(first, ind, period, version=0, actual="3", narrative="第一位的說明").status_code == 302

    response = post(second, ind, period, version=0, actual="4", narrative="第二位的說明")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="conflict-panel"' in body
    assert "張小華" in body  # who saved the current content
    assert "第一位的說明" in body and "第二位的說明" in body
    assert 'name="version" value="1"' in body  # a deliberate second save goes through
    assert re.search(r'<textarea[^>]*name="narrative"[^>]*>\s*第二位的說明</textarea>', body)
    report = ProgressReport.objects.get()
    assert (report.actual, report.narrative, report.version) == (Decimal(3), "第一位的說明", 1)

    response = post(second, ind, period, version=1, actual="4", narrative="第二位的說明")
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.actual, report.narrative, report.version) == (Decimal(4), "第二位的說明", 2)


# --- Locked periods and reports that cannot change --------------------------------


def test_a_locked_period_shows_the_form_read_only(staff_client, staff, planner, periods):
    ind, period = indicator("1-5"), periods[112, 3]
    services.report_save(indicator=ind, period=period, user=staff, actual="2", expected_version=0)
    services.period_lock(period=period, user=planner)
    body = staff_client.get(url(ind, period)).content.decode()
    assert 'class="lock-banner"' in body
    assert 'value="submit"' not in body
    assert "readonly" in body


def test_a_locked_period_refuses_a_save(staff_client, staff, planner, periods):
    ind, period = indicator("1-5"), periods[112, 3]
    report = services.report_save(indicator=ind, period=period, user=staff, actual="2", expected_version=0)
    services.period_lock(period=period, user=planner)
    response = post(staff_client, ind, period, version=report.version, actual="5", narrative="想改")
    assert response.status_code == 200
    assert "已鎖定，不能再修改" in response.content.decode()
    report.refresh_from_db()
    assert (report.actual, report.version) == (Decimal(2), 1)


def test_a_locked_period_refuses_a_new_report(staff_client, planner, periods):
    period = periods[112, 3]
    services.period_lock(period=period, user=planner)
    response = post(staff_client, indicator("1-5"), period, action="submit", actual="5", narrative="新的")
    assert "已鎖定，不能再修改" in response.content.decode()
    nothing_saved()


def test_a_submitted_report_cannot_be_edited(staff_client, staff, periods):
    ind, period = indicator("1-5"), periods[112, 3]
    report = services.report_save(
        indicator=ind, period=period, user=staff, actual="4", narrative="四場", expected_version=0, submit=True
    )
    body = staff_client.get(url(ind, period)).content.decode()
    assert 'value="submit"' not in body
    response = post(staff_client, ind, period, version=report.version, actual="5", narrative="改")
    assert response.status_code == 200
    assert "不能修改" in response.content.decode()
    report.refresh_from_db()
    assert report.actual == Decimal(4)


def test_a_returned_report_shows_the_reviewers_comment_first(staff_client, staff, supervisor, periods):
    ind, period = indicator("1-5"), periods[112, 3]
    report = services.report_save(
        indicator=ind, period=period, user=staff, actual="4", narrative="四場", expected_version=0, submit=True
    )
    services.report_return(report=report, user=supervisor, comment="請附上簽到表", expected_version=report.version)
    body = staff_client.get(url(ind, period)).content.decode()
    assert 'class="returned-banner"' in body
    assert body.index("請附上簽到表") < body.index('id="report-form"')
    assert "李主任" in body
    assert "重新送出審核" in body


def test_resubmitting_a_returned_report(staff_client, staff, supervisor, periods):
    ind, period = indicator("1-5"), periods[112, 3]
    report = services.report_save(
        indicator=ind, period=period, user=staff, actual="4", narrative="四場", expected_version=0, submit=True
    )
    report = services.report_return(report=report, user=supervisor, comment="請補充", expected_version=report.version)
    response = post(
        staff_client, ind, period, action="submit", version=report.version, actual="4", narrative="四場，已補充"
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert report.events.filter(action="resubmitted").exists()


# --- Review -----------------------------------------------------------------------


@pytest.fixture
def submitted(staff, periods):
    return services.report_save(
        indicator=indicator("1-5"),
        period=periods[112, 3],
        user=staff,
        actual="4",
        narrative="四場",
        expected_version=0,
        submit=True,
    )


def review(client, report, action, comment="", version=None, **extra):
    data = {"action": action, "comment": comment, "version": report.version if version is None else version}
    data.update(extra)
    return client.post(reverse("kpi:review", args=[report.pk]), data)


def test_supervisor_approves_a_submitted_report(client, supervisor, submitted):
    client.force_login(supervisor)
    response = review(client, submitted, "approve", comment="同意")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("kpi:detail", args=[submitted.indicator_id]) + "?year=112")
    submitted.refresh_from_db()
    assert (submitted.status, submitted.reviewed_by, submitted.review_comment) == (
        ReportStatus.APPROVED,
        supervisor,
        "同意",
    )
    assert "已核定" in client.get(response["Location"]).content.decode()


def test_supervisor_returns_with_a_comment(client, supervisor, submitted):
    client.force_login(supervisor)
    assert review(client, submitted, "return", comment="請補佐證").status_code == 302
    submitted.refresh_from_db()
    assert (submitted.status, submitted.review_comment) == (ReportStatus.RETURNED, "請補佐證")


def test_return_without_a_comment_is_refused(client, supervisor, submitted):
    client.force_login(supervisor)
    response = review(client, submitted, "return", comment="  ")
    assert response.status_code == 400  # the review page again, the comment field marked
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.SUBMITTED
    body = response.content.decode()
    assert "退回時必須填寫意見" in body and 'aria-invalid="true"' in body


def test_staff_cannot_approve(client, staff, submitted):
    client.force_login(staff)
    assert review(client, submitted, "approve").status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.SUBMITTED


def test_a_supervisor_who_edited_the_report_cannot_approve_it(client, staff, supervisor, home_department, periods):
    Membership.objects.create(user=supervisor, department=home_department, role=Role.REPORTER)
    ind, period = indicator("1-5"), periods[112, 3]
    report = services.report_save(indicator=ind, period=period, user=staff, actual="3", expected_version=0)
    report = services.report_save(
        indicator=ind, period=period, user=supervisor, actual="4", narrative="主管修改", expected_version=report.version
    )
    report = services.report_submit(report=report, user=staff, expected_version=report.version)
    client.force_login(supervisor)
    response = review(client, report, "approve")
    assert response.status_code == 403
    assert "不能審核自己填寫的報告" in response.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED


def test_other_department_cannot_even_see_the_report(client, other_staff, submitted):
    client.force_login(other_staff)
    assert review(client, submitted, "approve").status_code == 404


def test_planner_may_review(client, planner, submitted):
    client.force_login(planner)
    assert review(client, submitted, "approve").status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.APPROVED


def test_a_stale_review_is_refused(client, supervisor, submitted):
    client.force_login(supervisor)
    response = review(client, submitted, "approve", version=submitted.version - 1)
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.SUBMITTED
    assert "你的審核尚未生效" in client.get(response["Location"]).content.decode()


def test_reviewing_a_report_that_is_not_submitted(client, supervisor, submitted):
    client.force_login(supervisor)
    review(client, submitted, "approve")
    submitted.refresh_from_db()
    response = review(client, submitted, "return", comment="再看看")
    assert "只有待審核的填報可以審核" in client.get(response["Location"]).content.decode()


def test_review_goes_back_to_a_safe_next_url(client, supervisor, submitted):
    client.force_login(supervisor)
    response = review(client, submitted, "approve", next="/review/")
    assert response["Location"] == "/review/"


def test_review_ignores_an_unsafe_next_url(client, supervisor, submitted):
    client.force_login(supervisor)
    response = review(client, submitted, "approve", next="https://evil.example/")
    assert response["Location"].startswith(reverse("kpi:detail", args=[submitted.indicator_id]))


def test_a_get_on_the_review_address_asks_for_confirmation_and_changes_nothing(client, supervisor, submitted):
    client.force_login(supervisor)
    before = submitted.version
    response = client.get(reverse("kpi:review", args=[submitted.pk]) + "?action=approve")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="action" value="approve"' in body and 'name="action" value="return"' in body
    assert "確認核定" in body
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.SUBMITTED and submitted.version == before


# --- The live hint: the server's preview as JSON --------------------------------------------


def preview_url(ind, period, actual):
    return reverse("kpi:report_preview", args=[ind.pk, period.pk]) + f"?actual={actual}"


def test_live_hint_is_the_servers_preview(staff_client, periods):
    ind, q3 = indicator("1-5"), periods[112, 3]
    answer = staff_client.get(preview_url(ind, q3, "4"))
    assert answer.status_code == 200
    data = answer.json()
    # 4 of Q3's planned 4 (3.75, whole sessions): what the Preview button and approval show.
    assert (data["light"], data["label"], data["basis"]) == ("green", "112Q3 進度", "period")
    assert (data["attainment"], data["planned"], data["year_ratio"]) == ("100%", "4 場", "80%")
    assert not data["needs_explanation"]
    assert "112Q3 進度" in data["hint"] and "全年 80%" in data["hint"]
    behind = staff_client.get(preview_url(ind, q3, "3")).json()
    assert behind["light"] == "red" and behind["needs_explanation"]  # 3 of 4 = 75%: yellow starts at 80%
    nothing_saved()


def test_live_hint_has_nothing_to_say_for_a_formula_indicator(staff_client, periods):
    # 共1-1's figure is computed from its inputs on Preview (its year-end rule: tests/test_status.py).
    assert staff_client.get(preview_url(indicator("共1-1"), periods[112, 3], "1.5")).json() == {"hint": ""}


def test_live_hint_refuses_bad_figures_and_other_departments(staff_client, other_staff, client, periods):
    ind, q3 = indicator("1-5"), periods[112, 3]
    bad = staff_client.get(preview_url(ind, q3, "abc"))
    assert bad.status_code == 400 and bad.json()["errors"]["actual"]
    assert staff_client.post(preview_url(ind, q3, "4")).status_code == 405  # GET only: it reads
    client.force_login(other_staff)
    assert client.get(preview_url(ind, q3, "4")).status_code in (403, 404)
    client.logout()
    assert client.get(preview_url(ind, q3, "4")).status_code == 302  # to the login page
    nothing_saved()


def test_the_form_carries_no_second_copy_of_the_rule(staff_client, periods):
    body = staff_client.get(url(indicator("1-5"), periods[112, 3])).content.decode()
    assert 'data-preview-url="' in body
    for gone in ("data-year-target", "data-period-target", "data-green", "data-yellow", "data-direction"):
        assert gone not in body
