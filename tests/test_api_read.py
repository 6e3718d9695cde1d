"""API v1, reading: who sees what, filters, ordering, pagination, attainment, query counts.

The rules are kpi.access's (tested in test_access.py); these tests check that every
endpoint goes through them, and that bad parameters are a 400 naming the parameter.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.api.tokens import token_issue
from kpi import services
from kpi.assessments import plan_year_attainment
from kpi.models import Indicator, ProgressReport, ReportingPeriod, ReportStatus
from kpi.services import target_set
from plans.models import DepartmentPlan, Goal, Plan, PublishedYear, StrategicObjective
from tests.factories import UserFactory, kpi_by_code, objectives_with_kpis, reports_for_indicators

API = "/api/v1/"
NARRATIVE = "本季依進度辦理。"


# --- Fixtures ------------------------------------------------------------------------------


def save(user, code, period, actual, submit=True, **extra):
    extra.setdefault("narrative", NARRATIVE)
    extra.setdefault("shortfall_reason", "活動延期。")
    extra.setdefault("improvement_plan", "下季補辦。")
    return services.report_save(
        indicator=kpi_by_code(code), period=period, user=user, actual=actual, submit=submit, **extra
    )


@pytest.fixture
def home_reports(staff, supervisor, periods):
    """Four reports of 都市發展處: approved 1-5 (112Q1, 112Q2), submitted 2-1 112Q2, draft 3-2 112Q3."""
    q1 = services.report_approve(report=save(staff, "1-5", periods["112Q1"], "1"), user=supervisor)
    q2 = services.report_approve(report=save(staff, "1-5", periods["112Q2"], "3"), user=supervisor)
    submitted = save(staff, "2-1", periods["112Q2"], "1")
    draft = save(staff, "3-2", periods["112Q3"], "50", submit=False)
    return {"q1": q1, "q2": q2, "submitted": submitted, "draft": draft}


@pytest.fixture
def other_indicators(seeded_plan, other_department):
    dp = DepartmentPlan.objects.get(plan=seeded_plan, department=other_department)
    return objectives_with_kpis(dp, objectives=1, kpis=2)


@pytest.fixture
def other_reports(other_indicators, other_staff, periods):
    return reports_for_indicators(other_indicators, periods["112Q2"], reporter=other_staff)


def as_user(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


def get(client, path, **params):
    response = client.get(API + path, params)
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response


def ids(response):
    return {row["id"] for row in response.json()["results"]}


# --- Who may call what ----------------------------------------------------------------------

SIGNED_IN_ONLY = [
    "plans/",
    "departments/",
    "department-plans/",
    "goals/",
    "objectives/",
    "common-goals/",
    "periods/",
    "reports/",
    "attainment/?plan=1&year=112",
]


@pytest.mark.parametrize("path", SIGNED_IN_ONLY)
def test_anonymous_gets_401_with_the_token_scheme(client, seeded_plan, path):
    response = client.get(API + path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert set(response.json()) == {"detail"}


def test_anonymous_detail_endpoints_are_401(client, seeded_plan, home_reports):
    report = home_reports["q1"]
    for path in [
        f"plans/{seeded_plan.pk}/",
        f"indicators/{report.indicator_id}/",
        f"periods/{report.period_id}/",
        f"reports/{report.pk}/",
        f"reports/{report.pk}/events/",
    ]:
        assert client.get(API + path).status_code == 401, path


def test_a_bad_token_is_401(client, seeded_plan):
    response = client.get(API + "plans/", HTTP_AUTHORIZATION="Token not-a-real-token")
    assert response.status_code == 401


def test_a_token_signs_in(client, staff):
    _row, token = token_issue(user=staff)
    response = client.get(API + "plans/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200


@pytest.mark.parametrize("user", ["staff", "other_staff", "supervisor", "planner", "admin"])
@pytest.mark.parametrize("path", SIGNED_IN_ONLY[:7])
def test_plan_structure_and_periods_are_readable_by_everyone_signed_in(client, cast, user, path):
    assert get(as_user(client, cast[user]), path).status_code == 200


# --- Reports: who sees which -------------------------------------------------------------------


@pytest.mark.parametrize(
    "user, sees_home, sees_other",
    [
        ("staff", True, False),
        ("supervisor", True, False),
        ("other_staff", False, True),
        ("planner", True, True),
        ("admin", True, True),
    ],
)
def test_reports_list_is_scoped_by_access(client, cast, home_reports, other_reports, user, sees_home, sees_other):
    home = {r.pk for r in home_reports.values()}
    other = {r.pk for r in other_reports}
    response = get(as_user(client, cast[user]), "reports/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert ids(response) == (home if sees_home else set()) | (other if sees_other else set())
    assert body["count"] == len(ids(response))


@pytest.mark.parametrize("user, code", [("staff", 200), ("supervisor", 200), ("planner", 200), ("other_staff", 404)])
def test_report_detail_is_scoped_by_access(client, cast, home_reports, user, code):
    report = home_reports["q2"]
    client = as_user(client, cast[user])
    assert get(client, f"reports/{report.pk}/").status_code == code
    assert get(client, f"reports/{report.pk}/events/").status_code == code


def test_report_in_full(client, staff, supervisor, home_reports):
    report = home_reports["q2"]
    link = services.evidence_add(
        report=home_reports["draft"], user=staff, url="https://www.klcg.gov.tw/news/1", description="新聞稿"
    )
    row = get(as_user(client, staff), f"reports/{report.pk}/").json()
    assert row["indicator"] == report.indicator_id
    assert row["indicator_code"] == "1-5"
    assert row["department_name"] == "都市發展處"
    assert row["year"] == 112
    assert row["period_label"] == "民國112年第2季"
    assert row["status"] == "approved"
    assert row["status_label"] in {"Approved", "已核定"}
    assert row["actual"] == 3
    assert row["version"] == report.version
    assert row["created_by"] == {"id": staff.pk, "name": "王小明"}
    assert row["reviewed_by"] == {"id": supervisor.pk, "name": "李主任"}
    assert [e["action"] for e in row["events"]] == ["created", "submitted", "approved"]
    assert row["events"][0]["actor"]["name"] == "王小明"
    assert row["events"][0]["changes"]["actual"] == [None, "3"]
    assert row["evidence"] == []

    draft = get(client, f"reports/{home_reports['draft'].pk}/").json()
    assert draft["evidence"] == [
        {
            "id": link.pk,
            "type": "link",
            "original_name": "",
            "size": 0,
            "url": "https://www.klcg.gov.tw/news/1",
            "description": "新聞稿",
            "uploaded_by": {"id": staff.pk, "name": "王小明"},
            "uploaded_at": draft["evidence"][0]["uploaded_at"],
            "download_url": "http://testserver" + reverse("kpi:evidence_download", args=[link.pk]),
        }
    ]
    events = get(client, f"reports/{home_reports['draft'].pk}/events/").json()
    assert [e["action"] for e in events["results"]] == ["created", "evidence_added"]


def test_removed_evidence_is_not_listed(client, staff, home_reports):
    draft = home_reports["draft"]
    link = services.evidence_add(report=draft, user=staff, url="https://example.org/a")
    services.evidence_remove(evidence=link, user=staff)
    assert get(as_user(client, staff), f"reports/{draft.pk}/").json()["evidence"] == []


# --- Reports: filters, ordering, pagination ------------------------------------------------------


def test_report_filters(client, planner, home_reports, other_reports, home_department, periods):
    client = as_user(client, planner)
    r = home_reports
    assert ids(get(client, "reports/", indicator=r["q1"].indicator_id)) == {r["q1"].pk, r["q2"].pk}
    assert ids(get(client, "reports/", department=home_department.pk)) == {x.pk for x in r.values()}
    assert ids(get(client, "reports/", period=periods["112Q2"].pk)) == {r["q2"].pk, r["submitted"].pk} | {
        x.pk for x in other_reports
    }
    assert ids(get(client, "reports/", status="submitted")) == {r["submitted"].pk}
    assert ids(get(client, "reports/", status="draft", department=home_department.pk)) == {r["draft"].pk}
    assert ids(get(client, "reports/", year=112, plan=periods["112Q2"].plan_id)) == {
        x.pk for x in [*r.values(), *other_reports]
    }
    assert ids(get(client, "reports/", year=113)) == set()


def test_report_ordering(client, planner, home_reports):
    client = as_user(client, planner)
    rows = get(client, "reports/", ordering="period,id").json()["results"]
    assert [row["period_label"] for row in rows] == [
        "民國112年第1季",
        "民國112年第2季",
        "民國112年第2季",
        "民國112年第3季",
    ]
    rows = get(client, "reports/", ordering="-period").json()["results"]
    assert rows[0]["period_label"] == "民國112年第3季"
    rows = get(client, "reports/", ordering="-id").json()["results"]
    assert [row["id"] for row in rows] == sorted((row["id"] for row in rows), reverse=True)


def test_report_pagination(client, planner, home_reports):
    client = as_user(client, planner)
    first = get(client, "reports/", page_size=3, ordering="id").json()
    assert first["count"] == 4
    assert len(first["results"]) == 3
    assert first["previous"] is None
    assert "page=2" in first["next"]
    second = get(client, "reports/", page_size=3, page=2, ordering="id").json()
    assert len(second["results"]) == 1
    assert second["next"] is None
    assert {row["id"] for row in first["results"] + second["results"]} == {r.pk for r in home_reports.values()}


@pytest.mark.parametrize(
    "params, field",
    [
        ({"year": "2023"}, "year"),
        ({"year": "abc"}, "year"),
        ({"year": "0"}, "year"),
        ({"indicator": "abc"}, "indicator"),
        ({"indicator": "-1"}, "indicator"),
        ({"indicator": "99999999999999999999999"}, "indicator"),
        ({"department": "1.5"}, "department"),
        ({"status": "done"}, "status"),
        ({"ordering": "narrative"}, "ordering"),
        ({"ordering": "period,-nope"}, "ordering"),
        ({"page": "0"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "501"}, "page_size"),
        ({"page_size": "many"}, "page_size"),
    ],
)
def test_bad_report_parameters_are_400_naming_the_parameter(client, staff, seeded_plan, params, field):
    response = get(as_user(client, staff), "reports/", **params)
    assert response.status_code == 400
    body = response.json()
    assert list(body) == [field]
    assert isinstance(body[field], list) and body[field][0]


def test_gregorian_year_is_refused_with_the_roc_rule(client, staff, seeded_plan):
    body = get(as_user(client, staff), "reports/", year="2023").json()
    assert "民國年" in body["year"][0]


def test_a_page_past_the_end_is_404(client, staff, home_reports):
    response = get(as_user(client, staff), "reports/", page=99)
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}


# --- Indicators ----------------------------------------------------------------------------------


def test_indicator_detail_with_targets_original_values_and_revisions(client, staff, admin_user, seeded_plan):
    indicator = kpi_by_code("1-5")
    target_set(indicator=indicator, year=113, value="6", reason="市府追加活動預算。", user=admin_user)
    response = get(as_user(client, staff), f"indicators/{indicator.pk}/")
    assert response.status_code == 200
    row = response.json()
    listed = next(r for r in get(client, "indicators/").json() if r["id"] == indicator.pk)
    for name, value in listed.items():
        if name != "targets":
            assert row[name] == value, name
    assert row["department_id"] == indicator.department_plan.department_id
    assert row["plan_id"] == seeded_plan.pk
    assert row["objective_id"] == indicator.objective_id
    assert row["common_goal_id"] is None
    assert row["accrual"] == "cumulative"
    assert [t["year"] for t in row["targets"]] == [111, 112, 113, 114]
    t113 = row["targets"][2]
    assert t113["value"] == 6
    assert t113["original_value"] == 5
    assert t113["is_revised"] is True
    assert t113["excluded_reason"] == ""
    assert t113["revisions"][-1] == {
        "old_value": 5,
        "new_value": 6,
        "reason": "市府追加活動預算。",
        "changed_by": "admin",
        "changed_at": t113["revisions"][-1]["changed_at"],
        "source": "admin",
    }
    assert row["targets"][0]["is_revised"] is False


@pytest.mark.parametrize("user, code", [("staff", 200), ("planner", 200), ("other_staff", 404)])
def test_indicator_detail_is_scoped_by_access(client, cast, user, code):
    indicator = kpi_by_code("1-5")
    assert get(as_user(client, cast[user]), f"indicators/{indicator.pk}/").status_code == code


# --- Plans and their structure ---------------------------------------------------------------------


def test_plan_in_full(client, staff, seeded_plan, admin_user):
    PublishedYear.objects.create(plan=seeded_plan, year=111, published_by=admin_user, note="已核定")
    client = as_user(client, staff)
    rows = get(client, "plans/").json()["results"]
    assert [row["id"] for row in rows] == [seeded_plan.pk]
    row = get(client, f"plans/{seeded_plan.pk}/").json()
    assert row == rows[0]
    assert row["start_year"] == 111
    assert row["end_year"] == 114
    assert row["years"] == [111, 112, 113, 114]
    assert row["edition"] == "核定版"
    assert row["reporting_frequency"] == "quarterly"
    assert row["report_due_days"] == seeded_plan.report_due_days
    assert row["green_threshold"] == 100
    assert row["yellow_threshold"] == 80
    assert [(p["year"], p["note"]) for p in row["published_years"]] == [(111, "已核定")]
    assert get(client, "plans/", year=112).json()["count"] == 1
    assert get(client, "plans/", year=120).json()["count"] == 0
    assert get(client, "plans/", year=2023).status_code == 400


def test_departments_of_a_plan(client, staff, seeded_plan, home_department):
    client = as_user(client, staff)
    body = get(client, "departments/", plan=seeded_plan.pk, page_size=100).json()
    assert body["count"] == DepartmentPlan.objects.filter(plan=seeded_plan).count() == 20
    home = next(row for row in body["results"] if row["id"] == home_department.pk)
    assert home["name"] == "都市發展處"
    [dp] = home["department_plans"]
    assert dp["plan"] == seeded_plan.pk
    assert dp["has_content"] is True
    other_plan = Plan.objects.create(
        name="其他計畫", start_year=115, end_year=118, edition="核定版", published_year=115, published_month=1
    )
    assert get(client, "departments/", plan=other_plan.pk).json()["count"] == 0


def test_department_plan_with_mission_vision_and_narratives(client, staff, seeded_plan, home_department):
    dp = DepartmentPlan.objects.get(plan=seeded_plan, department=home_department)
    client = as_user(client, staff)
    listed = get(client, "department-plans/", plan=seeded_plan.pk, department=home_department.pk).json()
    assert [row["id"] for row in listed["results"]] == [dp.pk]
    row = get(client, f"department-plans/{dp.pk}/").json()
    assert row["department"] == {
        "id": home_department.pk,
        "name": "都市發展處",
        "short_name": home_department.short_name,
    }
    assert row["vision"] == dp.vision == "首都圈國家海洋門戶"
    for name in ["mission", "vision_statement", "results_review", "situation_analysis", "priority_issues"]:
        assert row[name] == getattr(dp, name)
    assert row["mission"]
    assert [g["name"] for g in row["goals"]] == ["繽紛·魅力", "活力·共創", "韌性·智慧"]
    assert [o["name"] for o in row["objectives"]] == [
        "市港再生",
        "創意城市",
        "科創廊帶",
        "創新治理",
        "韌性城市",
        "智慧城市",
    ]
    assert len(row["common_goals"]) == 3


def test_goals_objectives_and_common_goals(client, staff, seeded_plan, home_department):
    client = as_user(client, staff)
    goals = get(client, "goals/", department=home_department.pk).json()["results"]
    assert [g["name"] for g in goals] == ["繽紛·魅力", "活力·共創", "韌性·智慧"]
    first = Goal.objects.get(pk=goals[0]["id"])
    assert goals[0]["objectives"] == list(first.objectives.order_by("number").values_list("id", flat=True))
    assert get(client, f"goals/{first.pk}/").json() == goals[0]

    objectives = get(client, "objectives/", department=home_department.pk).json()["results"]
    assert len(objectives) == 6
    harbour = objectives[0]
    assert harbour["name"] == "市港再生"
    assert harbour["goal"] == first.pk
    assert harbour["goal_inferred"] is True
    assert harbour["dimension"] == "business_results"
    objective = StrategicObjective.objects.get(pk=harbour["id"])
    assert [i["title"] for i in harbour["items"]] == list(objective.items.values_list("title", flat=True))
    assert harbour["items"]
    assert len(harbour["indicators"]) == 5
    assert get(client, "objectives/", goal=first.pk).json()["count"] == 2
    assert (
        get(client, "objectives/", dimension="administrative_efficiency", department=home_department.pk).json()["count"]
        == StrategicObjective.objects.filter(
            department_plan__department=home_department, dimension="administrative_efficiency"
        ).count()
    )
    assert get(client, "objectives/", dimension="financial_management").status_code == 400

    common = get(client, "common-goals/", department=home_department.pk).json()["results"]
    assert [c["dimension"] for c in common] == [
        "financial_management",
        "organizational_learning",
        "organizational_learning",
    ]
    assert all(len(c["indicators"]) == 1 for c in common)
    assert get(client, f"common-goals/{common[0]['id']}/").json() == common[0]


# --- Periods --------------------------------------------------------------------------------------


def test_periods_filters(client, staff, planner, seeded_plan, periods):
    services.period_lock(period=periods["112Q1"], user=planner)
    client = as_user(client, staff)
    assert get(client, "periods/", plan=seeded_plan.pk).json()["count"] == 16
    rows = get(client, "periods/", plan=seeded_plan.pk, year=112).json()["results"]
    assert [row["short_label"] for row in rows] == ["112Q1", "112Q2", "112Q3", "112Q4"]
    assert rows[0] == {
        "id": periods["112Q1"].pk,
        "plan": seeded_plan.pk,
        "year": 112,
        "frequency": "quarterly",
        "number": 1,
        "label": "民國112年第1季",
        "short_label": "112Q1",
        "start_date": "2023-01-01",
        "end_date": "2023-03-31",
        "due_date": periods["112Q1"].due_date.isoformat(),
        "is_locked": True,
    }
    assert [r["short_label"] for r in get(client, "periods/", locked="true").json()["results"]] == ["112Q1"]
    assert get(client, "periods/", locked="false").json()["count"] == 15
    assert get(client, f"periods/{periods['112Q2'].pk}/").json()["short_label"] == "112Q2"
    rows = get(client, "periods/", year=112, ordering="-year").json()["results"]
    assert [row["number"] for row in rows] == [4, 3, 2, 1]


@pytest.mark.parametrize(
    "params", [{"year": "2023"}, {"plan": "x"}, {"locked": "maybe"}, {"frequency": "weekly"}, {"ordering": "label"}]
)
def test_bad_period_parameters_are_400(client, staff, seeded_plan, params):
    response = get(as_user(client, staff), "periods/", **params)
    assert response.status_code == 400
    assert list(response.json()) == list(params)


# --- Attainment -----------------------------------------------------------------------------------


def number(value):
    return None if value is None else Decimal(str(value))


@pytest.fixture
def attained(home_reports, staff, supervisor, periods):
    """More approved figures, so that every light shows: 1-1 green, 2-1 red, 1-5 yellow-ish."""
    for code, actual in [("1-1", "100"), ("6-1", "30")]:
        services.report_approve(
            report=save(staff, code, periods["112Q4"], actual),
            user=supervisor,
        )
    return home_reports


@pytest.mark.parametrize("level", ["objective", "goal", "dimension", "department", "city"])
def test_attainment_groups_are_the_services_figures(client, planner, seeded_plan, attained, level):
    response = get(as_user(client, planner), "attainment/", plan=seeded_plan.pk, year=112, level=level)
    assert response.status_code == 200
    body = response.json()
    assert body["plan"] == seeded_plan.pk
    assert body["year"] == 112
    assert body["level"] == level
    assert body["departments"] is None
    assert body["thresholds"] == {"green": 100, "yellow": 80}
    assert "indicators" not in body
    service = plan_year_attainment(plan=seeded_plan, year=112)
    expected = {
        "objective": service.objectives,
        "goal": service.goals,
        "dimension": service.dimensions,
        "department": service.departments,
        "city": {"city": service.city},
    }[level]
    assert [row["key"] for row in body["groups"]] == [str(k) for k in expected]
    for row, group in zip(body["groups"], expected.values(), strict=True):
        assert row["name"] == group.name
        assert number(row["score"]) == group.rollup.score
        assert row["light"] == group.rollup.light.value
        assert row["light_label"] == group.rollup.light.label
        assert row["counts"] == {light.value: n for light, n in group.rollup.counts.items()}
        assert row["total"] == group.rollup.total
        assert number(row["weight"]) == group.rollup.weight
    if level == "city":
        [city] = body["groups"]
        assert city["total"] == 20
        assert city["id"] is None
        assert city["score"] is not None


def test_attainment_of_each_indicator(client, planner, seeded_plan, attained):
    body = get(as_user(client, planner), "attainment/", plan=seeded_plan.pk, year=112).json()
    assert body["level"] == "indicator"
    service = plan_year_attainment(plan=seeded_plan, year=112)
    assert [row["indicator"] for row in body["indicators"]] == list(service.indicators)
    assert len(body["indicators"]) == 23
    for row in body["indicators"]:
        result = service.indicators[row["indicator"]]
        assert row["code"] == result.indicator.code
        assert number(row["target"]) == result.target.value
        assert number(row["actual"]) == result.actual
        assert row["report"] == (result.report.pk if result.report else None)
        assert number(row["raw"]) == result.assessment.raw
        assert number(row["capped"]) == result.assessment.capped
        assert row["light"] == result.assessment.light.value
        assert row["reason"] == result.assessment.reason
    rows = {row["code"]: row for row in body["indicators"]}
    assert rows["1-5"]["actual"] == 3  # the latest approved report of the year: 112Q2
    assert rows["1-5"]["report"] == attained["q2"].pk
    assert rows["1-5"]["raw"] == 60
    assert rows["1-5"]["light"] == "red"
    assert rows["1-5"]["light_label"] == "未達成"
    assert rows["1-1"]["light"] == "green"
    assert rows["2-1"]["light"] == "white"  # submitted, not approved
    assert rows["2-1"]["reason"] == "尚無核定實績"
    assert rows["2-1"]["raw"] is None
    assert rows["共1-1"]["kind"] == "common"


def test_attainment_is_scoped_to_the_users_departments(
    client, cast, seeded_plan, attained, home_department, other_indicators
):
    staff_body = get(as_user(client, cast["staff"]), "attainment/", plan=seeded_plan.pk, year=112).json()
    assert staff_body["departments"] == [home_department.pk]
    assert len(staff_body["indicators"]) == 23
    other_body = get(as_user(client, cast["other_staff"]), "attainment/", plan=seeded_plan.pk, year=112).json()
    assert {row["indicator"] for row in other_body["indicators"]} == {i.pk for i in other_indicators}
    city = get(client, "attainment/", plan=seeded_plan.pk, year=112, level="city").json()["groups"][0]
    assert city["total"] == 2
    assert city["counts"]["white"] == 2
    # Asking for a department one may not view is refused, as if it did not exist.
    response = get(client, "attainment/", plan=seeded_plan.pk, year=112, department=home_department.pk)
    assert response.status_code == 400
    assert list(response.json()) == ["department"]
    planner_body = get(
        as_user(client, cast["planner"]), "attainment/", plan=seeded_plan.pk, year=112, department=home_department.pk
    ).json()
    assert planner_body["departments"] == [home_department.pk]
    assert len(planner_body["indicators"]) == 23


@pytest.mark.parametrize(
    "params, field",
    [
        ({"year": "112"}, "plan"),
        ({"plan": "PLAN"}, "year"),
        ({"plan": "PLAN", "year": "2023"}, "year"),
        ({"plan": "PLAN", "year": "115"}, "year"),
        ({"plan": "PLAN", "year": "abc"}, "year"),
        ({"plan": "999999", "year": "112"}, "plan"),
        ({"plan": "abc", "year": "112"}, "plan"),
        ({"plan": "PLAN", "year": "112", "level": "region"}, "level"),
        ({"plan": "PLAN", "year": "112", "department": "0"}, "department"),
        ({"plan": "PLAN", "year": "112", "department": "999999"}, "department"),
    ],
)
def test_bad_attainment_parameters_are_400(client, planner, seeded_plan, params, field):
    params = {k: (str(seeded_plan.pk) if v == "PLAN" else v) for k, v in params.items()}
    response = get(as_user(client, planner), "attainment/", **params)
    assert response.status_code == 400
    assert field in response.json()
    if params.get("year") == "2023":
        assert "民國年" in response.json()["year"][0]


# --- Paths that do not exist ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "nope/",
        "reports/abc/",
        "reports/0/",
        "reports/-1/",
        "reports/99999999999999999999999999/",
        "reports/999999/",
        "plans",
    ],
)
def test_unknown_paths_are_json_404(client, staff, seeded_plan, path):
    response = get(as_user(client, staff), path)
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}


# --- Query counts ----------------------------------------------------------------------------------


def more_reports(plan, department_plan, reporter, reviewer, count):
    indicators = objectives_with_kpis(department_plan, objectives=1, kpis=count)
    period = ReportingPeriod.objects.get(plan=plan, year=112, number=2)
    return reports_for_indicators(
        indicators, period, status=ReportStatus.APPROVED, reporter=reporter, reviewer=reviewer
    )


def query_count(client, path, **params):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(API + path, params)
    assert response.status_code == 200, response.content[:300]
    return len(captured)


LISTS = [
    ("plans/", {}),
    ("departments/", {}),
    ("department-plans/", {}),
    ("goals/", {}),
    ("objectives/", {}),
    ("common-goals/", {}),
    ("periods/", {}),
    ("reports/", {}),
    ("attainment/", {"year": 112, "level": "indicator"}),
    ("attainment/", {"year": 112, "level": "goal"}),
]


@pytest.mark.parametrize("path, params", LISTS)
def test_list_query_counts_do_not_grow_with_the_rows(
    client, planner, seeded_plan, other_department, periods, path, params
):
    dp = DepartmentPlan.objects.get(plan=seeded_plan, department=other_department)
    reporter = UserFactory(reporter_of=[other_department])
    reviewer = UserFactory(reviewer_of=[other_department])
    more_reports(seeded_plan, dp, reporter, reviewer, 2)
    params = {**params, "plan": seeded_plan.pk} if path == "attainment/" else params
    client = as_user(client, planner)
    before = query_count(client, path, **params)
    for _ in range(3):
        more_reports(seeded_plan, dp, reporter, reviewer, 5)
    Goal.objects.create(department_plan=dp, number=9, name="新目標")
    Plan.objects.create(
        name="下期計畫", start_year=115, end_year=118, edition="草案", published_year=114, published_month=12
    )
    assert query_count(client, path, **params) == before


def test_report_list_query_count_is_pinned(
    client, planner, seeded_plan, other_department, periods, django_assert_max_num_queries
):
    dp = DepartmentPlan.objects.get(plan=seeded_plan, department=other_department)
    more_reports(
        seeded_plan, dp, UserFactory(reporter_of=[other_department]), UserFactory(reviewer_of=[other_department]), 30
    )
    _row, token = token_issue(user=planner)
    # The request's savepoint and its release (ATOMIC_REQUESTS), the token with its user, the
    # user's memberships, the count, the page.
    with django_assert_max_num_queries(6):
        response = client.get(API + "reports/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.json()["count"] == 30


def test_report_detail_query_count_does_not_grow_with_events(client, staff, supervisor, periods, seeded_plan):
    report = save(staff, "1-5", periods["112Q1"], "1", submit=False)
    client = as_user(client, staff)
    before = query_count(client, f"reports/{report.pk}/")
    for n in range(2, 6):
        report = services.report_save(
            indicator=report.indicator,
            period=report.period,
            user=staff,
            actual=str(n),
            narrative=NARRATIVE,
            expected_version=report.version,
        )
        services.evidence_add(report=report, user=staff, url=f"https://example.org/{n}")
    assert ProgressReport.objects.get(pk=report.pk).events.count() == 9
    assert query_count(client, f"reports/{report.pk}/") == before


def test_indicator_counts(seeded_plan):
    assert Indicator.objects.count() == 23


# --- Documentation ------------------------------------------------------------------------------


def test_schema_is_openapi_3(client, db, settings):
    settings.API_DOCS_PUBLIC = True  # who may read it: tests/test_api_docs_access.py
    response = client.get(API + "schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/reports/{id}/approve/" in schema["paths"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]


@pytest.mark.parametrize("path", ["docs/", "redoc/"])
def test_documentation_pages_are_served_locally(client, db, settings, path):
    settings.API_DOCS_PUBLIC = True
    response = client.get(API + path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "http://" not in html and "https://" not in html  # no CDN, no web fonts
    assert "<script>" not in html and "<style" not in html  # no inline script or style
    assert "/api/v1/schema/" in html
    assert "Authorization: Token" in html


def test_swagger_start_up_script_is_a_file(client, db, settings):
    settings.API_DOCS_PUBLIC = True
    response = client.get(API + "docs/?script=")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()


def test_a_percent_sign_in_a_filter_value_is_a_field_error_not_a_500(client, staff):
    """Schemathesis found it: a "%" in a refused value was read as a format by django-filter."""
    client.force_login(staff)
    for query in ("plan=%25s", "plan=50%25", "dimension=%25s", "dimension=x&plan=%25"):
        response = client.get(f"/api/v1/common-goals/?{query}")
        assert response.status_code == 400, (query, response.content[:200])
