from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class WastexConfig(AppConfig):
    default = True
    name = "wastex"
    verbose_name = "WasteX"


class WasteXAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "members.two_factor.services.SecondFactorAdminSite"
