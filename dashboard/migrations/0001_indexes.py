"""Indexes where the dashboard's filters go, on listings' tables.

They live here rather than in listings' Meta so that the dashboard stays one app that can be added or removed,
and listings' migrations stay as they are. Plain CREATE INDEX: the same SQL on PostgreSQL and SQLite.
"""

from django.db import migrations

INDEXES = [
    ("dash_lot_published_idx", "listings_wastelot", "published_at"),
    ("dash_lot_category_published_idx", "listings_wastelot", "category_id, published_at"),
    ("dash_lot_kecamatan_published_idx", "listings_wastelot", "site_kecamatan, published_at"),
    ("dash_award_awarded_idx", "listings_award", "awarded_at"),
    ("dash_transition_status_created_idx", "listings_lottransition", "to_status, created_at"),
    ("dash_handover_pickup_idx", "listings_handover", "pickup_date"),
]


class Migration(migrations.Migration):
    dependencies = [("listings", "0007_matching")]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, table, columns in INDEXES
    ]
