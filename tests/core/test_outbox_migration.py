"""The outbox moving from members to core keeps its table and every row: a database built at the migrations
before the move, with events and notifications in it, migrates forward and reads them through core's model."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from core.models import OutboxEvent
from members.models import Notification

BEFORE = [
    ("core", None),
    ("members", "0005_pending_signup"),
    ("listings", "0010_award_winner_status"),
    ("dashboard", "0005_deal_months"),
]


@pytest.mark.django_db(transaction=True)
def test_outbox_rows_and_notifications_survive_the_move_to_core():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state([node for node in BEFORE if node[1]]).apps
    assert ("core", "0001_initial") not in MigrationExecutor(connection).loader.applied_migrations
    with pytest.raises(LookupError):
        apps.get_model("core", "OutboxEvent")
    OldOutboxEvent = apps.get_model("members", "OutboxEvent")
    User = apps.get_model("members", "User")
    OldNotification = apps.get_model("members", "Notification")
    OldContentType = apps.get_model("contenttypes", "ContentType")
    assert OldContentType.objects.filter(app_label="members", model="outboxevent").exists()

    now = timezone.now()
    person = User.objects.create(email="budi@olah.test", full_name="Budi")
    OldOutboxEvent.objects.create(
        key="notify:new_match:7",
        kind="notify",
        payload={"event": "new_match", "recipients": [person.pk], "params": {"reference": "WX-7"}},
        created_at=now - timedelta(minutes=5),
        dispatched_at=now - timedelta(minutes=4),
        dispatch_count=2,
        processed_at=now - timedelta(minutes=3),
    )
    OldOutboxEvent.objects.create(key="match_lot:8:local", kind="match_lot", payload={"lot": 8}, created_at=now)
    OldNotification.objects.create(
        recipient=person,
        event="new_match",
        key="new_match:7",
        params={"reference": "WX-7", "title": "Slag"},
        url="/lots/WX-7/",
        email_status="failed",
        email_attempts=6,
        email_error="SMTPResponseException: 451",
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    events = {event.key: event for event in OutboxEvent.objects.all()}
    assert set(events) == {"notify:new_match:7", "match_lot:8:local"}
    done = events["notify:new_match:7"]
    assert done.kind == "notify" and done.payload["recipients"] == [person.pk] and done.dispatch_count == 2
    assert done.processed_at == now - timedelta(minutes=3)
    waiting = events["match_lot:8:local"]
    assert waiting.payload == {"lot": 8} and waiting.processed_at is None and waiting.dispatch_count == 0
    assert list(OutboxEvent.objects.filter(processed_at__isnull=True).values_list("key", flat=True)) == [
        "match_lot:8:local"
    ]
    note = Notification.objects.get()
    assert (note.recipient_id, note.key, note.email_status, note.email_attempts) == (
        person.pk,
        "new_match:7",
        "failed",
        6,
    )
    assert note.params == {"reference": "WX-7", "title": "Slag"}
    # The admin's permissions on the outbox follow it: one content type, now core's.
    ContentType.objects.clear_cache()
    assert not ContentType.objects.filter(app_label="members", model="outboxevent").exists()
    assert ContentType.objects.get_for_model(OutboxEvent).app_label == "core"
