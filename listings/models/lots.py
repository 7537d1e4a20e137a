"""A waste lot, its reference numbers, its timeline (LOT_TRANSITIONS and LotTransition) and its files."""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.bounds import MAX_PRICE, MAX_QUANTITY, price_validators, quantity_validators
from core.choices import ChoiceLabels
from core.geo import both_or_neither, coordinate_fields
from members.choices import Kecamatan
from members.models import Organisation

from .catalogue import WasteCategory

# Questions close this long before the bid deadline unless the plant chooses another time.
QUESTIONS_CLOSE_BEFORE = timezone.timedelta(hours=24)


class LotReferenceCounter(ChoiceLabels, models.Model):
    """The last lot number of a year: references are WX-<year>-<number>, gap-free per year, race-free."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.year}: {self.last}"


class WasteLotQuerySet(models.QuerySet):
    def open(self):
        """Open for bids now: published and before its deadline (the beat task closes the rest)."""
        return self.filter(status=WasteLot.Status.OPEN, closes_at__gt=timezone.now())

    def overdue(self):
        return self.filter(status=WasteLot.Status.OPEN, closes_at__lte=timezone.now())

    def visible_to(self, user):
        """What a person may open: everything published; drafts and cancelled lots only for the owner and staff."""
        private = Q(status__in=WasteLot.PRIVATE_STATUSES)
        if user.is_staff:
            return self
        membership = getattr(user, "membership", None)
        if membership is None:
            return self.exclude(private)
        return self.filter(~private | Q(plant_id=membership.organisation_id))


class WasteLot(ChoiceLabels, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open for bids")
        CLOSED = "closed", _("Closed")
        AWARDED = "awarded", _("Awarded")
        COLLECTED = "collected", _("Collected")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        UNAWARDED = "unawarded", _("Closed without award")

    class PhysicalForm(models.TextChoices):
        SOLID = "solid", _("Solid")
        POWDER = "powder", _("Powder")
        SLUDGE = "sludge", _("Sludge")
        LIQUID = "liquid", _("Liquid")

    class Packaging(models.TextChoices):
        BULK = "bulk", _("Bulk")
        DRUM = "drum", _("Drums")
        JUMBO_BAG = "jumbo-bag", _("Jumbo bags")
        IBC = "ibc", _("IBC")
        OTHER = "other", _("Other")

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")

    class BiddingMode(models.TextChoices):
        SEALED = "sealed", _("Sealed: bidders see only their own bid")
        OPEN = "open", _("Open: bidders see the best price, never who offered it")

    PRIVATE_STATUSES = (Status.DRAFT, Status.CANCELLED)
    DECIDED_STATUSES = (Status.AWARDED, Status.COLLECTED, Status.COMPLETED)

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    plant = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="lots",
        verbose_name=_("plant"),
        limit_choices_to={"kind": Organisation.Kind.PLANT},
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    title = models.CharField(_("title"), max_length=200)
    category = models.ForeignKey(
        WasteCategory, on_delete=models.PROTECT, related_name="lots", verbose_name=_("waste category")
    )
    description = models.TextField(_("description"))
    physical_form = models.CharField(_("physical form"), max_length=10, choices=PhysicalForm.choices)
    packaging = models.CharField(_("packaging"), max_length=10, choices=Packaging.choices)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=3,
        validators=quantity_validators(),
        help_text=_("For a recurring stream: the total over the contract term."),
    )
    unit = models.CharField(pgettext_lazy("field", "unit"), max_length=5, choices=WasteCategory.Unit.choices)
    is_recurring = models.BooleanField(_("recurring stream"), default=False)
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices, blank=True)
    quantity_per_period = models.DecimalField(
        _("quantity per period"),
        max_digits=12,
        decimal_places=3,
        null=True,
        blank=True,
        validators=quantity_validators(),
    )
    contract_months = models.PositiveSmallIntegerField(
        _("contract term (months)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    composition = models.TextField(_("composition and lab analysis"), blank=True)
    site_address = models.TextField(_("collection site address"))
    site_kecamatan = models.CharField(_("kecamatan of the site"), max_length=20, choices=Kecamatan.choices)
    latitude, longitude = coordinate_fields()
    available_from = models.DateField(_("available from"))
    available_until = models.DateField(_("available until"), null=True, blank=True)
    closes_at = models.DateTimeField(_("bid deadline"))
    # Questions (listings.models.questions) may be asked until then; empty: QUESTIONS_CLOSE_BEFORE the deadline.
    questions_close_at = models.DateTimeField(
        _("questions close at"),
        null=True,
        blank=True,
        help_text=_("Processors may ask questions until then. Empty: 24 hours before the bid deadline."),
    )
    inspection_from = models.DateTimeField(_("inspection from"), null=True, blank=True)
    inspection_until = models.DateTimeField(_("inspection until"), null=True, blank=True)
    bidding_mode = models.CharField(
        _("bidding"), max_length=10, choices=BiddingMode.choices, default=BiddingMode.SEALED
    )
    reserve_price = models.BigIntegerField(
        _("reserve price (Rp per unit)"),
        null=True,
        blank=True,
        validators=price_validators(),
        help_text=_("Positive: the processor pays the plant. Negative: the plant pays the processor (a gate fee)."),
    )
    local_first_days = models.PositiveSmallIntegerField(
        _("local-first window (days)"),
        default=0,
        validators=[MaxValueValidator(60)],
        help_text=_("For this many days after publishing only Banten businesses may bid."),
    )
    lab_certificate_expires = models.DateField(_("lab certificate valid until"), null=True, blank=True)
    # Set when the lot is published: until then only Banten businesses may bid (None: no window).
    local_first_until = models.DateTimeField(_("local-first until"), null=True, blank=True, editable=False)
    # Set once the lot has been matched against every processor (at publishing, or when the local-first
    # window ends): the beat task that widens matching after the window looks for lots where it is empty.
    matched_everyone_at = models.DateTimeField(null=True, blank=True, editable=False)
    answers_notice = models.ForeignKey(
        "WantedNotice",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="answers",
        verbose_name=_("answers the wanted notice"),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    # What the awards took of the lot: all of its quantity for a one-off lot's award; the sum of the shares of the
    # quantity per period on a recurring stream. Written under the lot's row lock with each award; the check
    # below is what makes over-awarding impossible, whoever awards at the same moment.
    awarded_quantity = models.DecimalField(
        _("quantity awarded"), max_digits=12, decimal_places=3, default=0, editable=False
    )
    # Sealed bids are opened when bidding closes (deadline or early close); the moment is recorded.
    bids_opened_at = models.DateTimeField(_("bids opened at"), null=True, blank=True, editable=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Title, description and category names in one column: what full-text search reads (see migrations).
    search_document = models.TextField(editable=False, default="")

    objects = WasteLotQuerySet.as_manager()

    class Meta:
        verbose_name = _("waste lot")
        verbose_name_plural = _("waste lots")
        ordering = ["-published_at", "-id"]
        indexes = [
            # Covering (PostgreSQL): the lists that pick a page of ids before loading its rows (the nearest
            # lots, the open lots without bids) read the deadline, category, place, position, quantity and price
            # (browse's other filters) from the index alone, not from the wide lot rows.
            models.Index(
                fields=["status", "closes_at"],
                include=["id", "category", "site_kecamatan", "latitude", "longitude", "quantity", "reserve_price"],
                name="lot_status_closes_cover_idx",
            ),
            models.Index(fields=["status", "-published_at", "-id"], name="lot_status_published_idx"),
            models.Index(fields=["status", "category", "closes_at"], name="lot_status_category_idx"),
            models.Index(fields=["status", "quantity"], name="lot_status_quantity_idx"),
            models.Index(fields=["status", "reserve_price"], name="lot_status_price_idx"),
            # "Highest price first" (reserve price descending, lots without one last): PostgreSQL only, in
            # migration 0018 (SQLite cannot put NULLS LAST in an index).
            models.Index(fields=["status", "site_kecamatan"], name="lot_status_kecamatan_idx"),
            models.Index(fields=["plant", "status"], name="lot_plant_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="lot_quantity_positive"),
            models.CheckConstraint(condition=Q(quantity__lte=MAX_QUANTITY), name="lot_quantity_at_most_max"),
            models.CheckConstraint(
                condition=Q(quantity_per_period__isnull=True)
                | Q(quantity_per_period__gt=0, quantity_per_period__lte=MAX_QUANTITY),
                name="lot_quantity_per_period_bounds",
            ),
            models.CheckConstraint(
                condition=Q(reserve_price__isnull=True)
                | Q(reserve_price__gte=-MAX_PRICE, reserve_price__lte=MAX_PRICE),
                name="lot_reserve_price_bounds",
            ),
            models.CheckConstraint(
                condition=Q(is_recurring=False) | (~Q(frequency="") & Q(quantity_per_period__isnull=False)),
                name="lot_recurring_has_period",
            ),
            models.CheckConstraint(
                condition=Q(available_until__isnull=True) | Q(available_until__gte=models.F("available_from")),
                name="lot_availability_order",
            ),
            both_or_neither("lot_coordinates_both_or_neither"),
            models.CheckConstraint(
                condition=Q(awarded_quantity__gte=0)
                & Q(awarded_quantity__lte=Coalesce(models.F("quantity_per_period"), models.F("quantity"))),
                name="lot_awarded_at_most_offered",
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    def save(self, *args, **kwargs):
        self.search_document = " ".join(
            filter(
                None,
                [
                    self.title,
                    self.description,
                    self.category.name_id,
                    self.category.name_en,
                    self.category.indonesian_code,
                    self.category.code,
                ],
            )
        )
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("listings:lot_detail", kwargs={"reference": self.reference})

    @property
    def is_open_now(self) -> bool:
        return self.status == self.Status.OPEN and self.closes_at > timezone.now()

    @property
    def is_past_deadline(self) -> bool:
        return self.status == self.Status.OPEN and self.closes_at <= timezone.now()

    @property
    def questions_deadline(self):
        """When questions close: the time the plant chose, or QUESTIONS_CLOSE_BEFORE the bid deadline."""
        return self.questions_close_at or self.closes_at - QUESTIONS_CLOSE_BEFORE

    @property
    def questions_open_now(self) -> bool:
        return self.is_open_now and self.questions_deadline > timezone.now()

    @property
    def is_sealed(self) -> bool:
        return self.bidding_mode == self.BiddingMode.SEALED

    @property
    def is_hazardous(self) -> bool:
        return self.category.hazardous == WasteCategory.Hazard.YES

    @property
    def offered_per_award(self):
        """What the awards share: the quantity per period of a recurring stream, else the lot's quantity."""
        return self.quantity_per_period if self.is_recurring else self.quantity

    @property
    def awards_list(self) -> list:
        """The lot's awards in the order they were made (read once per instance; `attach_outcome` fills it)."""
        if not hasattr(self, "_awards_list"):
            self._awards_list = list(self.awards.select_related("bid__bidder")) if self.pk else []
        return self._awards_list

    @property
    def award(self):
        """The award of a lot that has exactly one (every awarded one-off lot; a stream awarded whole), else None:
        a stream shared among processors has `awards_list`."""
        awards = self.awards_list
        return awards[0] if len(awards) == 1 else None

    @property
    def handover(self):
        """The one-off lot's handover (its award's only period), else None."""
        if self.is_recurring:
            return None
        if not hasattr(self, "_handover"):
            self._handover = self.handovers.first() if self.pk else None
        return self._handover

    @property
    def is_local_first_now(self) -> bool:
        return bool(self.local_first_until and self.local_first_until > timezone.now())


# The moves a lot may make (SPEC §3): cancel only before an award; a closed lot may end unawarded.
LOT_TRANSITIONS = {
    WasteLot.Status.DRAFT: {WasteLot.Status.OPEN, WasteLot.Status.CANCELLED},
    WasteLot.Status.OPEN: {WasteLot.Status.CLOSED, WasteLot.Status.CANCELLED},
    WasteLot.Status.CLOSED: {WasteLot.Status.AWARDED, WasteLot.Status.UNAWARDED, WasteLot.Status.CANCELLED},
    # A recurring stream's contracts can all end (early, by either side) before any pickup.
    WasteLot.Status.AWARDED: {WasteLot.Status.COLLECTED, WasteLot.Status.COMPLETED},
    WasteLot.Status.COLLECTED: {WasteLot.Status.COMPLETED},
}


class LotTransition(ChoiceLabels, models.Model):
    """The lot's timeline: every status change, who made it, when, and why — and the steps that change no
    status (`step`: the deadline moved by a late bid, a stream's further share, a period's pickup, processing)."""

    class Step(models.TextChoices):
        STATUS = "", _("Status changed")
        DEADLINE_MOVED = "deadline-moved", _("Deadline moved")
        SHARE_AWARDED = "share-awarded", _("Share awarded")
        AWARDING_FINISHED = "awarding-finished", _("Awarding finished")
        PICKUP = "pickup", _("Pickup recorded")
        PROCESSING = "processing", _("Processing recorded")
        CONTRACT_ENDED = "contract-ended", _("Contract ended early")

    lot = models.ForeignKey(WasteLot, on_delete=models.CASCADE, related_name="transitions", verbose_name=_("lot"))
    from_status = models.CharField(_("from"), max_length=12, choices=WasteLot.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=WasteLot.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    note = models.TextField(_("note"), blank=True)
    step = models.CharField(_("step"), max_length=20, choices=Step.choices, blank=True, default="")
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("lot transition")
        verbose_name_plural = _("lot transitions")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["lot", "created_at"], name="lot_transition_lot_idx")]

    def __str__(self):
        return f"{self.lot.reference}: {self.from_status or '-'} → {self.to_status}"


def attachment_path(instance, filename):
    # Random stored names: nothing of the uploaded name reaches the file system.
    return f"lots/{instance.lot.reference}/{secrets.token_urlsafe(16)}.{filename.rsplit('.', 1)[-1]}"


class LotAttachment(ChoiceLabels, models.Model):
    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        DOCUMENT = "document", _("Document (PDF)")

    lot = models.ForeignKey(WasteLot, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("lot"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    thumbnail = models.FileField(_("thumbnail"), upload_to=attachment_path, max_length=200, blank=True)
    original_name = models.CharField(_("original name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["kind", "created_at", "id"]

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        return reverse("listings:attachment", kwargs={"reference": self.lot.reference, "pk": self.pk})

    def get_thumbnail_url(self):
        return reverse("listings:attachment_thumbnail", kwargs={"reference": self.lot.reference, "pk": self.pk})
