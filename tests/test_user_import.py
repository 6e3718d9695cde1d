"""Importing accounts and roles (帳號匯入): preview, confirm, refusals, permissions, encodings.

The page is kpi:user_import (kpi/views/people.py); the rules are plans.people's.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from knox.models import AuthToken

from common.api.tokens import token_issue
from common.spreadsheets import writing
from plans.models import Membership, Role

User = get_user_model()
URL = reverse("kpi:user_import")
HEADER = "帳號,姓名,電子郵件,單位,角色,啟用"


def csv_file(*lines: str, encoding: str = "utf-8", name: str = "people.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, "\r\n".join([HEADER, *lines]).encode(encoding), content_type="text/csv")


def check(client, upload, **extra):
    return client.post(URL, {"step": "check", "file": upload, "send_links": "on", **extra})


def confirm(client, stash_id):
    return client.post(URL, {"step": "confirm", "stash": stash_id})


def roles_of(username) -> set[tuple[str, str | None]]:
    return {
        (m.role, m.department.name if m.department else None)
        for m in Membership.objects.filter(user__username=username).select_related("department")
    }


def snapshot():
    """Every account and membership, to show that a step wrote nothing."""
    return (
        sorted(User.objects.values_list("username", "first_name", "email", "is_active", "is_superuser", "password")),
        sorted(Membership.objects.values_list("user__username", "department_id", "role")),
    )


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def retired(home_department):
    """An account deactivated earlier, still a reporter of the department."""
    user = User.objects.create_user("retired", email="retired@example.org", password="pw-retired", is_active=False)
    Membership.objects.create(user=user, department=home_department, role=Role.REPORTER)
    return user


MIXED = (
    "newbie,張新人,newbie@keelung.gov.tw,都市發展處,填報人,是",
    "staff,王小明,,都市發展處,填報人、審核人（民政處）,是",
    "supervisor,李主任,,都市發展處,審核人,否",
    "retired,,,都市發展處,填報人,是",
)


# --- Preview and confirm --------------------------------------------------------------------


def test_preview_shows_every_change_and_writes_nothing(admin_client, staff, supervisor, retired):
    before = snapshot()
    response = check(admin_client, csv_file(*MIXED))
    assert response.status_code == 200
    assert snapshot() == before
    assert not mail.outbox
    result = response.context["result"]
    assert result.ok
    assert response.context["created"] == 1
    assert response.context["role_changes"] == 1  # staff gains 審核人（民政處）
    assert response.context["deactivated"] == 1
    assert response.context["reactivated"] == 1
    page = response.content.decode()
    assert "newbie" in page and "張新人" in page
    assert "審核人（民政處）" in page
    rows = {r.username: r for r in response.context["rows"]}
    assert rows["staff"].added == ["審核人（民政處）"]
    assert rows["supervisor"].deactivated and not rows["supervisor"].reactivated
    assert rows["retired"].reactivated
    assert response.context["stash_id"]


def test_confirm_writes_everything_and_mails_new_accounts_their_link(
    admin_client, staff, supervisor, retired, django_capture_on_commit_callbacks
):
    token_issue(user=supervisor)
    stash_id = check(admin_client, csv_file(*MIXED)).context["stash_id"]
    with django_capture_on_commit_callbacks(execute=True):
        response = confirm(admin_client, stash_id)
    assert response.status_code == 302

    newbie = User.objects.get(username="newbie")
    assert newbie.first_name == "張新人" and newbie.email == "newbie@keelung.gov.tw" and newbie.is_active
    assert not newbie.has_usable_password()  # no password is made up
    assert roles_of("newbie") == {(Role.REPORTER, "都市發展處")}
    assert roles_of("staff") == {(Role.REPORTER, "都市發展處"), (Role.REVIEWER, "民政處")}
    supervisor.refresh_from_db()
    assert not supervisor.is_active
    assert roles_of("supervisor") == {(Role.REVIEWER, "都市發展處")}  # kept, for a reactivation
    assert not AuthToken.objects.filter(user=supervisor).exists()  # deactivation revokes API tokens
    retired.refresh_from_db()
    assert retired.is_active

    # The new account, and only it, gets the link; the link lets the person choose a password.
    assert [m.to for m in mail.outbox] == [["newbie@keelung.gov.tw"]]
    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    form_page = admin_client.get("/" + path, follow=True)
    assert form_page.status_code == 200 and form_page.context["validlink"]
    admin_client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "Keelung-2025!x", "new_password2": "Keelung-2025!x"}
    )
    newbie.refresh_from_db()
    assert newbie.check_password("Keelung-2025!x")


def test_a_stash_is_confirmed_once_and_only_by_its_own_id(admin_client, staff):
    stash_id = check(admin_client, csv_file("newbie,張新人,newbie@keelung.gov.tw,都市發展處,填報人,")).context[
        "stash_id"
    ]
    before = snapshot()
    wrong = confirm(admin_client, stash_id + "x")
    assert wrong.status_code == 400
    assert snapshot() == before
    # A wrong id drops the stash: the file must be checked again.
    assert confirm(admin_client, stash_id).status_code == 400
    assert not User.objects.filter(username="newbie").exists()


def test_confirm_after_the_accounts_changed_shows_the_new_preview_and_writes_nothing(
    admin_client, staff, other_department
):
    stash_id = check(admin_client, csv_file("staff,,,都市發展處,填報人、審核人,")).context["stash_id"]
    Membership.objects.create(user=staff, department=other_department, role=Role.REPORTER)  # meanwhile, in admin
    before = snapshot()
    response = confirm(admin_client, stash_id)
    assert response.status_code == 409
    assert snapshot() == before
    assert response.context["rows"][0].removed == ["填報人（民政處）"]
    assert confirm(admin_client, response.context["stash_id"]).status_code == 302
    assert roles_of("staff") == {(Role.REPORTER, "都市發展處"), (Role.REVIEWER, "都市發展處")}


def test_discard_drops_the_checked_file(admin_client, staff):
    stash_id = check(admin_client, csv_file("newbie,張新人,newbie@keelung.gov.tw,都市發展處,填報人,")).context[
        "stash_id"
    ]
    assert admin_client.post(URL, {"step": "discard"}).status_code == 302
    assert confirm(admin_client, stash_id).status_code == 400
    assert not User.objects.filter(username="newbie").exists()


def test_a_file_that_changes_nothing_offers_nothing_to_confirm(admin_client, staff):
    response = check(admin_client, csv_file("staff,王小明,,都市發展處,填報人,是"))
    assert response.status_code == 200
    assert response.context["stash_id"] == ""
    assert response.context["unchanged"] == 1


def test_planning_office_and_admin_roles_carry_no_department(admin_client, staff):
    stash_id = check(admin_client, csv_file("boss,局長室,boss@keelung.gov.tw,,研考、管理員,")).context["stash_id"]
    confirm(admin_client, stash_id)
    boss = User.objects.get(username="boss")
    assert boss.is_superuser and boss.is_staff
    assert roles_of("boss") == {(Role.PLANNING_OFFICE, None)}


def test_a_role_left_out_of_the_row_is_removed_and_admin_is_taken_away(admin_client, staff):
    other_admin = User.objects.create_superuser("root2", email="root2@example.org", password="pw")
    stash_id = check(admin_client, csv_file("root2,,,都市發展處,審核人,", "staff,,,,研考,")).context["stash_id"]
    confirm(admin_client, stash_id)
    other_admin.refresh_from_db()
    assert not other_admin.is_superuser and not other_admin.is_staff
    assert roles_of("root2") == {(Role.REVIEWER, "都市發展處")}
    assert roles_of("staff") == {(Role.PLANNING_OFFICE, None)}


# --- Refusals: one per kind, each naming its row and column; nothing is written -------------

GOOD = "newbie,張新人,newbie@keelung.gov.tw,都市發展處,填報人,"


@pytest.mark.parametrize(
    ("line", "column", "words"),
    [
        ("x1,某甲,x1@example.org,不存在處,填報人,", "單位", "不存在處"),
        ("x1,某甲,x1@example.org,都市發展處,打雜,", "角色", "打雜"),
        ("x1,某甲,x1@example.org,都市發展處,,", "角色", "填報人"),
        ("newbie,某甲,x1@example.org,都市發展處,填報人,", "帳號", "newbie"),  # the row above has it
        ("x1,某甲,not-an-address,都市發展處,填報人,", "電子郵件", "not-an-address"),
        ("x1,某甲,,都市發展處,填報人,", "電子郵件", ""),  # a new account needs one
        ("x1,某甲,newbie@keelung.gov.tw,都市發展處,填報人,", "電子郵件", "newbie@keelung.gov.tw"),  # row above
        ("x1,某甲,pw@example.org,都市發展處,填報人,", "電子郵件", "staff"),  # staff's address
        ("x1,某甲,x1@example.org,都市發展處,填報人,也許", "啟用", "也許"),
        ("x1,某甲,x1@example.org,,填報人,", "單位", "填報人"),
        ("x1,某甲,x1@example.org,都市發展處,研考,", "單位", "研考"),
        ("x1,某甲,x1@example.org,,研考（都市發展處）,", "角色", "研考"),
        ("x 1,某甲,x1@example.org,都市發展處,填報人,", "帳號", "x 1"),
        ("x1,某甲,x1@example.org,,填報人（不存在處）,", "角色", "不存在處"),
    ],
    ids=[
        "unknown-department",
        "unknown-role",
        "no-role",
        "duplicate-username",
        "bad-email",
        "new-account-without-email",
        "duplicate-email-in-file",
        "email-of-another-account",
        "bad-active",
        "department-role-without-department",
        "department-for-planning-office",
        "planning-office-with-a-department",
        "invalid-username",
        "unknown-department-in-brackets",
    ],
)
def test_each_kind_of_error_is_refused_with_its_row_and_column(admin_client, staff, line, column, words):
    staff.email = "pw@example.org"
    staff.save()
    before = snapshot()
    response = check(admin_client, csv_file(GOOD, line))
    assert response.status_code == 400
    assert snapshot() == before
    assert "stash_id" not in response.context or not response.context["stash_id"]
    [bad] = response.context["rows"]
    assert bad.number == 3  # the header is row 1, the good row 2
    assert any(e.column == column and words in e.message for e in bad.errors), bad.errors
    page = response.content.decode()
    assert "未儲存任何資料" in page  # zh-Hant: nothing was saved


def test_an_admin_cannot_deactivate_or_demote_themselves_by_import(admin_client, admin_user):
    response = check(admin_client, csv_file("admin,,admin@example.org,都市發展處,填報人,否"))
    assert response.status_code == 400
    [row] = response.context["rows"]
    assert {e.column for e in row.errors} == {"角色", "啟用"}


def test_a_file_without_the_required_columns_is_refused_whole(admin_client):
    upload = SimpleUploadedFile("people.csv", "姓名,電子郵件\r\n某甲,a@example.org".encode())
    response = check(admin_client, upload)
    assert response.status_code == 400
    assert response.context["result"].file_errors
    assert "帳號" in response.context["result"].file_errors[0]


# --- Encodings and formats --------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp950"])
def test_csv_in_utf8_with_bom_and_in_big5_reads_the_same(admin_client, staff, encoding):
    response = check(
        admin_client, csv_file("newbie,張新人,newbie@keelung.gov.tw,都市發展處,填報人、審核人,", encoding=encoding)
    )
    assert response.status_code == 200, response.context["rows"]
    [row] = response.context["rows"]
    assert row.name == "張新人"
    assert row.roles == ["填報人（都市發展處）", "審核人（都市發展處）"]


def test_the_downloaded_list_imports_back_as_no_change(admin_client, staff, supervisor, planner, other_department):
    Membership.objects.create(user=supervisor, department=other_department, role=Role.REPORTER)
    response = admin_client.get(reverse("kpi:user_import_template"), {"format": "xlsx"})
    assert response.status_code == 200
    upload = SimpleUploadedFile("list.xlsx", response.content)
    result = check(admin_client, upload)
    assert result.status_code == 200, result.context["rows"]
    assert result.context["unchanged"] == 4  # staff, supervisor, planner, admin
    assert result.context["stash_id"] == ""


def test_an_xlsx_file_is_read_like_a_csv(admin_client, staff):
    sheet = writing.Sheet(
        title="帳號",
        headers=HEADER.split(","),
        rows=[["newbie", "張新人", "newbie@keelung.gov.tw", "都市發展處", "填報人", "是"]],
    )
    response = check(admin_client, SimpleUploadedFile("people.xlsx", writing.render("xlsx", [sheet])))
    assert response.status_code == 200
    assert response.context["created"] == 1


# --- Who may import -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["staff", "supervisor", "planner"])
def test_only_admins_may_import(client, cast, who):
    client.force_login(cast[who])
    assert client.get(URL).status_code == 403
    before = snapshot()
    assert check(client, csv_file(GOOD)).status_code == 403
    assert client.get(reverse("kpi:user_import_template")).status_code == 403
    assert snapshot() == before


def test_anonymous_is_sent_to_sign_in(client, seeded_plan):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_admin_sees_the_page(admin_client):
    response = admin_client.get(URL)
    assert response.status_code == 200
    assert "帳號" in response.content.decode()


# --- The command ----------------------------------------------------------------------------


def test_command_dry_run_writes_nothing_and_the_real_run_writes(tmp_path, staff, capsys):
    path = tmp_path / "people.csv"
    path.write_text("\r\n".join([HEADER, GOOD]), encoding="utf-8-sig")
    before = snapshot()
    call_command("import_users", str(path), "--dry-run")
    assert snapshot() == before
    assert "newbie" in capsys.readouterr().out
    call_command("import_users", str(path))
    assert roles_of("newbie") == {(Role.REPORTER, "都市發展處")}
    assert not User.objects.get(username="newbie").has_usable_password()


def test_command_refuses_a_file_with_errors(tmp_path, staff, capsys):
    path = tmp_path / "people.csv"
    path.write_text("\r\n".join([HEADER, GOOD, "x1,某甲,x1@example.org,不存在處,填報人,"]), encoding="utf-8")
    before = snapshot()
    with pytest.raises(CommandError):
        call_command("import_users", str(path))
    assert snapshot() == before
    assert "不存在處" in capsys.readouterr().err


# --- Cost: a fixed number of queries, however many people --------------------------------------


def _many(count: int) -> list:
    from plans.people import PersonRow

    return [
        PersonRow(
            number=n + 2,
            username=f"p{n:04d}",
            name="某甲",
            email=f"p{n:04d}@keelung.gov.tw",
            department="都市發展處",
            role="填報人",
        )
        for n in range(count)
    ]


def test_checking_and_importing_hundreds_of_people_takes_a_fixed_number_of_queries(
    staff, django_assert_max_num_queries
):
    from plans import people

    rows = _many(300)
    with django_assert_max_num_queries(4):  # departments, accounts and their memberships, addresses
        assert people.check_people(rows).ok
    with django_assert_max_num_queries(16):  # the lock, the check, the accounts, read back, the memberships
        result = people.users_import(rows=rows)
    assert result.applied and result.count(people.CREATED) == 300
    assert Membership.objects.filter(user__username__startswith="p0", role=Role.REPORTER).count() == 300
