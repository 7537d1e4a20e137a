"""Prometheus metrics at /metrics: requests by view and status, their latency, the tasks queued by the web nodes,
the tasks run by a worker, and the Celery queue's depth read from Redis when scraped.

Under gunicorn each worker process counts on its own: with PROMETHEUS_MULTIPROC_DIR set (deploy/ does), the
processes write their counters to files in that folder and /metrics adds them up (prometheus_client's
multiprocess mode; deploy/gunicorn.conf.py clears the folder at start and marks dead workers).

Who may read it: the addresses in METRICS_ALLOWED_IPS (addresses or networks; loopback by default), or anyone
with `Authorization: Bearer <METRICS_TOKEN>`. A request that came through a proxy (it carries
X-Forwarded-For) is never trusted by its address, since the proxy's own address is loopback.
"""

import hmac
import ipaddress
import logging
import os
import time

import redis
from celery import signals
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

REQUESTS = Counter(
    "wastex_http_requests_total", "HTTP requests answered, by view and status", ["method", "view", "status"]
)
LATENCY = Histogram(
    "wastex_http_request_duration_seconds",
    "Time to answer an HTTP request, by view",
    ["view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TASKS_QUEUED = Counter("wastex_celery_tasks_queued_total", "Celery tasks sent to the broker", ["task"])
TASKS_RUN = Counter("wastex_celery_tasks_total", "Celery tasks run by this worker, by outcome", ["task", "outcome"])
TASK_DURATION = Histogram(
    "wastex_celery_task_duration_seconds",
    "Time a Celery task ran",
    ["task"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 240),
)


class MetricsMiddleware:
    """Counts every answer by the URL pattern's name (a bounded set), never by path."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match else "unmatched"
        LATENCY.labels(view).observe(time.perf_counter() - started)
        REQUESTS.labels(request.method if request.method in _METHODS else "other", view, response.status_code).inc()
        return response


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def may_read_metrics(request) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.META.get("HTTP_AUTHORIZATION", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
    if "HTTP_X_FORWARDED_FOR" in request.META:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(allowed, strict=False) for allowed in settings.METRICS_ALLOWED_IPS)


@login_not_required
@never_cache
def metrics_view(request):
    if not may_read_metrics(request):
        return HttpResponse(
            "Metrics are for the monitoring system: an allowed address or the token.\n",
            status=403,
            content_type="text/plain",
        )
    output = generate_latest(process_registry()) + generate_latest(_queue_registry())
    return HttpResponse(output, content_type=CONTENT_TYPE_LATEST)


def process_registry() -> CollectorRegistry:
    """This process's counters, or every process's when they share PROMETHEUS_MULTIPROC_DIR."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


class QueueDepthCollector:
    """How many tasks wait in the Celery queue, read from Redis at each scrape (-1 when Redis does not answer)."""

    def collect(self):
        gauge = GaugeMetricFamily("wastex_celery_queue_length", "Tasks waiting in the Celery queue", labels=["queue"])
        queue = settings.CELERY_TASK_DEFAULT_QUEUE
        gauge.add_metric([queue], queue_length(queue))
        yield gauge


def queue_length(queue: str) -> float:
    if not settings.REDIS_URL:
        return 0
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5, retry=Retry(NoBackoff(), 0)
        )
        # kombu's Redis transport keeps a queue as a list, with one more list per priority step.
        pipe = client.pipeline(transaction=False)
        for key in [queue, *(f"{queue}\x06\x16{step}" for step in range(1, 10))]:
            pipe.llen(key)
        return float(sum(pipe.execute()))
    except (redis.RedisError, OSError) as exc:
        logger.warning("metrics: queue length unknown: %s", exc)
        return -1


def _queue_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(QueueDepthCollector())
    return registry


# Celery: the web side counts what it queues; a worker counts what it runs and serves its own /metrics on
# WORKER_METRICS_PORT when that is set (a worker has no web server to ask).

_started: dict[str, float] = {}


def _queued(sender=None, **kwargs):
    TASKS_QUEUED.labels(sender or "unknown").inc()


def _task_started(task_id=None, **kwargs):
    _started[task_id] = time.perf_counter()


def _task_finished(task_id=None, task=None, state=None, **kwargs):
    began = _started.pop(task_id, None)
    name = task.name if task is not None else "unknown"
    if began is not None:
        TASK_DURATION.labels(name).observe(time.perf_counter() - began)
    TASKS_RUN.labels(name, (state or "unknown").lower()).inc()


def _worker_ready(**kwargs):
    port = os.environ.get("WORKER_METRICS_PORT")
    if port:
        start_http_server(
            int(port), addr=os.environ.get("WORKER_METRICS_ADDR", "127.0.0.1"), registry=process_registry()
        )
        logger.info("worker metrics on port %s", port)


def connect_celery_signals() -> None:
    signals.after_task_publish.connect(_queued, weak=False, dispatch_uid="wastex-metrics-queued")
    signals.task_prerun.connect(_task_started, weak=False, dispatch_uid="wastex-metrics-started")
    signals.task_postrun.connect(_task_finished, weak=False, dispatch_uid="wastex-metrics-finished")
    signals.worker_ready.connect(_worker_ready, weak=False, dispatch_uid="wastex-metrics-worker")
