from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommonConfig(AppConfig):
    """No models: template tags and helpers shared by every app."""

    name = "common"
    verbose_name = _("Shared")
