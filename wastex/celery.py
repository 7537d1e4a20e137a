import os

from celery import Celery

from core import metrics, observability

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wastex.settings")

app = Celery("wastex")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id travels with each task into the worker's logs; tasks are counted for /metrics.
observability.connect_celery_signals()
metrics.connect_celery_signals()
