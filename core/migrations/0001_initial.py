"""The outbox moves here from members, keeping its table (members_outboxevent) and every row: this migration
only tells Django's state that core owns it (members 0006 lets go of it). The e-mail queue's table is new."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OutboxEvent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                        ),
                        ("key", models.CharField(max_length=160, unique=True)),
                        ("kind", models.CharField(max_length=40)),
                        ("payload", models.JSONField(default=dict)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("dispatched_at", models.DateTimeField(blank=True, null=True)),
                        ("dispatch_count", models.PositiveIntegerField(default=0)),
                        ("processed_at", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        "verbose_name": "outbox event",
                        "verbose_name_plural": "outbox events",
                        "db_table": "members_outboxevent",
                        "indexes": [
                            models.Index(
                                condition=models.Q(("processed_at__isnull", True)),
                                fields=["created_at"],
                                name="outbox_unprocessed_idx",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],  # the table exists (members 0003 made it) and stays as it is
        ),
        migrations.CreateModel(
            name="OutgoingEmail",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("to", models.EmailField(max_length=254)),
                ("subject", models.TextField()),
                ("body", models.TextField(blank=True)),
                ("html", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "email_status",
                    models.CharField(
                        choices=[("pending", "to be sent"), ("sent", "sent"), ("failed", "could not be sent")],
                        default="pending",
                        max_length=10,
                    ),
                ),
                ("email_attempts", models.PositiveSmallIntegerField(default=0)),
                ("email_next_attempt_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("email_error", models.TextField(blank=True)),
                ("emailed_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "verbose_name": "outgoing e-mail",
                "verbose_name_plural": "outgoing e-mails",
                "indexes": [
                    models.Index(
                        condition=models.Q(("email_status", "pending")),
                        fields=["email_status", "email_next_attempt_at"],
                        name="outgoing_email_due_idx",
                    )
                ],
            },
        ),
    ]
