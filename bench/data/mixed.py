"""Data for the mixed run: many people signed in (processors, plants, officials), their matches and inbox,
the lots they open and the lots bids are placed on while it runs (deleted again afterwards)."""

import random
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from bench.data.common import DAY, EMAIL_DOMAIN, OFFICIAL_EMAIL, SEED, SLUG_PREFIX, pinned_lots
from bench.data.organisations import ensure_official
from bench.data.placing import place_fields
from listings.models import Bid, Match, WasteCategory, WasteLot
from members.models import Membership, Notification, Organisation, User

MIXED_PROCESSORS = 200
MIXED_PLANTS = 80
MIXED_OFFICIALS = 20
MATCHES_PER_PROCESSOR = 40
NOTIFICATIONS_PER_PERSON = 30
NOTIFICATION_EVENTS = ["new_match", "outbid", "bid_accepted", "closing_soon", "new_bid", "pickup_recorded"]


def mixed_people() -> dict[str, list[User]]:
    """Who signs in for the mixed run: MIXED_PROCESSORS verified processors, MIXED_PLANTS verified plants (one
    person of each) and MIXED_OFFICIALS officials of the bench authority (made here once, idempotent). Each
    processor gets MATCHES_PER_PROCESSOR matches over open lots and each person NOTIFICATIONS_PER_PERSON inbox
    items, a third unread (written once, the first time)."""
    authority = ensure_official().membership.organisation
    officials = [User.objects.get(email=OFFICIAL_EMAIL)]
    for number in range(2, MIXED_OFFICIALS + 1):
        user, _created = User.objects.get_or_create(
            email=f"official-{number:02d}@{EMAIL_DOMAIN}",
            defaults={"full_name": f"Pejabat Bench {number}", "password": make_password(None)},
        )
        Membership.objects.get_or_create(user=user, defaults={"organisation": authority})
        officials.append(user)

    def people(kind, count):
        return list(
            User.objects.filter(
                membership__organisation__slug__startswith=SLUG_PREFIX,
                membership__organisation__kind=kind,
                membership__organisation__verification_status=Organisation.Status.VERIFIED,
            )
            .select_related("membership__organisation")
            .order_by("membership__organisation__slug", "id")[:count]
        )

    found = {
        "processor": people(Organisation.Kind.PROCESSOR, MIXED_PROCESSORS),
        "plant": people(Organisation.Kind.PLANT, MIXED_PLANTS),
        "official": officials,
    }
    _mixed_matches([user.membership.organisation_id for user in found["processor"]])
    _mixed_notifications([user for group in found.values() for user in group])
    return found


def _mixed_matches(organisation_ids: list[int]) -> None:
    if Match.objects.filter(organisation_id__in=organisation_ids).exists():
        return
    rng = random.Random(SEED + 1)  # noqa: S311 - a reproducible sample
    open_ids = list(
        WasteLot.objects.open()
        .filter(plant__slug__startswith=SLUG_PREFIX, closes_at__gt=timezone.now() + 2 * DAY)
        .values_list("id", flat=True)
    )
    rows = []
    for organisation_id in organisation_ids:
        for lot_id in rng.sample(open_ids, min(MATCHES_PER_PROCESSOR, len(open_ids))):
            km = round(rng.uniform(1, 90), 1)
            rows.append(
                Match(
                    lot_id=lot_id,
                    organisation_id=organisation_id,
                    score=rng.randint(40, 100),
                    reasons=[{"code": "category"}, {"code": "distance", "km": km}],
                    distance_km=km,
                )
            )
    Match.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)


def _mixed_notifications(users: list[User]) -> None:
    if Notification.objects.filter(recipient__in=users).exists():
        return
    rng = random.Random(SEED + 2)  # noqa: S311 - a reproducible sample
    lots = list(WasteLot.objects.filter(plant__slug__startswith=SLUG_PREFIX).values_list("reference", "title")[:5000])
    now = timezone.now()
    rows = []
    for user in users:
        for number in range(NOTIFICATIONS_PER_PERSON):
            reference, title = rng.choice(lots)
            created = now - timedelta(hours=number * 7 + rng.randint(0, 6))
            rows.append(
                Notification(
                    recipient=user,
                    event=rng.choice(NOTIFICATION_EVENTS),
                    key=f"bench:{user.pk}:{number}",
                    params={"reference": reference, "title": title, "closes_at": now.isoformat()},
                    url=f"/lots/{reference}/",
                    created_at=created,
                    read_at=None if number % 3 == 0 else created + timedelta(hours=1),
                )
            )
    Notification.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)


def mixed_lots(count: int = 3000) -> dict[str, list[str]]:
    """References for the mixed run's lot pages: open lots (two thirds) and closed, awarded or completed ones,
    spread over the whole table (a random sample, fixed by the seed)."""
    rng = random.Random(SEED + 3)  # noqa: S311 - a reproducible sample
    refs = {}
    for name, statuses in (
        ("open", [WasteLot.Status.OPEN]),
        ("closed", [WasteLot.Status.CLOSED, WasteLot.Status.AWARDED, WasteLot.Status.COMPLETED]),
    ):
        ids = list(
            WasteLot.objects.filter(plant__slug__startswith=SLUG_PREFIX, status__in=statuses).values_list(
                "reference", flat=True
            )
        )
        refs[name] = rng.sample(ids, min(len(ids), count * (2 if name == "open" else 1) // 3))
    return refs


def mixed_bid_lots(placers: list[str], count: int = 200) -> list[dict]:
    """Open lots anyone verified may bid on for the rest of the run (not local-first, closing in more than a
    day, the pinned lots left alone), on which none of the placers has a bid yet, each with a valid bid's fields:
    every bid the placers have on them afterwards was placed by the run, and `mixed_cleanup` deletes it."""
    rng = random.Random(SEED + 4)  # noqa: S311 - a reproducible sample
    now = timezone.now()
    lots = list(
        WasteLot.objects.open()
        .exclude(bids__bidder__memberships__user__email__in=placers)
        .filter(plant__slug__startswith=SLUG_PREFIX, closes_at__gt=now + DAY)
        .exclude(local_first_until__gt=now)
        .exclude(category__hazardous=WasteCategory.Hazard.YES)
        .exclude(available_until__lt=timezone.localdate() + 8 * DAY)  # room for place_fields' pickup date
        .exclude(id__in=[lot.id for lot in pinned_lots().values()])
        .order_by("id")[:20_000]
    )
    chosen = rng.sample(lots, min(count, len(lots)))
    return [{"reference": lot.reference, "fields": place_fields(lot)} for lot in chosen]


def mixed_cleanup(references: list[str], placers: list[str]) -> int:
    """Delete the bids the mixed run placed (with their revisions), so that the data stays as built and the next
    run finds the bids it expects rather than building them again. Returns how many."""
    organisations = Membership.objects.filter(user__email__in=placers).values("organisation")
    deleted, _per_model = Bid.objects.filter(lot__reference__in=references, bidder__in=organisations).delete()
    return deleted
