"""Licences a processor holds (e.g. a Persetujuan Teknis), checked by staff."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.choices import ChoiceLabels

from .organisations import Organisation


def licence_path(instance, filename):
    return f"licences/{instance.organisation_id}/{secrets.token_urlsafe(16)}.pdf"


class LicenceQuerySet(models.QuerySet):
    def verified(self):
        return self.filter(status=Licence.Status.VERIFIED)

    def valid_on(self, day):
        return self.verified().filter(valid_from__lte=day, valid_until__gte=day)

    def expiring_within(self, days: int):
        today = timezone.localdate()
        return self.verified().filter(valid_until__gte=today, valid_until__lte=today + timedelta(days=days))


class Licence(ChoiceLabels, models.Model):
    """A permit a processor holds, e.g. the technical approval (Persetujuan Teknis) PP 22/2021 requires for B3
    waste. Checked by staff; a bid on a hazardous lot needs one that covers the category on the pickup date."""

    class Kind(models.TextChoices):
        PERTEK = "pertek", _("Technical approval for B3 waste (Persetujuan Teknis)")
        B3_PROCESSING = "b3-processing", _("B3 waste processing permit")
        B3_TRANSPORT = "b3-transport", _("B3 waste transport permit")
        OTHER = "other", _("Other environmental permit")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting check")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="licences", verbose_name=_("organisation")
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    number = models.CharField(_("number"), max_length=100)
    issuer = models.CharField(_("issued by"), max_length=200)
    categories = models.ManyToManyField(
        "listings.WasteCategory", blank=True, related_name="licences", verbose_name=_("waste categories covered")
    )
    waste_codes = models.CharField(
        _("waste codes covered"), max_length=300, blank=True, help_text=_("Comma-separated, e.g. B105d, B104d")
    )
    capacity_tonnes_per_month = models.DecimalField(
        _("capacity (t per month)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    document = models.FileField(_("document (PDF)"), upload_to=licence_path, max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
    )
    reviewed_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    review_note = models.TextField(_("note from staff"), blank=True)
    expiry_warned_at = models.DateTimeField(_("expiry warning sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    objects = LicenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        ordering = ["-valid_until"]
        constraints = [
            models.CheckConstraint(condition=models.Q(valid_until__gte=models.F("valid_from")), name="licence_dates"),
        ]
        indexes = [models.Index(fields=["organisation", "status", "valid_until"], name="licence_org_status_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}"

    @property
    def code_list(self) -> list[str]:
        return [code.strip().upper() for code in self.waste_codes.split(",") if code.strip()]

    def covers(self, category) -> bool:
        """By category, or by the category's Indonesian waste code (prefetch `categories` to avoid a query)."""
        if category.indonesian_code and category.indonesian_code.upper() in self.code_list:
            return True
        return any(c.pk == category.pk for c in self.categories.all())

    def is_valid_on(self, day) -> bool:
        return self.status == self.Status.VERIFIED and self.valid_from <= day <= self.valid_until
