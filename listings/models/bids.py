"""Bids, their revisions, and the award of one of them."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.bounds import MAX_PRICE, MAX_QUANTITY, price_validators, quantity_validators
from core.choices import ChoiceLabels
from members.models import Organisation

from .catalogue import Route
from .lots import WasteLot


class BidQuerySet(models.QuerySet):
    def live(self):
        return self.filter(status=Bid.Status.LIVE)


class Bid(ChoiceLabels, models.Model):
    """A processor's offer for a lot. Prices are whole rupiah per unit, signed like the reserve price."""

    class Status(models.TextChoices):
        LIVE = "live", _("Live")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Not chosen")

    lot = models.ForeignKey(WasteLot, on_delete=models.PROTECT, related_name="bids", verbose_name=_("lot"))
    bidder = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="bids",
        verbose_name=_("bidder"),
        limit_choices_to={"kind": Organisation.Kind.PROCESSOR},
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("placed by"),
    )
    price_per_unit = models.BigIntegerField(
        _("price per unit (Rp)"),
        validators=price_validators(),
        help_text=_("Positive: you pay the plant. Negative: the plant pays you (a gate fee)."),
    )
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, validators=quantity_validators())
    pickup_date = models.DateField(_("proposed pickup date"))
    route = models.CharField(_("processing route"), max_length=20, choices=Route.choices)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    licence = models.ForeignKey(
        "members.Licence",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bids",
        verbose_name=_("licence"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.LIVE)
    revision = models.PositiveIntegerField(_("revision"), default=1)
    created_at = models.DateTimeField(_("placed at"), default=timezone.now)
    updated_at = models.DateTimeField(_("last changed"), default=timezone.now)

    objects = BidQuerySet.as_manager()

    class Meta:
        verbose_name = _("bid")
        verbose_name_plural = _("bids")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lot", "bidder"], condition=Q(status="live"), name="bid_one_live_per_bidder_per_lot"
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="bid_quantity_positive"),
            models.CheckConstraint(condition=Q(quantity__lte=MAX_QUANTITY), name="bid_quantity_at_most_max"),
            models.CheckConstraint(
                condition=Q(price_per_unit__gte=-MAX_PRICE, price_per_unit__lte=MAX_PRICE), name="bid_price_bounds"
            ),
        ]
        indexes = [
            models.Index(fields=["lot", "status", "-price_per_unit"], name="bid_lot_status_price_idx"),
            models.Index(fields=["bidder", "-updated_at", "-id"], name="bid_bidder_updated_idx"),
        ]

    def __str__(self):
        return f"{self.lot.reference} · {self.bidder}"

    @property
    def total(self) -> Decimal:
        """Price × quantity, exactly (Decimal rupiah)."""
        return Decimal(self.price_per_unit) * self.quantity


class BidRevision(ChoiceLabels, models.Model):
    """Every version of a bid as it was placed or revised: the history a revision keeps."""

    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("bid"))
    number = models.PositiveIntegerField(_("revision"))
    price_per_unit = models.BigIntegerField(_("price per unit (Rp)"), validators=price_validators())
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, validators=quantity_validators())
    pickup_date = models.DateField(_("proposed pickup date"))
    route = models.CharField(_("processing route"), max_length=20, choices=Route.choices)
    note = models.TextField(_("note"), blank=True)
    licence = models.ForeignKey(
        "members.Licence", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("licence")
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("bid revision")
        verbose_name_plural = _("bid revisions")
        ordering = ["bid", "number"]
        constraints = [
            models.UniqueConstraint(fields=["bid", "number"], name="bid_revision_number_unique"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0, quantity__lte=MAX_QUANTITY), name="bid_revision_quantity_bounds"
            ),
            models.CheckConstraint(
                condition=Q(price_per_unit__gte=-MAX_PRICE, price_per_unit__lte=MAX_PRICE),
                name="bid_revision_price_bounds",
            ),
        ]

    def __str__(self):
        return f"{self.bid} r{self.number}"


class Award(ChoiceLabels, models.Model):
    """The plant's choice of a bid, with its reason when it is not the best price (the audit trail).

    On a one-off lot there is one award and it takes the whole lot. On a recurring stream each award is a
    contract for a share of the quantity per period (several processors may share a stream), with a schedule of
    periods (listings.models.contracts.ContractPeriod), each with its own pickup and processing. What can never
    break — the shares adding up to more than the lot offers — is a check on the lot's `awarded_quantity`,
    written under the lot's row lock in the award's transaction; a bid is awarded at most once (one-to-one)."""

    class Reason(models.TextChoices):
        BEST_PRICE = "best-price", _("Best price")
        BETTER_ROUTE = "better-route", _("Better processing route")
        LOCAL_BUSINESS = "local-business", _("Local business")
        CAPACITY = "capacity", _("Capacity")
        LICENCE = "licence", _("Licence")
        OTHER = "other", _("Other")

    lot = models.ForeignKey(
        WasteLot, on_delete=models.PROTECT, related_name="awards", related_query_name="award", verbose_name=_("lot")
    )
    bid = models.OneToOneField(Bid, on_delete=models.PROTECT, related_name="award", verbose_name=_("bid"))
    # What the winner takes: the whole lot's quantity on a one-off lot; a share of the quantity per period on a
    # recurring stream (at most what the bid offered).
    quantity = models.DecimalField(
        _("quantity awarded (per period for a recurring stream)"),
        max_digits=12,
        decimal_places=3,
        validators=quantity_validators(),
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.TextField(_("note"), blank=True)
    best_price = models.BigIntegerField(_("best price offered (Rp per unit)"))
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    awarded_at = models.DateTimeField(_("awarded at"), default=timezone.now)
    notified_at = models.DateTimeField(_("bidders told at"), null=True, blank=True)
    # The winner's verified status at the moment of the award: the city's figures count the deal as what it
    # was when it was won, however the processor moves later (dashboard.services reads these, never the
    # organisation's current values).
    processor_banten = models.BooleanField(_("winner was a Banten business"))
    processor_japnas = models.BooleanField(_("winner was a Japnas member"))
    # A contract ended before its term: by which side, who, when and why (kept; periods after it are not due).
    ended_at = models.DateTimeField(_("ended early at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ended early by"),
    )
    end_reason = models.TextField(_("reason for ending early"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        ordering = ["awarded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0, quantity__lte=MAX_QUANTITY), name="award_quantity_bounds"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | ~Q(end_reason=""), name="award_ended_has_reason"
            ),
        ]

    def __str__(self):
        return f"{self.lot.reference} → {self.bid.bidder}"
