"""The shared cache (Redis), never a single point of failure.

`RedisCache` is Django's Redis cache with two changes:
- one redis-py client per connection pool (Django's backend builds a new client object for every call, about
  0.35 ms each, more than the round trip to Redis; the client is thread-safe);
- a cache that does not answer is a miss, not an error: any Redis or socket error is logged as a warning and
  the call answers as if the key were absent (`get` gives the default, `add`, `set`, `delete` and `touch`
  give False, `incr` None). After a failure the process leaves Redis alone for `RETRY_AFTER` seconds (the
  OPTIONS key `retry_after`, default 5), so a dead Redis costs nothing per request rather than a connect
  timeout per call; short socket timeouts (the OPTIONS `socket_connect_timeout` / `socket_timeout`) bound
  the first failure. Sessions (cached_db) then read and write the database alone.

With the OPTIONS key `fallback_locmem` true, the calls go to a per-process memory cache while Redis is away
instead (the rate limits: still counted, per process, rather than either refusing every log-in or none).
"""

import logging
import socket
import time

import redis
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient

logger = logging.getLogger(__name__)

ERRORS = (redis.RedisError, OSError, socket.timeout)
# What each call answers when Redis does not.
MISSES = {
    "add": False,
    "get": None,  # replaced by the caller's default
    "set": False,
    "touch": False,
    "delete": False,
    "get_many": {},
    "has_key": False,
    "incr": None,
    "set_many": [],
    "delete_many": None,
    "clear": False,
}


class RedisCacheClient(DjangoRedisCacheClient):
    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        clients = self.__dict__.setdefault("_clients", {})
        client = clients.get(index)
        if client is None:
            client = clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        self.retry_after = float(options.pop("retry_after", 5))
        fallback = options.pop("fallback_locmem", False)
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = RedisCacheClient
        self._down_until = 0.0
        self._fallback = (
            LocMemCache(f"fallback-{id(self)}", {"TIMEOUT": params.get("TIMEOUT", 300)}) if fallback else None
        )

    @property
    def is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def _soft(self, name: str, *args, **kwargs):
        if not self.is_down:
            try:
                return getattr(super(), name)(*args, **kwargs)
            except ERRORS as exc:
                self._down_until = time.monotonic() + self.retry_after
                logger.warning(
                    "cache: Redis did not answer (%s: %s); working without it for %ss",
                    type(exc).__name__,
                    exc,
                    self.retry_after,
                )
        if self._fallback is not None:
            try:
                return getattr(self._fallback, name)(*args, **kwargs)
            except ValueError:  # incr of a key the fallback never saw
                return None
        if name == "get":
            return kwargs.get("default", args[1] if len(args) > 1 else None)
        return MISSES[name]

    def add(self, *args, **kwargs):
        return self._soft("add", *args, **kwargs)

    def get(self, *args, **kwargs):
        return self._soft("get", *args, **kwargs)

    def set(self, *args, **kwargs):
        return self._soft("set", *args, **kwargs)

    def touch(self, *args, **kwargs):
        return self._soft("touch", *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._soft("delete", *args, **kwargs)

    def get_many(self, *args, **kwargs):
        return self._soft("get_many", *args, **kwargs)

    def has_key(self, *args, **kwargs):
        return self._soft("has_key", *args, **kwargs)

    def incr(self, *args, **kwargs):
        return self._soft("incr", *args, **kwargs)

    def set_many(self, *args, **kwargs):
        return self._soft("set_many", *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._soft("delete_many", *args, **kwargs)

    def clear(self):
        return self._soft("clear")

    def ping(self) -> bool:
        """For /healthz: whether Redis answers now (whatever the last failure said)."""
        try:
            return bool(self._cache.get_client(None).ping())
        except ERRORS as exc:
            logger.warning("cache: Redis ping failed (%s: %s)", type(exc).__name__, exc)
            return False
