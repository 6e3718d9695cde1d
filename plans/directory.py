"""Signing in with the city's directory (LDAP / Active Directory), when LDAP_SERVER_URI is set.

django-auth-ldap finds the person in the directory, checks their password there and creates
or updates their account (name and e-mail from the directory; no local password). This
backend adds what the app needs:

- Roles from groups (settings.LDAP_ROLE_GROUPS: group DN → roles as an import file's 角色
  cell, "填報人（都市發展處）"). At every directory sign-in, the person gets the roles of the
  groups they are in, and loses the roles some configured group gives but none of theirs
  does. Roles that no group gives are left alone: admins give them (admin, the import).
- A deactivated account stays out: it cannot sign in through the directory either, and a
  session it had no longer counts (django-auth-ldap itself does not look at is_active).

Local accounts keep their own passwords: ModelBackend comes after this one. django-axes
comes first and counts a failed directory sign-in like any other.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django_auth_ldap.backend import LDAPBackend

from plans import people

logger = logging.getLogger(__name__)


def role_groups() -> dict[str, set[tuple[str, int | None]]]:
    """LDAP_ROLE_GROUPS read against the departments: group DN (lower case) → roles. A value
    naming an unknown role or department is logged and that part skipped."""
    lookup = people.department_lookup()
    mapping = {}
    for dn, text in settings.LDAP_ROLE_GROUPS.items():
        roles, problems = people.roles_from_text(text, lookup)
        for problem in problems:
            logger.warning("LDAP_ROLE_GROUPS[%r]: %s", dn, problem)
        mapping[dn.lower()] = roles
    return mapping


class DirectoryBackend(LDAPBackend):
    def authenticate_ldap_user(self, ldap_user, password):
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is None or not user.is_active:
            return None
        if settings.LDAP_ROLE_GROUPS and getattr(settings, "AUTH_LDAP_GROUP_SEARCH", None):
            mapping = role_groups()
            member_of = {dn.lower() for dn in ldap_user.group_dns}
            given = set().union(*(roles for dn, roles in mapping.items() if dn in member_of))
            managed = set().union(*mapping.values())
            people.user_roles_sync(user=user, given=given, managed=managed)
        return user

    def get_user(self, user_id):
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None
