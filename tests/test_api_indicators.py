"""GET /api/v1/indicators/: every indicator with its yearly targets, as open data."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kpi.models import Indicator, IndicatorKind, YearlyTarget
from plans.models import Department, DepartmentPlan, StrategicObjective

URL = "/api/v1/indicators/"

FIELDS = {
    "id",
    "kind",
    "department",
    "goal",
    "objective",
    "dimension",
    "code",
    "name",
    "evaluation_arrangement",
    "evaluation_method",
    "measurement_standard",
    "unit",
    "direction",
    "weight",
    "formula",
    "targets",
}


def is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)


def by_code(rows):
    return {row["code"]: row for row in rows}


def get(client, **params):
    response = client.get(URL, params)
    assert response["Content-Type"].startswith("application/json")
    return response


def test_anonymous_gets_all_23_indicators(client, seeded_plan):
    response = get(client)
    assert response.status_code == 200
    rows = response.json()
    assert isinstance(rows, list)
    assert len(rows) == 23
    assert sum(row["kind"] == "kpi" for row in rows) == 20
    assert sum(row["kind"] == "common" for row in rows) == 3
    for row in rows:
        assert set(row) == FIELDS
        assert row["department"] == "都市發展處"
        assert row["kind"] in {"kpi", "common"}
        assert row["direction"] in {"higher", "lower"}
        assert isinstance(row["evaluation_arrangement"], int)
        assert 1 <= row["evaluation_arrangement"] <= 5
        assert [t["year"] for t in row["targets"]] == [111, 112, 113, 114]
        for target in row["targets"]:
            assert set(target) == {"year", "value"}
            assert isinstance(target["year"], int)
            assert is_number(target["value"]), target
    assert len({row["id"] for row in rows}) == 23


def test_kpi_in_full(client, seeded_plan):
    row = by_code(get(client).json())["3-2"]
    indicator = Indicator.objects.get(kind=IndicatorKind.KPI, objective__number=3, number=2)
    assert row == {
        "id": indicator.id,
        "kind": "kpi",
        "department": "都市發展處",
        "goal": "活力·共創",
        "objective": "科創廊帶",
        "dimension": "business_results",
        "code": "3-2",
        "name": "完成國際產業園區之空間規劃",
        "evaluation_arrangement": 1,
        "evaluation_method": "progress_control",
        "measurement_standard": "協助產發處完成北五堵國際研發新鎮規劃。",
        "unit": "%",
        "direction": "higher",
        "weight": 1,
        "formula": "",
        "targets": [
            {"year": 111, "value": 80},
            {"year": 112, "value": 100},
            {"year": 113, "value": 100},
            {"year": 114, "value": 100},
        ],
    }
    assert all(is_number(t["value"]) for t in row["targets"])
    assert is_number(row["weight"])


def test_other_kpis_spot_checks(client, seeded_plan):
    rows = by_code(get(client).json())
    assert rows["1-5"]["unit"] == "場"
    assert [t["value"] for t in rows["1-5"]["targets"]] == [5, 5, 5, 5]
    assert rows["6-1"]["goal"] == "韌性·智慧"
    assert rows["6-1"]["dimension"] == "service_effectiveness"
    assert [t["value"] for t in rows["6-1"]["targets"]] == [10, 40, 70, 100]
    assert rows["4-3"]["unit"] == "處"
    assert rows["4-3"]["dimension"] == "administrative_efficiency"
    assert rows["5-2"]["unit"] == "件"
    assert [t["value"] for t in rows["5-2"]["targets"]] == [15, 15, 15, 15]


def test_common_indicator_in_full(client, seeded_plan):
    row = by_code(get(client).json())["共2-1"]
    indicator = Indicator.objects.get(kind=IndicatorKind.COMMON, common_goal__number=2, number=1)
    assert row == {
        "id": indicator.id,
        "kind": "common",
        "department": "都市發展處",
        "goal": None,
        "objective": "約聘僱員額控管",
        "dimension": "organizational_learning",
        "code": "共2-1",
        "name": "約聘僱員額成長率",
        "evaluation_arrangement": 1,
        "evaluation_method": "statistics",
        "measurement_standard": (
            "(本年度以公務預算及基金僱用之約聘僱員額總數－上年度以公務預算及基金僱用之約聘僱員額總數)"
            "÷上年度以公務預算及基金僱用之約聘僱員額總數×100%"
        ),
        "unit": "%",
        "direction": "lower",
        "weight": 1,
        "formula": "contract_staff_growth",
        "targets": [
            {"year": 111, "value": 0},
            {"year": 112, "value": 0},
            {"year": 113, "value": 0},
            {"year": 114, "value": 0},
        ],
    }
    assert all(is_number(t["value"]) for t in row["targets"])


def test_common_indicators_carry_no_goal(client, seeded_plan):
    rows = [row for row in get(client).json() if row["kind"] == "common"]
    assert sorted((row["code"], row["objective"], row["dimension"]) for row in rows) == [
        ("共1-1", "節約政府支出，邁向財政收支平衡", "financial_management"),
        ("共2-1", "約聘僱員額控管", "organizational_learning"),
        ("共3-1", "提升人力資源培訓，落實公務人員終身學習", "organizational_learning"),
    ]
    assert all(row["goal"] is None for row in rows)
    assert [t["value"] for t in by_code(rows)["共1-1"]["targets"]] == [2, 2, 2, 2]


def test_filter_by_department_name(client, seeded_plan):
    response = get(client, department="都市發展處")
    assert response.status_code == 200
    assert len(response.json()) == 23


def test_filter_by_department_id(client, home_department):
    response = get(client, department=str(home_department.id))
    assert response.status_code == 200
    assert len(response.json()) == 23


def test_filter_by_a_department_without_indicators(client, other_department):
    response = get(client, department="民政處")
    assert response.status_code == 200
    assert response.json() == []
    response = get(client, department=str(other_department.id))
    assert response.status_code == 200
    assert response.json() == []


def test_filter_by_an_unknown_department(client, seeded_plan):
    assert get(client, department="不存在處").json() == []
    assert get(client, department="999999").json() == []


def test_filter_by_roc_year(client, seeded_plan):
    response = get(client, year="112")
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == 23
    for row in rows:
        assert [t["year"] for t in row["targets"]] == [112]
    rows = by_code(rows)
    assert rows["3-2"]["targets"] == [{"year": 112, "value": 100}]
    assert rows["5-3"]["targets"] == [{"year": 112, "value": 40}]


def test_filters_combine(client, seeded_plan):
    rows = get(client, department="都市發展處", year="111").json()
    assert len(rows) == 23
    assert by_code(rows)["5-1"]["targets"] == [{"year": 111, "value": 50}]
    assert get(client, department="民政處", year="111").json() == []


@pytest.mark.parametrize("year", ["2023", "2022", "1911"])
def test_gregorian_year_is_rejected(client, seeded_plan, year):
    response = get(client, year=year)
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["year"]
    assert isinstance(body["year"], list)
    assert "民國年" in body["year"][0]


@pytest.mark.parametrize("year", ["abc", "112.5", "0", "-1"])
def test_year_that_is_not_an_roc_year_is_rejected(client, seeded_plan, year):
    response = get(client, year=year)
    assert response.status_code == 400
    assert "year" in response.json()


def test_empty_year_means_every_year(client, seeded_plan):
    rows = get(client, year="").json()
    assert len(rows) == 23
    assert all(len(row["targets"]) == 4 for row in rows)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_read_only(client, seeded_plan, method):
    response = getattr(client, method)(URL, data={"name": "x"}, content_type="application/json")
    assert response.status_code in {401, 403, 405}
    assert Indicator.objects.count() == 23


def test_read_only_for_a_signed_in_user(client, staff):
    client.force_login(staff)
    response = client.post(URL, data={"name": "x"}, content_type="application/json")
    assert response.status_code in {401, 403, 405}
    assert Indicator.objects.count() == 23


def add_indicators(count):
    """`count` more KPIs, each with four targets, in another department's plan (民政處)."""
    dp = DepartmentPlan.objects.get(department=Department.objects.get(name="民政處"))
    objective, _ = StrategicObjective.objects.get_or_create(
        department_plan=dp, number=1, defaults={"name": "測試目標", "dimension": "business_results"}
    )
    first = objective.indicators.count() + 1
    indicators = Indicator.objects.bulk_create(
        Indicator(
            department_plan=dp,
            kind=IndicatorKind.KPI,
            objective=objective,
            number=n,
            name=f"測試指標 {n}",
            evaluation_arrangement=1,
            evaluation_method="statistics",
            measurement_standard="測試。",
            unit="件",
        )
        for n in range(first, first + count)
    )
    YearlyTarget.objects.bulk_create(
        YearlyTarget(indicator=indicator, year=year, value=n, original_value=n)
        for n, indicator in enumerate(indicators, start=1)
        for year in (111, 112, 113, 114)
    )


def count_queries(client, **params):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, params)
    assert response.status_code == 200
    return len(captured), response.json()


@pytest.mark.parametrize("params", [{}, {"year": "112"}, {"department": "民政處"}])
def test_query_count_does_not_grow_with_the_number_of_indicators(client, seeded_plan, params):
    # One extra indicator first, so that every variant lists something (Django skips the
    # prefetch query for an empty list).
    add_indicators(1)
    before, rows = count_queries(client, **params)
    assert len(rows) == (1 if params.get("department") else 24)
    add_indicators(30)
    after, rows = count_queries(client, **params)
    assert len(rows) == (31 if params.get("department") else 54)
    assert after == before


def test_query_count_is_pinned(client, seeded_plan, django_assert_max_num_queries):
    add_indicators(30)
    with django_assert_max_num_queries(4):
        response = client.get(URL)
    assert len(response.json()) == 53


@pytest.mark.parametrize("params", [{}, {"year": "112"}, {"department": "都市發展處"}, {"department": "民政處"}])
def test_the_list_is_what_the_serializer_gives(client, seeded_plan, params):
    """The list is built from plain values for speed (kpi.api.serializers.indicator_rows);
    it must be, byte for byte, what IndicatorSerializer makes of the same queryset."""
    from rest_framework.renderers import JSONRenderer
    from rest_framework.test import APIRequestFactory

    from kpi.api.serializers import IndicatorSerializer
    from kpi.api.views import IndicatorListView

    add_indicators(3)
    # A goal-less objective and a weighted, formula-less KPI, so that every branch is compared.
    Indicator.objects.filter(name="測試指標 2").update(weight="2.50")
    view = IndicatorListView()
    view.request = view.initialize_request(APIRequestFactory().get(URL, params))
    view.format_kwarg = None
    queryset = view.get_queryset()
    expected = IndicatorSerializer(queryset, many=True, context=view.get_serializer_context()).data
    assert len(expected) > 0
    response = client.get(URL, params)
    assert response.content == JSONRenderer().render(expected)
