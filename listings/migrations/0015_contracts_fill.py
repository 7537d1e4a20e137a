"""Every award made before contracts becomes one: its quantity, the lot's awarded quantity, its schedule of
periods, and its handover (if any) as the first period's. (The columns become required in the next migration:
on PostgreSQL a table cannot be altered in the transaction that wrote rows with deferred checks on it.)"""

from datetime import timedelta
from decimal import Decimal

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone

import core.bounds
from listings.models.contracts import schedule


def fill(apps, schema_editor):
    Award = apps.get_model("listings", "Award")
    ContractPeriod = apps.get_model("listings", "ContractPeriod")
    Handover = apps.get_model("listings", "Handover")
    WasteLot = apps.get_model("listings", "WasteLot")
    for award in Award.objects.select_related("lot", "bid").iterator():
        lot = award.lot
        if lot.is_recurring:
            award.quantity = min(award.bid.quantity, lot.quantity_per_period)
            first_day = max(award.bid.pickup_date, timezone.localdate(award.awarded_at))
        else:
            award.quantity = award.bid.quantity  # what the winner takes; the award takes the whole lot
            first_day = timezone.localdate(award.awarded_at)
        award.save(update_fields=["quantity"])
        taken = award.quantity if lot.is_recurring else lot.quantity
        WasteLot.objects.filter(pk=lot.pk).update(awarded_quantity=taken)
        periods = ContractPeriod.objects.bulk_create(
            ContractPeriod(award=award, number=n, starts_on=start, ends_on=end)
            for n, (start, end) in enumerate(schedule(lot, first_day), start=1)
        )
        handover = Handover.objects.filter(lot=lot).first()
        if handover is not None:
            first = periods[0]
            if handover.pickup_date < first.starts_on:
                # A pickup recorded before the schedule's first day: the schedule starts with it.
                shift = first.starts_on - handover.pickup_date
                for period in periods:
                    period.starts_on -= shift
                    period.ends_on = period.ends_on - shift if period.ends_on else None
                ContractPeriod.objects.bulk_update(periods, ["starts_on", "ends_on"])
            handover.period = first
            handover.save(update_fields=["period"])


class Migration(migrations.Migration):
    dependencies = [("listings", "0014_contracts")]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
