from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The bottom layer: helpers every app may use; it imports no app of the project."""

    name = "core"
    verbose_name = "Core"
