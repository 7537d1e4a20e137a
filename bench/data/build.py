"""Build the bench data when it is missing or stale (idempotent), and delete only what the builder made: the
benchmark may point at a database that holds other data too."""

import random
import time
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from bench.data.bids import create_bids, create_handovers
from bench.data.common import (
    BENCH_BIDS_SQL,
    BENCH_LOTS_SQL,
    BIDDER_BIDS,
    BIDDER_EMAIL,
    BIDS,
    COMPLETED_SHARE,
    DAY,
    EMAIL_DOMAIN,
    FEW_BIDS_EMAIL,
    HOT_LOT_BIDS,
    OFFICIAL_EMAIL,
    PINNED_LOTS,
    PLANT_EMAIL,
    SEED,
    SLUG_PREFIX,
    VIEWER_EMAIL,
    bench_bid_count,
    bench_lot_count,
    organisation_of,
    pinned_lots,
)
from bench.data.copying import next_id, reset_sequence
from bench.data.lots import create_lots, last_reference_number
from bench.data.organisations import create_organisations, create_people, ensure_official
from bench.data.placing import placer_emails
from dashboard import rollups
from dashboard.services import deals_refresh_all
from listings.models import Bid, LotReferenceCounter, LotTransition, WasteLot
from members.models import Licence, Membership, Organisation, User

MAX_AGE = timedelta(days=1)


def _rng() -> random.Random:
    return random.Random(SEED)  # noqa: S311 - reproducible fake data, not secrets


def why_build(target_lots: int) -> str | None:
    """Why the data must be (re)built, or None when it is there and fresh. Deadlines are relative to the day
    of the build, so data older than MAX_AGE is rebuilt: otherwise open lots would drift past their deadlines
    from one run to the next and the runs would not compare."""
    viewer = User.objects.filter(email=VIEWER_EMAIL).first()
    if viewer is None:
        return "no benchmark data yet"
    if not User.objects.filter(email=PLANT_EMAIL).exists():
        return f"the data was made by an earlier version (no {PLANT_EMAIL}, no pinned lots)"
    count = bench_lot_count()
    if count < target_lots:
        return f"{count} benchmark lots, {target_lots} wanted"
    completed = WasteLot.objects.filter(plant__slug__startswith=SLUG_PREFIX, status=WasteLot.Status.COMPLETED).count()
    if completed < round(target_lots * COMPLETED_SHARE):
        return f"{completed} completed deals, {round(target_lots * COMPLETED_SHARE)} wanted (the dashboard's history)"
    age = timezone.now() - viewer.date_joined
    if age > MAX_AGE:
        return f"the data was built {age.days} day(s) ago"
    return None


def wipe_bids() -> bool:
    """Delete the bids on bench lots or by bench processors, with their revisions and awards, the ratings of
    bench lots and the bench licences (TRUNCATE when there are no others, the usual case). True when there
    are others."""
    pattern = SLUG_PREFIX + "%"
    # Bids and ratings other than ours can only be on other lots or by other organisations.
    others = (
        WasteLot.objects.exclude(plant__slug__startswith=SLUG_PREFIX).exists()
        or Organisation.objects.exclude(slug__startswith=SLUG_PREFIX).filter(bids__isnull=False).exists()
    )
    with connection.cursor() as cursor:
        if not others:
            cursor.execute("TRUNCATE listings_bid, listings_rating CASCADE")  # with revisions and awards
        else:
            awards = f"SELECT id FROM listings_award WHERE bid_id IN ({BENCH_BIDS_SQL})"  # noqa: S608
            for table, column, subquery, count in (
                ("listings_bidrevision", "bid_id", BENCH_BIDS_SQL, 2),
                # an award's contract periods and their handovers go first (their keys are not cascades in SQL)
                ("dashboard_deal", "award_id", awards, 2),
                ("listings_handover", "lot_id", BENCH_LOTS_SQL, 1),
                ("listings_contractperiod", "award_id", awards, 2),
                ("listings_award", "bid_id", BENCH_BIDS_SQL, 2),
                ("listings_bid", "id", BENCH_BIDS_SQL, 2),
                ("listings_rating", "lot_id", BENCH_LOTS_SQL, 1),
            ):
                cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({subquery})", [pattern] * count)  # noqa: S608
    Licence.objects.filter(organisation__slug__startswith=SLUG_PREFIX).delete()
    return others


def wipe() -> None:
    """Delete only what this module made (SQL, not the ORM: a cascade over 100,000 lots in Python is slow).

    When every lot is a bench lot, TRUNCATE ... CASCADE empties the lot tables and whatever refers to them
    (transitions, attachments, bids, revisions, awards, handovers, ratings) in one step."""
    others = WasteLot.objects.exclude(plant__slug__startswith=SLUG_PREFIX).exists()
    with connection.cursor() as cursor:
        if not others:
            cursor.execute(f"TRUNCATE {WasteLot._meta.db_table} CASCADE")
        else:
            wipe_bids()
            for table, column in (
                ("dashboard_deal", "lot_id"),
                ("listings_handover", "lot_id"),
                ("listings_lottransition", "lot_id"),
                ("listings_lotattachment", "lot_id"),
                ("listings_wastelot", "id"),
            ):
                cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({BENCH_LOTS_SQL})", [SLUG_PREFIX + "%"])  # noqa: S608
    Licence.objects.filter(organisation__slug__startswith=SLUG_PREFIX).delete()
    Membership.objects.filter(user__email__endswith="@" + EMAIL_DOMAIN).delete()
    User.objects.filter(email__endswith="@" + EMAIL_DOMAIN).delete()
    Organisation.objects.filter(slug__startswith=SLUG_PREFIX).delete()


def why_build_bids(target_bids: int) -> str | None:
    """Why the bids must be (re)built, or None when they are there as wanted."""
    pinned = pinned_lots()
    if len(pinned) < len(PINNED_LOTS) or any(
        lot.plant.slug != f"{SLUG_PREFIX}plant-0001" or lot.status != WasteLot.Status.OPEN for lot in pinned.values()
    ):
        return "the pinned lots are missing"
    count = bench_bid_count(pinned["place"])
    if count != target_bids:
        return f"{count} benchmark bids, {target_bids} wanted"
    hot = pinned["bids"].bids.count()
    if hot != HOT_LOT_BIDS:
        return f"the bids page lot has {hot} bids, {HOT_LOT_BIDS} wanted"
    bidder = organisation_of(BIDDER_EMAIL)
    mine = Bid.objects.filter(bidder=bidder).count() if bidder else 0
    if mine != BIDDER_BIDS:
        return f"{BIDDER_EMAIL} has {mine} bids, {BIDDER_BIDS} wanted"
    return None


def build(
    target_lots: int, target_bids: int = BIDS, *, rebuild: bool = False, rebuild_bids: bool = False, log=print
) -> dict:
    """Make sure the bench data is there (idempotent); returns what the benchmark needs to know."""
    if connection.vendor != "postgresql":
        raise RuntimeError("The benchmark data is built with COPY: PostgreSQL only.")
    started = time.monotonic()
    reason = "--rebuild" if rebuild else why_build(target_lots)
    if reason:
        log(f"building the data ({reason})")
        rng, now = _rng(), timezone.now()
        year = timezone.localdate().year
        with transaction.atomic():
            log("removing earlier bench data (if any)")
            wipe()
            t0 = time.monotonic()
            organisations = create_organisations(rng, now)
            user_of = create_people(rng, organisations)
            log(f"{len(organisations)} organisations and their people in {time.monotonic() - t0:.1f}s")
            plants = [o for o in organisations if o.kind == Organisation.Kind.PLANT and o.is_verified]
            first_number = last_reference_number(year) + 1
            t0 = time.monotonic()
            transitions = create_lots(
                rng, now, target_lots, plants, user_of, first_number, next_id(WasteLot), next_id(LotTransition)
            )
            log(f"{target_lots} lots and {transitions} lot transitions copied in {time.monotonic() - t0:.1f}s")
            reset_sequence(WasteLot)
            reset_sequence(LotTransition)
            LotReferenceCounter.objects.update_or_create(
                year=year, defaults={"last": max(last_reference_number(year), first_number + target_lots - 1)}
            )
    bids_reason = (
        "the lots were rebuilt" if reason else "--rebuild-bids" if rebuild_bids else why_build_bids(target_bids)
    )
    if bids_reason:
        log(f"building the bids ({bids_reason})")
        t0 = time.monotonic()
        with transaction.atomic():
            others = wipe_bids()
            log(f"earlier bench bids removed in {time.monotonic() - t0:.1f}s")
            # A seed of their own: the same bids whether or not the lots were built in this run.
            rng = random.Random(SEED + 1)  # noqa: S311 - a reproducible sample  # noqa: S311 - reproducible fake data
            create_bids(rng, timezone.now(), target_bids, log, bulk=not others)
            t1 = time.monotonic()
            handovers = create_handovers()
            log(f"{handovers} handovers of collected and completed lots in {time.monotonic() - t1:.1f}s")
            t1 = time.monotonic()
            deals = deals_refresh_all()  # written around the services: the rollup is rebuilt whole
            log(f"{deals} rows of the dashboard's deals rollup in {time.monotonic() - t1:.1f}s")
            t1 = time.monotonic()
            buckets = rollups.rebuild()  # the listed-lots rollup, likewise
            log(f"{buckets} rows of the dashboard's listed-lots rollup in {time.monotonic() - t1:.1f}s")
        log(f"bids committed, {time.monotonic() - t0:.1f}s in all")
    if reason or bids_reason:
        t0 = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        log(f"VACUUM ANALYZE in {time.monotonic() - t0:.1f}s")
    open_lot = (
        WasteLot.objects.open()
        .filter(plant__slug__startswith=SLUG_PREFIX, closes_at__gt=timezone.now() + 7 * DAY)
        .order_by("-published_at", "-id")
        .values_list("reference", flat=True)
        .first()
    )
    pinned = pinned_lots()
    bidder, few = organisation_of(BIDDER_EMAIL), organisation_of(FEW_BIDS_EMAIL)
    ensure_official()
    return {
        "built": bool(reason),
        "bids_built": bool(bids_reason),
        "build_seconds": round(time.monotonic() - started, 1),
        "lots": bench_lot_count(),
        "open_lots": WasteLot.objects.open().count(),
        "open_lot": open_lot,
        "viewer": VIEWER_EMAIL,
        "bids": bench_bid_count(pinned["place"]),
        "bids_lot": pinned["bids"].reference,
        "bids_lot_bids": pinned["bids"].bids.exclude(status=Bid.Status.WITHDRAWN).count(),
        "bids_lot_small": pinned["bids-small"].reference,
        "bids_lot_small_bids": pinned["bids-small"].bids.exclude(status=Bid.Status.WITHDRAWN).count(),
        "place_lot": pinned["place"].reference,
        "plant": PLANT_EMAIL,
        "bidder": BIDDER_EMAIL,
        "bidder_bids": Bid.objects.filter(bidder=bidder).count(),
        "bidder_latest_lot": Bid.objects.filter(bidder=bidder).order_by("-updated_at", "-id")[0].lot.reference,
        "few_bidder": FEW_BIDS_EMAIL,
        "few_bidder_bids": Bid.objects.filter(bidder=few).count(),
        "placers": placer_emails(),
        "official": OFFICIAL_EMAIL,
        "last_year": timezone.localdate().year - 1,
        "completed_deals": WasteLot.objects.filter(
            plant__slug__startswith=SLUG_PREFIX, status=WasteLot.Status.COMPLETED
        ).count(),
    }
