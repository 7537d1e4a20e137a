from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The bottom layer: helpers every app may use; it imports no app of the project."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = "Core"

    def ready(self):
        from . import mail, tasks  # noqa: F401 - the e-mail queue of rendered e-mails; the tasks the outbox calls by name
