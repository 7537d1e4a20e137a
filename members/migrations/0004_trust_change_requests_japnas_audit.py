"""Change requests for what staff verified, the Japnas member list, and the staff audit log.

The audit log starts with the staff decisions already recorded elsewhere: each verification or rejection in
the verification history and each licence check (its last one, the only one kept until now).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def backfill_audit(apps, schema_editor):
    AuditEntry = apps.get_model("members", "AuditEntry")
    VerificationEvent = apps.get_model("members", "VerificationEvent")
    Licence = apps.get_model("members", "Licence")
    entries = [
        AuditEntry(
            kind=f"organisation_{event.to_status}",
            actor_id=event.actor_id,
            organisation_id=event.organisation_id,
            details={"from": event.from_status},
            reason=event.reason,
            created_at=event.created_at,
        )
        for event in VerificationEvent.objects.filter(to_status__in=["verified", "rejected"]).iterator()
    ]
    entries += [
        AuditEntry(
            kind=f"licence_{licence.status}",
            actor_id=licence.reviewed_by_id,
            organisation_id=licence.organisation_id,
            details={"licence": licence.number},
            reason=licence.review_note,
            created_at=licence.reviewed_at,
        )
        for licence in Licence.objects.filter(reviewed_at__isnull=False, status__in=["verified", "rejected"]).iterator()
    ]
    AuditEntry.objects.bulk_create(entries, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0003_notifications"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="event",
            field=models.CharField(
                choices=[
                    ("new_match", "A new lot matches my organisation"),
                    ("new_bid", "A new bid on my lot"),
                    ("outbid", "My bid is no longer the best price"),
                    ("bid_accepted", "My bid was accepted"),
                    ("bid_rejected", "My bid was not chosen"),
                    ("lot_ended", "A lot I bid on was cancelled or closed without an award"),
                    ("closing_soon", "A lot closes within 24 hours"),
                    ("lot_closed", "My lot closed: choose a winner"),
                    ("licence_expiring", "A licence of my organisation expires soon"),
                    ("organisation_decision", "My organisation was verified or rejected"),
                    ("organisation_change", "A change to my organisation's details was decided"),
                    ("pickup_recorded", "Pickup recorded"),
                    ("processing_recorded", "Processing recorded"),
                ],
                max_length=40,
                verbose_name="event",
            ),
        ),
        migrations.AlterField(
            model_name="notificationpreference",
            name="event",
            field=models.CharField(
                choices=[
                    ("new_match", "A new lot matches my organisation"),
                    ("new_bid", "A new bid on my lot"),
                    ("outbid", "My bid is no longer the best price"),
                    ("bid_accepted", "My bid was accepted"),
                    ("bid_rejected", "My bid was not chosen"),
                    ("lot_ended", "A lot I bid on was cancelled or closed without an award"),
                    ("closing_soon", "A lot closes within 24 hours"),
                    ("lot_closed", "My lot closed: choose a winner"),
                    ("licence_expiring", "A licence of my organisation expires soon"),
                    ("organisation_decision", "My organisation was verified or rejected"),
                    ("organisation_change", "A change to my organisation's details was decided"),
                    ("pickup_recorded", "Pickup recorded"),
                    ("processing_recorded", "Processing recorded"),
                ],
                max_length=40,
                verbose_name="event",
            ),
        ),
        migrations.CreateModel(
            name="JapnasListUpload",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("filename", models.CharField(max_length=200, verbose_name="file")),
                ("member_count", models.PositiveIntegerField(verbose_name="members")),
                ("uploaded_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="uploaded at")),
                (
                    "uploaded_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="by",
                    ),
                ),
            ],
            options={
                "verbose_name": "Japnas member list upload",
                "verbose_name_plural": "Japnas member list uploads",
                "ordering": ["-uploaded_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="JapnasMember",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.CharField(max_length=40, unique=True, verbose_name="Japnas membership number")),
                ("name", models.CharField(max_length=200, verbose_name="name")),
                (
                    "upload",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="members",
                        to="members.japnaslistupload",
                        verbose_name="upload",
                    ),
                ),
            ],
            options={
                "verbose_name": "Japnas member",
                "verbose_name_plural": "Japnas members",
                "ordering": ["number"],
            },
        ),
        migrations.CreateModel(
            name="AuditEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("organisation_verified", "Organisation verified"),
                            ("organisation_rejected", "Organisation rejected"),
                            ("change_approved", "Change request approved"),
                            ("change_rejected", "Change request rejected"),
                            ("licence_verified", "Licence verified"),
                            ("licence_rejected", "Licence rejected"),
                            ("japnas_list_uploaded", "Japnas member list uploaded"),
                        ],
                        max_length=30,
                        verbose_name="action",
                    ),
                ),
                ("details", models.JSONField(blank=True, default=dict, verbose_name="details")),
                ("reason", models.TextField(blank=True, verbose_name="reason")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="when")),
                (
                    "actor",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="by",
                    ),
                ),
                (
                    "organisation",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="audit_entries",
                        to="members.organisation",
                        verbose_name="organisation",
                    ),
                ),
            ],
            options={
                "verbose_name": "audit entry",
                "verbose_name_plural": "audit entries",
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["-created_at", "-id"], name="audit_recent_idx"),
                    models.Index(fields=["kind", "-created_at"], name="audit_kind_idx"),
                ],
            },
        ),
        migrations.CreateModel(
            name="OrganisationChangeRequest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("changes", models.JSONField(verbose_name="changes")),
                ("requested_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="asked at")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting for staff"),
                            ("approved", "Approved"),
                            ("rejected", "Rejected"),
                            ("withdrawn", "Replaced or withdrawn"),
                        ],
                        default="pending",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                ("decided_at", models.DateTimeField(blank=True, null=True, verbose_name="decided at")),
                ("reason", models.TextField(blank=True, verbose_name="reason")),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="decided by",
                    ),
                ),
                (
                    "organisation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="change_requests",
                        to="members.organisation",
                        verbose_name="organisation",
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="asked by",
                    ),
                ),
            ],
            options={
                "verbose_name": "change request",
                "verbose_name_plural": "change requests",
                "ordering": ["-requested_at", "-id"],
                "indexes": [models.Index(fields=["status", "requested_at"], name="change_request_status_idx")],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("status", "pending")),
                        fields=("organisation",),
                        name="change_request_one_pending_per_organisation",
                    )
                ],
            },
        ),
        migrations.RunPython(backfill_audit, migrations.RunPython.noop),
    ]
