"""Health for orchestrators and balancers.

- /healthz/live: the process answers (no dependency is asked). A failing liveness probe restarts the process,
  so it must not fail because PostgreSQL or Redis is away: restarting would not bring them back.
- /healthz/ready (and /healthz, the URL balancers already use): 200 when the database, the cache and the
  broker (with REDIS_URL set) and the upload storage answer, else 503 naming what is down, e.g.
  {"status": "error", "database": "ok", "cache": "error", "broker": "error", "storage": "ok",
   "down": ["cache", "broker"]}.
  The site keeps serving with the cache and the broker down (pages, sign-in, bids); the 503 tells the
  operator, and a balancer that must keep such a node in service checks "database" only.
"""

import logging

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from redis.backoff import NoBackoff
from redis.retry import Retry

from core.storage import storage_check

logger = logging.getLogger(__name__)


@login_not_required
@never_cache
def live(request):
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
def ready(request):
    checks = {"database": database_check()}
    if settings.REDIS_URL:
        ping = getattr(cache, "ping", None)
        checks["cache"] = "ok" if ping is None or ping() else "error"
        checks["broker"] = broker_check()
    checks["storage"] = storage_check()
    down = [name for name, value in checks.items() if value != "ok"]
    return JsonResponse({"status": "error" if down else "ok", **checks, "down": down}, status=503 if down else 200)


def database_check() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy; say which
        logger.warning("readiness: database check failed: %s", exc)
        return "error"
    return "ok"


def broker_check() -> str:
    try:
        redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5, retry=Retry(NoBackoff(), 0)
        ).ping()
    except (redis.RedisError, OSError) as exc:
        logger.warning("readiness: broker check failed: %s", exc)
        return "error"
    return "ok"
