"""A deal's value in two integers (whole millions of rupiah, the rest in thousandths) instead of one count of
thousandths, which the largest deal the bounds allow would overflow. Each row's value is carried over exactly."""

from django.db import migrations, models

MILLI_PER_MILLION = 10**9


def split_values(apps, schema_editor):
    Deal = apps.get_model("dashboard", "Deal")
    batch = []
    for deal in Deal.objects.only("pk", "value_milli").iterator(chunk_size=2000):
        deal.value_millions, deal.value_rest_milli = divmod(deal.value_milli, MILLI_PER_MILLION)
        batch.append(deal)
        if len(batch) == 2000:
            Deal.objects.bulk_update(batch, ["value_millions", "value_rest_milli"])
            batch = []
    Deal.objects.bulk_update(batch, ["value_millions", "value_rest_milli"])


def join_values(apps, schema_editor):
    Deal = apps.get_model("dashboard", "Deal")
    Deal.objects.update(value_milli=models.F("value_millions") * MILLI_PER_MILLION + models.F("value_rest_milli"))


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0002_deals")]

    operations = [
        migrations.AddField(
            model_name="deal",
            name="value_millions",
            field=models.BigIntegerField(default=0, verbose_name="value: whole millions of rupiah (rounded down)"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="deal",
            name="value_rest_milli",
            field=models.BigIntegerField(
                default=0, verbose_name="value: the rest, in thousandths of a rupiah (0 to 10^9 − 1)"
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="deal", name="value_milli", field=models.BigIntegerField(null=True)
        ),
        migrations.RunPython(split_values, join_values),
        migrations.RemoveField(model_name="deal", name="value_milli"),
    ]
