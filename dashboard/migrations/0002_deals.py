
import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    """A database with awards already (the demo, production) gets its rollup at once, not at the next beat."""
    if apps.get_model("listings", "Award").objects.exists():
        from dashboard.services import deals_refresh_all

        deals_refresh_all()


class Migration(migrations.Migration):

    dependencies = [
        ('dashboard', '0001_indexes'),
        ('listings', '0007_matching'),
        ('members', '0003_notifications'),
    ]

    operations = [
        migrations.CreateModel(
            name='Deal',
            fields=[
                ('lot', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='deal', serialize=False, to='listings.wastelot', verbose_name='lot')),
                ('group', models.CharField(max_length=30, verbose_name='group')),
                ('kecamatan', models.CharField(max_length=20, verbose_name='kecamatan')),
                ('unit', models.CharField(max_length=5, verbose_name='unit')),
                ('published_at', models.DateTimeField(null=True, verbose_name='published at')),
                ('awarded_at', models.DateTimeField(verbose_name='awarded at')),
                ('completed_at', models.DateTimeField(null=True, verbose_name='completed at')),
                ('route', models.CharField(choices=[('reuse', 'Reuse'), ('recycling', 'Recycling'), ('material-recovery', 'Recovery as material'), ('energy-recovery', 'Energy recovery / co-processing in a cement kiln'), ('treatment', 'Treatment'), ('disposal', 'Disposal')], max_length=20, verbose_name='route offered')),
                ('route_used', models.CharField(choices=[('reuse', 'Reuse'), ('recycling', 'Recycling'), ('material-recovery', 'Recovery as material'), ('energy-recovery', 'Energy recovery / co-processing in a cement kiln'), ('treatment', 'Treatment'), ('disposal', 'Disposal')], max_length=20, verbose_name='route used')),
                ('price_per_unit', models.BigIntegerField(verbose_name='price per unit (Rp)')),
                ('quantity', models.DecimalField(decimal_places=3, max_digits=12, verbose_name='quantity awarded')),
                ('quantity_completed', models.DecimalField(decimal_places=3, max_digits=12, null=True, verbose_name='quantity processed')),
                ('kg_awarded', models.BigIntegerField(null=True, verbose_name='kg awarded')),
                ('kg_completed', models.BigIntegerField(null=True, verbose_name='kg processed')),
                ('value_milli', models.BigIntegerField(verbose_name='value (thousandths of a rupiah)')),
                ('processor_banten', models.BooleanField(verbose_name='Banten business')),
                ('processor_japnas', models.BooleanField(verbose_name='Japnas member')),
                ('refreshed_at', models.DateTimeField(auto_now=True, verbose_name='refreshed at')),
                ('category', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='listings.wastecategory', verbose_name='waste category')),
                ('plant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='members.organisation', verbose_name='plant')),
                ('processor', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='members.organisation', verbose_name='processor')),
            ],
            options={
                'verbose_name': 'deal',
                'verbose_name_plural': 'deals',
                'indexes': [models.Index(fields=['awarded_at'], name='deal_awarded_idx'), models.Index(fields=['completed_at'], name='deal_completed_idx'), models.Index(fields=['category', 'awarded_at'], name='deal_category_awarded_idx'), models.Index(fields=['kecamatan', 'awarded_at'], name='deal_kecamatan_awarded_idx'), models.Index(fields=['plant', 'awarded_at'], name='deal_plant_awarded_idx'), models.Index(fields=['processor', 'awarded_at'], name='deal_processor_awarded_idx')],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
