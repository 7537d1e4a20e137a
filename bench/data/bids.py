"""A million bids on the bench lots, with their first revision, an award per decided lot, the ratings of
completed lots, the licences the bidders need and the handovers of collected and completed lots."""

import itertools
import math
import time
from contextlib import nullcontext
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from bench.data.common import (
    BENCH_LOTS_SQL,
    BIDDER_BIDS,
    DAY,
    FEW_BIDS,
    HOT_LOT_BIDS,
    PINNED_PEOPLE,
    SLUG_PREFIX,
    SMALL_LOT_BIDS,
    pinned_lots,
)
from bench.data.copying import Copier, bulk_load, copy_value, fields_added_later, next_id, reset_sequence
from listings.models import Award, Bid, BidRevision, LotTransition, Rating, Route, WasteCategory, WasteLot
from members.choices import Province
from members.models import Licence, Membership, Organisation

# Share of withdrawn bids; of decided lots, how often the best price wins.
WITHDRAWN_SHARE = 0.06
BEST_PRICE_WINS = 0.75
ROUTE_WEIGHTS = {
    Route.REUSE: 10,
    Route.RECYCLING: 35,
    Route.MATERIAL_RECOVERY: 20,
    Route.ENERGY_RECOVERY: 15,
    Route.TREATMENT: 12,
    Route.DISPOSAL: 8,
}
BID_NOTES = [
    "Armada sendiri, siap angkut dalam 3 hari kerja.",
    "Harga termasuk biaya angkut ke fasilitas kami.",
    "Perlu uji sampel sebelum pengambilan.",
    "Bisa ambil bertahap sesuai jadwal pabrik.",
]


# Every MISMATCH_EVERY-th completed deal lost 5 % on the way (the handover is flagged); the others 0.5 %.
MISMATCH_EVERY = 20

DECIDED = {WasteLot.Status.AWARDED, WasteLot.Status.COLLECTED, WasteLot.Status.COMPLETED}
BID_SCALE = {"t": (10_000, 5_000_000), "kg": (100, 25_000), "L": (300, 6_000), "m3": (20_000, 400_000)}
OTHER_REASONS = [
    Award.Reason.BETTER_ROUTE,
    Award.Reason.LOCAL_BUSINESS,
    Award.Reason.CAPACITY,
    Award.Reason.LICENCE,
    Award.Reason.OTHER,
]


def _licences(processor_ids, now) -> dict[int, int]:
    """One verified licence per processor that bids, covering every hazardous waste code: bids on hazardous
    lots need one. Returns the licence id of each processor."""
    codes = sorted(
        set(
            WasteCategory.objects.filter(hazardous=WasteCategory.Hazard.YES)
            .exclude(indonesian_code="")
            .values_list("indonesian_code", flat=True)
        )
    )
    today = timezone.localdate()
    licences = Licence.objects.bulk_create(
        [
            Licence(
                organisation_id=pk,
                kind=Licence.Kind.PERTEK,
                number=f"BENCH/PERTEK/{n + 1:04d}",
                issuer="Kementerian Lingkungan Hidup (data benchmark)",
                waste_codes=", ".join(codes),
                capacity_tonnes_per_month=Decimal(50_000),
                valid_from=today - 400 * DAY,
                valid_until=today + 700 * DAY,
                document=f"licences/bench/{n + 1:04d}.pdf",
                status=Licence.Status.VERIFIED,
                reviewed_at=now - 300 * DAY,
            )
            for n, pk in enumerate(processor_ids)
        ],
        batch_size=1000,
    )
    return {licence.organisation_id: licence.pk for licence in licences}


def _bid_base(rng, unit, hazard) -> float:
    low, high = BID_SCALE.get(unit, (5_000, 250_000))
    amount = math.exp(rng.uniform(math.log(low), math.log(high)))
    gate_fee = hazard == WasteCategory.Hazard.YES and rng.random() < 0.85
    return -amount if gate_fee else amount


def _bidders_per_lot(rng, lots, pinned_ids, pool, bidder_id, few_id, target) -> list[list[int]]:
    """Who bids on which lot: distinct (lot, bidder) pairs, `target` in all. The pinned lots get their fixed
    numbers, the bidder and the few-bids processor theirs; every decided lot at least one (it was awarded);
    the rest spread with a skewed popularity (some lots draw many bids, most a few)."""
    fixed = HOT_LOT_BIDS + SMALL_LOT_BIDS + BIDDER_BIDS + FEW_BIDS
    if target < fixed:
        raise RuntimeError(f"--bids must be at least {fixed}: the pinned lots and processors need that many.")
    bidders = [[] for _ in lots]
    index = {lot[0]: i for i, lot in enumerate(lots)}
    bidders[index[pinned_ids["bids"]]] = rng.sample(pool, HOT_LOT_BIDS)
    bidders[index[pinned_ids["bids-small"]]] = rng.sample(pool, SMALL_LOT_BIDS)
    regular = [i for i, lot in enumerate(lots) if lot[0] not in pinned_ids.values()]
    for who, how_many in ((bidder_id, BIDDER_BIDS), (few_id, FEW_BIDS)):
        for i in rng.sample(regular, how_many):
            bidders[i].append(who)
    remaining = target - fixed
    counts = [0] * len(lots)
    for i in regular:
        if remaining and lots[i][1] in DECIDED and not bidders[i]:
            counts[i] = 1
            remaining -= 1
    weights = [math.exp(rng.gauss(0, 0.8)) for _ in regular]
    for i in rng.choices(regular, weights, k=remaining):
        counts[i] += 1
    excess = 0
    for i in regular:  # never more bids on a lot than processors to place them
        if counts[i] > len(pool):
            excess += counts[i] - len(pool)
            counts[i] = len(pool)
    while excess:
        i = rng.choice(regular)
        if counts[i] < len(pool):
            counts[i] += 1
            excess -= 1
    for i in regular:
        if counts[i]:
            bidders[i].extend(rng.sample(pool, counts[i]))
    return bidders


def create_bids(rng, now, target, log, *, bulk: bool) -> dict:
    """`target` bids with their first revision, an award per decided lot and the ratings of completed lots;
    with `bulk`, the bid tables' indexes and keys are made again afterwards (only when they hold bench rows
    only: the DDL locks them)."""
    with bulk_load(["listings_bid", "listings_bidrevision"], log) if bulk else nullcontext():
        return _load_bids(rng, now, target, log)


def _load_bids(rng, now, target, log) -> dict:
    S, B = WasteLot.Status, Bid.Status
    pinned = pinned_lots()
    pinned_ids = {kind: lot.pk for kind, lot in pinned.items()}
    user_of = dict(
        Membership.objects.filter(organisation__slug__startswith=SLUG_PREFIX)
        .order_by("-id")
        .values_list("organisation_id", "user_id")
    )
    processors = list(
        Organisation.objects.filter(slug__startswith=SLUG_PREFIX, kind=Organisation.Kind.PROCESSOR)
        .verified()
        .order_by("slug")
        .values_list("pk", "slug")
    )
    # what an award keeps of its winner: Banten business? Japnas member? (listings.Award, as lot_award does)
    status_of = {
        pk: (province == Province.BANTEN, bool(japnas))
        for pk, province, japnas in Organisation.objects.filter(pk__in=[pk for pk, _slug in processors]).values_list(
            "pk", "province", "japnas_number"
        )
    }
    pinned_orgs = {slug: pk for pk, slug in processors if slug in PINNED_PEOPLE}
    viewer_id = pinned_orgs[f"{SLUG_PREFIX}processor-0001"]
    bidder_id = pinned_orgs[f"{SLUG_PREFIX}processor-0002"]
    few_id = pinned_orgs[f"{SLUG_PREFIX}processor-0003"]
    # The viewer of the browse pages bids on nothing and holds no licence: its pages stay as measured before.
    pool = [pk for pk, slug in processors if slug not in PINNED_PEOPLE]
    t0 = time.monotonic()
    licence_of = _licences([pk for pk, _slug in processors if pk != viewer_id], now)
    lots = list(
        WasteLot.objects.filter(plant__slug__startswith=SLUG_PREFIX, published_at__isnull=False)
        .exclude(status=S.DRAFT)
        .exclude(pk=pinned_ids["place"])  # the benchmark places its own bids there
        .order_by("id")
        .values_list(
            "id",
            "status",
            "plant_id",
            "quantity",
            "available_from",
            "available_until",
            "published_at",
            "closes_at",
            "reserve_price",
            "category__hazardous",
            "category__usual_unit",
        )
    )
    decided_at, completed_at = {}, {}
    for lot_id, to_status, when in LotTransition.objects.filter(
        lot__plant__slug__startswith=SLUG_PREFIX, to_status__in=[S.AWARDED, S.UNAWARDED, S.COMPLETED]
    ).values_list("lot_id", "to_status", "created_at"):
        (completed_at if to_status == S.COMPLETED else decided_at)[lot_id] = when
    bidders = _bidders_per_lot(rng, lots, pinned_ids, pool, bidder_id, few_id, target)
    log(f"{len(licence_of)} licences, {len(lots)} lots to bid on in {time.monotonic() - t0:.1f}s")

    t0 = time.monotonic()
    bid_columns = [
        "id", "lot_id", "bidder_id", "placed_by_id", "price_per_unit", "quantity", "pickup_date", "route", "note",
        "licence_id", "status", "revision", "created_at", "updated_at",
    ]  # fmt: skip
    bid_copy = Copier(Bid, bid_columns)
    award_copy = Copier(
        Award,
        [
            "lot_id", "bid_id", "quantity", "reason", "note", "best_price", "awarded_by_id", "awarded_at",
            "notified_at", "processor_banten", "processor_japnas",
        ],
    )  # fmt: skip
    rating_copy = Copier(Rating, ["lot_id", "rater_id", "rated_id", "stars", "comment", "by_id", "created_at"])
    routes = [route.value for route in ROUTE_WEIGHTS]
    route_weights = list(ROUTE_WEIGHTS.values())
    route_cumulative = list(itertools.accumulate(route_weights))
    first_id = bid_id = next_id(Bid)
    null = copy_value(None)
    notes = [copy_value(note) for note in BID_NOTES]  # already escaped for COPY's text format
    pinned_set = set(pinned_ids.values())
    for lot, lot_bidders in zip(lots, bidders, strict=True):
        if not lot_bidders:
            continue
        lot_id, status, plant_id, quantity, available_from, available_until, published, closes = lot[:8]
        reserve, hazard, unit = lot[8:]
        end = min(closes, now)
        span = max((end - published).total_seconds(), 60.0)
        base = reserve or _bid_base(rng, unit, hazard)
        digits = -2 if abs(base) >= 10_000 else 0
        milli = int(quantity * 1000)
        hazardous = hazard == WasteCategory.Hazard.YES
        decided = decided_at.get(lot_id) or end
        withdrawn_share = 0 if lot_id in pinned_set else WITHDRAWN_SHARE
        bids = []
        for bidder in lot_bidders:
            created = published + timedelta(seconds=span * rng.random())
            price = int(round(base * rng.uniform(0.7, 1.3), digits))
            share = milli if rng.random() < 0.6 else max(1, int(milli * rng.uniform(0.2, 1.0)))
            pickup = (created + rng.randint(1, 30) * DAY).date()
            pickup = max(pickup, available_from)
            if available_until and pickup > available_until:
                pickup = available_until
            route = rng.choices(routes, cum_weights=route_cumulative)[0]
            note = rng.choice(notes) if rng.random() < 0.1 else ""
            withdrawn = rng.random() < withdrawn_share
            bids.append([bidder, price, f"{share // 1000}.{share % 1000:03d}", pickup, route, note, withdrawn, created])
        # Statuses as the lot's life left them: live while it is open or closed (and, as the app does, when
        # it is cancelled), then exactly one accepted bid (the award) and the others rejected.
        standing = [bid for bid in bids if not bid[6]]
        if not standing and status in DECIDED:
            bids[0][6] = False
            standing = [bids[0]]
        accepted = None
        if status in DECIDED:
            best = max(bid[1] for bid in standing)
            accepted = max(standing, key=lambda bid: bid[1]) if rng.random() < BEST_PRICE_WINS else rng.choice(standing)
        for bidder, price, share, pickup, route, note, withdrawn, created in bids:
            if withdrawn:
                state = B.WITHDRAWN
                updated = created + (end - created) * rng.random()
            elif status in DECIDED or status == S.UNAWARDED:
                state = B.ACCEPTED if accepted and accepted[0] == bidder else B.REJECTED
                updated = decided
            else:
                state, updated = B.LIVE, created
            # Formatted here rather than by copy_value: a million rows, a third of the Python time saved.
            licence = licence_of[bidder] if hazardous else null
            bid_copy.add_line(
                f"{bid_id}\t{lot_id}\t{bidder}\t{user_of[bidder]}\t{price}\t{share}\t{pickup.isoformat()}\t{route}"
                f"\t{note}\t{licence}\t{state.value}\t1\t{created.isoformat()}\t{updated.isoformat()}"
            )
            if state == B.ACCEPTED:
                reason, award_note = Award.Reason.BEST_PRICE, ""
                if price < best:
                    reason = rng.choice(OTHER_REASONS)
                    award_note = "Jadwal pengambilan lebih cocok (data benchmark)." if reason == "other" else ""
                told = decided + timedelta(minutes=2)
                award_copy.add(
                    (
                        lot_id,
                        bid_id,
                        share,
                        reason,
                        award_note,
                        best,
                        user_of[plant_id],
                        decided,
                        told,
                        *status_of[bidder],
                    )  # fmt: skip
                )
                if lot_id in completed_at:
                    for rater, rated in ((plant_id, bidder), (bidder, plant_id)):
                        when = min(now, completed_at[lot_id] + rng.uniform(0.1, 3) * DAY)
                        stars = rng.choices([5, 4, 3, 2, 1], [45, 30, 15, 6, 4])[0]
                        rating_copy.add((lot_id, rater, rated, stars, "", user_of[rater], when))
            bid_id += 1
    for copier in (bid_copy, award_copy, rating_copy):
        copier.flush()
    reset_sequence(Bid)
    log(
        f"{bid_copy.count} bids, {award_copy.count} awards, {rating_copy.count} ratings copied in "
        f"{time.monotonic() - t0:.1f}s"
    )

    t0 = time.monotonic()
    periods = _insert_first_periods()
    log(f"{periods} contract periods (one per award, from the award's day) inserted in {time.monotonic() - t0:.1f}s")

    t0 = time.monotonic()
    revisions = _copy_first_revisions(first_id)
    log(f"{revisions} bid revisions (number 1 of each bid) inserted in {time.monotonic() - t0:.1f}s")
    return {"bids": bid_copy.count, "revisions": revisions, "awards": award_copy.count}


def _insert_first_periods() -> int:
    """Each award's schedule as the award makes it for a one-off lot: one period from the award's day (Jakarta)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO listings_contractperiod (award_id, number, starts_on, ends_on, missed_at)
            SELECT a.id, 1, (a.awarded_at AT TIME ZONE 'Asia/Jakarta')::date, NULL, NULL
            FROM listings_award a
            WHERE NOT EXISTS (SELECT 1 FROM listings_contractperiod p WHERE p.award_id = a.id)
            """
        )
        return cursor.rowcount


def _copy_first_revisions(first_bid_id: int) -> int:
    """Revision 1 of every bid from `first_bid_id` on, as bid_place() records it: one INSERT ... SELECT."""
    from_bid = {
        "bid_id": "id",
        "number": "1",
        "price_per_unit": "price_per_unit",
        "quantity": "quantity",
        "pickup_date": "pickup_date",
        "route": "route",
        "note": "note",
        "licence_id": "licence_id",
        "by_id": "placed_by_id",
        "created_at": "created_at",
    }
    extra_columns, extra = fields_added_later(BidRevision, from_bid)
    columns = [BidRevision._meta.get_field(name).column for name in from_bid] + extra_columns
    selected = list(from_bid.values()) + ["%s"] * len(extra)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BidRevision._meta.db_table} ({', '.join(columns)}) "  # noqa: S608 - our own names
            f"SELECT {', '.join(selected)} FROM {Bid._meta.db_table} WHERE id >= %s",
            [*extra, first_bid_id],
        )
        return cursor.rowcount


HANDOVERS_SQL = """
INSERT INTO listings_handover (
    lot_id, period_id, pickup_date, carrier, vehicle, manifest_number, quantity_sent, pickup_recorded_by_id,
    pickup_recorded_at, quantity_received, route_used, proof, proof_content_type, processing_recorded_by_id,
    processing_recorded_at, mismatch
)
SELECT l.id, p.id, (t.created_at AT TIME ZONE 'Asia/Jakarta')::date, 'PT Angkut Bench', 'A 1234 BX', '', b.quantity,
    b.placed_by_id, t.created_at,
    CASE WHEN l.status = 'completed' THEN
        ROUND(b.quantity * CASE WHEN l.id %% %(every)s = 0 THEN 0.95 ELSE 0.995 END, 3) END,
    CASE WHEN l.status = 'completed' THEN b.route ELSE '' END, '', '',
    CASE WHEN l.status = 'completed' THEN b.placed_by_id END,
    CASE WHEN l.status = 'completed' THEN t.created_at + INTERVAL '1 day' END,
    l.status = 'completed' AND l.id %% %(every)s = 0
FROM listings_wastelot l
JOIN members_organisation o ON o.id = l.plant_id
JOIN listings_award a ON a.lot_id = l.id
JOIN listings_bid b ON b.id = a.bid_id
JOIN listings_contractperiod p ON p.award_id = a.id AND p.number = 1
JOIN listings_lottransition t ON t.lot_id = l.id AND t.to_status = 'collected'
WHERE o.slug LIKE %(pattern)s AND l.status IN ('collected', 'completed')
"""


def create_handovers() -> int:
    """The handover of every collected and completed bench lot (weighed out = the accepted bid's quantity,
    received 0.5 % less, or 5 % less for every MISMATCH_EVERY-th lot: flagged), in one INSERT ... SELECT."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM listings_handover WHERE lot_id IN ({BENCH_LOTS_SQL})", [SLUG_PREFIX + "%"])  # noqa: S608
        cursor.execute(HANDOVERS_SQL, {"every": MISMATCH_EVERY, "pattern": SLUG_PREFIX + "%"})
        return cursor.rowcount
