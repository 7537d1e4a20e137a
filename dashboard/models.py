from django.db import models
from django.utils.translation import gettext_lazy as _

from listings.models import Route, WasteCategory, WasteLot
from members.models import Organisation


class Deal(models.Model):
    """One row per awarded lot, denormalised for the dashboard: the rollup its figures are summed from.

    Written by dashboard.services.deal_refresh in the same transaction as the award, the handover and the
    completion (signals), and rebuilt whole by a beat task (deals_refresh_all) so that any drift (a lot
    written around the services) is mended. The processor's Banten and Japnas status is the one kept on the
    award (its status when it won): a processor that moves later does not move the city's figures. Tonnages
    are whole kilograms (computed in SQL); a value is price × quantity in thousandths of a rupiah, kept in two
    integers — ``value_millions × 10^9 + value_rest_milli`` — because the largest deal the bounds allow
    (10^18 rupiah, core.bounds) is more than a 64-bit integer holds in thousandths, and sums of the two columns
    stay exact and far from overflowing on PostgreSQL and SQLite alike (dashboard.expressions.rupiah)."""

    lot = models.OneToOneField(
        WasteLot, on_delete=models.CASCADE, primary_key=True, related_name="deal", verbose_name=_("lot")
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
    awarded_at = models.DateTimeField(_("awarded at"))
    completed_at = models.DateTimeField(_("completed at"), null=True)
    route = models.CharField(_("route offered"), max_length=20, choices=Route.choices)
    route_used = models.CharField(_("route used"), max_length=20, choices=Route.choices)
    price_per_unit = models.BigIntegerField(_("price per unit (Rp)"))
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
            models.Index(fields=["awarded_at"], name="deal_awarded_idx"),
            models.Index(fields=["completed_at"], name="deal_completed_idx"),
            models.Index(fields=["category", "awarded_at"], name="deal_category_awarded_idx"),
            models.Index(fields=["kecamatan", "awarded_at"], name="deal_kecamatan_awarded_idx"),
            models.Index(fields=["plant", "awarded_at"], name="deal_plant_awarded_idx"),
            models.Index(fields=["processor", "awarded_at"], name="deal_processor_awarded_idx"),
        ]

    def __str__(self):
        return f"{self.lot_id} → {self.processor_id}"
