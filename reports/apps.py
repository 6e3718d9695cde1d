from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = _("Dashboards and reports")

    def ready(self):
        # What the public pages show moves their cache version (reports.signals).
        from reports import signals

        signals.connect()
