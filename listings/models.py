import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.bounds import MAX_PRICE, MAX_QUANTITY, price_validators, quantity_validators
from members.choices import Kecamatan
from members.models import Organisation


class CatalogueSource(models.Model):
    """Where a waste code or a CO2e factor comes from, with how far it has been checked."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    title = models.TextField(_("source"))
    status = models.TextField(_("verification status"), blank=True)

    class Meta:
        verbose_name = _("catalogue source")
        verbose_name_plural = _("catalogue sources")
        ordering = ["key"]

    def __str__(self):
        return self.key

    def get_absolute_url(self):
        return reverse("listings:catalogue") + f"#source-{self.key}"


class WasteCategory(models.Model):
    class Group(models.TextChoices):
        METALS = "metals", _("Metals")
        SLAGS_AND_ASHES = "slags-and-ashes", _("Slags and ashes")
        OILS_AND_SOLVENTS = "oils-and-solvents", _("Oils and solvents")
        CHEMICALS = "chemicals", _("Chemicals")
        PLASTICS = "plastics", _("Plastics")
        PAPER = "paper", _("Paper")
        WOOD = "wood", _("Wood")
        CONSTRUCTION_MINERALS = "construction-minerals", _("Construction minerals")
        ELECTRONICS = "electronics", _("Electronics")
        ORGANICS = "organics", _("Organics")
        OTHER = "other", _("Other")

    class Hazard(models.TextChoices):
        YES = "yes", _("Hazardous (limbah B3)")
        NO = "no", _("Not hazardous")
        DEPENDS = "depends", _("Depends on origin or tests")

    class Unit(models.TextChoices):
        TONNE = "t", _("t")
        KILOGRAM = "kg", _("kg")
        LITRE = "L", _("L")
        CUBIC_METRE = "m3", _("m³")
        UNIT = "unit", pgettext_lazy("unit of measure", "unit")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_id = models.CharField(_("name (Indonesian)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    group = models.CharField(_("group"), max_length=30, choices=Group.choices)
    hazardous = models.CharField(_("hazardous"), max_length=10, choices=Hazard.choices)
    indonesian_code = models.CharField(
        _("Indonesian waste code"), max_length=10, blank=True, help_text=_("PP 22/2021 Appendix IX or XIV")
    )
    indonesian_code_source = models.ForeignKey(
        CatalogueSource,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("source of the code"),
    )
    usual_unit = models.CharField(_("usual unit"), max_length=5, choices=Unit.choices)
    co2e_t_per_t = models.DecimalField(
        _("CO2e avoided (t per t)"),
        max_digits=7,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("Empty means no source found, never zero."),
    )
    co2e_route = models.TextField(_("what the factor compares"), blank=True)
    co2e_source = models.ForeignKey(
        CatalogueSource,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("source of the factor"),
    )
    is_active = models.BooleanField(_("offered in forms"), default=True)

    class Meta:
        verbose_name = _("waste category")
        verbose_name_plural = _("waste categories")
        ordering = ["group", "name_en"]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return self.name_id if (get_language() or "id").startswith("id") else self.name_en

    @property
    def is_hazardous(self) -> bool:
        return self.hazardous == self.Hazard.YES


class LotReferenceCounter(models.Model):
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


class WasteLot(models.Model):
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
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    available_from = models.DateField(_("available from"))
    available_until = models.DateField(_("available until"), null=True, blank=True)
    closes_at = models.DateTimeField(_("bid deadline"))
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
            models.Index(fields=["status", "closes_at"], name="lot_status_closes_idx"),
            models.Index(fields=["status", "-published_at", "-id"], name="lot_status_published_idx"),
            models.Index(fields=["status", "category", "closes_at"], name="lot_status_category_idx"),
            models.Index(fields=["status", "quantity"], name="lot_status_quantity_idx"),
            models.Index(fields=["status", "reserve_price"], name="lot_status_price_idx"),
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
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="lot_coordinates_both_or_neither",
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
    def is_sealed(self) -> bool:
        return self.bidding_mode == self.BiddingMode.SEALED

    @property
    def is_hazardous(self) -> bool:
        return self.category.hazardous == WasteCategory.Hazard.YES

    @property
    def is_local_first_now(self) -> bool:
        return bool(self.local_first_until and self.local_first_until > timezone.now())


# The moves a lot may make (SPEC §3): cancel only before an award; a closed lot may end unawarded.
LOT_TRANSITIONS = {
    WasteLot.Status.DRAFT: {WasteLot.Status.OPEN, WasteLot.Status.CANCELLED},
    WasteLot.Status.OPEN: {WasteLot.Status.CLOSED, WasteLot.Status.CANCELLED},
    WasteLot.Status.CLOSED: {WasteLot.Status.AWARDED, WasteLot.Status.UNAWARDED, WasteLot.Status.CANCELLED},
    WasteLot.Status.AWARDED: {WasteLot.Status.COLLECTED},
    WasteLot.Status.COLLECTED: {WasteLot.Status.COMPLETED},
}


class LotTransition(models.Model):
    """The lot's timeline: every status change, who made it, when, and why."""

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


class LotAttachment(models.Model):
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


class Route(models.TextChoices):
    """The waste hierarchy, best first (the order is the ranking on the bids page)."""

    REUSE = "reuse", _("Reuse")
    RECYCLING = "recycling", _("Recycling")
    MATERIAL_RECOVERY = "material-recovery", _("Recovery as material")
    ENERGY_RECOVERY = "energy-recovery", _("Energy recovery / co-processing in a cement kiln")
    TREATMENT = "treatment", _("Treatment")
    DISPOSAL = "disposal", _("Disposal")


ROUTE_RANK = {route: rank for rank, route in enumerate(Route.values)}


class BidQuerySet(models.QuerySet):
    def live(self):
        return self.filter(status=Bid.Status.LIVE)


class Bid(models.Model):
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
            # The rule that must never break: one accepted bid per lot, whoever clicks at the same time.
            models.UniqueConstraint(fields=["lot"], condition=Q(status="accepted"), name="bid_one_accepted_per_lot"),
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


class BidRevision(models.Model):
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


class Award(models.Model):
    """The plant's choice of a bid, with its reason when it is not the best price (the audit trail)."""

    class Reason(models.TextChoices):
        BEST_PRICE = "best-price", _("Best price")
        BETTER_ROUTE = "better-route", _("Better processing route")
        LOCAL_BUSINESS = "local-business", _("Local business")
        CAPACITY = "capacity", _("Capacity")
        LICENCE = "licence", _("Licence")
        OTHER = "other", _("Other")

    lot = models.OneToOneField(WasteLot, on_delete=models.PROTECT, related_name="award", verbose_name=_("lot"))
    bid = models.OneToOneField(Bid, on_delete=models.PROTECT, related_name="award", verbose_name=_("bid"))
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

    class Meta:
        verbose_name = _("award")
        verbose_name_plural = _("awards")

    def __str__(self):
        return f"{self.lot.reference} → {self.bid.bidder}"


def handover_path(instance, filename):
    return f"handover/{instance.lot.reference}/{secrets.token_urlsafe(16)}.{filename.rsplit('.', 1)[-1]}"


class Handover(models.Model):
    """Pickup (manifest, carrier, weight out) and processing (weight in, route, proof) of an awarded lot."""

    MISMATCH_TOLERANCE = Decimal("0.02")

    lot = models.OneToOneField(WasteLot, on_delete=models.PROTECT, related_name="handover", verbose_name=_("lot"))
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
        return f"{self.lot.reference} handover"

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


class Rating(models.Model):
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
            models.UniqueConstraint(fields=["lot", "rater"], name="rating_once_per_side"),
            models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="rating_stars_range"),
        ]
        indexes = [models.Index(fields=["rated"], name="rating_rated_idx")]

    def __str__(self):
        return f"{self.lot.reference}: {self.rater} → {self.rated} ({self.stars})"


# Matching: what processors can take (capabilities), what they ask for (wanted notices), what anyone watches
# (saved searches), and the matches the background task finds for each published lot.


class Capability(models.Model):
    """A processor takes a category of waste, by a route, up to a capacity, within a radius of its facility."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="capabilities", verbose_name=_("organisation")
    )
    category = models.ForeignKey(
        WasteCategory, on_delete=models.PROTECT, related_name="capabilities", verbose_name=_("waste category")
    )
    route = models.CharField(_("processing route"), max_length=20, choices=Route.choices)
    capacity_tonnes_per_month = models.DecimalField(
        _("capacity (t per month)"),
        max_digits=12,
        decimal_places=3,
        validators=quantity_validators(),
    )
    latitude = models.DecimalField(
        _("facility latitude"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("facility longitude"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    radius_km = models.PositiveIntegerField(
        _("service radius (km)"), validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    created_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        verbose_name = _("capability")
        verbose_name_plural = _("capabilities")
        ordering = ["category__name_en"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "category"], name="capability_once_per_category"),
            models.CheckConstraint(condition=Q(capacity_tonnes_per_month__gt=0), name="capability_capacity_positive"),
            models.CheckConstraint(
                condition=Q(capacity_tonnes_per_month__lte=MAX_QUANTITY), name="capability_capacity_at_most_max"
            ),
            models.CheckConstraint(condition=Q(radius_km__gte=1), name="capability_radius_positive"),
        ]
        indexes = [models.Index(fields=["category", "capacity_tonnes_per_month"], name="capability_category_idx")]

    def __str__(self):
        return f"{self.organisation}: {self.category}"


class WantedNoticeQuerySet(models.QuerySet):
    def live(self):
        today = timezone.localdate()
        return self.filter(is_active=True).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))


class WantedNotice(models.Model):
    """The other side of the market: a processor says what it wants; plants can answer with a lot."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="wanted_notices", verbose_name=_("organisation")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("posted by")
    )
    category = models.ForeignKey(
        WasteCategory, on_delete=models.PROTECT, related_name="wanted_notices", verbose_name=_("waste category")
    )
    quantity_tonnes_per_month = models.DecimalField(
        _("quantity wanted (t per month)"),
        max_digits=12,
        decimal_places=3,
        validators=quantity_validators(),
    )
    specification = models.TextField(_("specification"), blank=True, max_length=4000)
    price_per_tonne = models.BigIntegerField(
        _("price per tonne (Rp)"),
        null=True,
        blank=True,
        validators=price_validators(),
        help_text=_(
            "Positive: you would pay the plant. Negative: the fee you would charge the plant. Empty: to agree."
        ),
    )
    kecamatan = models.CharField(
        _("area (kecamatan of the plant)"),
        max_length=20,
        choices=Kecamatan.choices,
        blank=True,
        help_text=_("Empty: anywhere in Cilegon."),
    )
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("posted at"), default=timezone.now)

    objects = WantedNoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("wanted notice")
        verbose_name_plural = _("wanted notices")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity_tonnes_per_month__gt=0), name="wanted_quantity_positive"),
            models.CheckConstraint(
                condition=Q(quantity_tonnes_per_month__lte=MAX_QUANTITY), name="wanted_quantity_at_most_max"
            ),
            models.CheckConstraint(
                condition=Q(price_per_tonne__isnull=True)
                | Q(price_per_tonne__gte=-MAX_PRICE, price_per_tonne__lte=MAX_PRICE),
                name="wanted_price_bounds",
            ),
        ]
        indexes = [models.Index(fields=["category", "is_active"], name="wanted_category_idx")]

    def __str__(self):
        return f"{self.organisation}: {self.category}"

    def get_absolute_url(self):
        return reverse("listings:wanted_detail", kwargs={"pk": self.pk})


class SavedSearch(models.Model):
    """A browse search someone asked to be alerted about. The filters are kept as the query string of
    /lots/ and, for matching in SQL, as columns (terms are the search words, lower case)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches", verbose_name=_("person")
    )
    name = models.CharField(_("name"), max_length=120)
    query = models.CharField(_("filters"), max_length=1000, blank=True)
    terms = models.CharField(max_length=200, blank=True, editable=False)
    group = models.CharField(max_length=30, blank=True, editable=False)
    category = models.ForeignKey(
        WasteCategory, on_delete=models.CASCADE, null=True, blank=True, related_name="+", editable=False
    )
    hazardous = models.BooleanField(null=True, editable=False)
    kecamatan = models.CharField(max_length=20, blank=True, editable=False)
    unit = models.CharField(max_length=5, blank=True, editable=False)
    quantity_min = models.DecimalField(max_digits=12, decimal_places=3, null=True, editable=False)
    quantity_max = models.DecimalField(max_digits=12, decimal_places=3, null=True, editable=False)
    price_min = models.BigIntegerField(null=True, editable=False)
    price_max = models.BigIntegerField(null=True, editable=False)
    recurring = models.BooleanField(null=True, editable=False)
    closing_within = models.PositiveSmallIntegerField(null=True, editable=False)
    local_first = models.BooleanField(null=True, editable=False)
    created_at = models.DateTimeField(_("saved at"), default=timezone.now)

    class Meta:
        verbose_name = _("saved search")
        verbose_name_plural = _("saved searches")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "query"], name="saved_search_once_per_query")]
        indexes = [models.Index(fields=["category"], name="saved_search_category_idx")]

    def __str__(self):
        return self.name

    def get_browse_url(self):
        return reverse("listings:lot_list") + (f"?{self.query}" if self.query else "")


class Match(models.Model):
    """A published lot fits a processor: found by the match task, scored, explained."""

    lot = models.ForeignKey(WasteLot, on_delete=models.CASCADE, related_name="matches", verbose_name=_("lot"))
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="matches", verbose_name=_("organisation")
    )
    score = models.PositiveSmallIntegerField(_("score"))
    # [{"code": "category"}, {"code": "distance", "km": 4.2}, ...]: rendered in the reader's language.
    reasons = models.JSONField(_("why"), default=list)
    distance_km = models.FloatField(_("distance (km)"), null=True)
    wanted_notice = models.ForeignKey(
        WantedNotice, on_delete=models.SET_NULL, null=True, blank=True, related_name="matches"
    )
    created_at = models.DateTimeField(_("matched at"), default=timezone.now)

    class Meta:
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        ordering = ["-score", "-id"]
        constraints = [models.UniqueConstraint(fields=["lot", "organisation"], name="match_once_per_lot")]
        indexes = [models.Index(fields=["organisation", "-score"], name="match_organisation_idx")]

    def __str__(self):
        return f"{self.lot.reference} → {self.organisation} ({self.score})"
