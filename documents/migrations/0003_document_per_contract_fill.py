"""Every document issued before contracts belongs to its lot's only award and, for a handover record or a
processing certificate, to the period of the lot's handover (listings 0015 made it the award's first)."""

from django.db import migrations


def fill(apps, schema_editor):
    Award = apps.get_model("listings", "Award")
    Document = apps.get_model("documents", "Document")
    Handover = apps.get_model("listings", "Handover")
    for document in Document.objects.filter(award__isnull=True).iterator():
        document.award = Award.objects.filter(lot_id=document.lot_id).order_by("awarded_at", "id").first()
        if document.kind != "award-letter":
            handover = Handover.objects.filter(lot_id=document.lot_id).order_by("id").first()
            document.period_id = handover.period_id if handover is not None else None
        document.save(update_fields=["award", "period"])


class Migration(migrations.Migration):
    dependencies = [("documents", "0002_document_per_contract")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
