from django.db import migrations


def seed(apps, schema_editor):
    from listings.catalogue import seed_catalogue

    seed_catalogue(apps.get_model("listings", "WasteCategory"), apps.get_model("listings", "CatalogueSource"))


class Migration(migrations.Migration):
    dependencies = [("listings", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
