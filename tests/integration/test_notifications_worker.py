"""Notifications through the real parts: Redis, a Celery worker process, an SMTP server on loopback.

The outage test runs its own redis-server (on a free port) so that it can stop and start it without touching
anyone else's Redis. Runs when REDIS_URL is set and redis-server is installed (CI's PostgreSQL + Redis pass).
"""

import os
import shutil
import socket
import subprocess
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from kombu import pools as kombu_pools

from core import outbox
from core.models import OutboxEvent
from listings import services
from listings.models import Capability
from members import notifications
from members.models import Notification
from tests.factories import LotFactory, OrganisationFactory, category, member_of
from tests.integration.test_celery_worker import run_worker, smtp, subject_of, text_of  # noqa: F401
from wastex.celery import app as celery_app

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set: no broker to test against"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A redis-server of our own, to stop and start at will."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        binary = shutil.which("redis-server")
        if binary is None:
            if os.environ.get("CI"):
                pytest.fail("redis-server is not installed")
            pytest.skip("redis-server is not installed")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def use_broker(url: str) -> None:
    """Point this test process's Celery app at another broker (a fresh connection pool)."""
    celery_app.conf.broker_url = url
    celery_app.conf.broker_write_url = url
    celery_app.conf.broker_read_url = url
    # kombu keeps its pools in process-wide registries keyed by the broker URL: a pool closed here would be
    # handed out again when the test points back at the first URL ("Acquire on closed pool"). Reset them all.
    kombu_pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture(scope="module")
def redis_server():
    server = PrivateRedis()
    server.start()
    yield server
    if server.process and server.process.poll() is None:
        server.stop()


@pytest.fixture(scope="module")
def private_worker(django_db_setup, django_db_blocker, smtp, redis_server):  # noqa: F811
    previous = celery_app.conf.broker_url
    use_broker(redis_server.url)
    yield from run_worker(smtp, redis_server.url)
    use_broker(previous)


@pytest.fixture
def mailbox(smtp):  # noqa: F811
    smtp.messages.clear()
    smtp.refuse_next = smtp.refused = 0
    return smtp


def matching_setup():
    plant = OrganisationFactory(name="PT Pabrik Integrasi")
    plant_admin = member_of(plant, email="pabrik@integrasi.test", language="en")
    processor = OrganisationFactory(name="CV Olah Integrasi", processor=True)
    member_of(processor, email="olah@integrasi.test", language="en")
    Capability.objects.create(
        organisation=processor,
        category=category("steel-slag"),
        route="recycling",
        capacity_tonnes_per_month=Decimal("500"),
        latitude=Decimal("-6.02"),
        longitude=Decimal("105.96"),
        radius_km=30,
    )
    lot = LotFactory(plant=plant, status="draft", published_at=None, title="Slag integrasi")
    return plant_admin, lot


def wait_until(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_publish_sends_the_match_email_through_the_worker(transactional_db, private_worker, mailbox):
    plant_admin, lot = matching_setup()
    services.lot_publish(lot=lot, acting_user=plant_admin)
    (message,) = mailbox.wait_for(1)
    assert message["To"] == "olah@integrasi.test"
    assert subject_of(message) == f"New lot {lot.reference} matches your organisation: Slag integrasi"
    body = text_of(message)
    assert f"/lots/{lot.reference}/" in body and "/notifications/preferences/" in body
    assert message["List-Unsubscribe"]
    time.sleep(1)
    assert len(mailbox.messages) == 1


def test_redis_down_at_publish_loses_nothing_and_delivers_once(transactional_db, private_worker, redis_server, mailbox):
    plant_admin, lot = matching_setup()
    redis_server.stop()
    try:
        started = time.monotonic()
        services.lot_publish(lot=lot, acting_user=plant_admin)  # does not fail, does not hang
        assert time.monotonic() - started < 15
        lot.refresh_from_db()
        assert lot.status == "open"
        assert OutboxEvent.objects.filter(processed_at__isnull=True).count() == 1
    finally:
        redis_server.start()
    time.sleep(2)
    assert mailbox.messages == [] and not Notification.objects.exists()

    outbox.redispatch(older_than=timedelta(0))  # what beat does every minute
    (message,) = mailbox.wait_for(1)
    assert message["To"] == "olah@integrasi.test"
    assert wait_until(lambda: not OutboxEvent.objects.filter(processed_at__isnull=True).exists())
    outbox.redispatch(older_than=timedelta(0))  # nothing left to send again
    time.sleep(2)
    assert len(mailbox.messages) == 1
    assert Notification.objects.count() == 1


def test_smtp_refusing_at_first_is_retried_then_delivered_once(transactional_db, private_worker, mailbox):
    person = member_of(OrganisationFactory(processor=True), email="ulang@integrasi.test", language="en")
    mailbox.refuse_next = 2
    notifications.notify_later(
        "new_match", "new_match:retry-test", [person.pk], {"reference": "WX-R", "title": "T"}, "/"
    )
    # notify_later outside a transaction: on_commit runs at once (autocommit)
    (message,) = mailbox.wait_for(1, timeout=60)
    assert mailbox.refused == 2 and message["To"] == "ulang@integrasi.test"
    note = Notification.objects.get(recipient=person)
    assert wait_until(lambda: Notification.objects.get(pk=note.pk).email_status == "sent")
    note.refresh_from_db()
    assert note.email_attempts == 3
    time.sleep(2)
    assert len(mailbox.messages) == 1


def test_a_worker_killed_mid_task_leads_to_one_delivery(
    transactional_db,
    private_worker,
    redis_server,
    smtp,  # noqa: F811 - the fixture
    mailbox,
):
    person = member_of(OrganisationFactory(processor=True), email="sekali@integrasi.test", language="en")
    payload = {
        "event": "new_match",
        "key": "new_match:kill-test",
        "recipients": [person.pk],
        "params": {"reference": "WX-K", "title": "Killed"},
        "url": "/",
        "sleep": 30,
    }
    first = run_worker(smtp, redis_server.url, include="tests.integration.slow_handler")
    handle = next(first)
    event = outbox.publish("slow_notify", "slow:kill-test", payload)
    assert wait_until(lambda: any("slow_notify: inserted" in line for line in handle.log), timeout=30)
    handle.process.kill()  # SIGKILL in the middle of the task
    handle.process.wait(timeout=10)
    next(first, None)  # its teardown: the queue setting back
    event.refresh_from_db()
    assert event.processed_at is None and not Notification.objects.exists()  # rolled back, not lost

    payload["sleep"] = 0
    OutboxEvent.objects.filter(pk=event.pk).update(payload=payload)
    second = run_worker(smtp, redis_server.url, include="tests.integration.slow_handler")
    next(second)
    try:
        outbox.redispatch(older_than=timedelta(0))  # what beat does every minute
        (message,) = mailbox.wait_for(1, timeout=60)
        assert message["To"] == "sekali@integrasi.test"
        assert wait_until(lambda: OutboxEvent.objects.get(pk=event.pk).processed_at is not None)
        outbox.redispatch(older_than=timedelta(0))
        time.sleep(2)
        assert len(mailbox.messages) == 1 and Notification.objects.count() == 1
    finally:
        next(second, None)  # stop it
