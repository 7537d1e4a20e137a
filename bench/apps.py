from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The load benchmark (`manage.py bench`, `manage.py bench_matching`) and its data builder. A development tool:
    installed with DEBUG or DEV_APPS, never needed by the site itself (wastex/settings.py)."""

    name = "bench"
    verbose_name = "Benchmark"
