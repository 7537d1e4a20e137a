"""Deals written directly with the times the test chooses (services stamp "now"; the dashboard is about when)."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from listings.models import Award, Bid, ContractPeriod, Handover, LotTransition, WasteLot
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
    award = Award.objects.create(
        lot=lot,
        bid=bid,
        quantity=bid.quantity,
        reason="best-price",
        best_price=price,
        awarded_at=awarded,
        processor_banten=processor.is_banten,
        processor_japnas=processor.is_japnas_member,
    )
    period = ContractPeriod.objects.create(award=award, number=1, starts_on=awarded.date())
    LotTransition.objects.create(lot=lot, from_status="closed", to_status="awarded", created_at=awarded)
    if completed:
        Handover.objects.create(
            lot=lot,
            period=period,
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


def make_contract(
    *,
    plant,
    shares,
    code="steel-slag",
    unit="t",
    per_period="100",
    months=6,
    awarded,
    deliveries=(),
    kecamatan="ciwandan",
    route="recycling",
):
    """A monthly stream shared among processors: `shares` is [(processor, share per period, price)], each an
    award (contract) at `awarded` with its schedule; `deliveries` is [(share index, period number, processed at,
    quantity received)] — each a period picked up and processed (`processed at` is when it was delivered)."""
    from listings.models.contracts import schedule

    lot = LotFactory(
        plant=plant,
        category=category(code),
        quantity=Decimal(per_period) * months,
        unit=unit,
        is_recurring=True,
        frequency=WasteLot.Frequency.MONTHLY,
        quantity_per_period=Decimal(per_period),
        contract_months=months,
        status=WasteLot.Status.COLLECTED if deliveries else WasteLot.Status.AWARDED,
        published_at=awarded - timedelta(days=10),
        closes_at=awarded - timedelta(days=1),
        site_kecamatan=kecamatan,
        reserve_price=None,
        awarded_quantity=sum(Decimal(share) for _p, share, _price in shares),
    )
    awards = []
    for processor, share, price in shares:
        bid = Bid.objects.create(
            lot=lot,
            bidder=processor,
            price_per_unit=price,
            quantity=Decimal(share),
            pickup_date=awarded.date(),
            route=route,
            status=Bid.Status.ACCEPTED,
            created_at=awarded - timedelta(days=5),
            updated_at=awarded,
        )
        award = Award.objects.create(
            lot=lot,
            bid=bid,
            quantity=Decimal(share),
            reason="best-price",
            best_price=price,
            awarded_at=awarded,
            processor_banten=processor.is_banten,
            processor_japnas=processor.is_japnas_member,
        )
        ContractPeriod.objects.bulk_create(
            ContractPeriod(award=award, number=n, starts_on=start, ends_on=end)
            for n, (start, end) in enumerate(schedule(lot, awarded.date()), start=1)
        )
        awards.append(award)
    LotTransition.objects.create(lot=lot, from_status="closed", to_status="awarded", created_at=awarded)
    for index, number, processed, received in deliveries:
        period = ContractPeriod.objects.get(award=awards[index], number=number)
        Handover.objects.create(
            lot=lot,
            period=period,
            pickup_date=period.starts_on,
            carrier="PT Angkut",
            vehicle="A 1 B",
            quantity_sent=Decimal(received),
            quantity_received=Decimal(received),
            route_used=route,
            processing_date=processed.date(),
            processing_recorded_at=processed,
        )
    return lot
