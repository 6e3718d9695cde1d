"""Planned values per period (分期預定值): the services, the planning screen, admin, import/export
and the timeline. The cast: tests/conftest.py. Year 114 of 都市發展處 (quarterly)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kpi import services
from kpi.models import PlannedStatus, PlannedValue
from kpi.services import cell_key
from tests.factories import kpi_by_code

YEAR = 114


@pytest.fixture
def home_plan(seeded_plan, home_department):
    from plans.models import DepartmentPlan

    return DepartmentPlan.objects.select_related("plan", "department").get(plan=seeded_plan, department=home_department)


def stored(indicator, year=YEAR):
    return dict(
        PlannedValue.objects.filter(target__indicator=indicator, target__year=year).values_list("number", "value")
    )


def statuses(indicator, year=YEAR):
    return dict(
        PlannedValue.objects.filter(target__indicator=indicator, target__year=year).values_list("number", "status")
    )


def save(user, home_plan, values, reason=""):
    return services.planned_values_save(user=user, department_plan=home_plan, year=YEAR, values=values, reason=reason)


# --- Services ----------------------------------------------------------------------------


def test_staff_propose_a_ladder(staff, home_plan):
    sessions = kpi_by_code("1-5")  # 5 場 in 114, cumulative
    result = save(staff, home_plan, {sessions.pk: {1: "0", 2: "2", 3: "4"}})
    assert result.created == 3
    assert stored(sessions) == {1: Decimal("0"), 2: Decimal("2"), 3: Decimal("4")}
    assert set(statuses(sessions).values()) == {PlannedStatus.PROPOSED}
    row = PlannedValue.objects.get(target__indicator=sessions, number=2)
    assert row.proposed_by == staff and row.proposed_at is not None


def test_planner_confirms_and_a_change_then_needs_a_reason(staff, planner, home_plan):
    sessions = kpi_by_code("1-5")
    save(staff, home_plan, {sessions.pk: {1: "1", 2: "2", 3: "4"}})
    result = services.planned_values_confirm(user=planner, department_plan=home_plan, year=YEAR)
    assert result.confirmed == 3
    assert set(statuses(sessions).values()) == {PlannedStatus.CONFIRMED}

    with pytest.raises(ValidationError) as exc:
        save(staff, home_plan, {sessions.pk: {2: "3"}})
    assert "reason" in exc.value.message_dict
    assert stored(sessions)[2] == Decimal("2")

    save(staff, home_plan, {sessions.pk: {2: "3"}}, reason="活動延至第三季")
    assert stored(sessions)[2] == Decimal("3")
    assert statuses(sessions)[2] == PlannedStatus.PROPOSED  # back to proposed: staff may not confirm
    assert statuses(sessions)[1] == PlannedStatus.CONFIRMED
    record = PlannedValue.history.filter(number=2).latest("history_id")
    assert record.history_change_reason == "活動延至第三季"
    assert record.history_user == staff


def test_planner_changing_a_confirmed_value_keeps_it_confirmed(staff, planner, home_plan):
    sessions = kpi_by_code("1-5")
    save(staff, home_plan, {sessions.pk: {1: "1"}})
    services.planned_values_confirm(user=planner, department_plan=home_plan, year=YEAR)
    save(planner, home_plan, {sessions.pk: {1: "2"}}, reason="核定修正")
    row = PlannedValue.objects.get(target__indicator=sessions, number=1)
    assert row.status == PlannedStatus.CONFIRMED and row.confirmed_by == planner


def test_emptying_a_cell_reverts_to_the_default(staff, planner, home_plan):
    sessions = kpi_by_code("1-5")
    save(staff, home_plan, {sessions.pk: {1: "1", 2: "2"}})
    services.planned_values_confirm(user=planner, department_plan=home_plan, year=YEAR)
    with pytest.raises(ValidationError) as exc:
        save(staff, home_plan, {sessions.pk: {1: ""}})
    assert "reason" in exc.value.message_dict
    result = save(staff, home_plan, {sessions.pk: {1: ""}}, reason="改回預設")
    assert result.reverted == 1
    assert stored(sessions) == {2: Decimal("2")}
    deleted = PlannedValue.history.filter(number=1, history_type="-").get()
    assert deleted.history_change_reason == "改回預設"


@pytest.mark.parametrize(
    ("code", "cells", "bad", "words"),
    [
        ("1-5", {1: "3", 2: "2"}, 2, "不可遞減"),  # a decreasing ladder
        ("1-5", {1: "6"}, 1, "不可超過"),  # beyond the target on a cumulative KPI
        ("1-5", {1: "1.5"}, 1, "整數"),  # 場 are whole
        ("1-3", {2: "2"}, 2, "介於 0 與 1"),  # 式 is a fraction
        ("1-5", {1: "abc"}, 1, "不是數字"),
        ("共1-1", {2: "1"}, 2, "年度結束"),  # a year-end figure: nothing before year end
        ("1-5", {4: "4"}, 4, "年度目標值"),  # the last period is the target
    ],
)
def test_bad_values_are_refused_per_cell_and_nothing_is_saved(staff, home_plan, code, cells, bad, words):
    indicator = kpi_by_code(code)
    fine = kpi_by_code("2-1")
    with pytest.raises(ValidationError) as exc:
        save(staff, home_plan, {fine.pk: {1: "1"}, indicator.pk: cells})
    errors = exc.value.message_dict
    assert list(errors) == [cell_key(indicator.pk, bad)], errors
    assert words in errors[cell_key(indicator.pk, bad)][0], errors
    assert not PlannedValue.objects.exists()


def test_a_level_kpi_may_plan_below_the_target(staff, home_plan):
    rate = kpi_by_code("2-3")  # 80% level
    save(staff, home_plan, {rate.pk: {1: "60", 2: "70", 3: "75"}})
    assert stored(rate)[1] == Decimal("60")


def test_another_departments_kpi_is_refused(staff, home_plan):
    with pytest.raises(ValidationError) as exc:
        save(staff, home_plan, {kpi_by_code("1-5").pk: {1: "1"}, 999999: {1: "1"}})
    assert "__all__" in exc.value.message_dict
    assert not PlannedValue.objects.exists()


@pytest.mark.parametrize(
    ("actor", "may_save", "may_confirm"),
    [
        ("staff", True, False),
        ("other_staff", False, False),
        ("supervisor", False, False),
        ("planner", True, True),
        ("admin", True, True),
    ],
)
def test_who_may_save_and_confirm(cast, home_plan, staff, actor, may_save, may_confirm):
    sessions = kpi_by_code("1-5")
    user = cast[actor]
    if may_save:
        save(user, home_plan, {sessions.pk: {1: "1"}})
        assert stored(sessions) == {1: Decimal("1")}
    else:
        with pytest.raises(PermissionDenied):
            save(user, home_plan, {sessions.pk: {1: "1"}})
        assert not stored(sessions)
        save(staff, home_plan, {sessions.pk: {1: "1"}})
    if may_confirm:
        assert services.planned_values_confirm(user=user, department_plan=home_plan, year=YEAR).confirmed == 1
    else:
        with pytest.raises(PermissionDenied):
            services.planned_values_confirm(user=user, department_plan=home_plan, year=YEAR)
        assert statuses(sessions) == {1: PlannedStatus.PROPOSED}


def test_confirm_only_some_kpis(staff, planner, home_plan):
    a, b = kpi_by_code("1-5"), kpi_by_code("2-1")
    save(staff, home_plan, {a.pk: {1: "1"}, b.pk: {1: "1"}})
    services.planned_values_confirm(user=planner, department_plan=home_plan, year=YEAR, indicator_ids=[a.pk])
    assert statuses(a) == {1: PlannedStatus.CONFIRMED}
    assert statuses(b) == {1: PlannedStatus.PROPOSED}


def test_a_year_outside_the_plan_is_refused(staff, home_plan):
    with pytest.raises(ValidationError) as exc:
        services.planned_values_save(user=staff, department_plan=home_plan, year=120, values={})
    assert "year" in exc.value.message_dict
