"""Background work for lots: thin tasks that take ids, load, and send. Safe to run twice."""

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from members.models import User
from members.tasks import email_people

from . import services
from .models import Award, Bid, WasteLot


@shared_task
def close_overdue_lots() -> int:
    """Every minute: lots past their bid deadline close (idempotent; each change is on the lot's timeline)."""
    return services.close_overdue_lots()


def _people_of(organisation_ids):
    return User.objects.filter(membership__organisation_id__in=organisation_ids, is_active=True)


@shared_task
def notify_award(award_id: int) -> None:
    """The winner is told; every other bidder learns the winning price, never the winner."""
    with transaction.atomic():
        award = (
            Award.objects.select_for_update()
            .select_related("lot", "lot__category", "bid", "bid__bidder")
            .filter(pk=award_id, notified_at__isnull=True)
            .first()
        )
        if award is None:
            return
        lot = award.lot
        email_people(_people_of([award.bid.bidder_id]), "bid_accepted", {"lot": lot, "bid": award.bid})
        losers = (
            Bid.objects.filter(lot=lot, status=Bid.Status.REJECTED)
            .exclude(bidder_id=award.bid.bidder_id)
            .values_list("bidder_id", flat=True)
        )
        email_people(_people_of(set(losers)), "bid_not_chosen", {"lot": lot, "winning_price": award.bid.price_per_unit})
        award.notified_at = timezone.now()
        award.save(update_fields=["notified_at"])


@shared_task
def notify_bidders_lot_ended(lot_id: int, bid_ids: list[int]) -> None:
    """The lot was cancelled, or closed without an award: the bidders whose bids ended are told."""
    lot = (
        WasteLot.objects.select_related("category")
        .filter(pk=lot_id, status__in=[WasteLot.Status.UNAWARDED, WasteLot.Status.CANCELLED])
        .first()
    )
    if lot is None:
        return
    bidders = set(Bid.objects.filter(pk__in=bid_ids).values_list("bidder_id", flat=True))
    template = "lot_cancelled" if lot.status == WasteLot.Status.CANCELLED else "lot_unawarded"
    email_people(_people_of(bidders), template, {"lot": lot})
