"""The outbox and the e-mail queue: work to do after a commit, kept in the database so a broker outage loses
nothing. See core.outbox and core.mail."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxEvent(models.Model):
    """Something happened that other work must follow (people told, a lot matched). Written in the transaction
    of the change itself, so a broker outage loses nothing: a beat task dispatches what is still unprocessed
    once the broker is back. (The table is still called members_outboxevent: the model began in members.)"""

    key = models.CharField(max_length=160, unique=True)
    kind = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    dispatch_count = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "members_outboxevent"
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        indexes = [
            models.Index(
                fields=["created_at"], name="outbox_unprocessed_idx", condition=models.Q(processed_at__isnull=True)
            )
        ]

    def __str__(self):
        return self.key


class OutgoingEmail(models.Model):
    """One e-mail rendered for one address (a sign-up link, an invitation, a note to staff), sent by the same
    queue and retries as notification e-mails (core.mail). The text is dropped once it is sent: it may hold a
    one-time link."""

    class Status(models.TextChoices):
        PENDING = "pending", _("to be sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("could not be sent")

    to = models.EmailField(max_length=254)
    subject = models.TextField()
    body = models.TextField(blank=True)
    html = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    email_status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_next_attempt_at = models.DateTimeField(default=timezone.now)
    email_error = models.TextField(blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        indexes = [
            models.Index(
                fields=["email_status", "email_next_attempt_at"],
                name="outgoing_email_due_idx",
                condition=models.Q(email_status="pending"),
            )
        ]

    def __str__(self):
        return f"{self.to}: {self.subject}"
