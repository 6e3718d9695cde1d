"""The permission walk: the fixed cast through every page and action, with the exact status
each should get, and proof that a refused action changed nothing.

The cast (tests/conftest.py): staff (reporter, 都市發展處), other_staff (reporter, 民政處),
supervisor (reviewer, 都市發展處), planner (planning office), admin (superuser) and the
anonymous visitor. The world: in 民國114年第1季 staff have a draft of 1-5 with a PDF as
evidence and have submitted 2-1; 4-1 has no report yet; 113年第4季 is open and 112年第4季
is locked.

Rules walked (kpi/access.py): anonymous visitors are sent to sign in on every page (the
open-data API excepted); those who cannot see an indicator get 404 on its pages; those who
can see but not report get 403 on the report form and its evidence; a report's author
gets 403 reviewing it and staff of another department 404; only the planning office and
admins lock and unlock periods (403 for everyone else); only staff users see admin.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kpi import workflow
from kpi.models import Evidence, ProgressReport, ReportingPeriod
from tests.factories import kpi_by_code

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

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


@pytest.fixture
def world(cast, settings, tmp_path, seeded_plan, home_department):
    settings.KPI_TODAY = datetime.date(2025, 4, 10)
    settings.MEDIA_ROOT = tmp_path
    workflow.periods_ensure(plan=seeded_plan)
    periods = {p.short_label: p for p in ReportingPeriod.objects.filter(plan=seeded_plan)}
    staff, q1 = cast["staff"], periods["114Q1"]
    draft = workflow.report_save(indicator=kpi_by_code("1-5"), period=q1, user=staff, actual="2", narrative="草稿")
    evidence = workflow.evidence_add(
        report=draft, user=staff, file=SimpleUploadedFile("會議紀錄.pdf", PDF, content_type="application/pdf")
    )
    submitted = workflow.report_save(
        indicator=kpi_by_code("2-1"), period=q1, user=staff, actual="5", narrative="已辦理 5 場。", submit=True
    )
    workflow.period_lock(period=periods["112Q4"], user=cast["planner"])
    return World(
        draft=draft,
        submitted=submitted,
        evidence=evidence,
        report_indicator_id=kpi_by_code("4-1").pk,
        period=q1,
        open_period=periods["113Q4"],
        locked_period=periods["112Q4"],
        plan_id=seeded_plan.pk,
        department_id=home_department.pk,
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
    "home": lambda w: ("get", reverse("plans:home"), None),
    "department_plan": lambda w: ("get", reverse("plans:department_plan", args=[w.plan_id, w.department_id]), None),
    "detail": lambda w: ("get", reverse("kpi:detail", args=[w.draft.indicator_id]), None),
    "report_get": lambda w: ("get", reverse("kpi:report", args=[w.report_indicator_id, w.period.pk]), None),
    "report_save": lambda w: (
        "post",
        reverse("kpi:report", args=[w.report_indicator_id, w.period.pk]),
        {"action": "save", "version": "0", "actual": "1", "narrative": "第一季辦理 1 場。"},
    ),
    "review_approve": _review("approve"),
    "review_return": _review("return"),
    "evidence_download": lambda w: ("get", reverse("kpi:evidence_download", args=[w.evidence.pk]), None),
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


def state(action, w):
    """What a write would change: compared before and after every POST."""
    if action == "report_save":
        return ProgressReport.objects.filter(indicator_id=w.report_indicator_id, period=w.period).count()
    if action.startswith("review_"):
        return ProgressReport.objects.filter(pk=w.submitted.pk).values_list("status", "version", "reviewed_by").get()
    if action == "evidence_remove":
        return Evidence.objects.filter(pk=w.evidence.pk).values_list("removed_at", flat=True).get()
    if action == "period_lock":
        return ReportingPeriod.objects.get(pk=w.open_period.pk).is_locked
    if action == "period_unlock":
        return ReportingPeriod.objects.get(pk=w.locked_period.pk).is_locked
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
    "report_save":       (DONE,        404,         403,         403,         403,         LOGIN),
    "review_approve":    (403,         404,         DONE,        DONE,        DONE,        LOGIN),
    "review_return":     (403,         404,         DONE,        DONE,        DONE,        LOGIN),
    "evidence_download": (200,         404,         200,         200,         200,         LOGIN),
    "evidence_remove":   (DONE,        404,         403,         403,         403,         LOGIN),
    "my_updates":        (200,         200,         200,         200,         200,         LOGIN),
    "review_queue":      (200,         200,         200,         200,         200,         LOGIN),
    "periods":           (200,         200,         200,         200,         200,         LOGIN),
    "period_lock":       (403,         403,         403,         DONE,        DONE,        LOGIN),
    "period_unlock":     (403,         403,         403,         DONE,        DONE,        LOGIN),
    "admin_index":       (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200,         ADMIN_LOGIN),
    "api_indicators":    (200,         200,         200,         200,         200,         200),
}  # fmt: skip

CASES = [(action, actor, row[i]) for action, row in EXPECTED.items() for i, actor in enumerate(ACTORS)]


def test_the_table_covers_every_action_and_actor():
    assert set(EXPECTED) == set(ACTIONS)
    assert all(len(row) == len(ACTORS) for row in EXPECTED.values())


@pytest.mark.parametrize(("action", "actor", "expected"), CASES, ids=[f"{a}-{u}" for a, u, _ in CASES])
def test_permission_walk(client, cast, world, action, actor, expected):
    user = cast[actor]
    if user is not None:
        client.force_login(user)
    method, url, data = ACTIONS[action](world)
    before = state(action, world)

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
    elif expected == DONE:
        assert response.status_code == 302, (response.status_code, response.content[:500])
        assert after != before, f"{actor} was allowed to {action}, but nothing changed"
    else:
        assert response.status_code == expected, (response.status_code, response.content[:500])

    if method == "post" and expected != DONE:
        assert after == before, f"{actor} was refused {action}, yet something changed: {before} → {after}"


def test_approve_and_return_record_the_reviewer(client, supervisor, world):
    client.force_login(supervisor)
    client.post(
        reverse("kpi:review", args=[world.submitted.pk]),
        {"action": "return", "comment": "請補附簽到表。", "version": world.submitted.version},
    )
    world.submitted.refresh_from_db()
    assert world.submitted.status == "returned"
    assert world.submitted.reviewed_by == supervisor
    assert world.submitted.review_comment == "請補附簽到表。"
