"""The deals rollup becomes a row per award and per completed delivery (contracts of recurring streams): the
table is made anew; `manage.py dashboard_rebuild` (or the nightly beat task) fills it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0005_deal_months"), ("listings", "0015_contracts_fill")]

    operations = [migrations.DeleteModel(name="Deal")]
