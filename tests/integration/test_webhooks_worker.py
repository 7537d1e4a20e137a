"""Webhooks through the real parts: Redis, a Celery worker process and a receiver on loopback. A bid is told to
the plant's system; the receiver refuses twice, the worker's own scheduled retries (no beat, no test help)
deliver it, once. Runs when REDIS_URL is set (CI's PostgreSQL + Redis pass)."""

import os
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from api import webhooks
from api.models import WebhookDelivery
from listings import services
from listings.services import BidOffer
from tests.api.conftest import Receiver, verify
from tests.factories import LotFactory, OrganisationFactory, member_of
from tests.integration.test_celery_worker import run_worker, smtp  # noqa: F401

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set: no broker to test against"),
]


@pytest.fixture(scope="module")
def webhook_worker(django_db_setup, django_db_blocker, smtp):  # noqa: F811
    """A worker whose first webhook retry comes after one second (then two, four…)."""
    yield from run_worker(smtp, os.environ["REDIS_URL"], extra_env={"WEBHOOK_RETRY_SECONDS": "1"})


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def test_a_bid_reaches_the_plants_system_through_the_worker_once(transactional_db, webhook_worker, receiver):
    plant = OrganisationFactory(name="PT Pabrik Kait")
    plant_admin = member_of(plant, email="kait@pabrik.test", language="en")
    bidder = member_of(OrganisationFactory(name="CV Olah Kait", processor=True), email="kait@olah.test")
    created = webhooks.subscription_create(
        organisation=plant, acting_user=plant_admin, url=receiver.url, events=["new_bid"]
    )
    receiver.answers = [500, 502]
    lot = LotFactory(plant=plant, bidding_mode="sealed")
    services.bid_place(
        lot=lot,
        acting_user=bidder,
        offer=BidOffer(
            price_per_unit=777_777,
            quantity=Decimal("10"),
            pickup_date=timezone.localdate() + timedelta(days=2),
            route="recycling",
        ),
    )
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline and not WebhookDelivery.objects.filter(status="sent").exists():
        time.sleep(0.2)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("sent", 3), "".join(webhook_worker.log[-40:])
    time.sleep(2)  # nothing more arrives
    assert len(receiver.requests) == 3
    assert {request["headers"]["X-WasteX-Event-Id"] for request in receiver.requests} == {str(delivery.event_id)}
    for request in receiver.requests:
        body = verify(created.secret, request)
        assert body["type"] == "new_bid" and body["data"]["lot"]["reference"] == lot.reference
        assert "777777" not in request["body"].decode() and "Olah Kait" not in request["body"].decode()
