"""Full-text search on PostgreSQL: a GIN index on the same expression listings.selectors searches with.

SQLite has no such index; search falls back to a simple substring match there.
"""

from django.db import migrations

INDEX = "listings_wastelot_search_gin"
CREATE = (
    f"CREATE INDEX IF NOT EXISTS {INDEX} ON listings_wastelot "
    "USING gin (to_tsvector('simple'::regconfig, COALESCE(search_document, '')))"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("listings", "0002_seed_catalogue")]

    operations = [migrations.RunPython(create, drop)]
