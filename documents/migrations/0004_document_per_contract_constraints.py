import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("documents", "0003_document_per_contract_fill")]

    operations = [
        migrations.AlterField(
            model_name="document",
            name="award",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="documents",
                to="listings.award",
                verbose_name="contract",
            ),
        ),
        migrations.AddConstraint(
            model_name="document",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "superseded"), _negated=True) & models.Q(("period__isnull", True)),
                fields=("award", "kind"),
                name="document_one_per_kind_per_contract",
            ),
        ),
        migrations.AddConstraint(
            model_name="document",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "superseded"), _negated=True),
                fields=("period", "kind"),
                name="document_one_per_kind_per_period",
            ),
        ),
        migrations.AddConstraint(
            model_name="document",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind", "award-letter"), ("period__isnull", True))
                | (models.Q(("kind", "award-letter"), _negated=True) & models.Q(("period__isnull", False))),
                name="document_period_by_kind",
            ),
        ),
    ]
