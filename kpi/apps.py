from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kpi"
    verbose_name = _("Indicators and reporting")

    def ready(self):
        from django.utils.translation import gettext

        from kpi import attainment, signals  # noqa: F401 (connects the plan's periods)

        # Light labels and white-light reasons read in the active language.
        attainment.use_translator(gettext)
