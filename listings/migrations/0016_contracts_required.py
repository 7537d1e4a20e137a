"""An award's quantity and a handover's period are required, now that 0015 filled them."""

import django.db.models.deletion
from django.db import migrations, models

import core.bounds


class Migration(migrations.Migration):
    dependencies = [("listings", "0015_contracts_fill")]

    operations = [
        migrations.AlterField(
            model_name="award",
            name="quantity",
            field=models.DecimalField(
                decimal_places=3,
                max_digits=12,
                validators=core.bounds.quantity_validators(),
                verbose_name="quantity awarded (per period for a recurring stream)",
            ),
        ),
        migrations.AlterField(
            model_name="handover",
            name="period",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="handover",
                to="listings.contractperiod",
                verbose_name="period",
            ),
        ),
    ]
