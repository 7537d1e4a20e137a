"""A Redis that does not answer (nothing listens on the port): the cache is a miss and a warning, sessions
come from the database, sign-in works, the rate limits count per process, /healthz says what is down."""

import logging
import time

import pytest
from django.core.cache import caches
from django.urls import reverse
from redis.backoff import NoBackoff
from redis.retry import Retry

from core.cache import RedisCache
from tests.factories import PASSWORD, UserFactory

DEAD = "redis://127.0.0.1:1/0"  # nothing listens on port 1
OPTIONS = {"socket_connect_timeout": 0.25, "socket_timeout": 0.25, "retry": Retry(NoBackoff(), 0)}


def dead_caches():
    return {
        "default": {"BACKEND": "core.cache.RedisCache", "LOCATION": DEAD, "OPTIONS": OPTIONS},
        "ratelimit": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": DEAD,
            "OPTIONS": {**OPTIONS, "fallback_locmem": True},
        },
    }


@pytest.fixture
def redis_down(settings):
    settings.CACHES = dead_caches()
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.RATELIMIT_USE_CACHE = "ratelimit"
    settings.RATELIMIT_ENABLE = True
    settings.REDIS_URL = DEAD
    yield


def test_every_call_is_a_miss_and_a_warning_not_an_error(caplog):
    cache = RedisCache(DEAD, {"OPTIONS": OPTIONS})
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="core.cache"):
        assert cache.get("k") is None
        assert cache.get("k", "default") == "default"
        assert cache.get("k", default=7) == 7
        assert cache.set("k", 1) is False
        assert cache.add("k", 1) is False
        assert cache.incr("k") is None
        assert cache.get_many(["k", "j"]) == {}
        assert cache.delete("k") is False
        assert cache.set_many({"k": 1}) == []
        assert cache.has_key("k") is False
    assert time.monotonic() - started < 1  # one failed connect, then Redis is left alone
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "Redis did not answer" in warnings[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert cache.is_down and cache.ping() is False


def test_redis_is_tried_again_after_the_pause(monkeypatch):
    cache = RedisCache(DEAD, {"OPTIONS": {**OPTIONS, "retry_after": 0}})
    calls = []
    real = type(cache._cache).get

    def counted(self, *args, **kwargs):
        calls.append(args)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(type(cache._cache), "get", counted)
    cache.get("a")
    cache.get("b")
    assert len(calls) == 2  # retry_after 0: each call tries Redis


def test_the_rate_limit_cache_counts_in_memory_while_redis_is_away():
    cache = RedisCache(DEAD, {"OPTIONS": {**OPTIONS, "fallback_locmem": True}})
    assert cache.add("hits", 1) is True
    assert cache.incr("hits") == 2
    assert cache.get("hits") == 2


@pytest.mark.django_db
def test_pages_and_sign_in_work_with_redis_down(client, redis_down):
    user = UserFactory(email="orang@contoh.test")
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200  # the session read from the database
    assert client.get("/").status_code == 200
    assert client.get("/lots/").status_code == 200
    assert caches["default"].is_down


@pytest.mark.django_db
def test_login_rate_limit_still_counts_with_redis_down(client, redis_down, frozen_ratelimit_clock):
    user = UserFactory()
    for _ in range(20):
        client.post(reverse("login"), {"username": user.email, "password": "guess-guess-1"})
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 429


@pytest.mark.django_db
def test_healthz_names_the_cache_and_the_broker_when_redis_is_down(client, redis_down):
    started = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - started < 2
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "ok",
        "cache": "error",
        "broker": "error",
        "storage": "ok",
        "down": ["cache", "broker"],
    }
