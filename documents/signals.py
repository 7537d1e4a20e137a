"""A document is asked for in the same transaction as the step it records: the award (award letter), the pickup
(handover record) and the plant's confirmation of completion (processing certificate). The outbox generates it
after the commit (documents.services)."""

from django.db.models.signals import post_save

from listings.models import Award, Handover, LotTransition

from .models import Document
from .services import document_request


def _award_saved(sender, instance, created, **kwargs):
    if created:
        _request(instance.lot_id, Document.Kind.AWARD_LETTER)


def _handover_saved(sender, instance, created, **kwargs):
    if created:
        _request(instance.lot_id, Document.Kind.HANDOVER_RECORD)


def _transition_saved(sender, instance, created, **kwargs):
    if created and instance.to_status == "completed":
        _request(instance.lot_id, Document.Kind.PROCESSING_CERTIFICATE)


def _request(lot_id: int, kind: str) -> None:
    document_request(lot_id=lot_id, kind=kind)


def connect_signals():
    post_save.connect(_award_saved, sender=Award, dispatch_uid="documents-award")
    post_save.connect(_handover_saved, sender=Handover, dispatch_uid="documents-handover")
    post_save.connect(_transition_saved, sender=LotTransition, dispatch_uid="documents-completed")
