"""Races: real concurrent transactions in threads, each with its own connection, on SQLite and PostgreSQL.

PostgreSQL serialises them with the lot's row lock (select_for_update). SQLite ignores select_for_update: its
IMMEDIATE transactions (wastex/settings.py) take the database's write lock at BEGIN, and the busy timeout makes
the second writer wait for it instead of failing with "database is locked". Either way one wins, and the other
is refused with the same clear message — never a 500.
"""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from listings import services
from listings.models import Award, Bid, WasteLot
from listings.services import BidOffer
from tests.factories import LotFactory, OrganisationFactory, member_of

pytestmark = pytest.mark.usefixtures("transactional_db")

DECIDED = "This lot has been decided already."
BID_GONE = "This bid is no longer live: it was withdrawn or decided."
NOT_OPEN = "This lot is not open for bids."
NO_LIVE_BID = "Your organisation has no live bid on this lot."


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
            with translation.override("en"):  # the active language is per thread
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


def lot_with_two_bids(plant, title, *, closed_by=None):
    lot = LotFactory(plant=plant, bidding_mode="open", title=title)
    bidders = [member_of(OrganisationFactory(processor=True)) for _ in range(2)]
    bids = [services.bid_place(lot=lot, acting_user=person, offer=offer(10)) for person in bidders]
    if closed_by is not None:
        services.lot_close_early(lot=lot, acting_user=closed_by)
    return lot, bids, bidders


def messages_of(result) -> list[str]:
    """What a ValidationError says, as the service's caller (and so the person) reads it."""
    assert isinstance(result, ValidationError), result
    return result.messages


@pytest.mark.parametrize("closed_first", [False, True], ids=["open-lot", "closed-lot"])
def test_two_awards_at_once_always_make_exactly_one(plant, plant_admin, closed_first):
    """Also on a closed lot: without the lot's lock the two awards deadlock into a 500 on PostgreSQL."""
    colleague = member_of(plant, role="member")
    for round_number in range(12):
        lot, (first, second), _people = lot_with_two_bids(
            plant, f"Race {round_number}", closed_by=plant_admin if closed_first else None
        )
        results = run_together(
            lambda lot=lot, bid=first: services.lot_award(lot=lot, bid=bid, acting_user=plant_admin),
            lambda lot=lot, bid=second: services.lot_award(lot=lot, bid=bid, acting_user=colleague),
        )
        awards = [r for r in results if isinstance(r, Award)]
        refusals = [r for r in results if not isinstance(r, Award)]
        assert len(awards) == 1 and len(refusals) == 1, results
        assert messages_of(refusals[0]) == [DECIDED]
        assert Bid.objects.filter(lot=lot, status="accepted").count() == 1
        assert Bid.objects.filter(lot=lot, status="rejected").count() == 1
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
    assert sum(isinstance(r, Bid) for r in results) == 1, results
    for refusal in (r for r in results if not isinstance(r, Bid)):
        assert messages_of(refusal) == ["Your organisation already has a live bid on this lot: revise it instead."]
    assert Bid.objects.filter(lot=lot, status="live").count() == 1


def test_withdraw_racing_award_never_leaves_a_withdrawn_winner(plant, plant_admin):
    for round_number in range(12):
        lot, (bid, _other), (bidder, _someone) = lot_with_two_bids(plant, f"Withdraw race {round_number}")
        award, withdrawal = run_together(
            lambda lot=lot, bid=bid: services.lot_award(lot=lot, bid=bid, acting_user=plant_admin),
            lambda bid=bid, bidder=bidder: services.bid_withdraw(bid=bid, acting_user=bidder),
        )
        bid.refresh_from_db()
        if isinstance(award, Award):
            assert bid.status == "accepted" and messages_of(withdrawal) == [NOT_OPEN]
        else:
            assert isinstance(withdrawal, Bid), withdrawal
            assert bid.status == "withdrawn" and messages_of(award) == [BID_GONE]
            assert not Award.objects.filter(lot=lot).exists()


# Through the pages: each person's browser is a test Client in its own thread; a 500 is a response here.


def logged_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("closed_first", [False, True], ids=["open-lot", "closed-lot"])
def test_two_awards_through_the_page_make_one_and_tell_the_other_why(plant, plant_admin, closed_first):
    colleague = member_of(plant, role="member")
    admin_client, colleague_client = logged_in(plant_admin), logged_in(colleague)
    for round_number in range(6):
        lot, (first, second), _people = lot_with_two_bids(
            plant, f"Page race {round_number}", closed_by=plant_admin if closed_first else None
        )
        url = reverse("listings:lot_bids", kwargs={"reference": lot.reference})
        responses = run_together(
            lambda url=url, bid=first: admin_client.post(url, {"bid": bid.pk, "reason": "", "note": ""}),
            lambda url=url, bid=second: colleague_client.post(url, {"bid": bid.pk, "reason": "", "note": ""}),
        )
        codes = sorted(r.status_code for r in responses)
        assert codes == [302, 400], responses
        loser = next(r for r in responses if r.status_code == 400)
        assert DECIDED in loser.content.decode()
        assert Award.objects.filter(lot=lot).count() == 1


def test_an_award_committed_after_the_page_read_the_lot_is_the_reason_given(plant, plant_admin, rf):
    """The narrow window of the race above, made certain: this request read the lot while it was still open,
    then the other award was committed (so its own bid is no longer live) before it read the bid."""
    from listings.views.bids import _award_step

    lot, (first, second), _people = lot_with_two_bids(plant, "Stale lot")
    stale = WasteLot.objects.get(pk=lot.pk)
    services.lot_award(lot=lot, bid=first, acting_user=plant_admin)
    request = rf.post("/", {"bid": second.pk, "reason": "", "note": ""})
    request.user = member_of(plant, role="member")
    with translation.override("en"):
        assert _award_step(request, stale, str(second.pk)) == {"error": DECIDED}
    # A bid withdrawn meanwhile on a lot still open is that reason.
    lot, (bid, _other), (bidder, _someone) = lot_with_two_bids(plant, "Withdrawn meanwhile")
    stale = WasteLot.objects.get(pk=lot.pk)
    services.bid_withdraw(bid=bid, acting_user=bidder)
    with translation.override("en"):
        assert _award_step(request, stale, str(bid.pk)) == {"error": BID_GONE}


def test_award_and_withdrawal_through_the_pages_one_wins_never_a_500(plant, plant_admin):
    plant_client = logged_in(plant_admin)
    outcomes = set()
    for round_number in range(8):
        lot, (bid, _other), (bidder, _someone) = lot_with_two_bids(plant, f"Page withdraw race {round_number}")
        bidder_client = logged_in(bidder)
        award, withdrawal = run_together(
            lambda lot=lot, bid=bid: plant_client.post(
                reverse("listings:lot_bids", kwargs={"reference": lot.reference}),
                {"bid": bid.pk, "reason": "", "note": ""},
            ),
            lambda lot=lot, client=bidder_client: client.post(
                reverse("listings:bid_withdraw", kwargs={"reference": lot.reference})
            ),
        )
        assert award.status_code < 500 and withdrawal.status_code < 500, (award, withdrawal)
        assert withdrawal.status_code == 302
        bid.refresh_from_db()
        if award.status_code == 302:
            outcomes.add("awarded")
            assert bid.status == "accepted"
            said = flashed(withdrawal)
            assert said in ([NOT_OPEN], [NO_LIVE_BID]), said
        else:
            outcomes.add("withdrawn")
            assert award.status_code == 400 and BID_GONE in award.content.decode()
            assert bid.status == "withdrawn" and flashed(withdrawal) == ["Your bid is withdrawn."]
            assert not Award.objects.filter(lot=lot).exists()


def test_share_awards_at_once_never_exceed_the_quantity_per_period(plant, plant_admin):
    """Three people award 40 t per period each of a 100 t stream at the same instant: two shares fit, the third is
    refused with what is left — never more than the stream, and the lot's total equals the shares'."""
    colleagues = [plant_admin, member_of(plant, role="member"), member_of(plant, role="member")]
    for round_number in range(6):
        lot = LotFactory(
            plant=plant, bidding_mode="open", title=f"Stream {round_number}", quantity=Decimal("600"),
            is_recurring=True, frequency="monthly", quantity_per_period=Decimal("100"), contract_months=6,
        )  # fmt: skip
        bidders = [member_of(OrganisationFactory(processor=True)) for _ in range(3)]
        bids = [
            services.bid_place(
                lot=lot,
                acting_user=person,
                offer=BidOffer(
                    price_per_unit=1000 + n,
                    quantity=Decimal("50"),
                    pickup_date=timezone.localdate() + timedelta(days=1),
                    route="reuse",
                ),
            )  # fmt: skip
            for n, person in enumerate(bidders)
        ]
        services.lot_close_early(lot=lot, acting_user=plant_admin)
        results = run_together(
            *[
                lambda bid=bid, person=person, lot=lot: services.lot_award(
                    lot=lot, bid=bid, acting_user=person, quantity=Decimal("40"), reason="capacity"
                )
                for bid, person in zip(bids, colleagues, strict=True)
            ]
        )
        awards = [r for r in results if isinstance(r, Award)]
        refusals = [r for r in results if not isinstance(r, Award)]
        assert len(awards) == 2 and len(refusals) == 1, results
        assert isinstance(refusals[0], ValidationError) and "Only 20" in str(refusals[0])
        lot.refresh_from_db()
        shares = Award.objects.filter(lot=lot).values_list("quantity", flat=True)
        assert lot.awarded_quantity == sum(shares) == Decimal("80")
