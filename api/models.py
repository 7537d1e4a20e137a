"""Organisation tokens (the API's credentials) and the record of every write made with one."""

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
