from django.db import models
from django.utils.translation import gettext_lazy as _

from listings.models import Route, WasteCategory, WasteLot
from members.models import Organisation


class Deal(models.Model):
    """The dashboard's rollup of deals, denormalised: its figures are summed from these rows. Two kinds of row,
    told apart by which moment they carry:

    - an award row per award (a one-off lot's, or each contract share of a recurring stream): `awarded_at`, and
      the quantity contracted (a recurring share × its periods);
    - a delivery row per completed delivery: a one-off lot's when the plant confirmed it, a recurring contract's
      for each period whose processing was recorded, in the month it was delivered (`completed_at`), with the
      quantity processed.

    Written by dashboard.services.deal_refresh in the same transaction as the award, the handover and the
    completion (signals), and rebuilt whole by a beat task (deals_refresh_all) so that any drift (a lot
    written around the services) is mended. The processor's Banten and Japnas status is the one kept on the
    award (its status when it won): a processor that moves later does not move the city's figures. Tonnages
    are whole kilograms (computed in SQL); a value is price × quantity in thousandths of a rupiah, kept in two
    integers — ``value_millions × 10^9 + value_rest_milli`` — because the largest deal the bounds allow
    (10^18 rupiah, core.bounds) is more than a 64-bit integer holds in thousandths, and sums of the two columns
    stay exact and far from overflowing on PostgreSQL and SQLite alike (dashboard.expressions.rupiah)."""

    # "award-<award id>" or "period-<contract period id>": what the upsert of dashboard.services matches on.
    key = models.CharField(max_length=30, primary_key=True)
    lot = models.ForeignKey(WasteLot, on_delete=models.CASCADE, related_name="deals", verbose_name=_("lot"))
    award = models.ForeignKey("listings.Award", on_delete=models.CASCADE, related_name="+", verbose_name=_("award"))
    period = models.ForeignKey(
        "listings.ContractPeriod",
        on_delete=models.CASCADE,
        null=True,
        related_name="+",
        verbose_name=_("period delivered"),
    )
    plant = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("plant"))
    processor = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("processor"))
    category = models.ForeignKey(
        WasteCategory, on_delete=models.CASCADE, related_name="+", verbose_name=_("waste category")
    )
    group = models.CharField(_("group"), max_length=30)
    kecamatan = models.CharField(_("kecamatan"), max_length=20)
    unit = models.CharField(_("unit"), max_length=5)
    published_at = models.DateTimeField(_("published at"), null=True)
    awarded_at = models.DateTimeField(_("awarded at"), null=True)
    completed_at = models.DateTimeField(_("completed at"), null=True)
    route = models.CharField(_("route offered"), max_length=20, choices=Route.choices)
    route_used = models.CharField(_("route used"), max_length=20, choices=Route.choices)
    price_per_unit = models.BigIntegerField(_("price per unit (Rp)"))
    # Award rows: the quantity contracted; delivery rows: the quantity awarded for what was delivered (the one-off
    # bid's quantity, a recurring share's quantity per period). The value is price × this quantity.
    quantity = models.DecimalField(_("quantity awarded"), max_digits=12, decimal_places=3)
    quantity_completed = models.DecimalField(_("quantity processed"), max_digits=12, decimal_places=3, null=True)
    kg_awarded = models.BigIntegerField(_("kg awarded"), null=True)
    kg_completed = models.BigIntegerField(_("kg processed"), null=True)
    value_millions = models.BigIntegerField(_("value: whole millions of rupiah (rounded down)"))
    value_rest_milli = models.BigIntegerField(_("value: the rest, in thousandths of a rupiah (0 to 10^9 − 1)"))
    processor_banten = models.BooleanField(_("Banten business"))
    processor_japnas = models.BooleanField(_("Japnas member"))
    refreshed_at = models.DateTimeField(_("refreshed at"), auto_now=True)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        indexes = [
            # The city's reads of a period's award rows (routes, top processors, the median wait) take what
            # they sum from this index alone on PostgreSQL (an index-only scan: no visit to the table's pages).
            models.Index(
                fields=["awarded_at"],
                include=[
                    "published_at",
                    "route",
                    "processor",
                    "processor_banten",
                    "processor_japnas",
                    "kg_awarded",
                    "value_millions",
                    "value_rest_milli",
                ],
                name="deal_awarded_cover_idx",
            ),
            models.Index(fields=["completed_at"], name="deal_completed_idx"),
            models.Index(fields=["category", "awarded_at"], name="deal_category_awarded_idx"),
            models.Index(fields=["kecamatan", "awarded_at"], name="deal_kecamatan_awarded_idx"),
            models.Index(fields=["plant", "awarded_at"], name="deal_plant_awarded_idx"),
            models.Index(fields=["processor", "awarded_at"], name="deal_processor_awarded_idx"),
        ]

    def __str__(self):
        return f"{self.lot_id} → {self.processor_id}"


class ListedMonth(models.Model):
    """The lots listed (by publication month, Asia/Jakarta) per category and kecamatan: the rollup the city's
    listed figures, bids per lot and supply gaps are summed from (a year is a few thousand rows, not 100,000
    lots and 1,000,000 bids).

    Kept in step by dashboard.rollups: a lot's or a bid's save or delete recounts its bucket in the same
    transaction; `manage.py dashboard_rebuild` (and the hourly beat task) recount every bucket. Tonnages are
    whole kilograms, like the deals rollup. A plant's own figures are read from its lots (few)."""

    month = models.DateField(_("month"))
    category = models.ForeignKey(
        WasteCategory, on_delete=models.CASCADE, related_name="+", verbose_name=_("waste category")
    )
    kecamatan = models.CharField(_("kecamatan"), max_length=20)
    lots = models.IntegerField(_("lots listed"), default=0)
    kg = models.BigIntegerField(_("kg listed"), default=0)
    recurring = models.IntegerField(_("recurring lots"), default=0)
    bidding_closed = models.IntegerField(_("lots whose bidding closed"), default=0)
    bids = models.IntegerField(_("bids on lots whose bidding closed"), default=0)
    other_unit_lots = models.IntegerField(_("lots in other units"), default=0)
    litres = models.DecimalField(_("litres"), max_digits=20, decimal_places=3, default=0)
    cubic_metres = models.DecimalField(_("cubic metres"), max_digits=20, decimal_places=3, default=0)
    units = models.DecimalField(_("units"), max_digits=20, decimal_places=3, default=0)
    recurring_mass_lots = models.IntegerField(_("recurring lots in t or kg"), default=0)
    weekly_kg = models.BigIntegerField(_("kg per week (recurring)"), default=0)
    monthly_kg = models.BigIntegerField(_("kg per month (recurring)"), default=0)
    quarterly_kg = models.BigIntegerField(_("kg per quarter (recurring)"), default=0)

    class Meta:
        verbose_name = _("lots listed in a month")
        verbose_name_plural = _("lots listed per month")
        constraints = [
            models.UniqueConstraint(fields=["month", "category", "kecamatan"], name="listedmonth_bucket_unique")
        ]
        indexes = [models.Index(fields=["category", "month"], name="listedmonth_category_idx")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.category_id} {self.kecamatan}"


# DealMonth's sums: what dashboard.rollups recounts per bucket and the covering index carries.
DEAL_MONTH_SUMS = [
    "deal_count",
    "kg_total",
    "other_unit_count",
    "processors_paid_millions",
    "processors_paid_rest_milli",
    "plants_paid_millions",
    "plants_paid_rest_milli",
    "co2e_route_kg",
    "other_route_count",
]


class DealMonth(models.Model):
    """The deals rollup summed per month (of the award, or of the completion) × category × kecamatan ×
    processor status (Banten? Japnas? as on the deal rows): what the city's awarded and completed figures,
    their monthly trend and their breakdown by category are summed from.

    Recounted from dashboard.models.Deal by dashboard.rollups in the transaction that writes the deal rows
    (signals after the deals' own), and rebuilt with them (`manage.py dashboard_rebuild`, the hourly task)."""

    class On(models.TextChoices):
        AWARDED = "awarded", _("Awarded")
        COMPLETED = "completed", _("Completed")

    on = models.CharField(_("counted on"), max_length=10, choices=On.choices)
    month = models.DateField(_("month"))
    category = models.ForeignKey(
        WasteCategory, on_delete=models.CASCADE, related_name="+", verbose_name=_("waste category")
    )
    kecamatan = models.CharField(_("kecamatan"), max_length=20)
    processor_banten = models.BooleanField(_("Banten business"))
    processor_japnas = models.BooleanField(_("Japnas member"))
    deal_count = models.IntegerField(_("deals"), default=0)
    kg_total = models.BigIntegerField(_("kg"), default=0)
    other_unit_count = models.IntegerField(_("deals in other units"), default=0)
    # Values in Deal's two columns (whole millions of rupiah, and the rest in thousandths): exact and far from
    # overflowing at the largest deals the bounds allow (dashboard.expressions.rupiah adds them up).
    processors_paid_millions = models.BigIntegerField(_("paid by processors (millions of rupiah)"), default=0)
    processors_paid_rest_milli = models.BigIntegerField(_("paid by processors (the rest, thousandths)"), default=0)
    plants_paid_millions = models.BigIntegerField(_("paid by plants (millions of rupiah)"), default=0)
    plants_paid_rest_milli = models.BigIntegerField(_("paid by plants (the rest, thousandths)"), default=0)
    co2e_route_kg = models.BigIntegerField(_("kg by a route with a CO2e factor"), default=0)
    other_route_count = models.IntegerField(_("deals by other routes"), default=0)

    class Meta:
        verbose_name = _("deals in a month")
        verbose_name_plural = _("deals per month")
        constraints = [
            models.UniqueConstraint(
                fields=["on", "month", "category", "kecamatan", "processor_banten", "processor_japnas"],
                name="dealmonth_bucket_unique",
            )
        ]
        # Every read sums a period's months of one kind ("on"): on PostgreSQL from this index alone, a third of
        # the time of a scan of the table (both kinds, every month).
        indexes = [
            models.Index(
                fields=["on", "month"],
                include=["category", "kecamatan", "processor_banten", "processor_japnas", *DEAL_MONTH_SUMS],
                name="dealmonth_on_month_cover_idx",
            )
        ]

    def __str__(self):
        return f"{self.on} {self.month:%Y-%m} {self.category_id} {self.kecamatan}"
