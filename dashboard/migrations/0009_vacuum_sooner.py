"""Autovacuum visits the deal rollups sooner (PostgreSQL): their covering indexes answer the dashboard with
index-only scans, which skip the table only for pages a vacuum marked all-visible (see listings 0018)."""

from django.db import migrations

TABLES = ("dashboard_deal", "dashboard_dealmonth")
SETTINGS = "(autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02)"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET {SETTINGS}")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(
                f"ALTER TABLE {table} RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_insert_scale_factor)"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0008_covering_indexes"),
    ]

    operations = [migrations.RunPython(forward, backward)]
