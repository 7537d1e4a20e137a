"""Sending a webhook delivery: signed, once, retried with backoff for a day.

- The delivery's row is written with the event (api.webhooks); its first attempt is an outbox event ("webhook"),
  so a broker outage at that moment loses nothing: the outbox hands it over again once the broker is back.
- Each attempt locks the row (two workers never send it at once), checks the URL again and connects only to
  an address it checked, waits WEBHOOK_TIMEOUT_SECONDS at most, follows no redirect (a 3xx is a failure), and
  marks the row in the same transaction. A 2xx answer delivers it; anything else is kept as the row's last
  error, and the next attempt is due after WEBHOOK_RETRY_SECONDS, doubled each time, until WEBHOOK_GIVE_UP_HOURS
  after the event: then it is given up (status "failed", its error on the subscription's page).
- After a failure a task is scheduled for the moment the retry is due; `retry_due` (beat, every minute) sends
  whatever is due that no task took. A receiver may still see an event twice (a worker killed after the
  receiver answered): the X-WasteX-Event-Id header is the same at every attempt, to drop a second copy.
"""

import hashlib
import hmac
import http.client
import json
import logging
import socket
import ssl
import time
from datetime import timedelta

from celery import signature
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from core import outbox

from . import webhook_urls
from .models import WebhookDelivery
from .webhooks import SEND_KIND

logger = logging.getLogger(__name__)

SEND_TASK = "api.tasks.send_webhook"
MAX_BACKOFF = timedelta(hours=6)
DUE_BATCH = 200
USER_AGENT = "WasteX-Webhooks/1"


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, cls=DjangoJSONEncoder, separators=(",", ":"), sort_keys=True).encode()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 of "<timestamp>.<body>" with the subscription's secret, as hex."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def headers_for(delivery: WebhookDelivery, body: bytes, timestamp: str | None = None) -> dict:
    timestamp = timestamp or str(int(time.time()))
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-WasteX-Event": delivery.event,
        "X-WasteX-Event-Id": str(delivery.event_id),
        "X-WasteX-Timestamp": timestamp,
        "X-WasteX-Signature": "sha256=" + sign(delivery.subscription.secret, timestamp, body),
    }


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to an address checked beforehand (when there is one), naming the URL's host in the request."""

    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address or self.host, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address or self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict) -> tuple[int | None, str]:
    """One POST: (status, "") when answered, (status or None, reason) otherwise. Never raises."""
    try:
        target = webhook_urls.check_url(url)
    except ValidationError as exc:
        return None, "; ".join(exc.messages)
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    address = target.addresses[0] if target.addresses else None
    connection = connection_class(target.host, target.port, address, settings.WEBHOOK_TIMEOUT_SECONDS)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(4096)
    except TimeoutError:
        return None, f"timeout after {settings.WEBHOOK_TIMEOUT_SECONDS:g} s"
    except (OSError, http.client.HTTPException) as exc:
        return None, f"connection failed: {exc.__class__.__name__}: {exc}"[:500]
    finally:
        connection.close()
    if 200 <= response.status < 300:
        return response.status, ""
    if 300 <= response.status < 400:
        return response.status, f"HTTP {response.status}: redirects are not followed"
    return response.status, f"HTTP {response.status} {response.reason}"[:500]


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=settings.WEBHOOK_RETRY_SECONDS * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def attempt(delivery_id: int) -> str | None:
    """Try one delivery if it is due and its subscription active. Returns its status after the attempt, or
    None when there was nothing to try (sent already, not due, paused, deleted, or being sent elsewhere)."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription")
            .filter(
                pk=delivery_id,
                status=WebhookDelivery.Status.PENDING,
                next_attempt_at__lte=now,
                subscription__is_active=True,
            )
            .first()
        )
        if delivery is None:
            return None
        body = body_of(delivery)
        status, error = post(delivery.subscription.url, body, headers_for(delivery, body))
        now = timezone.now()
        delivery.attempts += 1
        delivery.last_status_code = status
        delivery.last_error = error
        give_up_at = delivery.created_at + timedelta(hours=settings.WEBHOOK_GIVE_UP_HOURS)
        if not error:
            delivery.status = WebhookDelivery.Status.SENT
            delivery.delivered_at = now
        elif now >= give_up_at:
            delivery.status = WebhookDelivery.Status.FAILED
            logger.warning("Webhook delivery %s given up after %s attempts: %s", delivery.pk, delivery.attempts, error)
        else:
            delivery.next_attempt_at = min(now + backoff(delivery.attempts), give_up_at)
            countdown = max(int((delivery.next_attempt_at - now).total_seconds()), 1)
            transaction.on_commit(lambda: schedule(delivery.pk, countdown))
        delivery.save(
            update_fields=["attempts", "last_status_code", "last_error", "status", "delivered_at", "next_attempt_at"]
        )
    return delivery.status


def schedule(delivery_id: int, countdown: int = 0) -> None:
    """Ask a worker for an attempt later; a broker outage is logged, never raised (`retry_due` is the net)."""
    try:
        signature(SEND_TASK, args=(delivery_id,)).apply_async(countdown=countdown, retry=False)
    except Exception:  # noqa: BLE001 - the broker's errors vary by transport
        logger.warning("Webhook delivery %s not handed to the broker; beat will try it", delivery_id, exc_info=True)


def retry_due() -> int:
    """Every delivery whose attempt is due (a retry, or a subscription resumed). Returns how many were tried."""
    due = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now(), subscription__is_active=True
    ).order_by("next_attempt_at")
    return sum(attempt(pk) is not None for pk in list(due.values_list("pk", flat=True)[:DUE_BATCH]))


@outbox.handler(SEND_KIND)
def _handle_send(payload: dict) -> None:
    """The first attempt, after the event's commit (or after a broker outage, from the outbox)."""
    attempt(payload["delivery"])


def purge(days: int = 30) -> int:
    """Deliveries delivered or given up more than a month ago go (their bodies with them)."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = (
        WebhookDelivery.objects.exclude(status=WebhookDelivery.Status.PENDING).filter(created_at__lt=cutoff).delete()
    )
    return deleted
