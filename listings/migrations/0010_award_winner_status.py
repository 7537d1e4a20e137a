"""The winner's Banten and Japnas status kept on each award (what the dashboard counts the deal as).

Existing awards are filled from their winner's current values: the best record there is of the status at the
award, since until now the dashboard followed the organisation. No row is lost; reversing drops the columns.
"""

from django.db import migrations, models
from django.db.models import Exists, OuterRef


def backfill(apps, schema_editor):
    Award = apps.get_model("listings", "Award")
    Organisation = apps.get_model("members", "Organisation")
    winners = Organisation.objects.filter(pk=OuterRef("bid__bidder_id"))
    banten = Award.objects.filter(Exists(winners.filter(province="banten"))).values("pk")
    japnas = Award.objects.filter(Exists(winners.exclude(japnas_number=""))).values("pk")
    Award.objects.filter(pk__in=banten).update(processor_banten=True)
    Award.objects.filter(pk__in=japnas).update(processor_japnas=True)


class Migration(migrations.Migration):
    dependencies = [
        ("listings", "0009_quantity_and_price_bounds"),
        ("members", "0003_notifications"),
    ]

    operations = [
        migrations.AddField(
            model_name="award",
            name="processor_banten",
            field=models.BooleanField(default=False, verbose_name="winner was a Banten business"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="award",
            name="processor_japnas",
            field=models.BooleanField(default=False, verbose_name="winner was a Japnas member"),
            preserve_default=False,
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
