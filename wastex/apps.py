from django.apps import AppConfig


class WastexConfig(AppConfig):
    name = "wastex"
    verbose_name = "WasteX"

    def ready(self):
        from .pagecache import connect_signals

        connect_signals()
