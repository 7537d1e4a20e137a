from django.apps import AppConfig


class WastexConfig(AppConfig):
    name = "wastex"
    verbose_name = "WasteX"
