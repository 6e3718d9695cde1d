"""Planned values per period (分期預定值) in admin, beside the targets, and in the indicator
import/export: the same rules as the planning screen (`kpi.services.planned_values_save`),
all or nothing. KPI 1-5 of 都市發展處: 5 場 in 114, cumulative, quarterly."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from import_export.formats.base_formats import CSV

from kpi import services
from kpi.models import Indicator, PlannedStatus, PlannedValue
from tests.factories import kpi_by_code
from tests.test_admin import form_data
from tests.test_import_export import errors_of, export, import_file, reread, row_index, set_cell, snapshot

YEAR = 114
DECREASING = "不可遞減"
BEYOND = "不可超過年度目標值"
REASON_REQUIRED = "變更已核定的預定值必須填寫修正理由"


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def sessions(seeded_plan):
    return kpi_by_code("1-5")


def stored(indicator, year=YEAR):
    return dict(
        PlannedValue.objects.filter(target__indicator=indicator, target__year=year).values_list("number", "value")
    )


def statuses(indicator, year=YEAR):
    return dict(
        PlannedValue.objects.filter(target__indicator=indicator, target__year=year).values_list("number", "status")
    )


def plan(user, indicator, cells, reason="", confirm=False):
    services.planned_values_save(
        user=user, department_plan=indicator.department_plan, year=YEAR, values={indicator.pk: cells}, reason=reason
    )
    if confirm:
        services.planned_values_confirm(user=user, department_plan=indicator.department_plan, year=YEAR)


def change_url(indicator):
    return reverse("admin:kpi_indicator_change", args=[indicator.pk])


# --- admin ---------------------------------------------------------------------------


def test_the_indicator_page_has_a_field_per_year_and_period_but_the_last(admin_client, admin_user, sessions):
    plan(admin_user, sessions, {2: "2"})
    response = admin_client.get(change_url(sessions))
    form = response.context["adminform"].form
    names = [n for n in form.fields if n.startswith("planned_") and n != "planned_confirm"]
    assert names == [f"planned_{y}_{n}" for y in (111, 112, 113, 114) for n in (1, 2, 3)]
    assert str(form.fields["planned_114_1"].label) == "114年第1期預定值"
    assert form["planned_114_2"].value() == "2"
    assert form["planned_114_1"].value() == ""
    body = response.content.decode()
    assert 'name="planned_114_1"' in body
    assert 'placeholder="1"' in body  # the default: a quarter of 5 場, whole


def test_a_year_end_kpi_has_no_planned_fields(admin_client, seeded_plan):
    indicator = Indicator.objects.filter(accrual="year_end").first()
    if indicator is None:
        pytest.skip("no year-end KPI in the seeded plan")
    form = admin_client.get(change_url(indicator)).context["adminform"].form
    assert not [n for n in form.fields if n.startswith("planned_")]


def test_admin_saves_a_planned_value_beside_the_targets(admin_client, admin_user, sessions):
    page = admin_client.get(change_url(sessions))
    data = form_data(page)
    data["planned_114_1"] = "1"
    data["planned_114_2"] = "3"

    response = admin_client.post(change_url(sessions), data)

    assert response.status_code == 302
    assert stored(sessions) == {1: Decimal("1"), 2: Decimal("3")}
    row = PlannedValue.objects.get(target__indicator=sessions, target__year=YEAR, number=2)
    assert row.proposed_by == admin_user
    assert row.history.latest("history_id").history_user == admin_user
    assert not sessions.history.filter(history_date__gt=row.proposed_at).exists()  # the indicator did not change


def test_admin_may_confirm_what_it_saves(admin_client, sessions):
    data = form_data(admin_client.get(change_url(sessions)))
    data.update(planned_114_1="1", planned_confirm="on")

    assert admin_client.post(change_url(sessions), data).status_code == 302
    assert statuses(sessions) == {1: PlannedStatus.CONFIRMED}


def test_a_decreasing_ladder_is_refused_on_its_field_and_nothing_is_saved(admin_client, sessions):
    page = admin_client.get(change_url(sessions))
    data = form_data(page)
    data.update(planned_114_1="3", planned_114_2="2", planned_113_1="1", name="改過的名稱")

    response = admin_client.post(change_url(sessions), data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert DECREASING in " ".join(form.errors["planned_114_2"])
    assert form["planned_114_1"].value() == "3"  # the page comes back as typed
    assert stored(sessions) == {} and stored(sessions, 113) == {}
    sessions.refresh_from_db()
    assert sessions.name != "改過的名稱"  # the rest of the save was rolled back too


def test_a_planned_value_beyond_the_target_is_refused(admin_client, sessions):
    data = form_data(admin_client.get(change_url(sessions)))
    data["planned_114_3"] = "6"

    response = admin_client.post(change_url(sessions), data)

    assert response.status_code == 200
    assert BEYOND in " ".join(response.context["adminform"].form.errors["planned_114_3"])
    assert stored(sessions) == {}


def test_a_raised_target_and_a_planned_value_up_to_it_save_together(admin_client, sessions):
    from tests.test_admin import target_form_index

    page = admin_client.get(change_url(sessions))
    data = form_data(page)
    row = target_form_index(page, YEAR)
    data[f"{row}-value"] = "8"
    data[f"{row}-reason"] = "議會要求加開"
    data["planned_114_3"] = "7"  # beyond the old target (5), within the new one

    response = admin_client.post(change_url(sessions), data)

    assert response.status_code == 302
    assert stored(sessions) == {3: Decimal("7")}


def test_a_confirmed_value_changed_without_a_reason_is_refused(admin_client, admin_user, sessions):
    plan(admin_user, sessions, {1: "1", 2: "2"}, confirm=True)
    data = form_data(admin_client.get(change_url(sessions)))
    data["planned_114_2"] = "3"

    response = admin_client.post(change_url(sessions), data)

    assert response.status_code == 200
    assert REASON_REQUIRED in " ".join(response.context["adminform"].form.errors["change_reason"])
    assert stored(sessions)[2] == Decimal("2")

    data["change_reason"] = "活動提前"
    assert admin_client.post(change_url(sessions), data).status_code == 302
    assert stored(sessions)[2] == Decimal("3")
    assert statuses(sessions)[2] == PlannedStatus.CONFIRMED  # an admin's change stays confirmed
    record = PlannedValue.history.filter(number=2).latest("history_id")
    assert record.history_change_reason == "活動提前"


def test_emptying_a_field_takes_the_value_back_to_its_default(admin_client, admin_user, sessions):
    plan(admin_user, sessions, {1: "2"})
    data = form_data(admin_client.get(change_url(sessions)))
    data["planned_114_1"] = ""

    assert admin_client.post(change_url(sessions), data).status_code == 302
    assert stored(sessions) == {}


# --- import/export -----------------------------------------------------------------------


def cell(dataset, name, column):
    return dataset[row_index(dataset, name)][dataset.headers.index(column)]


def test_export_has_the_stored_planned_values_and_empty_cells_for_defaults(admin_user, sessions):
    plan(admin_user, sessions, {1: "1", 2: "2"})
    dataset = export()
    assert cell(dataset, sessions.name, "114年第1期預定值") == 1
    assert cell(dataset, sessions.name, "114年第2期預定值") == 2
    assert cell(dataset, sessions.name, "114年第3期預定值") == ""
    assert "114年第4期預定值" not in dataset.headers  # the last period is the target
    assert ",1,2,," in export(CSV)


def test_export_reads_planned_values_in_a_fixed_number_of_queries(admin_user, sessions, django_assert_num_queries):
    plan(admin_user, sessions, {1: "1"})
    with django_assert_num_queries(5):  # plans, indicators, targets, planned values, + the years
        export()


def test_import_sets_planned_values_through_the_planning_rules(admin_user, sessions):
    dataset = reread(CSV, export(CSV))
    index = row_index(dataset, sessions.name)
    set_cell(dataset, index, "114年第1期預定值", "1")
    set_cell(dataset, index, "114年第3期預定值", "4")

    result = import_file(dataset, user=admin_user)

    assert not result.has_validation_errors(), errors_of(result)
    assert result.totals["update"] == 1
    assert stored(sessions) == {1: Decimal("1"), 3: Decimal("4")}
    assert set(statuses(sessions).values()) == {PlannedStatus.PROPOSED}
    assert PlannedValue.objects.get(target__indicator=sessions, number=3).proposed_by == admin_user


def test_an_empty_cell_takes_a_stored_value_back_to_its_default(admin_user, sessions):
    plan(admin_user, sessions, {1: "2"})
    dataset = reread(CSV, export(CSV))
    set_cell(dataset, row_index(dataset, sessions.name), "114年第1期預定值", "")

    result = import_file(dataset, user=admin_user)

    assert not result.has_validation_errors(), errors_of(result)
    assert stored(sessions) == {}


BAD_PLANNED = {
    "decreasing ladder": ({"114年第1期預定值": "3", "114年第2期預定值": "2"}, "114年第2期預定值", DECREASING),
    "beyond the target": ({"114年第3期預定值": "6"}, "114年第3期預定值", BEYOND),
    "not a number": ({"114年第1期預定值": "abc"}, "114年第1期預定值", "不是數字"),
    "a fraction of 場": ({"114年第1期預定值": "1.5"}, "114年第1期預定值", "整數"),
    "beyond a lowered target": ({"114": "2", "修正理由": "", "114年第3期預定值": "3"}, "114年第3期預定值", BEYOND),
}


@pytest.mark.parametrize("case", list(BAD_PLANNED), ids=list(BAD_PLANNED))
def test_a_bad_planned_value_is_refused_with_its_row_and_nothing_is_saved(admin_user, sessions, case):
    cells, column, message = BAD_PLANNED[case]
    dataset = reread(CSV, export(CSV))
    good = row_index(dataset, kpi_by_code("1-1").name)  # a good change in the same file
    set_cell(dataset, good, "111", "60")
    set_cell(dataset, good, "修正理由", "好的修改")
    bad = row_index(dataset, sessions.name)
    for header, value in cells.items():
        set_cell(dataset, bad, header, value)
    reason = "目標下修" if case == "beyond a lowered target" else ""
    before = snapshot()

    result = import_file(dataset, user=admin_user, reason=reason)

    assert result.has_validation_errors()
    errors = errors_of(result)
    assert list(errors) == [bad + 2], errors  # the spreadsheet's own row number
    [invalid] = result.invalid_rows
    assert column in invalid.error_dict, invalid.error_dict
    assert message in " ".join(invalid.error_dict[column])
    assert snapshot() == before
    assert PlannedValue.objects.count() == 0


def test_a_confirmed_value_changed_in_a_file_needs_a_reason(admin_user, sessions):
    plan(admin_user, sessions, {1: "1"}, confirm=True)
    dataset = reread(CSV, export(CSV))
    index = row_index(dataset, sessions.name)
    set_cell(dataset, index, "114年第1期預定值", "2")

    result = import_file(dataset, user=admin_user)

    assert errors_of(result) == {index + 2: errors_of(result)[index + 2]}
    assert "修正理由" in errors_of(result)[index + 2]
    assert stored(sessions) == {1: Decimal("1")}

    set_cell(dataset, index, "修正理由", "活動延期")
    result = import_file(dataset, user=admin_user)
    assert not result.has_validation_errors(), errors_of(result)
    assert stored(sessions) == {1: Decimal("2")}
    assert PlannedValue.history.filter(number=1).latest("history_id").history_change_reason == "活動延期"


def test_a_year_end_kpi_refuses_a_planned_value_in_the_file(admin_user, seeded_plan):
    indicator = Indicator.objects.filter(accrual="year_end").first()
    if indicator is None:
        pytest.skip("no year-end KPI in the seeded plan")
    dataset = reread(CSV, export(CSV))
    index = row_index(dataset, indicator.name)
    set_cell(dataset, index, "114年第1期預定值", "1")

    result = import_file(dataset, user=admin_user)

    assert list(errors_of(result)) == [index + 2]
    assert "年終" in errors_of(result)[index + 2] or "決算" in errors_of(result)[index + 2]
    assert PlannedValue.objects.count() == 0
