"""Signing in with a directory (plans/directory.py), against a real OpenLDAP server.

The fixture starts Debian's slapd as the current user on a free port of 127.0.0.1, with a
directory of its own in a temporary folder (a generated slapd.conf, loaded with slapadd):
ou=people with two people, ou=groups with two groups. It stops slapd afterwards. Without
slapd the tests are skipped (scripts/system-deps.sh installs it).
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.urls import reverse

from plans.models import Membership, Role

pytestmark = pytest.mark.ldap

SLAPD = Path("/usr/sbin/slapd")
SLAPADD = Path("/usr/sbin/slapadd")
SCHEMAS = Path("/etc/ldap/schema")
BASE = "dc=example,dc=org"
ADMIN_DN = f"cn=admin,{BASE}"
ADMIN_PASSWORD = "directory-secret"
REPORTERS = f"cn=udd-reporters,ou=groups,{BASE}"
PLANNERS = f"cn=planners,ou=groups,{BASE}"
UDD_REVIEWERS = f"cn=udd-reviewers,ou=groups,{BASE}"  # configured, with no member of ours
User = get_user_model()


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


LDIF = f"""dn: {BASE}
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,{BASE}
objectClass: organizationalUnit
ou: people

dn: ou=groups,{BASE}
objectClass: organizationalUnit
ou: groups

dn: uid=alice,ou=people,{BASE}
objectClass: inetOrgPerson
uid: alice
cn:: {_b64("陳愛麗")}
sn:: {_b64("陳")}
mail: alice@keelung.gov.tw
userPassword: alice-pw

dn: uid=bob,ou=people,{BASE}
objectClass: inetOrgPerson
uid: bob
cn:: {_b64("林研考")}
sn:: {_b64("林")}
mail: bob@keelung.gov.tw
userPassword: bob-pw

dn: {REPORTERS}
objectClass: groupOfNames
cn: udd-reporters
member: uid=alice,ou=people,{BASE}

dn: {PLANNERS}
objectClass: groupOfNames
cn: planners
member: uid=bob,ou=people,{BASE}

dn: {UDD_REVIEWERS}
objectClass: groupOfNames
cn: udd-reviewers
member: {ADMIN_DN}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def slapd(tmp_path_factory):
    if not (SLAPD.exists() and SLAPADD.exists() and (SCHEMAS / "inetorgperson.schema").exists()):
        pytest.skip("slapd is not installed (scripts/system-deps.sh installs it)")
    root = tmp_path_factory.mktemp("slapd")
    (root / "data").mkdir()
    conf = root / "slapd.conf"
    conf.write_text(
        "\n".join(
            [
                *(f"include {SCHEMAS / name}.schema" for name in ("core", "cosine", "inetorgperson", "nis")),
                f"pidfile {root / 'slapd.pid'}",
                "modulepath /usr/lib/ldap",
                "moduleload back_mdb",
                "database mdb",
                "maxsize 10485760",
                f'suffix "{BASE}"',
                f'rootdn "{ADMIN_DN}"',
                f"rootpw {ADMIN_PASSWORD}",
                f"directory {root / 'data'}",
                "",
            ]
        )
    )
    (root / "data.ldif").write_text(LDIF)
    subprocess.run([SLAPADD, "-f", conf, "-l", root / "data.ldif"], check=True, capture_output=True)
    port = _free_port()
    uri = f"ldap://127.0.0.1:{port}"
    log = open(root / "slapd.log", "wb")  # noqa: SIM115 — closed at teardown
    process = subprocess.Popen([SLAPD, "-f", conf, "-h", f"{uri}/", "-d", "0"], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"slapd stopped: {(root / 'slapd.log').read_text(errors='replace')}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("slapd did not start listening within 15 s") from None
                time.sleep(0.1)
        yield uri
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def directory(settings, slapd, seeded_plan):
    """The settings config/settings.py derives from LDAP_SERVER_URI & co., for this directory."""
    import ldap
    from django_auth_ldap.config import GroupOfNamesType, LDAPSearch

    settings.LDAP_SERVER_URI = settings.AUTH_LDAP_SERVER_URI = slapd
    settings.AUTH_LDAP_BIND_DN = ADMIN_DN
    settings.AUTH_LDAP_BIND_PASSWORD = ADMIN_PASSWORD
    settings.AUTH_LDAP_USER_SEARCH = LDAPSearch(f"ou=people,{BASE}", ldap.SCOPE_SUBTREE, "(uid=%(user)s)")
    settings.AUTH_LDAP_GROUP_SEARCH = LDAPSearch(f"ou=groups,{BASE}", ldap.SCOPE_SUBTREE, "(objectClass=groupOfNames)")
    settings.AUTH_LDAP_GROUP_TYPE = GroupOfNamesType()
    settings.AUTH_LDAP_USER_ATTR_MAP = {"first_name": "cn", "email": "mail"}
    settings.AUTH_LDAP_ALWAYS_UPDATE_USER = True
    settings.AUTH_LDAP_CONNECTION_OPTIONS = {ldap.OPT_NETWORK_TIMEOUT: 5}
    settings.LDAP_ROLE_GROUPS = {
        REPORTERS: "填報人（都市發展處）",
        UDD_REVIEWERS: "審核人（都市發展處）",
        PLANNERS: "研考",
    }
    settings.AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        "plans.directory.DirectoryBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    return slapd


def sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR="192.0.2.10")


def roles(username):
    return {
        (m.role, m.department.name if m.department else None)
        for m in Membership.objects.filter(user__username=username).select_related("department")
    }


def test_a_directory_user_signs_in_and_gets_the_roles_of_their_groups(client, directory):
    response = sign_in(client, "alice", "alice-pw")
    assert response.status_code == 302
    alice = User.objects.get(username="alice")
    assert alice.first_name == "陳愛麗" and alice.email == "alice@keelung.gov.tw"
    assert not alice.has_usable_password()  # the directory keeps the password
    assert roles("alice") == {(Role.REPORTER, "都市發展處")}
    assert response["Location"] == reverse("kpi:my_updates")  # a reporter's landing page

    client.logout()
    assert sign_in(client, "bob", "bob-pw").status_code == 302
    assert roles("bob") == {(Role.PLANNING_OFFICE, None)}


def test_a_role_a_group_gives_goes_when_the_person_is_not_in_it_and_others_stay(
    client, directory, home_department, other_department
):
    alice = User.objects.create_user("alice")
    Membership.objects.create(user=alice, department=home_department, role=Role.REVIEWER)  # udd-reviewers gives it
    Membership.objects.create(user=alice, department=other_department, role=Role.REPORTER)  # no group gives it
    assert sign_in(client, "alice", "alice-pw").status_code == 302
    assert roles("alice") == {(Role.REPORTER, "都市發展處"), (Role.REPORTER, "民政處")}


def test_a_wrong_directory_password_is_refused_and_counted_by_axes(client, directory):
    response = sign_in(client, "alice", "not-her-password")
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert not User.objects.filter(username="alice").exists()
    assert AccessAttempt.objects.get(username="alice").failures_since_start == 1


def test_axes_locks_out_a_directory_user_after_repeated_failures(client, directory, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "alice", "wrong").status_code == 200
    assert sign_in(client, "alice", "wrong").status_code == 429
    assert sign_in(client, "alice", "alice-pw").status_code == 429  # even the right password
    assert not User.objects.filter(username="alice").exists()


def test_a_deactivated_directory_account_cannot_sign_in(client, directory):
    User.objects.create_user("alice", is_active=False)
    response = sign_in(client, "alice", "alice-pw")
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated


def test_a_local_account_still_signs_in_with_the_directory_on(client, directory, staff):
    response = sign_in(client, "staff", "pw-staff")
    assert response.status_code == 302
    assert response.wsgi_request.user.username == "staff"


def _backends(**env) -> list[str]:
    code = "import django; django.setup(); from django.conf import settings; print('|'.join(settings.AUTHENTICATION_BACKENDS))"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LDAP_")}
    environment.update(DJANGO_SETTINGS_MODULE="config.test_settings", ENV_FILE="", **env)
    result = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout.strip().split("|")


def test_with_ldap_off_the_directory_is_not_in_the_chain_and_with_it_on_it_comes_between_axes_and_local():
    assert _backends() == ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
    assert _backends(LDAP_SERVER_URI="ldap://127.0.0.1:1", LDAP_USER_SEARCH_BASE=f"ou=people,{BASE}") == [
        "axes.backends.AxesStandaloneBackend",
        "plans.directory.DirectoryBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
