"""System checks of our own settings, run by `manage.py check --deploy` before a release."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def demo_mode_is_off_in_production(app_configs, **kwargs):
    """The demo mode lists demo accounts and their shared password on the sign-in page."""
    if settings.DEMO_MODE and not settings.DEBUG:
        return [
            Error(
                "DEMO_MODE is on with DEBUG off.",
                hint="The sign-in page would list the demo accounts and their password. Set DEMO_MODE=off.",
                id="plans.E001",
            )
        ]
    return []


@register(Tags.compatibility)
def ldap_role_groups(app_configs, **kwargs):
    """LDAP_ROLE_GROUPS names roles the app knows, and the directory has a group search to match them."""
    from plans import people

    errors = []
    for dn, text in settings.LDAP_ROLE_GROUPS.items():
        entries, unknown = people.parse_roles(text)
        if unknown or not entries:
            errors.append(
                Error(
                    f"LDAP_ROLE_GROUPS[{dn!r}] names no known role: {text!r}.",
                    hint="Write the roles as the import file's 角色 column does: 填報人（都市發展處）, 審核人（…）, 研考, 管理員.",
                    id="plans.E002",
                )
            )
    if (
        settings.LDAP_ROLE_GROUPS
        and getattr(settings, "LDAP_SERVER_URI", "")
        and not hasattr(settings, "AUTH_LDAP_GROUP_SEARCH")
    ):
        errors.append(
            Error(
                "LDAP_ROLE_GROUPS is set but LDAP_GROUP_SEARCH_BASE is not.",
                hint="Set LDAP_GROUP_SEARCH_BASE to where the directory keeps its groups.",
                id="plans.E003",
            )
        )
    return errors
