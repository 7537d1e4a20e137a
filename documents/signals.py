"""A document is asked for in the same transaction as the step it records: an award (its award letter), a
period's pickup (its handover record), a recurring stream's period processing and a one-off lot's confirmed
completion (the processing certificate). The outbox generates it after the commit (documents.services)."""

from django.db.models.signals import post_save

from listings.models import Award, Handover, LotTransition, WasteLot

from .models import Document
from .services import document_request


def _award_saved(sender, instance, created, **kwargs):
    if created:
        document_request(kind=Document.Kind.AWARD_LETTER, award_id=instance.pk)


def _handover_saved(sender, instance, created, **kwargs):
    period = instance.period
    if created:
        document_request(kind=Document.Kind.HANDOVER_RECORD, award_id=period.award_id, period_id=period.pk)
    elif instance.processing_recorded_at is not None and _is_recurring(instance.lot_id):
        # A stream's period is done with its processing (a one-off lot's certificate waits for the plant).
        document_request(kind=Document.Kind.PROCESSING_CERTIFICATE, award_id=period.award_id, period_id=period.pk)


def _transition_saved(sender, instance, created, **kwargs):
    if created and instance.to_status == "completed" and instance.from_status != "completed":
        if _is_recurring(instance.lot_id):
            return  # each period's certificate was asked for with its processing
        handover = Handover.objects.filter(lot_id=instance.lot_id).select_related("period").first()
        if handover is not None:
            period = handover.period
            document_request(kind=Document.Kind.PROCESSING_CERTIFICATE, award_id=period.award_id, period_id=period.pk)


def _is_recurring(lot_id: int) -> bool:
    return WasteLot.objects.filter(pk=lot_id, is_recurring=True).exists()


def connect_signals():
    post_save.connect(_award_saved, sender=Award, dispatch_uid="documents-award")
    post_save.connect(_handover_saved, sender=Handover, dispatch_uid="documents-handover")
    post_save.connect(_transition_saved, sender=LotTransition, dispatch_uid="documents-completed")
