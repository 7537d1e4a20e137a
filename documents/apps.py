from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "documents"
    verbose_name = _("Documents")

    def ready(self):
        from . import services  # noqa: F401 - registers the outbox handler that generates documents
        from .signals import connect_signals

        connect_signals()
