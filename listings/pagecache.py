"""What the cached pages of listings depend on (wastex.pagecache serves them), and what bumps each version.

- /lots/ : every lot (listings.cache.VERSION_KEY, bumped by any lot, attachment or catalogue change);
- /lots/<reference>/bids/ : that lot and its bids (lot_key), bumped by any save or delete of the lot, its
  bids, award, handover, transitions, attachments or ratings;
- /my/bids/ : the organisation's bids (org_bids_key, bumped by any save or delete of one of its bids) and every
  lot (a lot's status and title show there; the bulk updates that end bids always come with a lot change).

Every page also depends on wastex.pagecache.PEOPLE_KEY (names, organisations, licences, ratings).
"""

from django.db.models.signals import post_delete, post_save

from wastex import pagecache

from .cache import VERSION_KEY as LOTS_KEY


def lot_key(reference: str) -> str:
    return f"pagecache:lot:{reference}"


def org_bids_key(organisation_id) -> str:
    return f"pagecache:org-bids:{organisation_id}"


def _lot_reference(instance) -> str | None:
    """The reference of the lot this object belongs to, without a query when the lot is already loaded."""
    from .models import WasteLot

    field = type(instance)._meta.get_field("lot")
    if field.is_cached(instance):
        return instance.lot.reference
    return WasteLot.objects.filter(pk=instance.lot_id).values_list("reference", flat=True).first()


def _lot_changed(sender, instance, **kwargs):
    pagecache.bump(lot_key(instance.reference))


def _part_of_lot_changed(sender, instance, **kwargs):
    reference = _lot_reference(instance)
    if reference:
        pagecache.bump(lot_key(reference))


def _bid_changed(sender, instance, **kwargs):
    keys = [org_bids_key(instance.bidder_id)]
    reference = _lot_reference(instance)
    if reference:
        keys.append(lot_key(reference))
    pagecache.bump(*keys)


def _rating_changed(sender, instance, **kwargs):
    # The bids page shows each bidder's average rating, over all its lots.
    _part_of_lot_changed(sender, instance)
    pagecache.bump(pagecache.PEOPLE_KEY)


def connect_signals() -> None:
    from .models import Award, Bid, Handover, LotAttachment, LotTransition, Rating, WasteLot

    handlers = {
        WasteLot: _lot_changed,
        Bid: _bid_changed,
        Award: _part_of_lot_changed,
        Handover: _part_of_lot_changed,
        LotTransition: _part_of_lot_changed,
        LotAttachment: _part_of_lot_changed,
        Rating: _rating_changed,
    }
    for model, handler in handlers.items():
        post_save.connect(handler, sender=model, dispatch_uid=f"pagecache-save-{model.__name__}")
        post_delete.connect(handler, sender=model, dispatch_uid=f"pagecache-delete-{model.__name__}")
    pagecache.register(r"^/lots/$", lambda match: [LOTS_KEY])
    pagecache.register(r"^/lots/(?P<reference>[^/]+)/bids/$", lambda match: [lot_key(match["reference"])])
    pagecache.register(r"^/my/bids/$", lambda match: [LOTS_KEY])
