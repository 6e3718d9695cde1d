"""Invariants the database enforces, and the rules `kpi.services.target_set` adds on top."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from kpi.models import Indicator, IndicatorKind, TargetRevision, YearlyTarget
from kpi.services import target_set
from plans.models import CommonGoal, DepartmentPlan, Membership, Plan, Role, StrategicObjective


@pytest.fixture
def home_plan(seeded_plan):
    return DepartmentPlan.objects.get(plan=seeded_plan, department__name="都市發展處")


@pytest.fixture
def objective(home_plan):
    return StrategicObjective.objects.get(department_plan=home_plan, number=1)


@pytest.fixture
def common_goal(home_plan):
    return CommonGoal.objects.get(department_plan=home_plan, number=1)


def kpi(objective, number):
    return Indicator.objects.get(kind=IndicatorKind.KPI, objective=objective, number=number)


def kpi_code(code):
    objective_number, number = code.split("-")
    return Indicator.objects.get(kind=IndicatorKind.KPI, objective__number=objective_number, number=number)


def indicator_fields(home_plan, **overrides):
    fields = {
        "department_plan": home_plan,
        "kind": IndicatorKind.KPI,
        "number": 99,
        "name": "測試指標",
        "evaluation_arrangement": 1,
        "evaluation_method": "statistics",
        "measurement_standard": "測試。",
        "unit": "%",
    }
    fields.update(overrides)
    return fields


# --- database constraints -------------------------------------------------------------


def test_a_valid_indicator_can_be_created(home_plan, objective):
    # The baseline the failing cases below vary from.
    Indicator.objects.create(**indicator_fields(home_plan, objective=objective))


def test_duplicate_target_year(objective):
    indicator = kpi(objective, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        YearlyTarget.objects.create(indicator=indicator, year=111, value=1, original_value=1)


def test_gregorian_year_on_a_target(objective):
    indicator = kpi(objective, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        YearlyTarget.objects.create(indicator=indicator, year=2022, value=1, original_value=1)


def test_kpi_without_objective(home_plan):
    with pytest.raises(IntegrityError), transaction.atomic():
        Indicator.objects.create(**indicator_fields(home_plan, objective=None))


def test_kpi_with_a_common_goal(home_plan, objective, common_goal):
    with pytest.raises(IntegrityError), transaction.atomic():
        Indicator.objects.create(**indicator_fields(home_plan, objective=objective, common_goal=common_goal))


def test_kpi_with_a_formula(home_plan, objective):
    with pytest.raises(IntegrityError), transaction.atomic():
        Indicator.objects.create(**indicator_fields(home_plan, objective=objective, formula="budget_surplus"))


def test_common_indicator_without_formula(home_plan, common_goal):
    with pytest.raises(IntegrityError), transaction.atomic():
        Indicator.objects.create(
            **indicator_fields(home_plan, kind=IndicatorKind.COMMON, common_goal=common_goal, formula="")
        )


def test_common_indicator_under_an_objective(home_plan, objective):
    with pytest.raises(IntegrityError), transaction.atomic():
        Indicator.objects.create(
            **indicator_fields(home_plan, kind=IndicatorKind.COMMON, objective=objective, formula="budget_surplus")
        )


def test_unknown_formula(home_plan, common_goal):
    with pytest.raises(IntegrityError), transaction.atomic():
        Indicator.objects.create(
            **indicator_fields(home_plan, kind=IndicatorKind.COMMON, common_goal=common_goal, formula="no_such")
        )


@pytest.mark.parametrize("arrangement", [0, 6])
def test_evaluation_arrangement_outside_1_to_5(home_plan, objective, arrangement):
    with pytest.raises(IntegrityError), transaction.atomic():
        Indicator.objects.create(**indicator_fields(home_plan, objective=objective, evaluation_arrangement=arrangement))


def test_unknown_evaluation_method(home_plan, objective):
    with pytest.raises(IntegrityError), transaction.atomic():
        Indicator.objects.create(**indicator_fields(home_plan, objective=objective, evaluation_method="guess"))


def test_unknown_unit(home_plan, objective):
    with pytest.raises(IntegrityError), transaction.atomic():
        Indicator.objects.create(**indicator_fields(home_plan, objective=objective, unit="個"))


def test_unknown_direction(home_plan, objective):
    with pytest.raises(IntegrityError), transaction.atomic():
        Indicator.objects.create(**indicator_fields(home_plan, objective=objective, direction="sideways"))


def test_duplicate_kpi_number_within_an_objective(home_plan, objective):
    with pytest.raises(IntegrityError), transaction.atomic():
        Indicator.objects.create(**indicator_fields(home_plan, objective=objective, number=1))


def test_plan_end_before_start(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.create(
            name="測試計畫", start_year=114, end_year=111, edition="核定版", published_year=111, published_month=2
        )


def test_plan_with_gregorian_years(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.create(
            name="測試計畫", start_year=2022, end_year=2025, edition="核定版", published_year=111, published_month=2
        )


def test_objective_with_a_common_goal_dimension(home_plan):
    with pytest.raises(IntegrityError), transaction.atomic():
        StrategicObjective.objects.create(
            department_plan=home_plan, number=7, name="測試目標", dimension="financial_management"
        )


def test_target_revision_without_reason(objective):
    target = kpi(objective, 1).targets.get(year=111)
    with pytest.raises(IntegrityError), transaction.atomic():
        TargetRevision.objects.create(target=target, old_value=100, new_value=90, reason="", source="admin")


def test_planning_office_membership_with_a_department(home_department):
    user = get_user_model().objects.create_user(username="po", password="pw-po")
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, department=home_department, role=Role.PLANNING_OFFICE)


def test_reporter_membership_without_a_department(db):
    user = get_user_model().objects.create_user(username="rep", password="pw-rep")
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, department=None, role=Role.REPORTER)


# --- kpi.services.target_set ----------------------------------------------------------


def error_messages(excinfo, field):
    return " ".join(excinfo.value.message_dict[field])


def test_target_set_rejects_a_year_outside_the_plan(objective):
    with pytest.raises(ValidationError) as excinfo:
        target_set(indicator=kpi(objective, 1), year=115, value=100, reason="測試")
    message = error_messages(excinfo, "year")
    assert "計畫期間" in message
    assert "111–114" in message
    assert not YearlyTarget.objects.filter(year=115).exists()


def test_target_set_rejects_a_gregorian_year(objective):
    with pytest.raises(ValidationError) as excinfo:
        target_set(indicator=kpi(objective, 1), year=2023, value=100, reason="測試")
    assert "民國年" in error_messages(excinfo, "year")


@pytest.mark.parametrize("year", ["abc", "", None])
def test_target_set_rejects_a_year_that_is_not_a_number(objective, year):
    with pytest.raises(ValidationError) as excinfo:
        target_set(indicator=kpi(objective, 1), year=year, value=100, reason="測試")
    assert "year" in excinfo.value.message_dict


@pytest.mark.parametrize("value", ["abc", "", None, "NaN", "Infinity"])
def test_target_set_rejects_a_value_that_is_not_a_number(objective, value):
    with pytest.raises(ValidationError) as excinfo:
        target_set(indicator=kpi(objective, 1), year=111, value=value, reason="測試")
    assert "value" in excinfo.value.message_dict
    assert kpi(objective, 1).targets.get(year=111).value == Decimal("100")


@pytest.mark.parametrize("value", ["2.5", "-1"])
def test_target_set_rejects_a_non_integer_count_of_sessions(seeded_plan, value):
    indicator = kpi_code("1-5")
    assert indicator.unit == "場"
    with pytest.raises(ValidationError) as excinfo:
        target_set(indicator=indicator, year=111, value=value, reason="測試")
    assert "場" in error_messages(excinfo, "value")


def test_target_set_accepts_a_whole_count_written_with_decimals(seeded_plan):
    indicator = kpi_code("1-5")
    target, changed = target_set(indicator=indicator, year=111, value="6.0", reason="增加場次")
    assert changed
    assert target.value == Decimal("6")


def test_target_set_rejects_a_deliverable_fraction_above_one(seeded_plan):
    indicator = kpi_code("1-3")
    assert indicator.unit == "式"
    with pytest.raises(ValidationError) as excinfo:
        target_set(indicator=indicator, year=111, value="2", reason="測試")
    assert "value" in excinfo.value.message_dict


@pytest.mark.parametrize("reason", ["", "   "])
def test_target_set_requires_a_reason_to_change_a_value(objective, reason):
    indicator = kpi(objective, 1)
    with pytest.raises(ValidationError) as excinfo:
        target_set(indicator=indicator, year=111, value=90, reason=reason)
    assert "reason" in excinfo.value.message_dict
    target = indicator.targets.get(year=111)
    assert target.value == Decimal("100")
    assert target.revisions.count() == 1


def test_target_set_keeps_the_original_value(objective, admin_user):
    indicator = kpi(objective, 1)
    target, changed = target_set(indicator=indicator, year=111, value="90", reason="預算刪減", user=admin_user)
    assert changed
    target, changed = target_set(indicator=indicator, year=111, value="95%", reason="追加預算", user=admin_user)
    assert changed
    target.refresh_from_db()
    assert target.value == Decimal("95")
    assert target.original_value == Decimal("100")
    assert target.is_revised
    revisions = [(r.old_value, r.new_value, r.reason, r.changed_by) for r in target.revisions.order_by("id")]
    assert revisions == [
        (None, Decimal("100"), revisions[0][2], None),
        (Decimal("100"), Decimal("90"), "預算刪減", admin_user),
        (Decimal("90"), Decimal("95"), "追加預算", admin_user),
    ]


def test_target_set_records_nothing_for_the_same_value(objective):
    indicator = kpi(objective, 1)
    target, changed = target_set(indicator=indicator, year=111, value="100.00", reason="")
    assert not changed
    assert target.value == Decimal("100")
    assert target.revisions.count() == 1
    assert TargetRevision.objects.count() == 92


def test_target_set_creates_a_missing_target_with_a_revision(home_plan, objective):
    indicator = Indicator.objects.create(**indicator_fields(home_plan, objective=objective))
    target, changed = target_set(indicator=indicator, year="112", value="50")
    assert changed
    assert (target.year, target.value, target.original_value) == (112, Decimal("50"), Decimal("50"))
    (revision,) = target.revisions.all()
    assert revision.old_value is None
    assert revision.new_value == Decimal("50")
    assert revision.reason  # a default reason is recorded
