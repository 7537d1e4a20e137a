"""Organisation tokens (the API's credentials), the record of every write made with one, and webhooks."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Organisation


class Scope(models.TextChoices):
    READ = "read", _("Read lots, bids, notifications and the catalogue")
    LOTS = "lots", _("Post and manage lots, award them")
    BID = "bid", _("Place, revise and withdraw bids")
    HANDOVER = "handover", _("Record pickups and processing")
    DASHBOARD = "dashboard", _("Read the dashboard's figures")


# Which scopes each kind of organisation may give a token (an unverified organisation: read only).
SCOPES_BY_KIND = {
    Organisation.Kind.PLANT: (Scope.READ, Scope.LOTS, Scope.HANDOVER),
    Organisation.Kind.PROCESSOR: (Scope.READ, Scope.BID, Scope.HANDOVER),
    Organisation.Kind.AUTHORITY: (Scope.READ, Scope.DASHBOARD),
    Organisation.Kind.OPERATOR: (Scope.READ, Scope.DASHBOARD),
}


class OrganisationTokenQuerySet(models.QuerySet):
    def active(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class OrganisationToken(models.Model):
    """A credential an organisation's admin gives one of its own systems. Only the SHA-256 of the secret is kept;
    the short prefix (visible, not secret) finds the row. The request acts as the organisation, through the
    person who created the token (the services take a person for the audit trail)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("organisation")
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = OrganisationTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())

    def scope_labels(self) -> list[str]:
        return [str(Scope(scope).label) for scope in self.scopes if scope in Scope.values]


class ApiWrite(models.Model):
    """One row per write request made with a token (accepted or refused): which token, what, and the answer."""

    token = models.ForeignKey(OrganisationToken, on_delete=models.CASCADE, related_name="writes")
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    status = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("API write")
        verbose_name_plural = _("API writes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["token", "-created_at"], name="api_write_token_idx")]

    def __str__(self):
        return f"{self.method} {self.path} → {self.status}"


class WebhookEvent(models.TextChoices):
    """What a subscription may hear of. Each follows a notification the organisation's people get already, so
    it reaches exactly the organisations entitled to it (api.webhook_events)."""

    NEW_MATCH = "new_match", _("New match: a new lot matches the organisation")
    NEW_BID = "new_bid", _("New bid on one of our lots")
    OUTBID = "outbid", _("Our bid is no longer the best price")
    AWARD = "award", _("Award of a lot we bid on (won or not chosen)")
    LOT_CLOSING = "lot_closing", _("A lot we bid on or match closes within 24 hours")
    PICKUP_RECORDED = "pickup_recorded", _("Pickup recorded")
    PROCESSING_RECORDED = "processing_recorded", _("Processing recorded")
    PERIOD_MISSED = "period_missed", _("A contract period passed without a pickup")
    CONTRACT_ENDED = "contract_ended", _("A contract was ended early")


# Which events each kind of organisation can be told of (a subscription offers only these).
WEBHOOK_EVENTS_BY_KIND = {
    Organisation.Kind.PLANT: (
        WebhookEvent.NEW_BID,
        WebhookEvent.PICKUP_RECORDED,
        WebhookEvent.PROCESSING_RECORDED,
        WebhookEvent.PERIOD_MISSED,
        WebhookEvent.CONTRACT_ENDED,
    ),
    Organisation.Kind.PROCESSOR: (
        WebhookEvent.NEW_MATCH,
        WebhookEvent.OUTBID,
        WebhookEvent.AWARD,
        WebhookEvent.LOT_CLOSING,
        WebhookEvent.PICKUP_RECORDED,
        WebhookEvent.PROCESSING_RECORDED,
        WebhookEvent.PERIOD_MISSED,
        WebhookEvent.CONTRACT_ENDED,
    ),
}


class WebhookSubscription(models.Model):
    """An organisation's URL told of its events. The secret signs every delivery (HMAC-SHA256); it must be kept
    as it is to compute the signature (a hash would not do), is shown to the admin once, and never again."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="webhooks", verbose_name=_("organisation")
    )
    url = models.CharField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(max_length=80)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="webhooks", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.url

    def event_labels(self) -> list[str]:
        return [str(WebhookEvent(event).label) for event in self.events if event in WebhookEvent.values]


class WebhookDelivery(models.Model):
    """One event for one subscription: its body, kept until it is delivered or given up (after 24 hours of
    retries). Unique per subscription and event key: an event told twice is one delivery."""

    class Status(models.TextChoices):
        PENDING = "pending", _("to be sent")
        SENT = "sent", _("delivered")
        FAILED = "failed", _("given up")

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    key = models.CharField(max_length=160)
    event_id = models.UUIDField(default=uuid.uuid4, unique=True)
    event = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "key"], name="webhook_delivery_once"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="webhook_delivery_due_idx", condition=models.Q(status="pending")
            ),
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_recent_idx"),
        ]

    def __str__(self):
        return f"{self.event} → {self.subscription_id} ({self.status})"
