"""Races on PostgreSQL: real concurrent transactions in threads, each with its own connection.

Skipped on SQLite (which serialises every writer); CI's PostgreSQL pass runs them.
"""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from listings import services
from listings.models import Award, Bid, WasteLot
from listings.services import BidOffer
from tests.factories import LotFactory, OrganisationFactory, member_of

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks"),
    pytest.mark.usefixtures("transactional_db"),
]


def offer(price):
    return BidOffer(
        price_per_unit=price, quantity=Decimal("1"), pickup_date=timezone.localdate() + timedelta(days=1), route="reuse"
    )


def run_together(*actions):
    """Run each action in its own thread, released at the same instant; return results or exceptions."""
    barrier = threading.Barrier(len(actions))
    results = [None] * len(actions)

    def worker(index, action):
        try:
            barrier.wait()
            results[index] = action()
        except Exception as exc:  # the outcome under test
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_awards_at_once_always_make_exactly_one(plant, plant_admin):
    colleague = member_of(plant, role="member")
    for round_number in range(15):
        lot = LotFactory(plant=plant, bidding_mode="open", title=f"Race {round_number}")
        first = services.bid_place(lot=lot, acting_user=member_of(OrganisationFactory(processor=True)), offer=offer(10))
        second = services.bid_place(
            lot=lot, acting_user=member_of(OrganisationFactory(processor=True)), offer=offer(10)
        )
        results = run_together(
            lambda lot=lot, bid=first: services.lot_award(lot=lot, bid=bid, acting_user=plant_admin),
            lambda lot=lot, bid=second: services.lot_award(lot=lot, bid=bid, acting_user=colleague),
        )
        awards = [r for r in results if isinstance(r, Award)]
        refusals = [r for r in results if isinstance(r, ValidationError)]
        assert len(awards) == 1 and len(refusals) == 1, results
        assert Bid.objects.filter(lot=lot, status="accepted").count() == 1
        assert WasteLot.objects.get(pk=lot.pk).status == "awarded"


def test_many_bids_at_once_none_lost(plant):
    lot = LotFactory(plant=plant, bidding_mode="open", closes_at=timezone.now() + timedelta(hours=1))
    people = [member_of(OrganisationFactory(processor=True)) for _ in range(12)]
    results = run_together(
        *[lambda p=p, i=i: services.bid_place(lot=lot, acting_user=p, offer=offer(i)) for i, p in enumerate(people)]
    )
    assert all(isinstance(r, Bid) for r in results), results
    assert Bid.objects.filter(lot=lot, status="live").count() == 12


def test_one_bidders_colleagues_bidding_at_once_make_one_live_bid(plant, processor):
    lot = LotFactory(plant=plant)
    colleagues = [member_of(processor, role="member") for _ in range(4)]
    results = run_together(
        *[lambda p=p: services.bid_place(lot=lot, acting_user=p, offer=offer(5)) for p in colleagues]
    )
    assert sum(isinstance(r, Bid) for r in results) == 1
    assert Bid.objects.filter(lot=lot, status="live").count() == 1


def test_withdraw_racing_award_never_leaves_a_withdrawn_winner(plant, plant_admin):
    for round_number in range(10):
        lot = LotFactory(plant=plant, bidding_mode="open", title=f"Withdraw race {round_number}")
        bidder = member_of(OrganisationFactory(processor=True))
        bid = services.bid_place(lot=lot, acting_user=bidder, offer=offer(10))
        results = run_together(
            lambda lot=lot, bid=bid: services.lot_award(lot=lot, bid=bid, acting_user=plant_admin),
            lambda bid=bid, bidder=bidder: services.bid_withdraw(bid=bid, acting_user=bidder),
        )
        bid.refresh_from_db()
        awarded = Award.objects.filter(lot=lot).exists()
        assert (bid.status == "accepted") == awarded, results
        assert bid.status in ("accepted", "withdrawn")
        assert sum(not isinstance(r, Exception) for r in results) == 1, results
