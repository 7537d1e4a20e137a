"""The lot the benchmark places bids on: emptied before each run, a valid bid's fields, the processors who
place them at once, and what the database holds on it afterwards (compared with the answers)."""

from django.conf import settings
from django.db.models import Count, Max, Sum
from django.utils import timezone

from bench.data.common import DAY, PINNED_PEOPLE, SLUG_PREFIX
from core import numbers
from listings.models import Bid, BidRevision, Route, WasteLot
from members.models import Organisation, User

# Processors that place bids at once on the placing lot: one per connection of the load generator.
PLACERS = 16


def reset_place_lot(lot: WasteLot) -> None:
    """The placing lot starts each run without bids: those earlier runs placed there go, with their history."""
    BidRevision.objects.filter(bid__lot=lot).delete()
    Bid.objects.filter(lot=lot).delete()


def place_fields(lot: WasteLot) -> dict:
    """A valid bid on the placing lot (the load generator changes the price from one request to the next)."""
    pickup = max(lot.available_from, timezone.localdate()) + 7 * DAY
    if lot.available_until and pickup > lot.available_until:
        pickup = lot.available_until
    return {
        "price_per_unit": max(lot.reserve_price or 0, 1_000),
        # As the bid form pre-fills it for the bench's people (Indonesian, the default language): "2,588" for
        # 2.588 t. A plain "2.588" reads as 2,588 t in Indonesian, over the lot's quantity (core.numbers.parse).
        # A recurring stream's bid offers a quantity per period (at most the stream's).
        "quantity": numbers.input_value(lot.offered_per_award, language=settings.LANGUAGE_CODE),
        "pickup_date": pickup.isoformat(),
        "route": Route.RECYCLING.value,
        "note": "Penawaran dari benchmark.",
    }


def placer_emails() -> list[str]:
    """The people of PLACERS verified processors (not the pinned ones) who place bids at the same time."""
    return list(
        User.objects.filter(
            membership__organisation__slug__startswith=f"{SLUG_PREFIX}processor-",
            membership__organisation__verification_status=Organisation.Status.VERIFIED,
        )
        .exclude(email__in=PINNED_PEOPLE.values())
        .order_by("membership__organisation__slug")
        .values_list("email", flat=True)[:PLACERS]
    )


def place_check(lot: WasteLot) -> dict:
    """What is in the database on the placing lot after the run: the benchmark compares it with the answers."""
    bids = Bid.objects.filter(lot=lot)
    revisions = BidRevision.objects.filter(bid__lot=lot)
    live = bids.filter(status=Bid.Status.LIVE)
    per_bid = {
        row["bid_id"]: row for row in revisions.values("bid_id").annotate(n=Count("id"), last=Max("number")).order_by()
    }
    inconsistent = [
        bid.pk
        for bid in bids.only("id", "revision")
        if bid.pk not in per_bid or per_bid[bid.pk]["n"] != bid.revision or per_bid[bid.pk]["last"] != bid.revision
    ]
    return {
        "revisions": revisions.count(),
        "bids": bids.count(),
        "live_bids": live.count(),
        "live_bidders": sorted(live.values_list("placed_by__email", flat=True)),
        "revision_sum": live.aggregate(total=Sum("revision"))["total"] or 0,
        "inconsistent_bids": inconsistent,
    }
