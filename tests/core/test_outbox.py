"""The outbox: an event recorded with the change, its handler run once, processed events purged, handlers
registered by the apps (core imports none)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core import outbox
from core.models import OutboxEvent
from members import notifications
from members.models import Event, Notification

pytestmark = pytest.mark.django_db


def test_apps_register_their_handlers_and_a_kind_has_one():
    assert outbox.HANDLERS["notify"].__module__ == "members.notifications"
    assert outbox.HANDLERS["match_lot"].__module__.startswith("listings.")
    with pytest.raises(ValueError, match="notify"):
        outbox.handler("notify")(lambda payload: None)
    assert outbox.HANDLERS["notify"].__module__ == "members.notifications"  # the first one stays


def test_publishing_one_key_twice_is_one_event(django_capture_on_commit_callbacks):
    calls = []
    outbox.HANDLERS["test_once"] = calls.append
    try:
        with django_capture_on_commit_callbacks(execute=True):
            first = outbox.publish("test_once", "test:1", {"n": 1})
            second = outbox.publish("test_once", "test:1", {"n": 2})
        assert first.pk == second.pk and calls == [{"n": 1}]
        first.refresh_from_db()
        assert first.processed_at is not None and first.dispatch_count == 1
    finally:
        del outbox.HANDLERS["test_once"]


def test_a_handler_that_dies_half_way_leaves_nothing_and_runs_again_once(processor_admin, monkeypatch):
    """What a worker killed mid-task looks like to the database: the transaction never commits."""
    notifications.notify_later(Event.NEW_MATCH, "crash-test", [processor_admin.pk], {"reference": "X", "title": "Y"})
    event = OutboxEvent.objects.get(key="crash-test")
    real_deliver = notifications.deliver

    def dies_after_inserting(*args, **kwargs):
        real_deliver(*args, **kwargs)
        raise SystemExit("worker killed")

    monkeypatch.setattr(notifications, "deliver", dies_after_inserting)
    with pytest.raises(SystemExit):
        outbox.process(event.pk)
    assert Notification.objects.count() == 0  # rolled back with the event's row
    event.refresh_from_db()
    assert event.processed_at is None
    monkeypatch.setattr(notifications, "deliver", real_deliver)
    assert outbox.process(event.pk) is True
    assert outbox.process(event.pk) is False
    assert Notification.objects.count() == 1


def test_old_processed_events_are_purged(processor_admin):
    notifications.notify_later(Event.NEW_MATCH, "old", [processor_admin.pk], {"reference": "X", "title": "Y"})
    notifications.notify_later(Event.NEW_MATCH, "waiting", [processor_admin.pk], {"reference": "X", "title": "Y"})
    OutboxEvent.objects.filter(key="old").update(processed_at=timezone.now() - timedelta(days=31))
    assert outbox.purge() == 1
    assert list(OutboxEvent.objects.values_list("key", flat=True)) == ["waiting"]
