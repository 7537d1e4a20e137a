"""Documents of a deal: the award letter, the handover record and the processing certificate, each a numbered,
immutable PDF with a public verification code (README "Documents").

A document belongs to one contract (listings.Award): each winner of a stream shared among processors gets its own
award letter. The handover record and the processing certificate also belong to one period of that contract
(listings.ContractPeriod): a one-off lot's only period, or each week, month or quarter of a recurring stream."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from listings.models import Award, ContractPeriod, WasteLot
from members.models import Organisation


def document_path(instance, filename):
    # Random stored names, as for every upload: the number is public, the file's place in the store is not.
    return f"documents/{instance.lot.reference}/{secrets.token_urlsafe(16)}.pdf"


def new_verification_code() -> str:
    """32 URL-safe characters, 192 random bits: guessing one that exists is hopeless, whatever the rate limit."""
    return secrets.token_urlsafe(24)


class DocumentCounter(models.Model):
    """The last number of a kind of document in a year: numbers are WX-<prefix>-<year>-<number>, gap-free per
    kind and year, taken under this row's lock (select_for_update), so two documents never share one."""

    prefix = models.CharField(max_length=8)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="document_counter_unique")]

    def __str__(self):
        return f"{self.prefix} {self.year}: {self.last}"


class Document(models.Model):
    class Kind(models.TextChoices):
        AWARD_LETTER = "award-letter", _("Award letter (Surat Penunjukan)")
        HANDOVER_RECORD = "handover-record", _("Handover record (Berita Acara Serah Terima)")
        PROCESSING_CERTIFICATE = "processing-certificate", _("Processing certificate (Sertifikat Pengolahan)")

    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        REVOKED = "revoked", _("Revoked")
        SUPERSEDED = "superseded", _("Superseded")

    # The number's middle part per kind: SP = Surat Penunjukan, BAST = Berita Acara Serah Terima,
    # SPL = Sertifikat Pengolahan Limbah.
    PREFIXES = {Kind.AWARD_LETTER: "SP", Kind.HANDOVER_RECORD: "BAST", Kind.PROCESSING_CERTIFICATE: "SPL"}

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    number = models.CharField(_("number"), max_length=30, unique=True, editable=False)
    code = models.CharField(
        _("verification code"), max_length=64, unique=True, editable=False, default=new_verification_code
    )
    lot = models.ForeignKey(WasteLot, on_delete=models.PROTECT, related_name="documents", verbose_name=_("lot"))
    # The contract it records (its processor is the award's bidder) and, for a handover record or a processing
    # certificate, the period whose handover it records (none for an award letter).
    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="documents", verbose_name=_("contract"))
    period = models.ForeignKey(
        ContractPeriod,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("period"),
    )
    plant = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("plant"))
    processor = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("processor"))
    # What the document states, as it stated it the day it was issued (names, quantities, dates; never a
    # price): the verification page shows these, not today's values.
    facts = models.JSONField(_("facts"), default=dict, editable=False)
    language = models.CharField(_("language"), max_length=10, default="id", editable=False)
    file = models.FileField(_("file"), upload_to=document_path, max_length=200, editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False)
    size = models.PositiveIntegerField(_("size in bytes"), editable=False)
    created_at = models.DateTimeField(_("issued at"), default=timezone.now, editable=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.VALID)
    status_reason = models.TextField(_("reason"), blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    superseded_by = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supersedes",
        verbose_name=_("superseded by"),
    )

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["created_at", "id"]
        constraints = [
            # Generation is idempotent: one award letter per contract, one handover record and one processing
            # certificate per period, unless the earlier one was superseded.
            models.UniqueConstraint(
                fields=["award", "kind"],
                condition=~Q(status="superseded") & Q(period__isnull=True),
                name="document_one_per_kind_per_contract",
            ),
            models.UniqueConstraint(
                fields=["period", "kind"], condition=~Q(status="superseded"), name="document_one_per_kind_per_period"
            ),
            models.CheckConstraint(
                condition=Q(kind="award-letter", period__isnull=True)
                | (~Q(kind="award-letter") & Q(period__isnull=False)),
                name="document_period_by_kind",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["valid", "revoked", "superseded"]), name="document_status_known"
            ),
        ]
        indexes = [models.Index(fields=["lot", "kind"], name="document_lot_kind_idx")]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("documents:download", kwargs={"reference": self.lot.reference, "number": self.number})

    def get_verify_url(self):
        return reverse("documents:verify", kwargs={"code": self.code})

    @property
    def is_valid(self) -> bool:
        return self.status == self.Status.VALID


# The yearly evidence pack's model, in its own module (documents/evidence_models.py) beside the code that builds it.
from .evidence_models import EvidencePack  # noqa: E402, F401
