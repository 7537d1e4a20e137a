"""The dashboard's signals: the deals rollup follows each award, handover and completion in the same
transaction. A processor's Banten and Japnas status is the one kept on its award (listings.Award), so an
organisation's later changes move no figure and need no hook here."""

from django.db.models.signals import post_save


def _deal_changed(sender, instance, **kwargs):
    """The rollup row of the lot follows its award, handover and completion in the same transaction."""
    from .services import deal_refresh

    if sender.__name__ == "LotTransition" and instance.to_status != "completed":
        return
    deal_refresh(lot_ids=[instance.lot_id])


def connect_signals():
    from listings.models import Award, Handover, LotTransition

    for model in (Award, Handover, LotTransition):
        post_save.connect(_deal_changed, sender=model, dispatch_uid=f"dashboard-deal-{model.__name__}")
