from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "listings"
    verbose_name = _("Waste catalogue and lots")

    def ready(self):
        from . import notify_text  # noqa: F401 - registers the wording of lot events into members' notifications
        from .services import matching  # noqa: F401 - registers the outbox handler that matches published lots
