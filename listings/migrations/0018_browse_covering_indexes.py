"""Indexes for the browse sorts and lists that read many open lots to show a few.

- The deadline index covers (PostgreSQL) the columns the nearest lots and the dashboard's open lots without
  bids filter and sort on (with browse's quantity and price filters), so that both choose a page of ids without
  reading the wide lot rows.
- "Highest price first" orders by the reserve price descending with the lots without one last; the (status,
  reserve price) index read backwards puts them first, so PostgreSQL sorted every open lot for it. SQLite
  cannot put NULLS LAST in an index: there it keeps sorting (it is the embedded default, not the load target).
"""

from django.db import migrations, models

PRICE_DESC = (
    "CREATE INDEX IF NOT EXISTS lot_status_price_desc_idx ON listings_wastelot "
    "(status, reserve_price DESC NULLS LAST, id DESC)"
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PRICE_DESC)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS lot_status_price_desc_idx")


class Migration(migrations.Migration):
    dependencies = [
        ("listings", "0017_transition_step"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="wastelot",
            name="lot_status_closes_idx",
        ),
        migrations.AddIndex(
            model_name="wastelot",
            index=models.Index(
                fields=["status", "closes_at"],
                include=("id", "category", "site_kecamatan", "latitude", "longitude", "quantity", "reserve_price"),
                name="lot_status_closes_cover_idx",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
