"""Planned values per period (分期預定值): the services, the planning screen, admin, import/export
and the timeline. The cast: tests/conftest.py. Year 114 of 都市發展處 (quarterly)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kpi import services
from kpi.models import PlannedStatus, PlannedValue
from kpi.services import cell_key
from tests.conftest import clear_page_cache
from tests.factories import kpi_by_code
from tests.test_english import english, offenders_in_html, plan_data  # noqa: F401 (a fixture)

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


# --- The planning screen -------------------------------------------------------------------


def planning_url(home_plan, year=YEAR):
    return reverse("kpi:planning", args=[home_plan.plan_id, home_plan.department_id, year])


@pytest.mark.parametrize(
    ("actor", "code", "inputs", "confirm"),
    [
        ("staff", 200, True, False),
        ("other_staff", 404, False, False),
        ("supervisor", 200, False, False),
        ("planner", 200, True, True),
        ("admin", 200, True, True),
    ],
)
def test_the_screen_for_each_role(client, cast, home_plan, actor, code, inputs, confirm):
    client.force_login(cast[actor])
    response = client.get(planning_url(home_plan))
    assert response.status_code == code
    if code != 200:
        return
    html = response.content.decode()
    sessions = kpi_by_code("1-5")
    assert (f'name="{cell_key(sessions.pk, 1)}"' in html) is inputs
    assert ('value="confirm"' in html) is confirm
    assert "114Q1" in html and "114Q4" in html
    # The last column is the target, never an input; a year-end figure has nothing to type before it.
    assert f'name="{cell_key(sessions.pk, 4)}"' not in html
    assert f'name="{cell_key(kpi_by_code("共1-1").pk, 2)}"' not in html


def test_anonymous_is_sent_to_sign_in(client, home_plan):
    response = client.get(planning_url(home_plan))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_screen_labels_every_input(client, staff, home_plan):
    client.force_login(staff)
    html = client.get(planning_url(home_plan)).content.decode()
    sessions = kpi_by_code("1-5")
    key = cell_key(sessions.pk, 2)
    assert f'<label for="{key}" class="visually-hidden">1-5 <span lang="zh-Hant">{sessions.name}</span> 114Q2' in html
    assert 'placeholder="3"' in html  # the default of 5 場 by Q2: 2.5 → 3, half up


def grid_post(home_plan, cells, action="save", reason=""):
    data = {"action": action, "reason": reason}
    for indicator_id, numbers in cells.items():
        for number, value in numbers.items():
            data[cell_key(indicator_id, number)] = value
    return data


def test_post_saves_and_redirects(client, staff, home_plan):
    client.force_login(staff)
    sessions = kpi_by_code("1-5")
    response = client.post(planning_url(home_plan), grid_post(home_plan, {sessions.pk: {1: "1", 2: "2", 3: ""}}))
    assert response.status_code == 302
    assert stored(sessions) == {1: Decimal("1"), 2: Decimal("2")}
    html = client.get(planning_url(home_plan)).content.decode()
    assert f'id="{cell_key(sessions.pk, 2)}" name="{cell_key(sessions.pk, 2)}" value="2"' in html
    assert "擬定中" in html


def test_post_with_an_error_saves_nothing_and_keeps_what_was_typed(client, staff, home_plan):
    client.force_login(staff)
    sessions, other = kpi_by_code("1-5"), kpi_by_code("2-1")
    response = client.post(
        planning_url(home_plan), grid_post(home_plan, {other.pk: {1: "1"}, sessions.pk: {1: "3", 2: "2x"}})
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert not PlannedValue.objects.exists()
    key = cell_key(sessions.pk, 2)
    assert 'class="error-summary"' in html
    assert f'href="#{key}"' in html
    assert f'id="{key}-error"' in html and "「2x」不是數字" in html
    assert 'value="2x"' in html and f'name="{cell_key(other.pk, 1)}" value="1"' in html


def test_planner_confirms_from_the_screen(client, staff, planner, home_plan):
    sessions = kpi_by_code("1-5")
    save(staff, home_plan, {sessions.pk: {1: "1"}})
    client.force_login(planner)
    response = client.post(planning_url(home_plan), grid_post(home_plan, {sessions.pk: {1: "1"}}, action="confirm"))
    assert response.status_code == 302
    assert statuses(sessions) == {1: PlannedStatus.CONFIRMED}
    assert "已核定" in client.get(planning_url(home_plan)).content.decode()


def test_changing_a_confirmed_value_on_the_screen_asks_for_a_reason(client, staff, planner, home_plan):
    sessions = kpi_by_code("1-5")
    save(staff, home_plan, {sessions.pk: {1: "1"}})
    services.planned_values_confirm(user=planner, department_plan=home_plan, year=YEAR)
    client.force_login(staff)
    response = client.post(planning_url(home_plan), grid_post(home_plan, {sessions.pk: {1: "2"}}))
    assert response.status_code == 400
    assert 'id="reason-error"' in response.content.decode()
    assert stored(sessions) == {1: Decimal("1")}


@pytest.mark.parametrize(
    ("actor", "action", "code"), [("supervisor", "save", 403), ("staff", "confirm", 403), ("other_staff", "save", 404)]
)
def test_who_may_not_post(client, cast, home_plan, actor, action, code):
    client.force_login(cast[actor])
    sessions = kpi_by_code("1-5")
    response = client.post(planning_url(home_plan), grid_post(home_plan, {sessions.pk: {1: "1"}}, action=action))
    assert response.status_code == code
    assert not PlannedValue.objects.exists()


def test_a_year_outside_the_plan_is_not_found(client, staff, home_plan):
    client.force_login(staff)
    assert client.get(planning_url(home_plan, 120)).status_code == 404


def test_the_screens_queries_do_not_grow_with_the_number_of_kpis(client, staff, home_plan, django_assert_num_queries):
    from kpi.models import Indicator

    client.force_login(staff)
    sessions = kpi_by_code("1-5")
    save(staff, home_plan, {sessions.pk: {1: "1", 2: "2"}})
    client.get(planning_url(home_plan))  # warm up (session, content types)
    clear_page_cache()  # the navigation's counts computed, not kept from the warm-up (kpi.nav_counts)
    with django_assert_num_queries(QUERIES) as all_kpis:
        client.get(planning_url(home_plan))
    Indicator.objects.filter(department_plan=home_plan).exclude(pk=sessions.pk).delete()
    clear_page_cache()
    with django_assert_num_queries(QUERIES) as one_kpi:
        assert client.get(planning_url(home_plan)).status_code == 200
    assert len(all_kpis.captured_queries) == len(one_kpi.captured_queries)


# The page: session, user, department plan, memberships, indicators, targets, planned values;
# the rest is the navigation's work counts, the inbox's unread count and the session's save.
QUERIES = 16


def test_the_index_lists_the_departments_one_may_see(client, staff, planner):
    client.force_login(staff)
    html = client.get(reverse("kpi:planning_index")).content.decode()
    assert "都市發展處" in html and "民政處" not in html
    client.force_login(planner)
    assert "民政處" in client.get(reverse("kpi:planning_index")).content.decode()


@pytest.mark.parametrize("actor", ["staff", "planner", "supervisor"])
def test_the_screen_in_english_shows_no_chinese_outside_plan_data(client, cast, home_plan, plan_data, actor):  # noqa: F811
    english(client, cast[actor])
    for response in (
        client.get(planning_url(home_plan)),
        client.post(planning_url(home_plan), grid_post(home_plan, {kpi_by_code("1-5").pk: {1: "9"}}))
        if actor != "supervisor"
        else client.get(reverse("kpi:planning_index")),
    ):
        assert response.status_code in (200, 400)
        assert offenders_in_html(response.content.decode(), plan_data) == []


# --- The KPI page's timeline ----------------------------------------------------------------


def test_a_changed_planned_value_is_on_the_kpi_pages_timeline(client, staff, planner, home_plan):
    from kpi.history import indicator_changes

    sessions = kpi_by_code("1-5")
    save(staff, home_plan, {sessions.pk: {2: "2"}})
    services.planned_values_confirm(user=planner, department_plan=home_plan, year=YEAR)
    save(staff, home_plan, {sessions.pk: {2: "3"}}, reason="活動延至第三季")
    save(staff, home_plan, {sessions.pk: {2: ""}}, reason="改回預設")
    entries = [e for e in indicator_changes(sessions) if e.action.startswith("planned_")]
    assert [e.action for e in entries] == [
        "planned_changed",
        "planned_confirmed",
        "planned_changed",
        "planned_reverted",
    ]
    changed = entries[2]
    assert changed.actor == "王小明" and changed.comment == "活動延至第三季"
    assert changed.subject == "民國114年第2期"
    assert [(c.old, c.new) for c in changed.changes] == [("2", "3"), ("已核定", "擬定中")]
    assert entries[3].changes[0].new == "預設"
    client.force_login(staff)
    html = client.get(reverse("kpi:detail", args=[sessions.pk]) + "?year=114").content.decode()
    assert "活動延至第三季" in html and "改回預設" in html
