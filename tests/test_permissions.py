"""The permission walk: the fixed cast through every page, download, upload and API endpoint,
with the exact status each should get, and proof that a refused action changed nothing.

The cast (tests/conftest.py): staff (reporter, 都市發展處), other_staff (reporter, 民政處),
supervisor (reviewer, 都市發展處), planner (planning office), admin (superuser) and the
anonymous visitor. The world: in 民國114年第1季 staff have a draft of 1-5 with a PDF as
evidence, a complete draft of 3-1, and have submitted 2-1; 4-3 is approved; 4-1 has no report
yet; 113年第4季 is open and 112年第4季 is locked; 113 is published for the public.

Rules walked (kpi/access.py): anonymous visitors are sent to sign in on every page (the
public pages and open data excepted; the API, its schema included, answers 401); those
who cannot see an indicator get 404 on its pages; those who can see but not report get 403
on the report form, its evidence and the import; a report's author gets 403 reviewing it and
staff of another department 404; only the planning office and admins lock and unlock
periods and reopen approved reports (403 for everyone else); whoever sees a report may comment
on it; a notification and an API token are their owner's alone (404 to anyone else); only staff users see admin. `test_every_url_is_walked`
fails when a route is added without joining the walk (admin's pages: tests/test_admin.py).
"""

from __future__ import annotations

import copy
import csv
import datetime
import io
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import URLResolver, get_resolver, resolve, reverse
from knox.models import AuthToken

from common.api.tokens import token_issue, tokens_for
from common.spreadsheets.writing import render as render_workbook
from kpi import importers, services
from kpi.models import (
    Evidence,
    Indicator,
    Notification,
    NotificationPreference,
    PeriodEvent,
    PlannedValue,
    ProgressReport,
    ReportCorrection,
    ReportEvent,
    ReportingPeriod,
    YearlyTarget,
)
from kpi.plan_workbook.export import sheets as plan_workbook_sheets
from plans.models import (
    CommonGoal,
    Department,
    DepartmentPlan,
    Membership,
    ObjectiveItem,
    Plan,
    PublishedYear,
    StrategicObjective,
)
from reports.exports import yearly_export_build, yearly_export_request
from reports.models import YearlyExport
from tests.conftest import HOME, make_cast, module_data
from tests.factories import kpi_by_code

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SHEET = PDF + b"% a sign-in sheet: another file than the world's evidence (the same one twice is refused)\n"

ACTORS = ["staff", "other_staff", "supervisor", "planner", "admin", "anonymous"]


@dataclass
class World:
    draft: ProgressReport
    submitted: ProgressReport
    evidence: Evidence
    report_indicator_id: int
    period: ReportingPeriod
    open_period: ReportingPeriod
    locked_period: ReportingPeriod
    plan_id: int
    department_id: int
    submittable: ProgressReport  # a complete, on-target draft of 3-1
    common_goal_id: int
    approved: ProgressReport  # 1-1's 113Q4, approved: the planning office may reopen it


TODAY = datetime.date(2025, 4, 10)


@pytest.fixture(scope="module")
def _shared(django_db_setup, django_db_blocker, tmp_path_factory):
    """The cast and the world, built once for the module's few thousand requests
    (tests/conftest.py: module_data); each test rolls back to them."""
    media = tmp_path_factory.mktemp("media")
    with override_settings(KPI_TODAY=TODAY, MEDIA_ROOT=media), module_data(django_db_blocker):
        cast = make_cast()
        yield media, cast, build_world(cast)


@pytest.fixture
def cast(_shared, db):
    return copy.deepcopy(_shared[1])


@pytest.fixture
def world(_shared, db, settings):
    media, _, world = _shared
    settings.KPI_TODAY = TODAY
    settings.MEDIA_ROOT = media
    return copy.deepcopy(world)


@pytest.fixture
def walk_world(cast, settings, tmp_path, seeded_plan):
    """The same world built for one test, for modules whose tests also ask for the cast's
    users by name or add rows of their own beside it (tests/test_cache_control.py,
    tests/test_formula_escaping.py)."""
    settings.KPI_TODAY = TODAY
    settings.MEDIA_ROOT = tmp_path
    return build_world(cast)


def build_world(cast) -> World:
    seeded_plan = Plan.objects.get()
    home_department = Department.objects.get(name=HOME)
    services.periods_ensure(plan=seeded_plan)
    periods = {p.short_label: p for p in ReportingPeriod.objects.filter(plan=seeded_plan)}
    staff, q1 = cast["staff"], periods["114Q1"]
    draft = services.report_save(indicator=kpi_by_code("1-5"), period=q1, user=staff, actual="2", narrative="草稿")
    evidence = services.evidence_add(
        report=draft, user=staff, file=SimpleUploadedFile("會議紀錄.pdf", PDF, content_type="application/pdf")
    )
    submitted = services.report_save(
        indicator=kpi_by_code("2-1"), period=q1, user=staff, actual="5", narrative="已辦理 5 場。", submit=True
    )
    services.period_lock(period=periods["112Q4"], user=cast["planner"])
    PublishedYear.objects.create(plan=seeded_plan, year=113, published_by=cast["admin"])
    on_target = kpi_by_code("3-1")
    submittable = services.report_save(
        indicator=on_target,
        period=q1,
        user=staff,
        actual=str(on_target.targets.get(year=114).value),
        narrative="已如期完成。",
    )
    done = kpi_by_code("1-1")
    approved = services.report_save(
        indicator=done,
        period=periods["113Q4"],
        user=staff,
        actual=str(done.targets.get(year=113).value),
        narrative="已完成。",
    )
    approved = services.report_submit(report=approved, user=staff)
    approved = services.report_approve(report=approved, user=cast["supervisor"])
    token_issue(user=staff)  # an API token of staff's, for the token pages and endpoints
    return World(
        approved=approved,
        draft=draft,
        submitted=submitted,
        evidence=evidence,
        report_indicator_id=kpi_by_code("4-1").pk,
        period=q1,
        open_period=periods["113Q4"],
        locked_period=periods["112Q4"],
        plan_id=seeded_plan.pk,
        department_id=home_department.pk,
        submittable=submittable,
        common_goal_id=CommonGoal.objects.filter(department_plan__department=home_department).values_list(
            "pk", flat=True
        )[0],
    )


# --- The actions: (method, url, data) and the state a write would change ------------------


def _review(action):
    def request(w):
        data = {"action": action, "version": w.submitted.version, "next": reverse("kpi:review_queue")}
        if action == "return":
            data["comment"] = "請補附簽到表。"
        return "post", reverse("kpi:review", args=[w.submitted.pk]), data

    return request


ACTIONS = {
    "home": lambda w: ("get", reverse("kpi:home"), None),
    "department_plan": lambda w: ("get", reverse("kpi:department_plan", args=[w.plan_id, w.department_id]), None),
    "detail": lambda w: ("get", reverse("kpi:detail", args=[w.draft.indicator_id]), None),
    "report_get": lambda w: ("get", reverse("kpi:report", args=[w.report_indicator_id, w.period.pk]), None),
    "report_preview": lambda w: (
        "get",
        reverse("kpi:report_preview", args=[w.report_indicator_id, w.period.pk]) + "?actual=1",
        None,
    ),
    "report_save": lambda w: (
        "post",
        reverse("kpi:report", args=[w.report_indicator_id, w.period.pk]),
        {"action": "save", "version": "0", "actual": "1", "narrative": "第一季辦理 1 場。"},
    ),
    "report_autosave": lambda w: (
        "post",
        reverse("kpi:report_autosave", args=[w.report_indicator_id, w.period.pk]),
        {"version": "0", "actual": "1", "narrative": "第一季辦理 1 場。", "action": "submit"},
    ),
    "session_keepalive": lambda w: ("post", reverse("session_keepalive"), {}),
    "review_approve": _review("approve"),
    "review_return": _review("return"),
    "review_get": lambda w: ("get", reverse("kpi:review", args=[w.submitted.pk]) + "?action=approve", None),
    "review_bulk_get": lambda w: ("get", reverse("kpi:review_bulk") + f"?report={w.submitted.pk}", None),
    "review_bulk_post": lambda w: (
        "post",
        reverse("kpi:review_bulk"),
        {"report": w.submitted.pk, f"version-{w.submitted.pk}": w.submitted.version, "confirm": "1"},
    ),
    "reopen_get": lambda w: ("get", reverse("kpi:reopen", args=[w.approved.pk]), None),
    "reopen_post": lambda w: (
        "post",
        reverse("kpi:reopen", args=[w.approved.pk]),
        {"reason": "資料來源更新，數值需更正。", "version": w.approved.version},
    ),
    "evidence_download": lambda w: ("get", reverse("kpi:evidence_download", args=[w.evidence.pk]), None),
    "evidence_view": lambda w: ("get", reverse("kpi:evidence_view", args=[w.evidence.pk]), None),
    "evidence_remove": lambda w: ("post", reverse("kpi:evidence_remove", args=[w.evidence.pk]), {}),
    "my_updates": lambda w: ("get", reverse("kpi:my_updates"), None),
    "review_queue": lambda w: ("get", reverse("kpi:review_queue"), None),
    "periods": lambda w: ("get", reverse("kpi:periods"), None),
    "period_lock": lambda w: ("post", reverse("kpi:period_lock", args=[w.open_period.pk]), {}),
    "period_unlock": lambda w: (
        "post",
        reverse("kpi:period_unlock", args=[w.locked_period.pk]),
        {"reason": "補正佐證資料"},
    ),
    "admin_index": lambda w: ("get", reverse("admin:index"), None),
    "api_indicators": lambda w: ("get", "/api/v1/indicators/", None),
}


def _get(name, *args, query=""):
    return lambda w: ("get", reverse(name, args=[a(w) if callable(a) else a for a in args]) + query, None)


def _version(report):
    return ProgressReport.objects.values_list("version", flat=True).get(pk=report.pk)


def _plan_workbook_file(w):
    department_plan = DepartmentPlan.objects.select_related("plan").get(
        plan_id=w.plan_id, department_id=w.department_id
    )
    data = render_workbook("xlsx", plan_workbook_sheets(department_plan.plan, department_plan))
    return SimpleUploadedFile("都市發展處.xlsx", data)


def _import_file(w):
    """A one-row CSV: a draft figure for 4-1 in 114Q1, which has no report yet."""
    row = {"機關": "都市發展處", "編號": "4-1", "年度": 114, "期別": 1, "累計實績": 1, "達成情形說明": "匯入。"}
    buffer = io.StringIO()
    csv.writer(buffer).writerows([importers.COLUMNS, [row.get(c, "") for c in importers.COLUMNS]])
    return SimpleUploadedFile("reports.csv", buffer.getvalue().encode("utf-8-sig"), content_type="text/csv")


def _people_file():
    """A one-row list of people: a new reporter of 都市發展處."""
    text = "帳號,姓名,電子郵件,單位,角色,啟用\r\nnewbie,張新人,newbie@example.org,都市發展處,填報人,是\r\n"
    return SimpleUploadedFile("people.csv", text.encode("utf-8-sig"), content_type="text/csv")


def _planning_url(w):
    return reverse("kpi:planning", args=[w.plan_id, w.department_id, 114])


def _planning_cell(w):
    return services.cell_key(w.draft.indicator_id, 1)


def _grid_url(w):
    return reverse("kpi:grid", args=[w.department_id, w.period.pk])


API = "/api/v1/"
HOME_DEPARTMENT = lambda w: w.department_id  # noqa: E731
INDICATOR = lambda w: w.draft.indicator_id  # noqa: E731
# Everything else: every page, download, upload and API endpoint (test_every_url_is_walked
# checks that no route is left out).
ACTIONS |= {
    # Sign-in, language, health.
    "healthz": lambda w: ("get", reverse("healthz"), None),
    "favicon": lambda w: ("get", "/favicon.ico", None),
    "login_page": _get("login"),
    "logout": lambda w: ("post", reverse("logout"), {}),
    "set_language": lambda w: ("post", reverse("set_language"), {"language": "en", "next": "/"}),
    "password_change": _get("password_change"),
    "password_change_done": _get("password_change_done"),
    "password_reset": _get("password_reset"),
    "password_reset_done": _get("password_reset_done"),
    "password_reset_confirm": _get("password_reset_confirm", "MQ", "no-such-token"),  # answers "link expired"
    "password_reset_complete": _get("password_reset_complete"),
    # Reporting: the remaining pages and uploads.
    "evidence_add": lambda w: (
        "post",
        reverse("kpi:evidence_add", args=[w.draft.pk]),
        {"file": SimpleUploadedFile("簽到表.pdf", SHEET, content_type="application/pdf"), "description": "簽到表"},
    ),
    "report_import_get": _get("kpi:report_import"),
    "report_import_template": _get("kpi:report_import_template", query="?format=csv"),
    "report_import_post": lambda w: ("post", reverse("kpi:report_import"), {"file": _import_file(w), "mode": "draft"}),
    # Accounts: the preview of an import writes nothing (the confirm step: tests/test_user_import.py).
    "user_import_get": _get("kpi:user_import"),
    "user_import_template": _get("kpi:user_import_template", query="?format=csv"),
    "user_import_preview": lambda w: ("post", reverse("kpi:user_import"), {"step": "check", "file": _people_file()}),
    # Dashboards and the yearly report, for the home department and the city.
    "overview": _get("reports:overview"),
    "dashboard_department": _get("reports:department", HOME_DEPARTMENT),
    "at_risk": _get("reports:at_risk"),
    "yearly": _get("reports:yearly", query="?year=113"),
    "yearly_department": lambda w: ("get", reverse("reports:yearly") + f"?year=113&department={w.department_id}", None),
    "yearly_print": lambda w: (
        "get",
        reverse("reports:yearly_print") + f"?year=113&department={w.department_id}",
        None,
    ),
    "yearly_download": lambda w: (
        "get",
        reverse("reports:yearly_download") + f"?format=csv&year=113&department={w.department_id}",
        None,
    ),
    # The whole city's file is a background job (reports.exports): asked for with a POST,
    # watched on its page, fetched when ready; all three are the requester's alone.
    "yearly_download_city": _get("reports:yearly_download", query="?format=xlsx&year=113"),
    "yearly_section": lambda w: (
        "get",
        reverse("reports:yearly_section") + f"?year=113&department={w.department_id}",
        None,
    ),
    # The meeting pack (reports.pack): a department's is written in the request (the ODT, the
    # lighter of the two); the whole city's is the background job's, so asking here redirects.
    "pack_download": lambda w: (
        "get",
        reverse("reports:pack_download") + f"?format=odt&year=113&department={w.department_id}",
        None,
    ),
    "pack_download_city": _get("reports:pack_download", query="?format=pdf&year=113"),
    "yearly_export_start": lambda w: ("post", reverse("reports:yearly_export_start"), {"format": "csv", "year": 113}),
    "yearly_export": lambda w: ("get", reverse("reports:yearly_export", args=[_staff_export()]), None),
    "yearly_export_file": lambda w: ("get", reverse("reports:yearly_export_file", args=[_staff_export()]), None),
    # The public side: open to everyone, published years only.
    "public_home": _get("reports:public_home"),
    "public_year": _get("reports:public_year", 113),
    "public_department": _get("reports:public_department", 113, HOME_DEPARTMENT),
    "public_unpublished": _get("reports:public_year", 114),
    "open_data": _get("reports:open_data"),
    "open_data_json": _get("reports:open_data_json", 113),
    "open_data_csv": _get("reports:open_data_csv", 113),
    # API v1.
    "api_token": lambda w: ("post", API + "auth/token/", {"username": "staff", "password": "wrong"}),
    "api_schema": lambda w: ("get", API + "schema/", None),
    "api_docs": lambda w: ("get", API + "docs/", None),
    "api_redoc": lambda w: ("get", API + "redoc/", None),
    "api_endpoints": lambda w: ("get", API + "endpoints/", None),
    "api_plans": lambda w: ("get", API + "plans/", None),
    "api_plan": lambda w: ("get", API + f"plans/{w.plan_id}/", None),
    "api_departments": lambda w: ("get", API + "departments/", None),
    "api_department_plans": lambda w: ("get", API + "department-plans/", None),
    "api_department_plan": lambda w: ("get", API + f"department-plans/{w.draft.indicator.department_plan_id}/", None),
    "api_goals": lambda w: ("get", API + "goals/", None),
    "api_goal": lambda w: ("get", API + f"goals/{w.draft.indicator.objective.goal_id}/", None),
    "api_objectives": lambda w: ("get", API + "objectives/", None),
    "api_objective": lambda w: ("get", API + f"objectives/{w.draft.indicator.objective_id}/", None),
    "api_common_goals": lambda w: ("get", API + "common-goals/", None),
    "api_common_goal": lambda w: ("get", API + f"common-goals/{w.common_goal_id}/", None),
    "api_indicator": lambda w: ("get", API + f"indicators/{w.draft.indicator_id}/", None),
    "api_periods": lambda w: ("get", API + "periods/", None),
    "api_period": lambda w: ("get", API + f"periods/{w.period.pk}/", None),
    "api_reports": lambda w: ("get", API + "reports/", None),
    "api_report": lambda w: ("get", API + f"reports/{w.draft.pk}/", None),
    "api_report_events": lambda w: ("get", API + f"reports/{w.draft.pk}/events/", None),
    "api_report_create": lambda w: (
        "post_json",
        API + "reports/",
        {"indicator": w.report_indicator_id, "period": w.period.pk, "actual": 1, "narrative": "第一季辦理 1 場。"},
    ),
    "api_report_patch": lambda w: (
        "patch",
        API + f"reports/{w.draft.pk}/",
        {"version": _version(w.draft), "actual": 3},
    ),
    "api_report_submit": lambda w: (
        "post_json",
        API + f"reports/{w.submittable.pk}/submit/",
        {"version": _version(w.submittable)},
    ),
    "api_approve": lambda w: (
        "post_json",
        API + f"reports/{w.submitted.pk}/approve/",
        {"version": _version(w.submitted)},
    ),
    "api_return": lambda w: (
        "post_json",
        API + f"reports/{w.submitted.pk}/return/",
        {"version": _version(w.submitted), "comment": "請補附簽到表。"},
    ),
    "api_approve_many": lambda w: (
        "post_json",
        API + "reports/approve/",
        {"reports": [{"id": w.submitted.pk, "version": _version(w.submitted)}], "comment": "同意。"},
    ),
    "api_reopen": lambda w: (
        "post_json",
        API + f"reports/{w.approved.pk}/reopen/",
        {"reason": "實績誤植，請更正。", "version": _version(w.approved)},
    ),
    "api_period_lock": lambda w: ("post_json", API + f"periods/{w.open_period.pk}/lock/", {}),
    "api_period_unlock": lambda w: (
        "post_json",
        API + f"periods/{w.locked_period.pk}/unlock/",
        {"reason": "補正佐證資料"},
    ),
    "api_evidence": lambda w: (
        "post",
        API + f"reports/{w.draft.pk}/evidence/",
        {"file": SimpleUploadedFile("簽到表.pdf", SHEET, content_type="application/pdf"), "description": "簽到表"},
    ),
    "api_attainment": lambda w: ("get", API + f"attainment/?plan={w.plan_id}&year=113&level=department", None),
    # Planned values per period (分期預定值): 1-5's 114Q1.
    "planning_index": _get("kpi:planning_index"),
    "planning_get": lambda w: ("get", _planning_url(w), None),
    "planning_save": lambda w: ("post", _planning_url(w), {"action": "save", _planning_cell(w): "1"}),
    "planning_confirm": lambda w: ("post", _planning_url(w), {"action": "confirm", _planning_cell(w): "1"}),
    # The plan workbooks (kpi.views.plan_workbooks): the planning office's and admins'.
    "plan_workbook": _get("kpi:plan_workbook", lambda w: w.plan_id, HOME_DEPARTMENT, query="?format=xlsx"),
    "plan_workbook_template": _get("kpi:plan_workbook_template", lambda w: w.plan_id, query="?format=ods"),
    "plan_workbook_import_get": _get("kpi:plan_workbook_import", lambda w: w.plan_id, HOME_DEPARTMENT),
    # The stored plan's own workbook: a preview with nothing to change (nothing is written before a confirmation).
    "plan_workbook_import_post": lambda w: (
        "post",
        reverse("kpi:plan_workbook_import", args=[w.plan_id, w.department_id]),
        {"file": _plan_workbook_file(w)},
    ),
    # A token that names no kept upload: 400, nothing written.
    "plan_workbook_confirm": lambda w: (
        "post",
        reverse("kpi:plan_workbook_confirm", args=[w.plan_id, w.department_id]),
        {"token": "no-such-upload"},
    ),
    "api_unknown": lambda w: ("get", API + "no-such-thing/", None),
    # The department's grid of 114Q1: 4-1's figure, saved as a draft.
    "grid_get": lambda w: ("get", _grid_url(w), None),
    "grid_save": lambda w: (
        "post",
        _grid_url(w),
        {"action": "save", f"{w.report_indicator_id}-version": "0", f"{w.report_indicator_id}-actual": "1"},
    ),
    # Conversations and notifications (issue #13): comments on the submitted 2-1, the inbox
    # (staff have the approval of 1-1 unread), the notification settings.
    "comment_post": lambda w: ("post", reverse("kpi:comment", args=[w.submitted.pk]), {"text": "請確認第 2 場。"}),
    "inbox": _get("kpi:inbox"),
    "inbox_read": lambda w: ("post", reverse("kpi:inbox_read", args=[_staff_notification()]), {}),
    "inbox_read_all": lambda w: ("post", reverse("kpi:inbox_read_all"), {}),
    "notification_settings_get": _get("kpi:notification_settings"),
    "notification_settings_post": lambda w: ("post", reverse("kpi:notification_settings"), {"email": "digest"}),
    "api_comments": lambda w: ("get", API + f"reports/{w.draft.pk}/comments/", None),
    "api_comment_create": lambda w: ("post_json", API + f"reports/{w.draft.pk}/comments/", {"text": "請確認。"}),
    # API tokens (issue #14): each person's own; staff's token is no one else's to revoke.
    "api_tokens_page": _get("api_tokens"),
    "api_token_create": lambda w: ("post", reverse("api_token_create"), {}),
    "api_token_revoke": lambda w: ("post", reverse("api_token_revoke", args=[_staff_token_key()]), {}),
    "api_tokens_revoke_all": lambda w: ("post", reverse("api_tokens_revoke_all"), {}),
    "api_token_list": lambda w: ("get", API + "auth/tokens/", None),
    "api_token_delete": lambda w: ("delete", API + f"auth/tokens/{_staff_token_key()}/", None),
}


def _staff_token_key():
    """Staff's API token (the world's): what the revoking actions aim at."""
    return tokens_for(get_user_model().objects.get(username="staff")).values_list("token_key", flat=True)[0]


def _staff_export():
    """Staff's finished whole-city csv (made once, through the task's own work)."""
    export = YearlyExport.objects.filter(requested_by__username="staff").first()
    if export is None:
        staff = get_user_model().objects.get(username="staff")
        export = yearly_export_request(user=staff, plan=Plan.objects.get(), year=113, fmt="csv")
        yearly_export_build(export.pk)
    return export.pk


def _staff_notification():
    return Notification.objects.filter(recipient__username="staff").values_list("pk", flat=True).first()


def plan_workbook_state():
    return (
        StrategicObjective.objects.count(),
        ObjectiveItem.objects.count(),
        Indicator.objects.count(),
        list(YearlyTarget.objects.order_by("pk").values_list("value", flat=True)),
    )


def state(action, w):
    """What a write would change: compared before and after every POST."""
    if action in ("report_save", "report_autosave", "report_import_post", "api_report_create", "grid_save"):
        return ProgressReport.objects.filter(indicator_id=w.report_indicator_id, period=w.period).count()
    if action.startswith("review_") or action in ("api_approve", "api_return", "api_approve_many"):
        return ProgressReport.objects.filter(pk=w.submitted.pk).values_list("status", "version", "reviewed_by").get()
    if action in ("evidence_add", "api_evidence"):
        return Evidence.objects.filter(report=w.draft).count()
    if action == "api_report_patch":
        return ProgressReport.objects.filter(pk=w.draft.pk).values_list("version", "actual").get()
    if action == "api_report_submit":
        return ProgressReport.objects.filter(pk=w.submittable.pk).values_list("status", flat=True).get()
    if action == "evidence_remove":
        return Evidence.objects.filter(pk=w.evidence.pk).values_list("removed_at", flat=True).get()
    if action.startswith("reopen_"):
        return (
            ProgressReport.objects.filter(pk=w.approved.pk).values_list("status", "version", "correcting").get(),
            ReportCorrection.objects.count(),
        )
    if action.startswith("plan_workbook_"):
        return plan_workbook_state()
    if action.startswith("planning_"):
        return list(
            PlannedValue.objects.filter(target__indicator_id=w.draft.indicator_id).values_list(
                "number", "value", "status"
            )
        )
    if action == "api_reopen":
        return (
            ProgressReport.objects.filter(pk=w.approved.pk).values_list("status", "version", "correcting").get(),
            ReportCorrection.objects.filter(report=w.approved).count(),
        )
    if action in ("comment_post", "api_comment_create"):
        return ReportEvent.objects.filter(action="commented").count()
    if action == "inbox_read":
        return Notification.objects.filter(pk=_staff_notification()).values_list("read_at", flat=True).get()
    if action == "yearly_export_start":
        return YearlyExport.objects.count()
    if action == "notification_settings_post":
        return NotificationPreference.objects.count()
    if action == "user_import_preview":
        return get_user_model().objects.count(), Membership.objects.count()
    if action == "api_token_create":
        return AuthToken.objects.count()
    if action in ("api_token_revoke", "api_tokens_revoke_all", "api_token_delete"):
        return AuthToken.objects.filter(user__username="staff").count()
    if action in ("period_lock", "api_period_lock"):
        return ReportingPeriod.objects.get(pk=w.open_period.pk).is_locked, PeriodEvent.objects.count()
    if action in ("period_unlock", "api_period_unlock"):
        return ReportingPeriod.objects.get(pk=w.locked_period.pk).is_locked, PeriodEvent.objects.count()
    return None


# --- The table: the exact status per (action, actor) --------------------------------------
#  LOGIN: 302 to the sign-in page; ADMIN_LOGIN: 302 to admin's sign-in; DONE: 302 after a write.

LOGIN, ADMIN_LOGIN, DONE = "login", "admin-login", "done"
#                      staff        other_staff  supervisor   planner      admin        anonymous
EXPECTED = {
    "home":              (200,         200,         200,         200,         200,         LOGIN),
    "department_plan":   (200,         200,         200,         200,         200,         LOGIN),
    "detail":            (200,         404,         200,         200,         200,         LOGIN),
    "report_get":        (200,         404,         403,         403,         403,         LOGIN),
    "report_preview":    (200,         404,         403,         403,         403,         LOGIN),
    "report_save":       (DONE,        404,         403,         403,         403,         LOGIN),
    # Autosave and keepalive answer JSON: 401 once the session has ended, no redirect.
    "report_autosave":   (("changed", 200), 404,     403,         403,         403,         401),
    "session_keepalive": (200,         200,         200,         200,         200,         401),
    "review_approve":    (403,         404,         DONE,        DONE,        DONE,        LOGIN),
    "review_return":     (403,         404,         DONE,        DONE,        DONE,        LOGIN),
    # The review page: the reporter sees why there is nothing for them to do.
    "review_get":        (200,         404,         200,         200,         200,         LOGIN),
    "review_bulk_get":   (200,         200,         200,         200,         200,         LOGIN),
    # The reporter may not approve, and 民政處's cannot see the report: nothing approved, the page again.
    "review_bulk_post":  (400,         400,         DONE,        DONE,        DONE,        LOGIN),
    "reopen_get":        (403,         404,         403,         200,         200,         LOGIN),
    "reopen_post":       (403,         404,         403,         DONE,        DONE,        LOGIN),
    "evidence_download": (200,         404,         200,         200,         200,         LOGIN),
    "evidence_view":     (200,         404,         200,         200,         200,         LOGIN),
    "evidence_remove":   (DONE,        404,         403,         403,         403,         LOGIN),
    "my_updates":        (200,         200,         200,         200,         200,         LOGIN),
    "review_queue":      (200,         200,         200,         200,         200,         LOGIN),
    "periods":           (200,         200,         200,         200,         200,         LOGIN),
    "period_lock":       (403,         403,         403,         DONE,        DONE,        LOGIN),
    "period_unlock":     (403,         403,         403,         DONE,        DONE,        LOGIN),
    "admin_index":       (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200,         ADMIN_LOGIN),
    "api_indicators":    (200,         200,         200,         200,         200,         200),
}  # fmt: skip


def changed(code):
    """The request succeeds with `code` (an API write, the import page) and the state changed."""
    return ("changed", code)


EVERYONE = lambda code: (code,) * len(ACTORS)  # noqa: E731
SIGNED_IN = (200, 200, 200, 200, 200, LOGIN)
HOME_ONLY = (200, 404, 200, 200, 200, LOGIN)  # pages of 都市發展處: not for 民政處's reporter
API_READ = (200, 200, 200, 200, 200, 401)
API_HOME_ONLY = (200, 404, 200, 200, 200, 401)
#                                staff        other_staff  supervisor   planner      admin        anonymous
EXPECTED |= {
    "healthz":                   EVERYONE(200),
    "favicon":                   EVERYONE(301),
    "login_page":                EVERYONE(200),
    "logout":                    EVERYONE(302),
    "set_language":              EVERYONE(302),
    "password_change":           SIGNED_IN,
    "password_change_done":      SIGNED_IN,
    "password_reset":            EVERYONE(200),
    "password_reset_done":       EVERYONE(200),
    "password_reset_confirm":    EVERYONE(200),
    "password_reset_complete":   EVERYONE(200),
    "evidence_add":              (DONE,        404,         403,         403,         403,         LOGIN),
    "report_import_get":         (200,         200,         403,         403,         403,         LOGIN),
    "report_import_template":    (200,         200,         403,         403,         403,         LOGIN),
    # 民政處's reporter gets the page back with an error on the row (another department's KPI).
    "report_import_post":        (changed(200), 400,        403,         403,         403,         LOGIN),
    # Only admins give accounts and roles (kpi.access.can_manage_people); the preview writes nothing.
    "user_import_get":           (403,         403,         403,         403,         200,         LOGIN),
    "user_import_template":      (403,         403,         403,         403,         200,         LOGIN),
    "user_import_preview":       (403,         403,         403,         403,         200,         LOGIN),
    "overview":                  SIGNED_IN,
    "dashboard_department":      HOME_ONLY,
    "at_risk":                   SIGNED_IN,
    "yearly":                    SIGNED_IN,
    "yearly_department":         HOME_ONLY,
    "yearly_print":              HOME_ONLY,
    "yearly_download":           HOME_ONLY,
    "yearly_download_city":      (302,         302,         302,         302,         302,         LOGIN),
    "yearly_section":            HOME_ONLY,
    "pack_download":             HOME_ONLY,
    "pack_download_city":        (302,         302,         302,         302,         302,         LOGIN),
    "yearly_export_start":       (changed(303), changed(303), changed(303), changed(303), changed(303), LOGIN),
    "yearly_export":             (200,         404,         404,         404,         404,         LOGIN),
    "yearly_export_file":        (200,         404,         404,         404,         404,         LOGIN),
    "public_home":               EVERYONE(200),
    "public_year":               EVERYONE(200),
    "public_department":         EVERYONE(200),
    "public_unpublished":        EVERYONE(404),
    "open_data":                 EVERYONE(200),
    "open_data_json":            EVERYONE(200),
    "open_data_csv":             EVERYONE(200),
    "api_token":                 EVERYONE(400),  # a wrong password, whoever asks
    "api_schema":                (200,         200,         200,         200,         200,         401),
    "api_docs":                  SIGNED_IN,
    "api_redoc":                 SIGNED_IN,
    "api_endpoints":             SIGNED_IN,
    "api_plans":                 API_READ,
    "api_plan":                  API_READ,
    "api_departments":           API_READ,
    "api_department_plans":      API_READ,
    "api_department_plan":       API_READ,
    "api_goals":                 API_READ,
    "api_goal":                  API_READ,
    "api_objectives":            API_READ,
    "api_objective":             API_READ,
    "api_common_goals":          API_READ,
    "api_common_goal":           API_READ,
    "api_indicator":             API_HOME_ONLY,
    "api_periods":               API_READ,
    "api_period":                API_READ,
    "api_reports":               API_READ,  # each sees the reports of the departments they may view
    "api_report":                API_HOME_ONLY,
    "api_report_events":         API_HOME_ONLY,
    # The indicator is a field of the body: 民政處's reporter gets a field error, not a 404.
    "api_report_create":         (changed(201), 400,        403,         403,         403,         401),
    "api_report_patch":          (changed(200), 404,        403,         403,         403,         401),
    "api_report_submit":         (changed(200), 404,        403,         403,         403,         401),
    "api_approve":               (403,         404,         changed(200), changed(200), changed(200), 401),
    "api_return":                (403,         404,         changed(200), changed(200), changed(200), 401),
    # All or none: a refusal is a 400 naming each refused report (民政處's reporter: not found).
    "api_approve_many":          (400,         400,         changed(200), changed(200), changed(200), 401),
    "api_reopen":                (403,         404,         403,         changed(200), changed(200), 401),
    "api_period_lock":           (403,         403,         403,         changed(200), changed(200), 401),
    "api_period_unlock":         (403,         403,         403,         changed(200), changed(200), 401),
    "api_evidence":              (changed(201), 404,        403,         403,         403,         401),
    "api_attainment":            API_READ,
    "planning_index":            SIGNED_IN,
    "planning_get":              HOME_ONLY,
    "planning_save":             (DONE,        404,         403,         DONE,        DONE,        LOGIN),
    "planning_confirm":          (403,         404,         403,         DONE,        DONE,        LOGIN),
    "plan_workbook":             (403,         403,         403,         200,         200,         LOGIN),
    "plan_workbook_template":    (403,         403,         403,         200,         200,         LOGIN),
    "plan_workbook_import_get":  (403,         403,         403,         200,         200,         LOGIN),
    "plan_workbook_import_post": (403,         403,         403,         200,         200,         LOGIN),
    "plan_workbook_confirm":     (403,         403,         403,         400,         400,         LOGIN),
    "api_unknown":               EVERYONE(404),
    "grid_get":                  (200,         404,         403,         403,         403,         LOGIN),
    "grid_save":                 (DONE,        404,         403,         403,         403,         LOGIN),
    # Whoever sees the report comments on it; 民政處's reporter does not see it.
    "comment_post":              (DONE,        404,         DONE,        DONE,        DONE,        LOGIN),
    "inbox":                     SIGNED_IN,
    # Only its recipient marks a notification read; to anyone else it does not exist.
    "inbox_read":                (DONE,        404,         404,         404,         404,         LOGIN),
    # Each marks their own (what changes is theirs: tests/test_notifications.py).
    "inbox_read_all":            (302,         302,         302,         302,         302,         LOGIN),
    "notification_settings_get": SIGNED_IN,
    "notification_settings_post": (DONE,       DONE,        DONE,        DONE,        DONE,        LOGIN),
    "api_comments":              API_HOME_ONLY,
    "api_comment_create":        (changed(201), 404,        changed(201), changed(201), changed(201), 401),
    # Each person's own tokens: a new one is shown on the page at once (200, not a redirect);
    # staff's token is not found by anyone else; revoking all revokes only one's own.
    "api_tokens_page":           SIGNED_IN,
    "api_token_create":          (changed(200), changed(200), changed(200), changed(200), changed(200), LOGIN),
    "api_token_revoke":          (DONE,        404,         404,         404,         404,         LOGIN),
    "api_tokens_revoke_all":     (DONE,        302,         302,         302,         302,         LOGIN),
    "api_token_list":            API_READ,
    "api_token_delete":          (changed(204), 404,        404,         404,         404,         401),
}  # fmt: skip

CASES = [(action, actor, row[i]) for action, row in EXPECTED.items() for i, actor in enumerate(ACTORS)]


def test_the_table_covers_every_action_and_actor():
    assert set(EXPECTED) == set(ACTIONS)
    assert all(len(row) == len(ACTORS) for row in EXPECTED.values())


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace != "admin":  # admin's own pages: tests/test_admin.py
                yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern).removeprefix("^")  # as ResolverMatch.route joins a regex


def test_every_url_is_walked(world):
    """A new page, download, upload or API endpoint must join the walk (and so this table)."""
    walked = {resolve(urlsplit(ACTIONS[action](world)[1]).path).route for action in ACTIONS}
    routes = set(_routes(get_resolver().url_patterns))
    assert routes - walked == set()
    assert len(routes) > 50


@pytest.mark.parametrize(("action", "actor", "expected"), CASES, ids=[f"{a}-{u}" for a, u, _ in CASES])
def test_permission_walk(client, cast, world, action, actor, expected):
    user = cast[actor]
    if user is not None:
        client.force_login(user)
    method, url, data = ACTIONS[action](world)
    before = state(action, world)

    if method in ("patch", "post_json"):
        response = getattr(client, method.removesuffix("_json"))(url, data, content_type="application/json")
    elif method == "delete":
        response = client.delete(url)
    else:
        response = client.post(url, data) if method == "post" else client.get(url)
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
        # Not response.close(): that sends request_finished, which would close the test's
        # database connection (harmless on SQLite's in-memory database, fatal on PostgreSQL).
        if getattr(response, "file_to_stream", None):
            response.file_to_stream.close()

    after = state(action, world)
    if expected == LOGIN:
        assert response.status_code == 302, response
        assert response["Location"].startswith(reverse("login") + "?next="), response["Location"]
    elif expected == ADMIN_LOGIN:
        assert response.status_code == 302, response
        assert response["Location"].startswith(reverse("admin:login")), response["Location"]
    elif isinstance(expected, tuple):
        assert response.status_code == expected[1], (response.status_code, response.content[:500])
        assert after != before, f"{actor} was allowed to {action}, but nothing changed"
    elif expected == DONE:
        assert response.status_code == 302, (response.status_code, response.content[:500])
        assert after != before, f"{actor} was allowed to {action}, but nothing changed"
    else:
        assert response.status_code == expected, (response.status_code, response.content[:500])

    if method != "get" and expected != DONE and not isinstance(expected, tuple):
        assert after == before, f"{actor} was refused {action}, yet something changed: {before} → {after}"


def test_approve_and_return_record_the_reviewer(client, cast, world):
    supervisor = cast["supervisor"]
    client.force_login(supervisor)
    client.post(
        reverse("kpi:review", args=[world.submitted.pk]),
        {"action": "return", "comment": "請補附簽到表。", "version": world.submitted.version},
    )
    world.submitted.refresh_from_db()
    assert world.submitted.status == "returned"
    assert world.submitted.reviewed_by == supervisor
    assert world.submitted.review_comment == "請補附簽到表。"
