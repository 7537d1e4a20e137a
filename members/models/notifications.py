"""Notifications: the inbox each person reads and each person's choice per event (in-app only, e-mail at
once, or a daily digest). The outbox that carries them after the commit is core's (core.models.OutboxEvent)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.choices import ChoiceLabels


class Event(models.TextChoices):
    NEW_MATCH = "new_match", _("A new lot matches my organisation")
    NEW_BID = "new_bid", _("A new bid on my lot")
    OUTBID = "outbid", _("My bid is no longer the best price")
    BID_ACCEPTED = "bid_accepted", _("My bid was accepted")
    BID_REJECTED = "bid_rejected", _("My bid was not chosen")
    LOT_ENDED = "lot_ended", _("A lot I bid on was cancelled or closed without an award")
    CLOSING_SOON = "closing_soon", _("A lot closes within 24 hours")
    WATCHED_CLOSING = "watched_closing", _("A lot I follow closes soon")
    LOT_CLOSED = "lot_closed", _("My lot closed: choose a winner")
    LICENCE_EXPIRING = "licence_expiring", _("A licence of my organisation expires soon")
    ORGANISATION_DECISION = "organisation_decision", _("My organisation was verified or rejected")
    ORGANISATION_CHANGE = "organisation_change", _("A change to my organisation's details was decided")
    PICKUP_RECORDED = "pickup_recorded", _("Pickup recorded")
    PROCESSING_RECORDED = "processing_recorded", _("Processing recorded")
    PERIOD_MISSED = "period_missed", _("A contract period passed without a pickup")
    CONTRACT_ENDED = "contract_ended", _("A contract was ended early")
    QUESTION_ANSWERED = "question_answered", _("A question on a lot I bid on or was matched to was answered")
    ADDENDUM_PUBLISHED = "addendum_published", _("A lot I bid on or was matched to was changed by an addendum")
    VISIT_BOOKING = "visit_booking", _("A site visit on my lot was booked or cancelled")
    VISIT_CANCELLED = "visit_cancelled", _("A site visit my organisation booked was cancelled by the plant")
    VISIT_REMINDER = "visit_reminder", _("A site visit is tomorrow")


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(ChoiceLabels, models.Model):
    """One person's inbox item. (recipient, key) is unique: a retried or repeated event never doubles it."""

    class Email(models.TextChoices):
        NONE = "none", _("in-app only")
        PENDING = "pending", _("to be sent")
        SENT = "sent", _("sent")
        DIGEST = "digest", _("waiting for the daily digest")
        DIGESTED = "digested", _("sent in a digest")
        FAILED = "failed", _("could not be sent")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    event = models.CharField(_("event"), max_length=40, choices=Event.choices)
    key = models.CharField(max_length=160)
    # Plain values only (references, titles, numbers): the message is rendered in the reader's language.
    params = models.JSONField(default=dict)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_status = models.CharField(max_length=10, choices=Email.choices, default=Email.NONE)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_next_attempt_at = models.DateTimeField(null=True, blank=True)
    email_error = models.TextField(blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_key")]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox_idx"),
            models.Index(
                fields=["recipient"], name="notification_unread_idx", condition=models.Q(read_at__isnull=True)
            ),
            models.Index(
                fields=["email_status", "email_next_attempt_at"],
                name="notification_email_idx",
                condition=models.Q(email_status__in=["pending", "digest"]),
            ),
        ]

    def __str__(self):
        return f"{self.recipient}: {self.key}"


class NotificationPreference(ChoiceLabels, models.Model):
    class Channel(models.TextChoices):
        IN_APP = "in_app", _("In the app only")
        EMAIL = "email", _("E-mail at once")
        DIGEST = "digest", _("Daily digest e-mail")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    event = models.CharField(_("event"), max_length=40, choices=Event.choices)
    channel = models.CharField(_("how"), max_length=10, choices=Channel.choices)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="preference_once_per_event")]

    def __str__(self):
        return f"{self.user}: {self.event} → {self.channel}"
