"""Redis stopped under a signed-in browser: every page still answers, sign-in works, a bid is placed, /healthz
says 503 naming the cache and the broker; Redis started again: the waiting notification goes out once.

A redis-server of the test's own (a free port) is the cache, the session cache and the broker; the live
server runs with the production cache settings (core.cache.RedisCache, sessions cached_db, the rate limits'
per-process fallback). Runs when REDIS_URL is set and redis-server is installed.
"""

import os
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from core import outbox
from core.models import OutboxEvent
from listings.models import Bid
from members.models import Notification
from tests.browser.test_journeys import log_in, url
from tests.factories import PASSWORD, LotFactory, OrganisationFactory, member_of
from tests.integration.test_celery_worker import run_worker, smtp  # noqa: F401 - the fixture
from tests.integration.test_notifications_worker import redis_server, use_broker, wait_until  # noqa: F401
from wastex.celery import app as celery_app

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set: no Redis to stop"),
    pytest.mark.usefixtures("transactional_db"),
]


@pytest.fixture
def on_private_redis(settings, redis_server):  # noqa: F811 - the fixture
    """The live server's cache, sessions, rate limits and broker on the private Redis, as in production."""
    from django.conf import settings as live

    options = {**live.REDIS_CACHE_OPTIONS} if hasattr(live, "REDIS_CACHE_OPTIONS") else {}
    options.setdefault("socket_connect_timeout", 0.25)
    options.setdefault("socket_timeout", 0.25)
    options["retry_after"] = 1
    settings.REDIS_URL = redis_server.url
    settings.CACHES = {
        "default": {"BACKEND": "core.cache.RedisCache", "LOCATION": redis_server.url, "OPTIONS": options},
        "ratelimit": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": redis_server.url,
            "OPTIONS": {**options, "fallback_locmem": True},
        },
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.RATELIMIT_USE_CACHE = "ratelimit"
    previous = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    use_broker(redis_server.url)
    celery_app.conf.task_always_eager = False
    yield redis_server
    if redis_server.process.poll() is not None:
        redis_server.start()
    use_broker(previous[0])
    celery_app.conf.task_always_eager = previous[1]


def english(page: Page, live_server):
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])


def test_the_site_keeps_serving_with_redis_down(page: Page, browser, live_server, on_private_redis, smtp):  # noqa: F811
    plant = OrganisationFactory(name="PT Baja Padam", slug="baja-padam")
    processor = OrganisationFactory(name="CV Olah Padam", slug="olah-padam", processor=True)
    plant_person = member_of(plant, email="pabrik@padam.test", language="en")
    bidder = member_of(processor, email="olah@padam.test", language="en")
    lot = LotFactory(plant=plant, title="Slag padam", bidding_mode="sealed", quantity=Decimal("100"))

    english(page, live_server)
    log_in(page, live_server, bidder.email, PASSWORD)
    assert page.request.get(url(live_server, "/healthz")).status == 200

    on_private_redis.stop()
    pages = ["/", "/lots/", lot.get_absolute_url(), "/my/bids/", "/notifications/", "/dashboard/", "/home/"]
    for path in pages:
        response = page.goto(url(live_server, path))
        assert response.status == 200, path
        assert "/accounts/login/" not in page.url, path  # still signed in: the session from the database

    # A bid, placed while the broker is away: the page says so and the event waits in the outbox.
    page.goto(url(live_server, lot.get_absolute_url()))
    form = page.locator("[data-testid=bid-form]")
    form.locator("[name=price_per_unit]").fill("250000")
    form.locator("[name=quantity]").fill("80")
    form.locator("[name=route]").select_option("recycling")
    started = time.monotonic()
    form.locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("Your bid is placed.")
    assert time.monotonic() - started < 10
    assert Bid.objects.filter(lot=lot, bidder=processor).live().count() == 1
    waiting = OutboxEvent.objects.filter(processed_at__isnull=True)
    assert waiting.exists()

    # A fresh sign-in, in a browser of its own.
    other = browser.new_context()
    try:
        fresh = other.new_page()
        english(fresh, live_server)
        log_in(fresh, live_server, plant_person.email, PASSWORD)
        assert fresh.goto(url(live_server, lot.get_absolute_url())).status == 200
    finally:
        other.close()

    health = page.request.get(url(live_server, "/healthz"))
    assert health.status == 503
    assert health.json()["down"] == ["cache", "broker"] and health.json()["database"] == "ok"
    assert not Notification.objects.filter(recipient=plant_person).exists()

    # Redis back: a worker starts, beat's redispatch hands the waiting event over, it is delivered once.
    on_private_redis.start()
    worker = run_worker(smtp, on_private_redis.url)
    next(worker)
    try:
        outbox.redispatch(older_than=timedelta(0))
        assert wait_until(lambda: Notification.objects.filter(recipient=plant_person).exists(), timeout=60)
        assert wait_until(lambda: not OutboxEvent.objects.filter(processed_at__isnull=True).exists())
        outbox.redispatch(older_than=timedelta(0))  # nothing left to hand over again
        time.sleep(2)
        assert Notification.objects.filter(recipient=plant_person).count() == 1
    finally:
        next(worker, None)
    time.sleep(1.5)  # past the cache's pause after the outage
    assert page.request.get(url(live_server, "/healthz")).status == 200
    assert page.goto(url(live_server, "/my/bids/")).status == 200
