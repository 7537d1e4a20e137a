from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dashboard"
    verbose_name = _("Dashboards")

    def ready(self):
        from wastex import pagecache

        from . import rollups
        from .cache import VERSION_KEY, connect_signals

        connect_signals()
        rollups.connect_signals()  # the listed-lots rollup follows each lot and bid in the same transaction
        # Served to a session that saw it before without loading the session or the person, until a deal moves.
        pagecache.register(r"^/dashboard/$", lambda match: [VERSION_KEY])
