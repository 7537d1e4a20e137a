"""Deals written directly with the times the test chooses (services stamp "now"; the dashboard is about when)."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from listings.models import Award, Bid, Handover, LotTransition, WasteLot
from tests.factories import LotFactory, OrganisationFactory, category

JAKARTA_NOON = {"hour": 12}


def at(year, month, day, hour=12):
    """An aware datetime in Asia/Jakarta."""
    return timezone.make_aware(datetime(year, month, day, hour))


def make_deal(
    *,
    plant,
    processor,
    code="steel-slag",
    quantity="100",
    unit="t",
    price=100_000,
    published=None,
    awarded=None,
    completed=None,
    sent=None,
    received=None,
    route="recycling",
    route_used="",
    kecamatan="ciwandan",
    bidder_quantity=None,
):
    """A lot awarded to `processor` at `awarded` (and completed at `completed`, with a handover)."""
    status = WasteLot.Status.COMPLETED if completed else WasteLot.Status.AWARDED
    published = published or awarded - timedelta(days=10)
    lot = LotFactory(
        plant=plant,
        category=category(code),
        quantity=Decimal(quantity),
        unit=unit,
        status=status,
        published_at=published,
        closes_at=awarded - timedelta(days=1),
        site_kecamatan=kecamatan,
        reserve_price=None,
    )
    bid = Bid.objects.create(
        lot=lot,
        bidder=processor,
        price_per_unit=price,
        quantity=Decimal(bidder_quantity or quantity),
        pickup_date=awarded.date(),
        route=route,
        status=Bid.Status.ACCEPTED,
        created_at=published,
        updated_at=awarded,
    )
    Award.objects.create(
        lot=lot,
        bid=bid,
        reason="best-price",
        best_price=price,
        awarded_at=awarded,
        processor_banten=processor.is_banten,
        processor_japnas=processor.is_japnas_member,
    )
    LotTransition.objects.create(lot=lot, from_status="closed", to_status="awarded", created_at=awarded)
    if completed:
        Handover.objects.create(
            lot=lot,
            pickup_date=(awarded + timedelta(days=1)).date(),
            carrier="PT Angkut",
            vehicle="A 1 B",
            quantity_sent=Decimal(sent or quantity),
            quantity_received=Decimal(received or sent or quantity),
            route_used=route_used,
            processing_recorded_at=completed,
            mismatch=bool(
                sent and received and abs(Decimal(received) - Decimal(sent)) / Decimal(sent) > Decimal("0.02")
            ),
        )
        LotTransition.objects.create(lot=lot, from_status="collected", to_status="completed", created_at=completed)
    return lot


@pytest.fixture
def banten_japnas(db):
    return OrganisationFactory(name="CV Banten Japnas", slug="banten-japnas", processor=True, japnas_number="JPN-9")


@pytest.fixture
def banten_only(db):
    return OrganisationFactory(name="PT Banten Saja", slug="banten-saja", processor=True)


@pytest.fixture
def outside(db):
    return OrganisationFactory(
        name="PT Luar Banten", slug="luar-banten", processor=True, province="jawa-barat", kecamatan=""
    )
