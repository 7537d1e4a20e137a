"""Demo history for the dashboard: completed deals spread over the last 18 months (SPEC §4), so that the
trends, shares and breakdowns show something real on a fresh `make run`.

The deals are written with the times they would have had (the services stamp "now"), each with its whole
timeline (draft → open → closed → awarded → collected → completed), the losing bids, the award, the handover
and both ratings. Idempotent: a history lot is keyed by its title. Clearly fictional, like all demo data.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from listings.models import (
    Award,
    Bid,
    BidRevision,
    ContractPeriod,
    Handover,
    LotReferenceCounter,
    LotTransition,
    Rating,
    WasteCategory,
    WasteLot,
)
from members.models import User

TITLE = "Riwayat demo {n:02d}: {name}"
DEALS = 36
MONTHS = 18
PLANTS = ["plant@demo.test", "petrokimia@demo.test", "klor@demo.test", "pltu@demo.test"]
# Verified processors: Banten and Japnas, Banten only, Banten (Serang), outside Banten (Karawang, a cement kiln).
PROCESSORS = [
    "processor@demo.test",
    "logam@demo.test",
    "serang@demo.test",
    "semenhijau@demo.test",
    "karawang@demo.test",
]
# Non-hazardous streams (no licence needed): category, quantity range, unit, price range per unit (signed).
STREAMS = [
    ("steel-slag", (200, 1500), "t", (-20_000, 15_000)),
    ("ferrous-scrap", (20, 300), "t", (3_500_000, 4_800_000)),
    ("aluminium-scrap", (2, 20), "t", (17_000_000, 22_000_000)),
    ("fly-ash-pltu", (500, 5000), "t", (-10_000, 30_000)),
    ("bottom-ash-pltu", (200, 2000), "t", (-15_000, 10_000)),
    ("mill-scale", (50, 400), "t", (350_000, 600_000)),
    ("paper-cardboard", (1000, 8000), "kg", (800, 1_500)),
    ("plastic-film", (1000, 9000), "kg", (1_000, 2_500)),
    ("fgd-gypsum", (300, 3000), "t", (10_000, 40_000)),
    ("wood-pallets", (100, 800), "unit", (10_000, 20_000)),
]
ROUTES = {
    "steel-slag": "material-recovery",
    "fly-ash-pltu": "energy-recovery",
    "bottom-ash-pltu": "material-recovery",
    "fgd-gypsum": "material-recovery",
    "wood-pallets": "reuse",
}


def _reference(year: int) -> str:
    counter, _created = LotReferenceCounter.objects.select_for_update().get_or_create(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"WX-{year}-{counter.last:05d}"


def load_demo_history() -> int:
    rng = random.Random(18)  # noqa: S311 - reproducible demo data, not secrets
    people = {user.email: user for user in User.objects.filter(email__in=PLANTS + PROCESSORS)}
    categories = {c.code: c for c in WasteCategory.objects.filter(code__in=[s[0] for s in STREAMS])}
    now = timezone.now()
    made = 0
    with transaction.atomic():
        for n in range(DEALS):
            code, (low, high), unit, (price_low, price_high) = STREAMS[n % len(STREAMS)]
            category = categories[code]
            title = TITLE.format(n=n + 1, name=category.name_id)
            plant_person = people[PLANTS[n % len(PLANTS)]]
            plant = plant_person.membership.organisation
            if WasteLot.objects.filter(plant=plant, title=title).exists():
                rng.random()
                continue
            # Two deals a month on average, the oldest 18 months ago; the city's share grows over time.
            completed = now - timedelta(days=MONTHS * 30 * (DEALS - n) / DEALS + rng.uniform(0, 10))
            awarded = completed - timedelta(days=rng.uniform(10, 25))
            closes = awarded - timedelta(days=rng.uniform(0.2, 4))
            published = closes - timedelta(days=rng.uniform(5, 14))
            created = published - timedelta(hours=rng.uniform(2, 48))
            quantity = Decimal(rng.randint(low, high))
            local_bias = 0.45 + 0.45 * n / DEALS  # more often a Banten winner as the exchange matures
            winners = PROCESSORS[:3] if rng.random() < local_bias else PROCESSORS[3:]
            winner = people[rng.choice(winners)]
            losers = rng.sample([email for email in PROCESSORS if people[email] != winner], rng.randint(0, 2))
            price = int(round(rng.uniform(price_low, price_high), -2 if abs(price_high) > 10_000 else 0))
            lot = WasteLot.objects.create(
                reference=_reference(published.year),
                plant=plant,
                created_by=plant_person,
                title=title,
                category=category,
                description=f"{category.name_id}. Riwayat data demo WasteX, bukan transaksi nyata.",
                physical_form="solid",
                packaging="bulk" if unit != "unit" else "other",
                quantity=quantity,
                unit=unit,
                site_address=plant.address,
                site_kecamatan=plant.kecamatan or "ciwandan",
                latitude=plant.latitude,
                longitude=plant.longitude,
                available_from=published.date(),
                closes_at=closes,
                bidding_mode="open",
                reserve_price=None,
                status=WasteLot.Status.COMPLETED,
                published_at=published,
                bids_opened_at=closes,
            )
            WasteLot.objects.filter(pk=lot.pk).update(created_at=created, updated_at=completed)
            steps = [
                ("", "draft", created, plant_person),
                ("draft", "open", published, plant_person),
                ("open", "closed", closes, None),
                ("closed", "awarded", awarded, plant_person),
                ("awarded", "collected", awarded + timedelta(days=3), winner),
                ("collected", "completed", completed, plant_person),
            ]
            LotTransition.objects.bulk_create(
                LotTransition(lot=lot, from_status=a, to_status=b, created_at=when, actor=who)
                for a, b, when, who in steps
            )
            winning = None
            for email in [winner.email, *losers]:
                person = people[email]
                offered = price if person == winner else price - abs(price) // 10 - 100
                bid = Bid.objects.create(
                    lot=lot,
                    bidder=person.membership.organisation,
                    placed_by=person,
                    price_per_unit=offered,
                    quantity=quantity,
                    pickup_date=(awarded + timedelta(days=3)).date(),
                    route=ROUTES.get(code, "recycling"),
                    status=Bid.Status.ACCEPTED if person == winner else Bid.Status.REJECTED,
                    created_at=published + timedelta(days=1),
                    updated_at=awarded,
                )
                BidRevision.objects.create(
                    bid=bid,
                    number=1,
                    price_per_unit=offered,
                    quantity=quantity,
                    pickup_date=bid.pickup_date,
                    route=bid.route,
                    by=person,
                    created_at=bid.created_at,
                )
                winning = winning or bid
            award = Award.objects.create(
                lot=lot,
                bid=winning,
                quantity=quantity,
                reason=Award.Reason.BEST_PRICE,
                best_price=price,
                awarded_by=plant_person,
                awarded_at=awarded,
                notified_at=awarded,
                processor_banten=winning.bidder.is_banten,
                processor_japnas=winning.bidder.is_japnas_member,
            )
            WasteLot.objects.filter(pk=lot.pk).update(awarded_quantity=lot.quantity)
            period = ContractPeriod.objects.create(award=award, number=1, starts_on=awarded.date())
            # Every ninth deal lost weight on the way: a mismatch for staff and officials to follow up.
            received = quantity * (Decimal("0.95") if n % 9 == 4 else Decimal("0.995"))
            handover = Handover(
                lot=lot,
                period=period,
                pickup_date=(awarded + timedelta(days=3)).date(),
                carrier="PT Angkut Banten (demo)",
                vehicle="A 9000 XX",
                quantity_sent=quantity,
                pickup_recorded_by=winner,
                pickup_recorded_at=awarded + timedelta(days=3),
                quantity_received=received.quantize(Decimal("0.001")),
                route_used=winning.route,
                processing_recorded_by=winner,
                processing_recorded_at=completed - timedelta(days=1),
            )
            handover.mismatch = handover.compute_mismatch()
            handover.save()
            winner_org = winner.membership.organisation
            Rating.objects.bulk_create(
                [
                    Rating(
                        lot=lot,
                        rater=plant,
                        rated=winner_org,
                        stars=rng.choice([4, 5, 5, 3]),
                        by=plant_person,
                        created_at=completed + timedelta(hours=5),
                    ),  # fmt: skip
                    Rating(
                        lot=lot,
                        rater=winner_org,
                        rated=plant,
                        stars=rng.choice([4, 5]),
                        by=winner,
                        created_at=completed + timedelta(hours=8),
                    ),  # fmt: skip
                ]
            )
            made += 1
    return made
