"""Accounts in admin: deactivated rather than deleted, and the listing of who holds which role where."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.urls import reverse
from knox.models import AuthToken

from common.api.tokens import token_issue
from plans.models import Membership, Role
from tests.factories import ProgressReportFactory, kpi_by_code

User = get_user_model()
CHANGELIST = reverse("admin:auth_user_changelist")
ROLES = reverse("admin:plans_membership_roles")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def action(client, name, *users):
    return client.post(CHANGELIST, {"action": name, "_selected_action": [u.pk for u in users], "index": 0}, follow=True)


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def reporter_with_a_report(seeded_plan, periods, staff):
    ProgressReportFactory(indicator=kpi_by_code("1-1"), period=periods["114Q1"], created_by=staff, submitted=True)
    return staff


# --- Deactivate, do not delete -----------------------------------------------------------------


def test_deactivate_action_keeps_the_account_and_roles_and_revokes_api_tokens(admin_client, staff):
    token_issue(user=staff)
    action(admin_client, "deactivate", staff)
    staff.refresh_from_db()
    assert not staff.is_active
    assert Membership.objects.filter(user=staff, role=Role.REPORTER).exists()
    assert not AuthToken.objects.filter(user=staff).exists()
    action(admin_client, "reactivate", staff)
    staff.refresh_from_db()
    assert staff.is_active


def test_an_admin_cannot_deactivate_themselves(admin_client, admin_user):
    action(admin_client, "deactivate", admin_user)
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_plain_delete_is_not_offered(admin_client):
    response = admin_client.get(CHANGELIST)
    choices = [value for value, _label in response.context["action_form"].fields["action"].choices]
    assert "delete_selected" not in choices
    assert {"deactivate", "reactivate", "delete_unused", "send_password_links"} <= set(choices)


def test_deleting_an_account_with_reports_is_refused_with_a_message(admin_client, reporter_with_a_report):
    response = action(admin_client, "delete_unused", reporter_with_a_report)
    assert User.objects.filter(pk=reporter_with_a_report.pk).exists()
    [message] = texts(response)
    assert "staff" in message and "停用" in message  # zh-Hant: deactivate it instead


def test_the_delete_page_refuses_an_account_with_reports(admin_client, reporter_with_a_report):
    url = reverse("admin:auth_user_delete", args=[reporter_with_a_report.pk])
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:auth_user_change", args=[reporter_with_a_report.pk])
    assert User.objects.filter(pk=reporter_with_a_report.pk).exists()


def test_an_account_without_a_record_can_still_be_deleted(admin_client, home_department):
    typo = User.objects.create_user("typo", password="pw")
    Membership.objects.create(user=typo, department=home_department, role=Role.REPORTER)
    action(admin_client, "delete_unused", typo)
    assert not User.objects.filter(username="typo").exists()


def test_send_password_links_mails_active_accounts_with_an_address(admin_client, mailoutbox, home_department):
    fresh = User.objects.create_user("fresh", email="fresh@example.org", password=None)
    gone = User.objects.create_user("gone", email="gone@example.org", password=None, is_active=False)
    action(admin_client, "send_password_links", fresh, gone)
    assert [m.to for m in mailoutbox] == [["fresh@example.org"]]
    assert "/accounts/password/reset/" in mailoutbox[0].body


# --- Who holds which role where ----------------------------------------------------------------


def test_the_listing_shows_department_role_and_person(admin_client, staff, supervisor, planner, other_staff):
    response = admin_client.get(ROLES)
    assert response.status_code == 200
    rows = [(h.department.name if h.department else None, h.role, h.user.username) for h in response.context["holders"]]
    assert ("都市發展處", Role.REPORTER, "staff") in rows
    assert ("都市發展處", Role.REVIEWER, "supervisor") in rows
    assert ("民政處", Role.REPORTER, "other") in rows
    assert (None, Role.PLANNING_OFFICE, "planner") in rows
    assert (None, "admin", "admin") in rows
    # Departments first, in the plan's order; then those who cover every department.
    assert rows[-1][0] is None and rows[0][0] is not None


def test_the_listing_filters_by_department_role_and_account(
    admin_client, staff, supervisor, other_staff, home_department
):
    holders = admin_client.get(ROLES, {"department": home_department.pk}).context["holders"]
    assert {h.user.username for h in holders} == {"staff", "supervisor"}
    holders = admin_client.get(ROLES, {"role": Role.REVIEWER}).context["holders"]
    assert {h.user.username for h in holders} == {"supervisor"}
    supervisor.is_active = False
    supervisor.save()
    holders = admin_client.get(ROLES, {"active": "no"}).context["holders"]
    assert {h.user.username for h in holders} == {"supervisor"}
    holders = admin_client.get(ROLES, {"q": "王小"}).context["holders"]
    assert {h.user.username for h in holders} == {"staff"}


def test_the_listing_downloads_as_csv_with_a_bom(admin_client, staff, supervisor, home_department):
    response = admin_client.get(ROLES, {"department": home_department.pk, "format": "csv"})
    assert response.status_code == 200
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["單位", "角色", "帳號", "姓名", "電子郵件", "啟用"]
    assert ["都市發展處", "填報人", "staff", "王小明", "", "是"] in rows
    assert len(rows) == 3


@pytest.mark.parametrize("who", ["staff", "supervisor", "planner"])
def test_people_without_admin_access_do_not_see_the_listing(client, cast, who):
    client.force_login(cast[who])
    response = client.get(ROLES)
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
