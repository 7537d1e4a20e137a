"""The outbox: work that must follow a change, recorded in the change's own transaction, done once, later.

1. `publish(kind, key, payload)` writes a row (core.models.OutboxEvent) in the current transaction; after the
   commit it is handed to the broker. If the broker is down nothing is lost: `redispatch` (beat, every minute)
   hands it over again once the broker is back. The key is unique: publishing the same key twice is one event.
2. The `process_event` task runs the handler registered for the event's kind once, under a row lock, and marks
   the event processed in the same transaction: a duplicate message, or a worker killed half way, never runs
   it twice. A handler that raises leaves the event unprocessed, for the next hand-over.
3. Apps register their handlers (`@handler("notify")`) when they are loaded (in their AppConfig.ready): core
   never imports an app. Registered today: "notify" (members.notifications: people's inboxes),
   "match_lot" (listings.services.matching: matching a published lot) and "webhook" (api.webhook_sending: the
   first attempt of a webhook delivery).
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from celery import signature
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import OutboxEvent

logger = logging.getLogger(__name__)

HANDLERS: dict[str, Callable[[dict], None]] = {}

# The task that processes one event (core.tasks.process_event), by name: the tasks call this module, so it
# does not import them.
PROCESS_TASK = "core.tasks.process_event"


def handler(kind: str):
    """Register the function that processes outbox events of this kind: `@handler("notify")`."""

    def register(function: Callable[[dict], None]):
        if HANDLERS.get(kind, function) is not function:
            raise ValueError(f"Two handlers for outbox events of kind {kind!r}")
        HANDLERS[kind] = function
        return function

    return register


def publish(kind: str, key: str, payload: dict) -> OutboxEvent:
    """Record an event in the current transaction; it is handed to the broker after the commit, or later."""
    event, created = OutboxEvent.objects.get_or_create(key=key, defaults={"kind": kind, "payload": payload})
    if created:
        transaction.on_commit(lambda: dispatch(event.pk))
    return event


def dispatch(event_id: int) -> bool:
    """Hand an outbox event to the broker. A broker outage is logged, never raised: the event stays in the
    outbox and `redispatch` tries again."""
    OutboxEvent.objects.filter(pk=event_id).update(dispatched_at=timezone.now(), dispatch_count=F("dispatch_count") + 1)
    try:
        signature(PROCESS_TASK, args=(event_id,)).apply_async(retry=False)
    except Exception:  # noqa: BLE001 - the broker's errors vary by transport; none may fail the change
        logger.warning("Outbox event %s not handed to the broker; it will be sent again", event_id, exc_info=True)
        return False
    return True


def process(event_id: int) -> bool:
    """Run an event's handler once. Returns False when it was processed already (or is being processed)."""
    with transaction.atomic():
        event = (
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(pk=event_id, processed_at__isnull=True)
            .first()
        )
        if event is None:
            return False
        HANDLERS[event.kind](event.payload)
        event.processed_at = timezone.now()
        event.save(update_fields=["processed_at"])
    return True


def redispatch(older_than: timedelta = timedelta(seconds=30)) -> int:
    """Hand again to the broker every event not processed yet that was last handed over a while ago."""
    cutoff = timezone.now() - older_than
    waiting = (
        OutboxEvent.objects.filter(processed_at__isnull=True, created_at__lte=cutoff)
        .exclude(dispatched_at__gt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:1000]
    )
    return sum(dispatch(pk) for pk in list(waiting))


def purge(days: int = 30) -> int:
    """Processed events are kept a month for tracing, then deleted."""
    deleted, _ = OutboxEvent.objects.filter(processed_at__lt=timezone.now() - timedelta(days=days)).delete()
    return deleted
