from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "members"
    verbose_name = _("Members and organisations")

    def ready(self):
        from . import notifications  # noqa: F401 - registers the outbox handler for notifications
        from .two_factor import services  # noqa: F401 - remembers at log-in who has a second factor
