"""Indexes for the browse sorts and lists that read many open lots to show a few.

- The deadline index covers (PostgreSQL) the columns the nearest lots and the dashboard's open lots without
  bids filter and sort on (with browse's quantity and price filters), so that both choose a page of ids without
  reading the wide lot rows.
- "Highest price first" orders by the reserve price descending with the lots without one last; the (status,
  reserve price) index read backwards puts them first, so PostgreSQL sorted every open lot for it. SQLite
  cannot put NULLS LAST in an index: there it keeps sorting (it is the embedded default, not the load target).
- Autovacuum visits the lots and bids sooner (PostgreSQL), so that the index-only scans stay index-only.
"""

from django.db import migrations, models

# Index-only scans skip the table only for pages the visibility map marks all-visible, which a vacuum sets. By
# default autovacuum waits for a fifth of a table to change (20,000 of 100,000 lots; 200,000 new bids): lots
# change status every day, so many pages would wait long. A fiftieth keeps the maps close to up to date.
VACUUM_SOONER = "(autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02)"
TABLES = ("listings_wastelot", "listings_bid")

PRICE_DESC = (
    "CREATE INDEX IF NOT EXISTS lot_status_price_desc_idx ON listings_wastelot "
    "(status, reserve_price DESC NULLS LAST, id DESC)"
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PRICE_DESC)
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET {VACUUM_SOONER}")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS lot_status_price_desc_idx")
        for table in TABLES:
            schema_editor.execute(
                f"ALTER TABLE {table} RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_insert_scale_factor)"
            )


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
