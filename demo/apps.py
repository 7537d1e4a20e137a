from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Fictional demo data (`manage.py load_demo`, `manage.py demo_code`). A development tool: installed with DEBUG or
    DEV_APPS, never needed by the site itself (wastex/settings.py)."""

    name = "demo"
    verbose_name = "Demo data"
