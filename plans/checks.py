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
