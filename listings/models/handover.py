"""After the award: the handover (pickup and processing) and the ratings each side gives the other."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.bounds import MAX_QUANTITY, quantity_validators
from core.choices import ChoiceLabels
from members.models import Organisation

from .catalogue import Route
from .lots import WasteLot


def handover_path(instance, filename):
    return f"handover/{instance.lot.reference}/{secrets.token_urlsafe(16)}.{filename.rsplit('.', 1)[-1]}"


class Handover(ChoiceLabels, models.Model):
    """Pickup (manifest, carrier, weight out) and processing (weight in, route, proof) of one contract period: the
    only period of a one-off lot's award, or one week, month or quarter of a recurring stream's contract."""

    MISMATCH_TOLERANCE = Decimal("0.02")

    lot = models.ForeignKey(
        WasteLot,
        on_delete=models.PROTECT,
        related_name="handovers",
        related_query_name="handover",
        verbose_name=_("lot"),
    )
    period = models.OneToOneField(
        "ContractPeriod", on_delete=models.PROTECT, related_name="handover", verbose_name=_("period")
    )
    pickup_date = models.DateField(_("pickup date"))
    carrier = models.CharField(_("carrier"), max_length=200)
    vehicle = models.CharField(_("vehicle registration"), max_length=40)
    manifest_number = models.CharField(
        _("manifest number"),
        max_length=60,
        blank=True,
        help_text=_("For hazardous (B3) waste: the electronic manifest (Festronik) number."),
    )
    quantity_sent = models.DecimalField(
        _("quantity weighed out"), max_digits=12, decimal_places=3, validators=quantity_validators()
    )
    pickup_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("pickup recorded by"),
    )
    pickup_recorded_at = models.DateTimeField(_("pickup recorded at"), default=timezone.now)
    quantity_received = models.DecimalField(
        _("quantity received"),
        max_digits=12,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), *quantity_validators(minimum=None)],
    )
    route_used = models.CharField(_("route actually used"), max_length=20, choices=Route.choices, blank=True)
    # The day the processor processed the waste (not before the pickup, never in the future); empty on
    # handovers recorded before the date was asked for.
    processing_date = models.DateField(_("processing date"), null=True, blank=True)
    proof = models.FileField(_("proof of processing (PDF or photo)"), upload_to=handover_path, blank=True)
    proof_content_type = models.CharField(max_length=40, blank=True, editable=False)
    processing_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("processing recorded by"),
    )
    processing_recorded_at = models.DateTimeField(_("processing recorded at"), null=True, blank=True)
    # Stored, not only computed: the staff page lists flagged handovers through an index.
    mismatch = models.BooleanField(_("sent and received differ beyond 2 %"), default=False, db_index=True)

    class Meta:
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        constraints = [
            models.CheckConstraint(condition=Q(quantity_sent__gt=0), name="handover_sent_positive"),
            models.CheckConstraint(condition=Q(quantity_sent__lte=MAX_QUANTITY), name="handover_sent_at_most_max"),
            models.CheckConstraint(
                condition=Q(quantity_received__isnull=True) | Q(quantity_received__lte=MAX_QUANTITY),
                name="handover_received_at_most_max",
            ),
            models.CheckConstraint(
                condition=Q(quantity_received__isnull=True) | Q(quantity_received__gte=0),
                name="handover_received_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(processing_date__isnull=True) | Q(processing_date__gte=models.F("pickup_date")),
                name="handover_processing_not_before_pickup",
            ),
        ]

    def __str__(self):
        return f"{self.lot.reference} handover #{self.period.number}"

    @property
    def difference(self) -> Decimal | None:
        if self.quantity_received is None:
            return None
        return self.quantity_received - self.quantity_sent

    @property
    def difference_ratio(self) -> Decimal | None:
        if self.quantity_received is None:
            return None
        return abs(self.quantity_received - self.quantity_sent) / self.quantity_sent

    def compute_mismatch(self) -> bool:
        ratio = self.difference_ratio
        return ratio is not None and ratio > self.MISMATCH_TOLERANCE


class Rating(ChoiceLabels, models.Model):
    """After completion each side rates the other once: 1 to 5 and a comment."""

    lot = models.ForeignKey(WasteLot, on_delete=models.PROTECT, related_name="ratings", verbose_name=_("lot"))
    rater = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="ratings_given", verbose_name=_("from")
    )
    rated = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="ratings_received", verbose_name=_("for")
    )
    stars = models.PositiveSmallIntegerField(_("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            # A plant rates each processor it shared a stream with; a processor rates the plant once.
            models.UniqueConstraint(fields=["lot", "rater", "rated"], name="rating_once_per_pair"),
            models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="rating_stars_range"),
        ]
        indexes = [models.Index(fields=["rated"], name="rating_rated_idx")]

    def __str__(self):
        return f"{self.lot.reference}: {self.rater} → {self.rated} ({self.stars})"
