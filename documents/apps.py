from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "documents"
    verbose_name = _("Documents")

    def import_models(self):
        super().import_models()
        # The yearly evidence pack's model lives in its own module (documents.evidence_models).
        from . import evidence_models  # noqa: F401

    def ready(self):
        from . import services  # noqa: F401 - registers the outbox handler that generates documents
        from .signals import connect_signals

        connect_signals()
