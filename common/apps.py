from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommonConfig(AppConfig):
    """Template tags and helpers shared by every app; API tokens (a proxy of knox's model, for
    its admin) and their revocation when a password changes or an account is deactivated."""

    name = "common"
    verbose_name = _("Shared")

    def ready(self):
        # Revoking API tokens with the password (signals); the path converters every URL conf
        # uses (<id:…>, <roc_year:…>), registered before any URL conf is read.
        from common import converters, signals  # noqa: F401

        converters.register()
