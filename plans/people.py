"""People: accounts and their roles per department (帳號與角色), imported in bulk.

A planning office gives hundreds of staff their accounts at once, from a spreadsheet
(xlsx, ods or csv) with one row per person::

    帳號 | 姓名 | 電子郵件 | 單位 | 角色 | 啟用

- 帳號: the username (required). Compared without regard to case, as sign-in does not
  tell 'Wang' from 'wang' apart for LDAP accounts either.
- 姓名, 電子郵件: a blank cell keeps what the account has; a new account needs an e-mail
  address, to which the link to set its password goes. An address may belong to one
  account only (a password-reset link goes to every account with that address).
- 單位: the department's full or short name as the app knows it; several departments
  separated by 、 , ; or a line break. Required for 填報人 and 審核人, empty otherwise.
- 角色: one or more of 填報人 (reporter), 審核人 (reviewer), 研考 (the planning office)
  and 管理員 (an administrator: a Django superuser). The department roles apply to every
  department in 單位.
- 啟用: 是/否 (also Y/N, 1/0, 啟用/停用); blank means 是. 否 deactivates the account: it
  cannot sign in and its API tokens are revoked (common/signals.py); it is never deleted.

The file is the whole truth about the people it lists: a listed person's roles become
exactly the row's (roles not in the row are removed). People the file does not list are
left alone. All or nothing, in two steps, as the report import (`kpi.importers`):
`check` reads the accounts, memberships and departments the rows name in a fixed number
of queries and collects every error of every row, with its row number and column;
`apply` runs only when there is none, in one transaction, and refuses when the accounts
changed since the check (`UserImport.digest`, what the person previewed).

Reading the file is `common.spreadsheets.reading`'s; this module knows what the columns
mean, and is the one home of the role words (`parse_roles`) and of finding a department
by name (`department_lookup`), which LDAP sign-in (plans/directory.py) uses too.
"""

from __future__ import annotations

import hashlib
import json
import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.spreadsheets.reading import cell_text, is_blank, read_sheet
from common.wording import join_list, labelled
from plans.models import Department, DepartmentPlan, Membership, Role

# The file's contract, in the words the city's personnel lists use (not translated).
COL_USERNAME = "帳號"
COL_NAME = "姓名"
COL_EMAIL = "電子郵件"
COL_DEPARTMENT = "單位"
COL_ROLE = "角色"
COL_ACTIVE = "啟用"
COLUMNS = (COL_USERNAME, COL_NAME, COL_EMAIL, COL_DEPARTMENT, COL_ROLE, COL_ACTIVE)
REQUIRED_COLUMNS = (COL_USERNAME, COL_ROLE)

# 管理員 is no Membership: it is the superuser flag. Everything else is `plans.Role`.
ADMIN = "admin"
DEPARTMENT_ROLES = (Role.REPORTER, Role.REVIEWER)
ROLE_WORD = {Role.REPORTER: "填報人", Role.REVIEWER: "審核人", Role.PLANNING_OFFICE: "研考", ADMIN: "管理員"}
ROLE_WORDS = {
    **{word: role for role, word in ROLE_WORD.items()},
    # What personnel lists also write for the same roles.
    "填報": Role.REPORTER,
    "承辦人": Role.REPORTER,
    "審核": Role.REVIEWER,
    "單位主管": Role.REVIEWER,
    "主管": Role.REVIEWER,
    "研考人員": Role.PLANNING_OFFICE,
    "研考單位": Role.PLANNING_OFFICE,
    "系統管理員": ADMIN,
    "系統管理者": ADMIN,
    # The app's own names, for files written by scripts.
    **{role.value: role for role in Role},
    ADMIN: ADMIN,
}
ROLE_ORDER = [Role.REPORTER, Role.REVIEWER, Role.PLANNING_OFFICE, ADMIN]
YES = {"是", "y", "yes", "1", "true", "v", "啟用", "○", "o"}
NO = {"否", "n", "no", "0", "false", "停用", "×", "x"}
SEPARATORS = re.compile(r"[、,，;；/\n]+")

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
REMOVALS_PER_QUERY = 200  # memberships removed in one DELETE (3 parameters each, within every database's limit)


def split_list(text: str) -> list[str]:
    """ "都市發展處、民政處" → ["都市發展處", "民政處"]."""
    return [part.strip() for part in SEPARATORS.split(text or "") if part.strip()]


QUALIFIED = re.compile(r"^(.+?)\s*[（(](.*)[）)]$")


def split_roles(text: str) -> list[str]:
    """ "填報人（都市發展處、民政處）、研考" → ["填報人（都市發展處、民政處）", "研考"]: split at the
    separators outside brackets."""
    parts, current, depth = [], [], 0
    for char in text or "":
        if char in "（(":
            depth += 1
        elif char in "）)":
            depth = max(depth - 1, 0)
        if depth == 0 and SEPARATORS.fullmatch(char):
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def parse_roles(text: str) -> tuple[list[tuple[str, str | None]], list[str]]:
    """The roles a cell names, each with the departments written in brackets after it (or
    None), and the words that name no role: "填報人、審核人（民政處）" →
    [("reporter", None), ("reviewer", "民政處")], []."""
    found, unknown = [], []
    for word in split_roles(text):
        match = QUALIFIED.match(word)
        name, qualifier = (match.group(1).strip(), match.group(2)) if match else (word, None)
        role = ROLE_WORDS.get(name) or ROLE_WORDS.get(name.lower())
        if role is None:
            unknown.append(word)
        elif (role, qualifier) not in found:
            found.append((role, qualifier))
    found.sort(key=lambda entry: ROLE_ORDER.index(entry[0]))
    return found, unknown


def resolve_departments(lookup: dict[str, Department], text: str) -> tuple[list[int], list[str]]:
    """The ids of the departments a cell names (in its order, once each) and the names that name none."""
    ids, unknown = [], []
    for name in split_list(text):
        department = find_department(lookup, name)
        if department is None:
            unknown.append(name)
        elif department.pk not in ids:
            ids.append(department.pk)
    return ids, unknown


def role_label(role: str) -> str:
    return ROLE_WORD.get(role, role)


def _key(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def department_lookup(departments: Iterable[Department] | None = None) -> dict[str, Department]:
    """Departments by full and short name (spaces ignored): how a file or a setting names one."""
    if departments is None:
        departments = Department.objects.all()
    lookup: dict[str, Department] = {}
    for department in departments:
        if department.short_name:
            lookup.setdefault(_key(department.short_name), department)
    for department in departments:
        lookup[_key(department.name)] = department  # a full name wins over another's short name
    return lookup


def find_department(lookup: dict[str, Department], text: str) -> Department | None:
    return lookup.get(_key(text))


# --- What a row says -------------------------------------------------------------------


@dataclass
class RowError:
    column: str
    message: str

    def __str__(self):
        return labelled(self.column, self.message) if self.column else self.message


@dataclass
class PersonRow:
    """One row of the file as written (cell texts), with its row number as the sheet shows it."""

    number: int
    username: str
    name: str = ""
    email: str = ""
    department: str = ""
    role: str = ""
    active: str = ""

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("number", "username", "name", "email", "department", "role", "active")}

    @classmethod
    def from_dict(cls, data: dict) -> PersonRow:
        return cls(
            **{k: str(data.get(k, "")) for k in ("username", "name", "email", "department", "role", "active")},
            number=int(data["number"]),
        )


COLUMN_FIELDS = {
    COL_USERNAME: "username",
    COL_NAME: "name",
    COL_EMAIL: "email",
    COL_DEPARTMENT: "department",
    COL_ROLE: "role",
    COL_ACTIVE: "active",
}


def read_people(data: bytes, filename: str) -> list[PersonRow]:
    """The file's rows; `reading.FileError` when the file cannot be read or lacks a column."""
    sheet = read_sheet(data, filename, required=REQUIRED_COLUMNS)
    index = {header: i for i, header in enumerate(sheet.headers)}
    rows = []
    for number, cells in sheet.rows:
        values = {}
        for column, name in COLUMN_FIELDS.items():
            i = index.get(column)
            value = cells[i] if i is not None and i < len(cells) else None
            values[name] = "" if is_blank(value) else cell_text(value)
        rows.append(PersonRow(number=number, **values))
    return rows


# --- The check -------------------------------------------------------------------------


@dataclass
class PersonPlan:
    """What importing one row does to one account."""

    row: PersonRow
    user: object | None = None  # the existing account
    name: str = ""
    email: str = ""
    active: bool = True
    roles: set[tuple[str, int | None]] = field(default_factory=set)  # (role, department id); ADMIN with None
    added: list[tuple[str, int | None]] = field(default_factory=list)
    removed: list[tuple[str, int | None]] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # the columns whose values change
    errors: list[RowError] = field(default_factory=list)
    # Decided by the check, and still true after the writes (which change `user`).
    created: bool = False
    deactivated: bool = False
    reactivated: bool = False

    @property
    def outcome(self) -> str:
        if self.created:
            return CREATED
        if self.added or self.removed or self.details or self.deactivated or self.reactivated:
            return UPDATED
        return UNCHANGED

    def summary(self) -> tuple:
        """What the row does, for the digest: the same summary means the same writes."""
        return (
            self.row.username,
            self.user.pk if self.user is not None else None,
            self.created,
            self.name,
            self.email,
            self.active,
            sorted(self.added, key=str),
            sorted(self.removed, key=str),
            sorted(self.details),
            self.deactivated,
            self.reactivated,
        )


@dataclass
class UserImport:
    """The checked file: every row's plan and errors, and the file's own errors."""

    filename: str
    people: list[PersonPlan] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    departments: dict[int, Department] = field(default_factory=dict)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.file_errors and not any(p.errors for p in self.people)

    @property
    def error_rows(self) -> list[PersonPlan]:
        return [p for p in self.people if p.errors]

    @property
    def error_count(self) -> int:
        return len(self.file_errors) + sum(len(p.errors) for p in self.people)

    def count(self, what: str) -> int:
        if what in (CREATED, UPDATED, UNCHANGED):
            return sum(1 for p in self.people if p.outcome == what)
        return sum(1 for p in self.people if getattr(p, what))

    @property
    def role_changes(self) -> int:
        return sum(1 for p in self.people if not p.created and (p.added or p.removed))

    @property
    def digest(self) -> str:
        data = json.dumps([p.summary() for p in self.people], ensure_ascii=False, default=str)
        return hashlib.sha256(data.encode()).hexdigest()

    def role_text(self, role: tuple[str, int | None]) -> str:
        """填報人（都市發展處）, or 研考."""
        name, department_id = role
        if department_id is None:
            return role_label(name)
        return f"{role_label(name)}（{self.departments[department_id].name}）"


def _current_roles(user) -> set[tuple[str, int | None]]:
    roles = {(m.role, m.department_id) for m in user.memberships.all()}
    if user.is_superuser:
        roles.add((ADMIN, None))
    return roles


def check_people(rows: list[PersonRow], *, by=None, filename: str = "") -> UserImport:
    """Every row's plan and every error; reads in a fixed number of queries, writes nothing.

    `by` is the person importing (None from the command line): they may not take their own
    administrator role away, nor deactivate themselves, through a file."""
    User = get_user_model()
    result = UserImport(filename=filename)
    departments = list(Department.objects.all())
    result.departments = {d.pk: d for d in departments}
    lookup = department_lookup(departments)
    usernames = {r.username.strip().lower() for r in rows if r.username.strip()}
    existing = {
        u.username.lower(): u
        for u in User.objects.annotate(lower=Lower("username"))
        .filter(lower__in=usernames)
        .prefetch_related("memberships")
    }
    emails = {r.email.strip().lower() for r in rows if r.email.strip()}
    email_owners: dict[str, set[str]] = {}
    for username, email in (
        User.objects.annotate(lower=Lower("email")).filter(lower__in=emails).values_list("username", "lower")
    ):
        email_owners.setdefault(email, set()).add(username.lower())

    seen_usernames: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    validator = User.username_validator
    max_username = User._meta.get_field("username").max_length
    max_name = User._meta.get_field("first_name").max_length
    for row in rows:
        plan = PersonPlan(row=row)
        errors = plan.errors
        username = row.username.strip()
        key = username.lower()

        # 帳號
        if not username:
            errors.append(RowError(COL_USERNAME, _("Required.")))
        else:
            try:
                validator(username)
                if len(username) > max_username:
                    raise ValidationError("too long")
            except ValidationError:
                errors.append(
                    RowError(
                        COL_USERNAME,
                        _(
                            "“%(username)s” is not a valid username: up to %(max)s letters, digits and the "
                            "characters @ . + - _, without spaces."
                        )
                        % {"username": username, "max": max_username},
                    )
                )
            if key in seen_usernames:
                errors.append(
                    RowError(
                        COL_USERNAME,
                        _("“%(username)s” appears again; it is already in row %(row)s. One row per person.")
                        % {"username": username, "row": seen_usernames[key]},
                    )
                )
            else:
                seen_usernames[key] = row.number
        plan.user = existing.get(key) if username else None
        user = plan.user
        plan.created = user is None

        # 姓名
        name = row.name.strip()
        if len(name) > max_name:
            errors.append(
                RowError(
                    COL_NAME,
                    _("At most %(max)s characters (this has %(count)s).") % {"max": max_name, "count": len(name)},
                )
            )
        plan.name = name or (user.first_name if user else "")

        # 電子郵件
        email = row.email.strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.append(RowError(COL_EMAIL, _("“%(email)s” is not a valid e-mail address.") % {"email": email}))
            else:
                others = email_owners.get(email.lower(), set()) - {key}
                if others:
                    errors.append(
                        RowError(
                            COL_EMAIL,
                            _("“%(email)s” belongs to another account (%(usernames)s); one address, one account.")
                            % {"email": email, "usernames": join_list(sorted(others))},
                        )
                    )
                elif email.lower() in seen_emails:
                    errors.append(
                        RowError(
                            COL_EMAIL,
                            _("“%(email)s” is also in row %(row)s; one address, one account.")
                            % {"email": email, "row": seen_emails[email.lower()]},
                        )
                    )
                else:
                    seen_emails[email.lower()] = row.number
        elif user is None and username:
            errors.append(
                RowError(COL_EMAIL, _("Required for a new account: the link to set its password is sent there."))
            )
        plan.email = email or (user.email if user else "")

        # 啟用
        active_text = row.active.strip().lower()
        if not active_text or active_text in YES:
            plan.active = True
        elif active_text in NO:
            plan.active = False
        else:
            errors.append(
                RowError(COL_ACTIVE, _("“%(value)s” is neither 是 nor 否 (blank means 是).") % {"value": row.active})
            )

        # 角色 and 單位
        entries, unknown = parse_roles(row.role)
        if unknown:
            errors.append(
                RowError(
                    COL_ROLE,
                    _("Unknown role: %(words)s. Use %(roles)s.")
                    % {"words": join_list(unknown), "roles": join_list(ROLE_WORD.values())},
                )
            )
        elif not entries:
            errors.append(RowError(COL_ROLE, _("Required: %(roles)s.") % {"roles": join_list(ROLE_WORD.values())}))
        department_ids, unknown_departments = resolve_departments(lookup, row.department)
        for name in unknown_departments:
            errors.append(RowError(COL_DEPARTMENT, _unknown_department(name)))
        uses_department_column = False
        for role, qualifier in entries:
            if role not in DEPARTMENT_ROLES:
                if qualifier is not None:
                    errors.append(
                        RowError(
                            COL_ROLE,
                            _("%(role)s covers every department; write it without a department.")
                            % {"role": role_label(role)},
                        )
                    )
                plan.roles.add((role, None))
                continue
            if qualifier is None:
                uses_department_column = True
                plan.roles.update((role, d) for d in department_ids)
                continue
            ids, unknown_qualified = resolve_departments(lookup, qualifier)
            for name in unknown_qualified:
                errors.append(RowError(COL_ROLE, _unknown_department(name)))
            if not ids and not unknown_qualified:
                errors.append(
                    RowError(
                        COL_ROLE, _("Write the department in the brackets after %(role)s.") % {"role": role_label(role)}
                    )
                )
            plan.roles.update((role, d) for d in ids)
        if uses_department_column and not row.department.strip():
            errors.append(
                RowError(
                    COL_DEPARTMENT,
                    _("Required for %(roles)s: the department they report or review for.")
                    % {"roles": join_list(role_label(r) for r, q in entries if r in DEPARTMENT_ROLES and q is None)},
                )
            )
        if entries and not uses_department_column and row.department.strip():
            if any(r in DEPARTMENT_ROLES for r, _q in entries):
                message = _("Every role names its department in brackets; leave this column empty.")
            else:
                message = _("%(roles)s covers every department; leave the department empty.") % {
                    "roles": join_list(role_label(r) for r, _q in entries)
                }
            errors.append(RowError(COL_DEPARTMENT, message))

        # What changes
        plan.deactivated = user is not None and user.is_active and not plan.active
        plan.reactivated = user is not None and not user.is_active and plan.active
        current = _current_roles(user) if user is not None else set()
        plan.added = sorted(plan.roles - current, key=role_order)
        plan.removed = sorted(current - plan.roles, key=role_order)
        if user is not None:
            if name and name != user.first_name:
                plan.details.append(COL_NAME)
            if email and email != user.email:
                plan.details.append(COL_EMAIL)

        # The person importing keeps their own keys.
        if by is not None and user is not None and user.pk == by.pk:
            if (ADMIN, None) in plan.removed:
                errors.append(RowError(COL_ROLE, _("You cannot take away your own administrator role by import.")))
            if not plan.active:
                errors.append(RowError(COL_ACTIVE, _("You cannot deactivate your own account by import.")))
        result.people.append(plan)
    return result


def _unknown_department(name: str) -> str:
    return _("Unknown department “%(name)s”; write its name as the app lists it (e.g. 都市發展處).") % {"name": name}


def role_order(role: tuple[str, int | None]) -> tuple:
    return (ROLE_ORDER.index(role[0]), role[1] or 0)


# --- The writes ------------------------------------------------------------------------


class ImportChanged(Exception):
    """The accounts changed between the check the person saw and the save."""


@transaction.atomic
def users_import(
    *, rows: list[PersonRow], by=None, filename: str = "", expected_digest: str | None = None
) -> UserImport:
    """Check the rows and, when no row has an error, write them all (else nothing).

    With `expected_digest` (the digest of the preview the person confirmed), the rows are
    checked again under the same transaction and written only when they still do exactly
    what the preview said; otherwise `ImportChanged` carries the new check."""
    User = get_user_model()
    usernames = {r.username.strip().lower() for r in rows if r.username.strip()}
    # Lock the accounts the file names, so that the check and the writes see the same rows.
    list(User.objects.annotate(lower=Lower("username")).filter(lower__in=usernames).select_for_update().values("pk"))
    result = check_people(rows, by=by, filename=filename)
    if not result.ok:
        return result
    if expected_digest is not None and result.digest != expected_digest:
        raise ImportChanged(result)
    _write(result.people)
    result.applied = True
    return result


def _write(plans: list[PersonPlan]) -> None:
    """The writes, in bulk: new accounts and new memberships in one insert each (a file of
    hundreds of people), changed accounts saved one by one (so that a deactivation revokes
    the person's API tokens: common/signals.py)."""
    User = get_user_model()
    new = [p for p in plans if p.created]
    if new:
        User.objects.bulk_create(
            [
                User(
                    username=User.normalize_username(p.row.username.strip()),
                    email=User.objects.normalize_email(p.email),
                    first_name=p.name,
                    is_active=p.active,
                    is_superuser=(ADMIN, None) in p.roles,
                    is_staff=(ADMIN, None) in p.roles,
                    password=make_password(None),  # unusable: the person sets one through the e-mailed link
                )
                for p in new
            ]
        )
        # Read back rather than trust bulk_create to set primary keys on every database.
        created = {
            u.username.lower(): u for u in User.objects.filter(username__in=[u.row.username.strip() for u in new])
        }
        for plan in new:
            plan.user = created[plan.row.username.strip().lower()]
    memberships, removals = [], []
    for plan in plans:
        user = plan.user
        if not plan.created:
            _update_account(plan)
        removals += [Q(user=user, role=r, department_id=d) for r, d in plan.removed if r != ADMIN]
        memberships += [Membership(user=user, role=r, department_id=d) for r, d in plan.added if r != ADMIN]
    for start in range(0, len(removals), REMOVALS_PER_QUERY):
        Membership.objects.filter(reduce(operator.or_, removals[start : start + REMOVALS_PER_QUERY])).delete()
    Membership.objects.bulk_create(memberships)


def _update_account(plan: PersonPlan) -> None:
    user = plan.user
    changed = []
    for attr, value in (("first_name", plan.name), ("email", plan.email), ("is_active", plan.active)):
        if getattr(user, attr) != value:
            setattr(user, attr, value)
            changed.append(attr)
    is_admin = (ADMIN, None) in plan.roles
    if user.is_superuser != is_admin:
        # 管理員 is the superuser; admin access (is_staff) comes and goes with it.
        user.is_superuser = user.is_staff = is_admin
        changed += ["is_superuser", "is_staff"]
    if changed:
        user.save(update_fields=changed)


def user_set_active(*, user, active: bool) -> bool:
    """Deactivate (or reactivate) an account instead of deleting it; True when it changed.

    A deactivated account cannot sign in, its sessions no longer count, and its API tokens
    are revoked (common/signals.py, on this save). Its memberships and everything it did
    stay on the record; reactivating gives the same roles back."""
    if user.is_active == active:
        return False
    user.is_active = active
    user.save(update_fields=["is_active"])
    return True


# --- Setting a password -------------------------------------------------------------------

ACCOUNT_EMAIL_SUBJECT = "registration/account_created_subject.txt"
ACCOUNT_EMAIL_BODY = "registration/account_created_email.html"


def password_link(user) -> str:
    """The address where the person sets their password: Django's password-reset confirm page,
    whose token works for an account without a usable password too."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return settings.SITE_URL.rstrip("/") + path


def password_links_send(users: Iterable) -> int:
    """E-mail each new account the link to set its password; how many were sent.

    Django's "forgot your password" form skips accounts without a usable password, which is
    what a new account has; so the link is sent here, to the address the file gave. The
    link lasts PASSWORD_RESET_TIMEOUT (3 days by default); after that the person asks for
    a new one on the sign-in page (once they have a password) or an admin sends it again."""
    sent = 0
    for user in users:
        if not user.email or not user.is_active:
            continue
        context = {"user": user, "link": password_link(user), "site_name": str(settings.SITE_NAME)}
        subject = "".join(render_to_string(ACCOUNT_EMAIL_SUBJECT, context).splitlines())
        body = render_to_string(ACCOUNT_EMAIL_BODY, context)
        sent += send_mail(subject, body, None, [user.email])
    return sent


# --- Who holds which role where -----------------------------------------------------------


def plan_order():
    """Departments in the order of the latest plan's table of contents, as the plan lists them.

    Sorting by name would sort by character code (主計處, 交通處, 人事處 …), which no one
    reading the plan expects. Admin uses a related model admin's ordering for its list
    filters and drop-downs, so every department filter and choice follows this order.
    """
    toc_number = (
        DepartmentPlan.objects.filter(department=OuterRef("pk")).order_by("-plan__start_year").values("toc_number")[:1]
    )
    return [Subquery(toc_number).asc(nulls_last=True), "name"]


@dataclass
class RoleHolder:
    department: Department | None
    role: str
    user: object

    @property
    def role_text(self) -> str:
        return role_label(self.role)


ROLE_FILTER_LABELS = {
    Role.REPORTER: gettext_lazy("Reporter"),
    Role.REVIEWER: gettext_lazy("Reviewer"),
    Role.PLANNING_OFFICE: gettext_lazy("Planning office"),
    ADMIN: gettext_lazy("Administrator"),
}


def role_holders(
    *, department_id: int | None = None, role: str = "", active: bool | None = None, search: str = ""
) -> list[RoleHolder]:
    """Department × role × person: every membership, and the administrators (no department),
    in the plan's department order, then role, then username. Two queries."""
    User = get_user_model()
    people = Q()
    if active is not None:
        people &= Q(is_active=active)
    if search:
        people &= Q(username__icontains=search) | Q(first_name__icontains=search) | Q(email__icontains=search)
    holders: list[RoleHolder] = []
    if role in ("", *[r.value for r in Role]):
        memberships = Membership.objects.filter(user__in=User.objects.filter(people)).select_related(
            "user", "department"
        )
        if department_id is not None:
            memberships = memberships.filter(department_id=department_id)
        if role:
            memberships = memberships.filter(role=role)
        holders += [RoleHolder(m.department, m.role, m.user) for m in memberships]
    if role in ("", ADMIN) and department_id is None:
        holders += [RoleHolder(None, ADMIN, u) for u in User.objects.filter(people, is_superuser=True)]
    order = {pk: i for i, pk in enumerate(Department.objects.order_by(*plan_order()).values_list("pk", flat=True))}
    holders.sort(
        key=lambda h: (
            h.department is None,
            order.get(h.department.pk, 0) if h.department else 0,
            ROLE_ORDER.index(h.role),
            h.user.username.lower(),
        )
    )
    return holders


def current_people_rows() -> list[list[str]]:
    """Everyone who holds a role, one row each in the import file's columns (`COLUMNS`): the file
    to download, edit and import again. The roles are written as the import reads them: the
    departments in 單位 when every department role has the same ones, else in brackets after
    each role (填報人（都市發展處）、審核人（民政處）)."""
    User = get_user_model()
    order = {pk: i for i, pk in enumerate(Department.objects.order_by(*plan_order()).values_list("pk", flat=True))}
    users = (
        User.objects.filter(Q(is_superuser=True) | Q(memberships__isnull=False))
        .distinct()
        .prefetch_related("memberships__department")
        .order_by("username")
    )
    rows = []
    for user in users:
        by_role: dict[str, list[Department]] = {}
        others = []
        for membership in user.memberships.all():
            if membership.role in DEPARTMENT_ROLES:
                by_role.setdefault(membership.role, []).append(membership.department)
            else:
                others.append(membership.role)
        if user.is_superuser:
            others.append(ADMIN)
        for departments in by_role.values():
            departments.sort(key=lambda d: order.get(d.pk, 0))
        department_sets = {tuple(d.pk for d in ds) for ds in by_role.values()}
        words = []
        department_cell = ""
        if len(department_sets) == 1:
            department_cell = "、".join(d.name for d in next(iter(by_role.values())))
            words += [ROLE_WORD[r] for r in DEPARTMENT_ROLES if r in by_role]
        else:
            words += [
                f"{ROLE_WORD[r]}（{'、'.join(d.name for d in by_role[r])}）" for r in DEPARTMENT_ROLES if r in by_role
            ]
        words += [ROLE_WORD[r] for r in ROLE_ORDER if r in others]
        rows.append(
            [
                user.username,
                user.first_name,
                user.email,
                department_cell,
                "、".join(words),
                "是" if user.is_active else "否",
            ]
        )
    return rows


# --- Roles given by a directory's groups (plans/directory.py) -------------------------------------


def roles_from_text(text: str, lookup: dict[str, Department]) -> tuple[set[tuple[str, int | None]], list[str]]:
    """The roles a group gives, written as a 角色 cell whose department roles name their
    departments in brackets: "填報人（都市發展處）、研考". Also the problems, in words."""
    roles: set[tuple[str, int | None]] = set()
    problems = []
    entries, unknown = parse_roles(text)
    problems += [
        _("Unknown role: %(words)s. Use %(roles)s.") % {"words": w, "roles": join_list(ROLE_WORD.values())}
        for w in unknown
    ]
    for role, qualifier in entries:
        if role not in DEPARTMENT_ROLES:
            roles.add((role, None))
            continue
        ids, unknown_departments = resolve_departments(lookup, qualifier or "")
        problems += [_unknown_department(name) for name in unknown_departments]
        if qualifier is None:
            problems.append(_("Write the department in the brackets after %(role)s.") % {"role": role_label(role)})
        roles.update((role, d) for d in ids)
    return roles, problems


@transaction.atomic
def user_roles_sync(*, user, given: set[tuple[str, int | None]], managed: set[tuple[str, int | None]]) -> bool:
    """Give `user` the roles in `given` and take away those in `managed` they are not given;
    other roles stay as they are. True when anything changed."""
    current = _current_roles(user)
    added = given - current
    removed = (current & managed) - given
    for role, department_id in removed:
        if role != ADMIN:
            Membership.objects.filter(user=user, role=role, department_id=department_id).delete()
    Membership.objects.bulk_create(
        [Membership(user=user, role=r, department_id=d) for r, d in added if r != ADMIN], ignore_conflicts=True
    )
    is_admin = (ADMIN, None) in (current - removed) | added
    if user.is_superuser != is_admin:
        user.is_superuser = user.is_staff = is_admin
        user.save(update_fields=["is_superuser", "is_staff"])
    return bool(added or removed)
