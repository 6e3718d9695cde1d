from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "plans"
    verbose_name = _("Medium-term plans")

    def ready(self):
        from django.apps import apps

        from plans import checks  # noqa: F401  (registers the system checks)

        # django-axes names its admin section only by its label, "Axes".
        if apps.is_installed("axes"):
            apps.get_app_config("axes").verbose_name = _("Sign-in lockouts")
