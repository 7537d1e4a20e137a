"""A contract's schedule: the periods of an award, each due for one pickup and its processing.

A one-off lot's award has one period with no end (it is never missed). An award on a recurring stream has a
period per week, month or quarter from the first pickup over the contract term (`schedule`), made with the award
and kept: each period gets its own handover (listings.models.handover.Handover.period)."""

from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.choices import ChoiceLabels

from .bids import Award
from .lots import WasteLot

# A weekly stream over the longest term (120 months) has 522 periods; nothing longer is made.
MAX_PERIODS = 530


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def period_count(lot: WasteLot, first_day: date) -> int:
    """How many periods a contract on this recurring lot has from `first_day`: the weeks, months or quarters
    that begin within its term when it has one, else as many as the lot's total quantity holds periods of its
    quantity per period."""
    if lot.contract_months:
        if lot.frequency == WasteLot.Frequency.WEEKLY:
            return -(-(add_months(first_day, lot.contract_months) - first_day).days // 7)
        if lot.frequency == WasteLot.Frequency.QUARTERLY:
            return -(-lot.contract_months // 3)
        return lot.contract_months
    periods = (lot.quantity / lot.quantity_per_period).to_integral_value(rounding=ROUND_FLOOR)
    return max(1, min(int(periods), MAX_PERIODS))


def schedule(lot: WasteLot, first_day: date) -> list[tuple[date, date | None]]:
    """The (first day, last day) of each period from `first_day`; one open-ended period for a one-off lot."""
    if not lot.is_recurring:
        return [(first_day, None)]
    count = min(period_count(lot, first_day), MAX_PERIODS)
    if lot.frequency == WasteLot.Frequency.WEEKLY:
        starts = [first_day + timedelta(weeks=n) for n in range(count + 1)]
    else:
        step = 3 if lot.frequency == WasteLot.Frequency.QUARTERLY else 1
        starts = [add_months(first_day, n * step) for n in range(count + 1)]
    return [(starts[n], starts[n + 1] - timedelta(days=1)) for n in range(count)]


class ContractPeriod(ChoiceLabels, models.Model):
    """One period of a contract: due for one pickup (and its processing) between its first and last day."""

    award = models.ForeignKey(Award, on_delete=models.CASCADE, related_name="periods", verbose_name=_("contract"))
    number = models.PositiveSmallIntegerField(_("period"))
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    # Set (once) when the period ended without a pickup: both sides and staff were told then. A late pickup is
    # still recorded; the flag stays as the record that the period was missed.
    missed_at = models.DateTimeField(_("flagged as missed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("contract period")
        verbose_name_plural = _("contract periods")
        ordering = ["award", "number"]
        constraints = [
            models.UniqueConstraint(fields=["award", "number"], name="contract_period_number_unique"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="contract_period_order",
            ),
        ]
        indexes = [models.Index(fields=["ends_on"], condition=Q(missed_at__isnull=True), name="period_due_idx")]

    def __str__(self):
        return f"{self.award} #{self.number}"

    @property
    def quantity(self) -> Decimal:
        """What is contracted for this period: the award's share."""
        return self.award.quantity
