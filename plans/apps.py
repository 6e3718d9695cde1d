from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "plans"
    verbose_name = _("Medium-term plans")

    def ready(self):
        from plans import checks  # noqa: F401  (registers the system checks)
