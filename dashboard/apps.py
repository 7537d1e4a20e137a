from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dashboard"
    verbose_name = _("Dashboards")

    def ready(self):
        from . import rollups
        from .signals import connect_signals

        connect_signals()
        rollups.connect_signals()  # the listed-lots rollup follows each lot and bid in the same transaction
