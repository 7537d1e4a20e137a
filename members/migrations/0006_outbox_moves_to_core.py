"""The outbox (OutboxEvent) now belongs to core (core 0001): members lets go of it in Django's state only. The
table members_outboxevent and its rows stay untouched; its content type (and so any permission on it) follows."""

from django.db import migrations


def content_type_to_core(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    old = ContentType.objects.filter(app_label="members", model="outboxevent")
    if ContentType.objects.filter(app_label="core", model="outboxevent").exists():
        old.delete()
    else:
        old.update(app_label="core")


def content_type_to_members(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="members", model="outboxevent").exists():
        ContentType.objects.filter(app_label="core", model="outboxevent").update(app_label="members")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0001_initial"),
        ("members", "0005_pending_signup"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="OutboxEvent")],
            database_operations=[],
        ),
        migrations.RunPython(content_type_to_core, content_type_to_members),
    ]
