"""Matching: what processors can take (capabilities), what they ask for (wanted notices), what anyone watches
(saved searches), and the matches the background task finds for each published lot."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.bounds import MAX_PRICE, MAX_QUANTITY, price_validators, quantity_validators
from core.choices import ChoiceLabels
from core.geo import coordinate_fields
from members.choices import Kecamatan
from members.models import Organisation

from .catalogue import Route, WasteCategory
from .lots import WasteLot


class Capability(ChoiceLabels, models.Model):
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
    latitude, longitude = coordinate_fields(
        required=True, latitude_label=_("facility latitude"), longitude_label=_("facility longitude")
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


class WantedNotice(ChoiceLabels, models.Model):
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


class SavedSearch(ChoiceLabels, models.Model):
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


class Match(ChoiceLabels, models.Model):
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
