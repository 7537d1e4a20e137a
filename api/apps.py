from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from members import notifications

        # The outbox's "webhook" handler, and the tasks (known to this process, so that tests run them eagerly).
        from . import tasks, webhook_sending, webhooks  # noqa: F401

        notifications.register_listener(webhooks.on_notification)
