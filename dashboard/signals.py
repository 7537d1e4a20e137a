"""The dashboard's signals: the deals rollup follows each award, handover and completion, and each processor's
flags follow its organisation."""

from django.db.models.signals import post_save


def _deal_changed(sender, instance, **kwargs):
    """The rollup row of the lot follows its award, handover and completion in the same transaction."""
    from .services import deal_refresh

    if sender.__name__ == "LotTransition" and instance.to_status != "completed":
        return
    deal_refresh(lot_ids=[instance.lot_id])


def _organisation_changed(sender, instance, **kwargs):
    from .services import processor_flags_refresh

    processor_flags_refresh(organisation=instance)


def connect_signals():
    from listings.models import Award, Handover, LotTransition
    from members.models import Organisation

    for model in (Award, Handover, LotTransition):
        post_save.connect(_deal_changed, sender=model, dispatch_uid=f"dashboard-deal-{model.__name__}")
    post_save.connect(_organisation_changed, sender=Organisation, dispatch_uid="dashboard-deal-organisation")
