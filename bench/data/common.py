"""The bench data (`manage.py bench`): plants, processors, people, many waste lots with their timelines, and
bids on them with their first revision, awards and ratings.

Built for PostgreSQL only, fast: organisations, people, memberships and licences through bulk_create, lots,
lot transitions, bids, awards and ratings through COPY, bid revisions by one INSERT ... SELECT (the models'
save() is bypassed, so `search_document` is filled here exactly as WasteLot.save() fills it). Everything is
deterministic (a fixed seed), clearly fictional ("(Bench)" names, NIBs starting with 97, e-mail addresses at
bench.test), and only the rows this module made are ever deleted: the benchmark may point at a database that
holds other data too.

Some rows are pinned, so that the benchmark finds them again without keeping any state of its own:
- people: processor@ (the viewer of the browse pages, no bids), bidder@ (a processor with BIDDER_BIDS bids),
  few-bids@ (a processor with FEW_BIDS bids) and plant@ (the plant that owns the pinned lots);
- the first three bench lots by id, all open, open bidding, closing in PINNED_LOT_DAYS days: the bids page
  lot (HOT_LOT_BIDS live bids, hazardous, so every bid carries a licence), a lot of the same kind with
  SMALL_LOT_BIDS bids (to show that the page's query count does not grow with the data) and the lot the
  benchmark places bids on (no bids of its own: the benchmark empties it before each run).

This module holds what every part of the builder shares: the pinned people and lots, the sizes, the seed, and how
to find the rows the builder made (bench organisations' slugs start with SLUG_PREFIX, people's e-mail
addresses end at EMAIL_DOMAIN).
"""

from datetime import timedelta

from listings.models import Bid, WasteLot
from members.models import Organisation

SLUG_PREFIX = "bench-"
EMAIL_DOMAIN = "bench.test"
VIEWER_EMAIL = f"processor@{EMAIL_DOMAIN}"
BIDDER_EMAIL = f"bidder@{EMAIL_DOMAIN}"
FEW_BIDS_EMAIL = f"few-bids@{EMAIL_DOMAIN}"
PLANT_EMAIL = f"plant@{EMAIL_DOMAIN}"
# The official who opens the dashboard: a verified authority of its own (made apart, after the others).
OFFICIAL_EMAIL = f"official@{EMAIL_DOMAIN}"
AUTHORITY_SLUG = f"{SLUG_PREFIX}authority"
# Whose administrator gets which pinned address (the others are <slug without the prefix>@bench.test).
PINNED_PEOPLE = {
    f"{SLUG_PREFIX}plant-0001": PLANT_EMAIL,
    f"{SLUG_PREFIX}processor-0001": VIEWER_EMAIL,
    f"{SLUG_PREFIX}processor-0002": BIDDER_EMAIL,
    f"{SLUG_PREFIX}processor-0003": FEW_BIDS_EMAIL,
}
SEED = 2026

BIDS = 1_000_000
HOT_LOT_BIDS = 500
SMALL_LOT_BIDS = 5
BIDDER_BIDS = 5_000
FEW_BIDS = 5
# The pinned lots (the first bench lots by id), in this order.
PINNED_LOTS = ("bids", "bids-small", "place")
PINNED_LOT_DAYS = 25

# The dashboard's history (issue 6): 30 % of the lots are completed deals (30,000 of 100,000), awarded and
# completed over the last DEAL_MONTHS months.
COMPLETED_SHARE = 0.3
DEAL_MONTHS = 24
DAY = timedelta(days=1)


def bench_lot_count() -> int:
    return WasteLot.objects.filter(plant__slug__startswith=SLUG_PREFIX).count()


BENCH_LOTS_SQL = (
    "SELECT l.id FROM listings_wastelot l JOIN members_organisation o ON o.id = l.plant_id WHERE o.slug LIKE %s"
)
BENCH_ORGANISATIONS_SQL = "SELECT id FROM members_organisation WHERE slug LIKE %s"
BENCH_BIDS_SQL = (
    f"SELECT id FROM listings_bid WHERE lot_id IN ({BENCH_LOTS_SQL}) OR bidder_id IN ({BENCH_ORGANISATIONS_SQL})"  # noqa: S608
)


def pinned_lots() -> dict[str, WasteLot]:
    """The pinned lots by their role (see the module's docstring): the first bench lots by id."""
    lots = WasteLot.objects.filter(plant__slug__startswith=SLUG_PREFIX).select_related("category", "plant")
    return dict(zip(PINNED_LOTS, lots.order_by("id")[: len(PINNED_LOTS)], strict=False))


def organisation_of(email: str) -> Organisation | None:
    return Organisation.objects.filter(memberships__user__email=email).first()


def bench_bid_count(place_lot: WasteLot | None) -> int:
    """Bids on bench lots, without those the benchmark itself places (on the placing lot)."""
    bids = Bid.objects.filter(lot__plant__slug__startswith=SLUG_PREFIX)
    return (bids.exclude(lot=place_lot) if place_lot else bids).count()
